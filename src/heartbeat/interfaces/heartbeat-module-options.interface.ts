import type { HeartbeatClock } from './clock.interface.js';
import type {
  HeartbeatAuthOptions,
  ResolvedHeartbeatAuth,
} from './heartbeat-access.interface.js';
import type { HeartbeatStore } from './heartbeat-store.interface.js';
import type {
  HeartbeatEventClaims,
  HeartbeatWebhookOptions,
  ResolvedHeartbeatWebhook,
} from './heartbeat-webhook.interface.js';

/**
 * Options of `HeartbeatModule.forRoot()` / `forRootAsync()` and of `createHeartbeatMiddleware()`.
 * Every field is optional; defaults are applied by `resolveHeartbeatOptions()`.
 *
 * @publicApi
 */
export interface HeartbeatModuleOptions {
  /**
   * Added to each client's TIMEOUT: `T = TIMEOUT + tolerance` is the delay a client promises.
   * @default 1000
   */
  toleranceMs?: number;
  /**
   * Overdue ratio from which an application is WARNING.
   * @default 3
   */
  warnThreshold?: number;
  /**
   * Overdue ratio from which an application is CRITICAL.
   * @default 5
   */
  critThreshold?: number;
  /**
   * Overdue ratio from which an application is dropped (absent for every query).
   * @default 6
   */
  dropThreshold?: number;
  /**
   * Period of the scheduled expiry task that removes dropped records.
   * @default 1000
   */
  sweepIntervalMs?: number;
  /**
   * Upper bound of records removed by one expiry tick; the rest wait for the next tick. It bounds
   * how long a tick holds the event loop when many apps expire at once (about 4 ms per 1000 with
   * one million registered, measured by `npm run bench`).
   * @default 1000
   */
  sweepBatchSize?: number;
  /**
   * Maximum number of registered applications; new registrations beyond it get `503`.
   * @default 100000
   */
  maxApps?: number;
  /**
   * Most IDs the host-wide `/status` line names when several apps are registered; the rest are
   * counted (`WARNING - multiple (N) applications: [A,B,...] and M more`), so the line stays
   * short whatever the size of the registry.
   * @default 20
   */
  maxListedIds?: number;
  /**
   * Apps in one page of `GET /apps` and `registry.page()` when the caller gives no `limit`.
   * @default 100
   */
  pageSize?: number;
  /**
   * Largest `limit` a page request may ask for.
   * @default 1000
   */
  maxPageSize?: number;
  /**
   * Records one store read returns while `/list` streams, a filtered page is searched or the
   * event tracker starts: it bounds how long any single store call (one Redis script) takes.
   * @default 1000
   */
  readBatchSize?: number;
  /**
   * Most records one filtered page request (`state=`, `idContains`) examines before it answers
   * with what it found so far and a cursor to continue from.
   * @default 10000
   */
  maxPageScan?: number;
  /**
   * How long a dropped or deregistered application is remembered, so that `GET /apps/:id` and
   * `registry.tombstone()` tell "ended an hour ago" (`EXPIRED`, `DEREGISTERED`) from "never
   * seen"; a registration of the ID forgets it at once. `0` remembers nothing.
   * @default 86400000 (one day)
   */
  tombstoneMs?: number;
  /**
   * Most applications remembered after they ended (see `tombstoneMs`); past it the ones that
   * ended first are forgotten.
   * @default 10000
   */
  maxTombstones?: number;
  /**
   * Maximum length of an application ID, in characters.
   * @default 256
   */
  maxAppIdLength?: number;
  /**
   * Largest accepted TIMEOUT in milliseconds.
   * @default 86400000 (one day)
   */
  maxTimeoutMs?: number;
  /**
   * Largest accepted request body in bytes (enforced by the standalone server and the middleware;
   * embedded in a Nest app, the host's body parser limit applies).
   * @default 16384
   */
  maxBodyBytes?: number;
  /**
   * Value of `Access-Control-Allow-Origin` on every heartbeat response; `false` omits it.
   * @default '*'
   */
  corsOrigin?: string | false;
  /**
   * Tokens that protect the routes: `ping`, `read` and `admin`. A kind without tokens is open.
   * Embedded, this is optional: the host's own guards keep working either way.
   * @default {} (everything open)
   */
  auth?: HeartbeatAuthOptions;
  /**
   * Receivers that get a signed JSON POST for each chosen event.
   * @default []
   */
  webhooks?: readonly HeartbeatWebhookOptions[];
  /**
   * How long one webhook request may take before it counts as failed and is retried.
   * @default 5000
   */
  webhookTimeoutMs?: number;
  /**
   * Attempts per delivery, the first included; then the delivery is given up (`failed`).
   * @default 5
   */
  webhookMaxAttempts?: number;
  /**
   * Wait before the first retry; it doubles with each further retry (1 s, 2 s, 4 s, 8 s).
   * @default 1000
   */
  webhookRetryDelayMs?: number;
  /**
   * Deliveries waiting (or retrying) at most, over all receivers; when full, the oldest is
   * dropped, logged and counted.
   * @default 1000
   */
  webhookQueueSize?: number;
  /**
   * Requests in flight at once per receiver (each app's events still go in order).
   * @default 4
   */
  webhookConcurrency?: number;
  /**
   * The latest deliveries kept for `GET /webhooks/deliveries`.
   * @default 100
   */
  webhookHistorySize?: number;
  /**
   * With several replicas on one store, decides which one delivers each event
   * (`new RedisEventClaims({ client })` from `nestjs-heartbeat/redis`). Without it every replica
   * that sees an event delivers it. The module calls `close()` on it at shutdown.
   * @default undefined
   */
  webhookClaims?: HeartbeatEventClaims;
  /**
   * Most concurrent server-sent event streams (`GET events`) the dashboard serves; one more is
   * answered `503` until one closes. Each open stream holds a socket and gets every event.
   * @default 100
   */
  dashboardMaxStreams?: number;
  /**
   * Largest page of applications the dashboard's `GET dashboard/apps?limit=` returns; a larger
   * `limit` is refused with `400`. The page asks for 200 by default.
   * @default 1000
   */
  dashboardMaxPageSize?: number;
  /**
   * How often an open event stream gets a comment line, so that proxies keep an idle stream open.
   * @default 15000
   */
  dashboardKeepAliveMs?: number;
  /**
   * How often the page re-reads its first page (fresh "last seen" of the applications that are
   * fine; transitions arrive on the event stream at once). Less often when that read is slow:
   * all open pages together spend at most 1/20 of the server's time on it.
   * @default 5000
   */
  dashboardRefreshMs?: number;
  /**
   * A file that keeps the in-memory registry across restarts (`HB_STATE_FILE`). It is read once
   * at start-up (a missing file is an empty registry; a damaged one is set aside as
   * `<file>.corrupt-<time>` and what could be read is kept), rewritten every `stateFlushMs`
   * (crash-safe: a temporary file, fsynced and renamed), and written a last time by `close()`.
   * The time the process was down is not counted as lateness. Only for the in-memory store:
   * another store (Redis) keeps its records itself, and giving both is refused. One process per
   * file. Empty or omitted: no state file.
   * @default undefined
   */
  stateFile?: string;
  /**
   * Time from the end of one state file flush to the start of the next: after a crash, at most
   * the changes of this long (plus one flush) are lost. A graceful stop loses nothing.
   * @default 1000
   */
  stateFlushMs?: number;
  /**
   * Records written per slice of a state file flush; the event loop runs between slices, so this
   * bounds how long a flush holds it (a few milliseconds at the default, measured by
   * `npm run bench -- --state`).
   * @default 10000
   */
  stateFlushBatchSize?: number;
  /**
   * The store holding the registry. When omitted an `InMemoryHeartbeatStore` is created.
   * The module calls `close()` on it at shutdown; stores only close what they opened.
   * @default new InMemoryHeartbeatStore({ capacity: maxApps })
   */
  store?: HeartbeatStore;
  /**
   * The time source. Defaults to the store's clock when it has one (the Redis store reads Redis
   * time, so replicas agree), otherwise wall time. Tests override `HEARTBEAT_CLOCK` instead.
   * @default store.clock ?? systemClock
   */
  clock?: HeartbeatClock;
}

/**
 * Options after defaults and validation: what the registry and adapters read.
 *
 * @publicApi
 */
export type ResolvedHeartbeatOptions = Readonly<
  Required<
    Omit<
      HeartbeatModuleOptions,
      'store' | 'clock' | 'auth' | 'webhooks' | 'webhookClaims' | 'stateFile'
    >
  > &
    Pick<
      HeartbeatModuleOptions,
      'store' | 'clock' | 'webhookClaims' | 'stateFile'
    > & {
      auth: ResolvedHeartbeatAuth;
      webhooks: readonly ResolvedHeartbeatWebhook[];
    }
>;
