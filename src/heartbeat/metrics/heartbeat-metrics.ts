import {
  Counter,
  Gauge,
  register as globalRegistry,
  type Registry,
} from 'prom-client';
import type { HeartbeatState } from '../core/status.js';
import type {
  HeartbeatCounters,
  HeartbeatRegistry,
} from '../registry/heartbeat-registry.service.js';

/** Options of {@link registerHeartbeatMetrics}. @publicApi */
export interface HeartbeatMetricsOptions {
  /**
   * The prom-client registry to register on (the host's own, typically).
   * @default prom-client's global registry
   */
  register?: Registry;
  /**
   * Prefix of every metric name.
   * @default 'heartbeat_'
   */
  prefix?: string;
  /**
   * Most apps that get their own per-app series (the latest first by overdue ratio), so that a
   * flood of IDs cannot explode the cardinality of the metrics store.
   * @default 100
   */
  maxAppSeries?: number;
}

/** The registered metrics, for unregistering. @publicApi */
export interface HeartbeatMetrics {
  /** Removes every heartbeat metric from the registry. */
  unregister(): void;
}

const STATES: readonly HeartbeatState[] = ['OK', 'WARNING', 'CRITICAL'];

/**
 * Prometheus metrics for a heartbeat registry, computed when scraped (nothing runs on the request
 * path but the registry's plain counters):
 *
 * - `heartbeat_apps{state}`: live apps per state
 * - `heartbeat_app_overdue_ratio{app}` and `heartbeat_app_delay_ms{app}`: per app, for at most
 *   `maxAppSeries` apps, the latest first
 * - `heartbeat_app_series_omitted`: apps left out by that cap
 * - `heartbeat_inits_total`, `heartbeat_pings_total`, `heartbeat_dones_total`,
 *   `heartbeat_drops_total`, `heartbeat_rejected_requests_total`
 *
 * @example
 * registerHeartbeatMetrics(app.get(HeartbeatRegistry), { register: myPromRegistry });
 * @publicApi
 */
export function registerHeartbeatMetrics(
  registry: HeartbeatRegistry,
  options: HeartbeatMetricsOptions = {},
): HeartbeatMetrics {
  const register = options.register ?? globalRegistry;
  const prefix = options.prefix ?? 'heartbeat_';
  const maxAppSeries = options.maxAppSeries ?? 100;
  const registers = [register];
  const names: string[] = [];
  const named = (name: string) => {
    names.push(prefix + name);
    return prefix + name;
  };

  // One scrape reads the registry once, however many gauges ask.
  let snapshot:
    Promise<Awaited<ReturnType<HeartbeatRegistry['list']>>> | undefined;
  const live = () => {
    snapshot ??= registry.list().finally(() => {
      setImmediate(() => (snapshot = undefined));
    });
    return snapshot;
  };

  new Gauge({
    name: named('apps'),
    help: 'Live applications per state.',
    labelNames: ['state'],
    registers,
    async collect() {
      const apps = await live();
      for (const state of STATES) {
        this.set({ state }, apps.filter((app) => app.state === state).length);
      }
    },
  });

  const worst = async () =>
    [...(await live())].sort((a, b) => b.od - a.od).slice(0, maxAppSeries);

  new Gauge({
    name: named('app_overdue_ratio'),
    help: 'Overdue ratio (now - last_seen) / T per application (capped series).',
    labelNames: ['app'],
    registers,
    async collect() {
      this.reset();
      for (const app of await worst()) this.set({ app: app.appId }, app.od);
    },
  });

  new Gauge({
    name: named('app_delay_ms'),
    help: 'Promised delay T = TIMEOUT + tolerance per application, in ms (capped series).',
    labelNames: ['app'],
    registers,
    async collect() {
      this.reset();
      for (const app of await worst())
        this.set({ app: app.appId }, app.delayMs);
    },
  });

  new Gauge({
    name: named('app_series_omitted'),
    help: 'Live applications without per-app series because of the series cap.',
    registers,
    async collect() {
      this.set(Math.max(0, (await live()).length - maxAppSeries));
    },
  });

  const counter = (
    name: string,
    help: string,
    key: keyof HeartbeatCounters,
  ) => {
    let reported = 0;
    new Counter({
      name: named(name),
      help,
      registers,
      collect() {
        const total = registry.counters[key];
        this.inc(total - reported);
        reported = total;
      },
    });
  };
  counter('inits_total', 'Successful registrations (hb_init).', 'inits');
  counter('pings_total', 'Successful heartbeats (hb_ping).', 'pings');
  counter('dones_total', 'Successful deregistrations (hb_done).', 'dones');
  counter('drops_total', 'Applications dropped for lateness.', 'drops');
  counter(
    'rejected_requests_total',
    'Requests answered with an ERROR line.',
    'rejected',
  );

  return {
    unregister: () =>
      names.forEach((name) => register.removeSingleMetric(name)),
  };
}
