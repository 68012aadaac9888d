import {
  Counter,
  Gauge,
  register as globalRegistry,
  type Registry,
} from 'prom-client';
import type { HeartbeatAppStatus, HeartbeatState } from '../core/status.js';
import type {
  HeartbeatCounters,
  HeartbeatRegistry,
} from '../engine/heartbeat-registry.js';

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
  /** The apps with their own series: the most overdue, at most the cap. */
  readonly series: readonly HeartbeatAppStatus[];
}

function read(apps: HeartbeatAppStatus[], maxAppSeries: number): Reading {
  const perState = { OK: 0, WARNING: 0, CRITICAL: 0 };
  for (const app of apps) perState[app.state]++;
  return {
    total: apps.length,
    perState,
    series: mostOverdue(apps, maxAppSeries),
  };
}

/**
 * The `k` apps with the highest overdue ratio, most overdue first, in O(n log k): no sort of every
 * app per scrape.
 */
function mostOverdue(
  apps: HeartbeatAppStatus[],
  k: number,
): HeartbeatAppStatus[] {
  const byOd = (a: HeartbeatAppStatus, b: HeartbeatAppStatus) => b.od - a.od;
  if (apps.length <= k) return [...apps].sort(byOd);
  // A min-heap on od of the best k so far: its root is the one to replace.
  const heap: HeartbeatAppStatus[] = [];
  const sink = (index: number) => {
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let least = index;
      if (left < heap.length && heap[left]!.od < heap[least]!.od) least = left;
      if (right < heap.length && heap[right]!.od < heap[least]!.od)
        least = right;
      if (least === index) return;
      [heap[index], heap[least]] = [heap[least]!, heap[index]!];
      index = least;
    }
  };
  for (const app of apps) {
    if (heap.length < k) {
      heap.push(app);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (heap[parent]!.od <= heap[i]!.od) break;
        [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
        i = parent;
      }
    } else if (k > 0 && app.od > heap[0]!.od) {
      heap[0] = app;
      sink(0);
    }
  }
  return heap.sort(byOd);
}

/**
 * Prometheus metrics for a heartbeat registry, computed when scraped (nothing runs on the request
 * path but the registry's plain counters):
 *
 * - `heartbeat_apps{state}`: live apps per state
 * - `heartbeat_app_overdue_ratio{app}` and `heartbeat_app_delay_ms{app}`: per app, for the
 *   `maxAppSeries` most overdue apps
 * - `heartbeat_app_series_omitted`: apps left out by that cap
 * - `heartbeat_store_up`: 0 while the store cannot be reached (the gauges above are then empty)
 *   or cannot record heartbeats (they then show the apps as they were when it stopped)
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

  // One scrape reads the registry once, however many gauges ask. A store that cannot be reached
  // empties the registry-wide gauges but never fails the scrape: counters and the host's own
  // metrics are still served, and `store_up` says why the rest is missing.
  let reading: Promise<Reading | undefined> | undefined;
  const current = () => {
    reading ??= registry
      .list()
      .then(
        (apps) => read(apps, maxAppSeries),
        () => undefined,
      )
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
      if (now) this.set(Math.max(0, now.total - maxAppSeries));
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
