import {
  Counter,
  Gauge,
  register as globalRegistry,
  type Registry,
} from 'prom-client';
import type { HeartbeatAppStatus, HeartbeatState } from '../core/status.js';
import type { HeartbeatAccessRefusals } from '../engine/heartbeat-access.js';
import type {
  HeartbeatCounters,
  HeartbeatRegistry,
} from '../engine/heartbeat-registry.js';
import type {
  HeartbeatWebhookCounters,
  HeartbeatWebhookDispatcher,
} from '../engine/heartbeat-webhook.dispatcher.js';

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
   * Most apps that get their own per-app series (the most overdue ones), so that a flood of IDs
   * cannot explode the cardinality of the metrics store. `0` turns per-app series off.
   * @default 100
   */
  maxAppSeries?: number;
  /**
   * The webhook dispatcher whose deliveries to count (`app.get(HeartbeatWebhookDispatcher)`,
   * or the middleware's `webhooks`).
   * @default none: no webhook metrics
   */
  webhooks?: Pick<HeartbeatWebhookDispatcher, 'counters' | 'queued'>;
}

/** The registered metrics, for unregistering. @publicApi */
export interface HeartbeatMetrics {
  /** Removes every heartbeat metric from the registry. */
  unregister(): void;
}

const STATES: readonly HeartbeatState[] = ['OK', 'WARNING', 'CRITICAL'];

/** What one scrape reads from the registry; `undefined` while the store cannot be reached. */
interface Reading {
  readonly total: number;
  readonly perState: Readonly<Record<HeartbeatState, number>>;
  /** Apps an operator paused (counted as OK in `perState`). */
  readonly paused: number;
  /** The apps with their own series: the most overdue, at most the cap. */
  readonly series: readonly HeartbeatAppStatus[];
}

/**
 * Counts per state and the most overdue apps: two bounded reads, whatever the registry's size
 * (O(log n) and O(maxAppSeries) on Redis).
 */
async function read(
  registry: HeartbeatRegistry,
  maxAppSeries: number,
): Promise<Reading> {
  const counts = await registry.counts();
  const series =
    maxAppSeries > 0 && counts.total > 0
      ? await registry.mostOverdue(
          Math.min(maxAppSeries, registry.options.maxPageSize),
        )
      : [];
  return {
    total: counts.total,
    perState: {
      OK: counts.OK,
      WARNING: counts.WARNING,
      CRITICAL: counts.CRITICAL,
    },
    paused: counts.paused ?? 0,
    series,
  };
}

/**
 * Prometheus metrics for a heartbeat registry, computed when scraped (nothing runs on the request
 * path but the registry's plain counters):
 *
 * - `heartbeat_apps{state}`: live apps per state
 * - `heartbeat_apps_paused`: apps an operator paused (counted as OK above)
 * - `heartbeat_app_overdue_ratio{app}` and `heartbeat_app_delay_ms{app}`: per app, for the
 *   `maxAppSeries` most overdue apps
 * - `heartbeat_app_series_omitted`: apps left out by that cap
 * - `heartbeat_store_up`: 0 while the store cannot be reached (the gauges above are then empty)
 *   or cannot record heartbeats (they then show the apps as they were when it stopped)
 * - `heartbeat_inits_total`, `heartbeat_pings_total`, `heartbeat_dones_total`,
 *   `heartbeat_drops_total`, `heartbeat_rejected_requests_total`
 * - `heartbeat_auth_refusals_total{reason}`: requests refused for their token (`unauthorized`,
 *   `forbidden`, `quota`)
 * - with `webhooks`: `heartbeat_webhook_deliveries_total{outcome}` (`delivered`, `failed`,
 *   `dropped`), `heartbeat_webhook_attempts_total` and `heartbeat_webhook_queued`
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

  // One scrape reads the registry once, however many gauges ask. A store that cannot be reached
  // empties the registry-wide gauges but never fails the scrape: counters and the host's own
  // metrics are still served, and `store_up` says why the rest is missing.
  let reading: Promise<Reading | undefined> | undefined;
  const current = () => {
    reading ??= read(registry, maxAppSeries)
      .catch(() => undefined)
      .finally(() => {
        setImmediate(() => (reading = undefined));
      });
    return reading;
  };

  new Gauge({
    name: named('store_up'),
    help: 'Whether the heartbeat store answered this scrape and records heartbeats (1) or not (0).',
    registers,
    async collect() {
      const answered = (await current()) !== undefined;
      this.set(answered && !registry.storeRefusing ? 1 : 0);
    },
  });

  new Gauge({
    name: named('apps'),
    help: 'Live applications per state.',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      const now = await current();
      if (!now) return;
      for (const state of STATES) this.set({ state }, now.perState[state]);
    },
  });

  new Gauge({
    name: named('apps_paused'),
    help: 'Live applications an operator paused (counted as OK in heartbeat_apps).',
    registers,
    async collect() {
      this.reset();
      const now = await current();
      if (now) this.set(now.paused);
    },
  });

  new Gauge({
    name: named('app_overdue_ratio'),
    help: 'Overdue ratio (now - last_seen) / T per application (capped series).',
    labelNames: ['app'],
    registers,
    async collect() {
      this.reset();
      for (const app of (await current())?.series ?? [])
        this.set({ app: app.appId }, app.od);
    },
  });

  new Gauge({
    name: named('app_delay_ms'),
    help: 'Promised delay T = TIMEOUT + tolerance per application, in ms (capped series).',
    labelNames: ['app'],
    registers,
    async collect() {
      this.reset();
      for (const app of (await current())?.series ?? [])
        this.set({ app: app.appId }, app.delayMs);
    },
  });

  new Gauge({
    name: named('app_series_omitted'),
    help: 'Live applications without per-app series because of the series cap.',
    registers,
    async collect() {
      this.reset();
      const now = await current();
      if (now) this.set(Math.max(0, now.total - now.series.length));
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

  const labelled = <K extends string>(
    name: string,
    help: string,
    label: string,
    read: () => Readonly<Record<K, number>>,
    keys: readonly K[],
  ) => {
    const reported = new Map<K, number>();
    new Counter({
      name: named(name),
      help,
      labelNames: [label],
      registers,
      collect() {
        const totals = read();
        for (const key of keys) {
          this.inc({ [label]: key }, totals[key] - (reported.get(key) ?? 0));
          reported.set(key, totals[key]);
        }
      },
    });
  };
  labelled<keyof HeartbeatAccessRefusals>(
    'auth_refusals_total',
    'Requests refused for their token: unauthorized (401), forbidden or quota (403).',
    'reason',
    () => registry.access.refusals,
    ['unauthorized', 'forbidden', 'quota'],
  );

  const { webhooks } = options;
  if (webhooks) {
    labelled<keyof HeartbeatWebhookCounters>(
      'webhook_deliveries_total',
      'Webhook deliveries by outcome: delivered, failed (attempts used up), dropped (queue full).',
      'outcome',
      () => webhooks.counters,
      ['delivered', 'failed', 'dropped'],
    );
    let attempts = 0;
    new Counter({
      name: named('webhook_attempts_total'),
      help: 'Webhook requests sent, retries included.',
      registers,
      collect() {
        const total = webhooks.counters.attempts;
        this.inc(total - attempts);
        attempts = total;
      },
    });
    new Gauge({
      name: named('webhook_queued'),
      help: 'Webhook deliveries waiting or retrying.',
      registers,
      collect() {
        this.set(webhooks.queued);
      },
    });
  }

  return {
    unregister: () =>
      names.forEach((name) => register.removeSingleMetric(name)),
  };
}
