import type { Observable } from 'rxjs';
import { HeartbeatError, isHeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import {
  formatAppStatusLine,
  formatMultipleAppsLine,
  formatUnknownAppLine,
  NO_CLIENTS_LINE,
  STORE_UNAVAILABLE_LINE,
} from '../core/nagios.js';
import { resolveHeartbeatOptions } from '../core/options.js';
import { validateAppId, validateTimeout } from '../core/protocol.js';
import {
  evaluateRecord,
  isPausedAt,
  PAUSED_DEADLINE,
  pauseEndDeadlines,
  stateDeadlines,
  type HeartbeatAppStatus,
  type HeartbeatRecordedTime,
  type HeartbeatState,
} from '../core/status.js';
import type { HeartbeatClock } from '../interfaces/clock.interface.js';
import type {
  HeartbeatModuleOptions,
  ResolvedHeartbeatOptions,
} from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type {
  HeartbeatStateCounts,
  HeartbeatStore,
} from '../interfaces/heartbeat-store.interface.js';
import type { HeartbeatTombstone } from '../interfaces/heartbeat-tombstone.interface.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { HeartbeatAccessControl } from './heartbeat-access.js';
import {
  HeartbeatEventTracker,
  type HeartbeatEventEmitter,
} from './heartbeat-event.tracker.js';
import { resolveHeartbeatClock } from './heartbeat.clock.js';
import type { HeartbeatEvent } from './heartbeat.events.js';
import { HeartbeatOutageLedger } from './heartbeat-outage.ledger.js';
import { expiredTombstone, tombstonePolicy } from './heartbeat-tombstones.js';
import {
  HeartbeatStateFile,
  type HeartbeatSliceStore,
  type HeartbeatStateFileReport,
} from './heartbeat-state-file.js';
import {
  consoleHeartbeatLogger,
  type HeartbeatLogger,
} from './heartbeat.logger.js';

/** A pause's end as given (`Date` or epoch ms), checked to come after `now`. */
function checkPauseEnd(until: Date | number, now: number): number {
  const end = until instanceof Date ? until.getTime() : until;
  if (
    typeof end !== 'number' ||
    !Number.isFinite(end) ||
    end <= now ||
    end >= PAUSED_DEADLINE
  ) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.invalidPauseEnd(String(until)),
    );
  }
  return end;
}

/**
 * Running totals since start, for metrics. Plain numbers: counting costs nothing on the hot path.
 * @publicApi
 */
export interface HeartbeatCounters {
  /** Successful `hb_init` / `register()`. */
  inits: number;
  /** Successful `hb_ping` / `beat()`. */
  pings: number;
  /** Successful `hb_done` / `deregister()`. */
  dones: number;
  /** Records dropped for lateness. */
  drops: number;
  /** Protocol and monitoring requests answered with an `ERROR:` line. */
  rejected: number;
}

/**
 * Result of a registration or heartbeat.
 * @publicApi
 */
export interface HeartbeatBeatResult {
  readonly appId: string;
  /** `T = TIMEOUT + tolerance`, the number sent back to the client. */
  readonly delayMs: number;
  /** `true` when the ID was not known (a first `hb_init`, or a ping after a restart). */
  readonly created: boolean;
}

/**
 * Live applications per state at one instant, and their total (see `HeartbeatRegistry.counts`).
 * @publicApi
 */
export type HeartbeatCounts = HeartbeatStateCounts;

/**
 * What to read with `HeartbeatRegistry.page()`. Every field is optional.
 * @publicApi
 */
export interface HeartbeatPageOptions {
  /** The `next` of the previous page; without it the first page. */
  readonly cursor?: string;
  /** Most apps in the page, from 1 to `maxPageSize`. @default pageSize (100) */
  readonly limit?: number;
  /** Only apps in this state. */
  readonly state?: HeartbeatState;
  /** Only apps whose ID contains this text (case-sensitive). */
  readonly idContains?: string;
}

/**
 * A page of live applications in registration order.
 * @publicApi
 */
export interface HeartbeatAppPage {
  readonly apps: HeartbeatAppStatus[];
  /**
   * Pass it back as `cursor` for the next page; `undefined` at the end. A filtered page may hold
   * fewer than `limit` apps (even none) and still have a `next`: it stopped after examining
   * `maxPageScan` records.
   */
  readonly next?: string;
}

/**
 * What `HeartbeatRegistry.pages()` walks. @publicApi
 */
export type HeartbeatWalkOptions = Pick<
  HeartbeatPageOptions,
  'state' | 'idContains'
>;

/**
 * What `HeartbeatRegistry.create()` takes besides the options.
 * @publicApi
 */
export interface HeartbeatRegistryDependencies {
  /** Where the registry logs drops and store failures. @default console */
  readonly logger?: HeartbeatLogger;
}

function isSliceStore(
  store: HeartbeatStore,
): store is HeartbeatStore & HeartbeatSliceStore {
  const candidate = store as Partial<HeartbeatSliceStore>;
  return (
    typeof candidate.exportSlice === 'function' &&
    typeof candidate.importRecord === 'function'
  );
}

/**
 * The heartbeat engine: the one registry behind every face (the Nest module, the Express
 * middleware, the standalone server) and the host application's own code. It validates input
 * against the configured limits, takes time from its clock, keeps records in its store and
 * reports what happens as typed events. It imports no framework: the Nest module provides it
 * through a factory, the middleware constructs it with {@link HeartbeatRegistry.create}.
 *
 * @example
 * const registry = HeartbeatRegistry.create({ toleranceMs: 500 });
 * await registry.beat('nightly-report', 60_000);
 * console.log(await registry.status('nightly-report'));
 * await registry.close();
 * @publicApi
 */
export class HeartbeatRegistry {
  private readonly tracker: HeartbeatEventTracker;
  /** When the store refused heartbeats: lateness is not counted for that time. */
  private readonly outages = new HeartbeatOutageLedger();
  /** The longest a record can live without a heartbeat: how long an outage is remembered. */
  private readonly outageHorizonMs: number;
  /** A store that throws its own errors (not `HeartbeatError`s) is logged once per outage. */
  private storeFailing = false;
  /** The `stateFile` option: the registry saved across restarts. */
  private readonly state?: HeartbeatStateFile;

  /** Totals since start (read-only for callers). */
  readonly counters: Readonly<HeartbeatCounters> = {
    inits: 0,
    pings: 0,
    dones: 0,
    drops: 0,
    rejected: 0,
  };

  /**
   * Every heartbeat event as it happens. State changes are tracked from the first subscription
   * (or event emitter) on, for the apps already stored too. A subscriber's own error never
   * reaches the registry; RxJS reports it as an unhandled error, so handle your own.
   */
  readonly events$: Observable<HeartbeatEvent>;

  /**
   * Who may do what (the `auth` option), for every face to check requests against, and its
   * refusal counts.
   */
  readonly access: HeartbeatAccessControl;

  constructor(
    readonly options: ResolvedHeartbeatOptions,
    private readonly store: HeartbeatStore,
    private readonly clock: HeartbeatClock,
    private readonly logger: HeartbeatLogger = consoleHeartbeatLogger,
  ) {
    this.tracker = new HeartbeatEventTracker(
      options,
      {
        get: (appId) => this.call(() => this.store.get(appId)),
        page: (cursor, limit) =>
          this.call(() => this.store.page(cursor, limit)),
        takeStateChanges: store.takeStateChanges
          ? (since, now, limit) =>
              this.call(() => store.takeStateChanges!(since, now, limit))
          : undefined,
        credit: (lastSeen, now) => this.outages.credit(lastSeen, now),
        recordedTime: (now) => this.outages.recordedTime(now),
      },
      logger,
      () => this.clock.now(),
    );
    this.events$ = this.tracker.events$;
    this.access = new HeartbeatAccessControl(
      options.auth,
      async (appId) => (await this.get(appId)) !== undefined,
    );
    this.outageHorizonMs =
      options.dropThreshold * (options.maxTimeoutMs + options.toleranceMs);
    if (options.stateFile !== undefined) {
      if (!isSliceStore(store)) {
        throw new Error(
          HeartbeatMessages.stateFileWithOwnStore(
            `stateFile=${JSON.stringify(options.stateFile)}`,
            (store as object).constructor?.name ?? 'store',
          ),
        );
      }
      this.state = new HeartbeatStateFile(
        options.stateFile,
        options,
        store,
        this.outages,
        clock,
        logger,
      );
      // Synchronous, before anything is served: a query never sees a half-restored registry.
      this.state.load();
      this.state.start();
    }
  }

  /**
   * A registry from raw options: defaults applied and validated, the given store or a new
   * in-memory one, the configured clock or the store's or wall time.
   */
  static create(
    options: HeartbeatModuleOptions = {},
    dependencies: HeartbeatRegistryDependencies = {},
  ): HeartbeatRegistry {
    const resolved = resolveHeartbeatOptions(options);
    const store =
      resolved.store ??
      new InMemoryHeartbeatStore({ capacity: resolved.maxApps });
    return new HeartbeatRegistry(
      resolved,
      store,
      resolveHeartbeatClock(resolved, store),
      dependencies.logger,
    );
  }

  /** Also deliver events to an emitter (the Nest module attaches the host's `EventEmitter2`). */
  useEventEmitter(emitter: HeartbeatEventEmitter): void {
    this.tracker.useEmitter(emitter);
  }

  /** Registers an application that promises its first heartbeat within `timeoutMs`. */
  register(appId: string, timeoutMs = 0): Promise<HeartbeatBeatResult> {
    // The protocol gives hb_init and hb_ping the same effect; they differ only in what they count.
    return this.checkedBeat('inits', appId, timeoutMs);
  }

  /** Records a heartbeat; an unknown ID is registered (how clients recover after a restart). */
  beat(appId: string, timeoutMs = 0): Promise<HeartbeatBeatResult> {
    return this.checkedBeat('pings', appId, timeoutMs);
  }

  /** Removes an application; resolves `false` when it was not known. */
  async deregister(appId: string): Promise<boolean> {
    const id = this.checkAppId(appId);
    const now = this.clock.now();
    const tombstones = tombstonePolicy(
      this.options,
      this.outages.recordedTime(now),
    );
    const removed = await this.write(now, () =>
      this.store.remove(id, tombstones),
    );
    this.tracker.removed(id, removed, now);
    this.count('dones');
    return removed;
  }

  /**
   * Pauses an application for maintenance: until `until` (a `Date` or epoch milliseconds, in
   * the future), or until {@link resume} without one. Meanwhile it is OK
   * (`OK - paused application [ID]`), never late and never dropped, whatever its heartbeats do;
   * a heartbeat does not end the pause. When the pause ends its lateness counts from that
   * moment. Pausing a paused application replaces its pause. Resolves the application's status,
   * `undefined` when it is not known. A `heartbeat.paused` event follows.
   *
   * @example
   * await registry.pause('nightly-report', new Date('2026-12-24T06:00:00Z'));
   */
  async pause(
    appId: string,
    until?: Date | number,
  ): Promise<HeartbeatAppStatus | undefined> {
    const id = this.checkAppId(appId);
    const store = this.pausingStore();
    const now = this.clock.now();
    const end = until === undefined ? undefined : checkPauseEnd(until, now);
    // The store refuses an unknown ID and a record past its drop deadline at recorded now.
    const record = await this.write(now, () =>
      store.pause!(id, now, end, this.outages.recordedTime(now)),
    );
    if (!record) return undefined;
    this.tracker.paused(record, now, end);
    return this.evaluate(record, now);
  }

  /**
   * Ends an application's pause now: its lateness counts from this moment, as if it had just
   * sent a heartbeat. An application that is not paused is left as it is. Resolves its status,
   * `undefined` when it is not known. A `heartbeat.resumed` event follows a pause that ended.
   */
  async resume(appId: string): Promise<HeartbeatAppStatus | undefined> {
    const id = this.checkAppId(appId);
    const store = this.pausingStore();
    const now = this.clock.now();
    const record = await this.call(() => store.get(id));
    if (!record) return undefined;
    const status = this.evaluate(record, now);
    if (!status || !isPausedAt(record, now)) return status;
    const ended = await this.endPause(record, now, 'resumed');
    // Not ended by this call: a heartbeat, another pause or replica changed it meanwhile.
    return ended ? this.evaluate(ended, now) : this.get(id);
  }

  /**
   * The live status of one application, or `undefined` when unknown or dropped. Lateness does
   * not count the time the store refused heartbeats (see {@link HeartbeatRegistry.storeRefusing}).
   */
  async get(appId: string): Promise<HeartbeatAppStatus | undefined> {
    const id = this.checkAppId(appId);
    const record = await this.call(() => this.store.get(id));
    return record && this.evaluate(record, this.clock.now());
  }

  /**
   * What is remembered of an application that ended within `tombstoneMs`: dropped for lateness
   * (`EXPIRED`, ended when it reached the drop threshold, whether or not the expiry task has
   * removed it yet) or deregistered (`DEREGISTERED`), with its last heartbeat; times in epoch
   * milliseconds. `undefined` while it is live, when it was never seen, registered again or
   * forgotten (`tombstoneMs`, `maxTombstones`), with `tombstoneMs: 0`, or with a store that
   * keeps no tombstones. Shared by every replica on a shared store.
   *
   * @example
   * const status = await registry.get(id);
   * if (!status) console.log(await registry.tombstone(id)); // { state: 'EXPIRED', lastSeen, endedAt, ... }
   */
  async tombstone(appId: string): Promise<HeartbeatTombstone | undefined> {
    const id = this.checkAppId(appId);
    const { store } = this;
    if (!store.tombstone || this.options.tombstoneMs === 0) return undefined;
    const now = this.clock.now();
    const recordedNow = this.outages.recordedTime(now);
    const since = recordedNow - this.options.tombstoneMs;
    const record = await this.call(() => store.get(id));
    const tombstone = record
      ? expiredTombstone(record, recordedNow, since)
      : await this.call(() => store.tombstone!(id, since));
    // Ends are stored in recorded time, like deadlines: given back in wall time.
    return (
      tombstone && {
        ...tombstone,
        endedAt: tombstone.endedAt + now - recordedNow,
      }
    );
  }

  /**
   * Live applications per state, and their total, at this instant. It reads no record: the store
   * counts by its deadline indexes (O(log n) on Redis; one pass over typed arrays in memory, a few
   * milliseconds at a million apps). What a dashboard polls.
   *
   * @example
   * const { total, CRITICAL } = await registry.counts();
   */
  async counts(): Promise<HeartbeatCounts> {
    const now = this.outages.recordedTime(this.clock.now());
    return this.call(() => this.store.counts(now));
  }

  /**
   * Up to `limit` live applications, the most overdue first: every CRITICAL one before any
   * WARNING one before any OK one; CRITICAL ones by how long they have been critical, WARNING and
   * OK ones by when they became (or become) late. With one TIMEOUT for every app this is
   * descending `od`. With `state`, only apps in that state. Costs O(limit) reads from the store's
   * deadline indexes on Redis, one pass over typed arrays in memory.
   *
   * @example
   * const worst = await registry.mostOverdue(10, { state: 'CRITICAL' });
   */
  async mostOverdue(
    limit = 10,
    options: { readonly state?: HeartbeatState } = {},
  ): Promise<HeartbeatAppStatus[]> {
    const count = this.checkLimit(limit);
    const now = this.clock.now();
    const records = await this.call(() =>
      this.store.mostOverdue(
        this.outages.recordedTime(now),
        count,
        options.state,
      ),
    );
    const live: HeartbeatAppStatus[] = [];
    for (const record of records) {
      const status = this.evaluate(record, now);
      if (status) live.push(status);
    }
    return live;
  }

  /**
   * One page of live applications in registration order, from `cursor` (the previous page's
   * `next`). Unfiltered, a page costs O(log n + limit); with `state` or `idContains` the store
   * is read `readBatchSize` records at a time, at most `maxPageScan` records per call, so a
   * filter that matches rarely takes several calls (each bounded) to walk the whole registry.
   * Cursors stay valid while apps come and go; an app registered after a page was read shows up
   * on a later page.
   *
   * @example
   * let cursor: string | undefined;
   * do {
   *   const page = await registry.page({ cursor, limit: 500, state: 'CRITICAL' });
   *   page.apps.forEach(show);
   *   cursor = page.next;
   * } while (cursor);
   */
  async page(options: HeartbeatPageOptions = {}): Promise<HeartbeatAppPage> {
    const limit = this.checkLimit(options.limit ?? this.options.pageSize);
    return this.readPage(options, limit);
  }

  /**
   * Every live application, one store read (`readBatchSize` records) at a time, in registration
   * order: what `/list` streams. Memory held is one batch, whatever the size of the registry.
   * Not a snapshot: apps registered while walking may appear, removed ones may still appear.
   */
  async *pages(
    options: HeartbeatWalkOptions = {},
  ): AsyncGenerator<HeartbeatAppStatus[], void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.call(() =>
        this.store.page(cursor, this.options.readBatchSize),
      );
      const now = this.clock.now();
      const apps: HeartbeatAppStatus[] = [];
      for (const record of page.records) {
        const status = this.match(record, now, options);
        if (status) apps.push(status);
      }
      if (apps.length > 0) yield apps;
      cursor = page.next;
    } while (cursor !== undefined);
  }

  /**
   * The IDs of every live application, one store read (`readBatchSize` records) at a time, in
   * registration order: what `/list` streams. Cheaper than {@link pages} where the store can
   * answer with IDs alone (both built-in stores do). Not a snapshot, like {@link pages}.
   */
  async *idPages(): AsyncGenerator<string[], void, undefined> {
    const { store } = this;
    if (!store.pageIds) {
      for await (const apps of this.pages()) yield apps.map((app) => app.appId);
      return;
    }
    let cursor: string | undefined;
    do {
      const now = this.outages.recordedTime(this.clock.now());
      const page = await this.call(() =>
        store.pageIds!(cursor, this.options.readBatchSize, now),
      );
      if (page.ids.length > 0) yield page.ids;
      cursor = page.next;
    } while (cursor !== undefined);
  }

  /**
   * Every live application in registration order, in one array. It reads the whole registry (in
   * batches): fine for tests and small registries; prefer {@link page}, {@link pages},
   * {@link counts} or {@link mostOverdue} at scale.
   */
  async list(): Promise<HeartbeatAppStatus[]> {
    const all: HeartbeatAppStatus[] = [];
    for await (const apps of this.pages()) all.push(...apps);
    return all;
  }

  /**
   * Whether the store is refusing to record heartbeats: since a write failed (Redis out of
   * memory, a read-only replica, Redis unreachable) and until one succeeds again. Meanwhile
   * `status()` answers `UNKNOWN - heartbeat store unavailable`, and afterwards no application is
   * judged late for that time: lateness is measured only over the time heartbeats could be
   * recorded.
   */
  get storeRefusing(): boolean {
    return this.outages.open;
  }

  /**
   * The Nagios status line: of one application when `appId` is given, otherwise of the host
   * (none, exactly one, or several applications, naming at most `maxListedIds` of them). It
   * reads the counts and at most `maxListedIds` records, never the whole registry. While the
   * store cannot be read, or cannot record heartbeats even though it can be read:
   * `UNKNOWN - heartbeat store unavailable`, since judging lateness then would report every
   * application late.
   */
  async status(appId?: string): Promise<string> {
    try {
      if (this.outages.open && !(await this.storeWritableAgain())) {
        return STORE_UNAVAILABLE_LINE;
      }
      if (appId === undefined) return await this.hostStatus();
      const status = await this.get(appId);
      return status
        ? formatAppStatusLine(status, this.options)
        : formatUnknownAppLine(appId);
    } catch (error) {
      // A monitor must learn that we cannot tell, not get an error it may read as "down".
      if (isHeartbeatError(error) && error.kind === 'unavailable') {
        return STORE_UNAVAILABLE_LINE;
      }
      throw error;
    }
  }

  /** The registry's time (epoch milliseconds): what `od` and every state are computed at. */
  now(): number {
    return this.clock.now();
  }

  /** Counts a request answered with an `ERROR:` line (called by the HTTP handler). */
  recordRejection(): void {
    this.count('rejected');
  }

  /**
   * The expiry task's tick: removes records that reached the drop threshold (up to
   * `sweepBatchSize`), logging and emitting each drop, then emits the state changes that have
   * come due. Safe to call at any time; queries never depend on it.
   */
  async sweep(): Promise<HeartbeatRecord[]> {
    const now = this.clock.now();
    if (this.outages.open) await this.storeWritableAgain();
    this.outages.forget(now, this.outageHorizonMs);
    // Deadlines are stored in recorded time (see `evaluate`): what is past it has expired.
    const recordedNow = this.outages.recordedTime(now);
    const dropped = await this.write(now, () =>
      this.store.removeExpired(
        recordedNow,
        this.options.sweepBatchSize,
        tombstonePolicy(this.options, recordedNow),
      ),
    );
    for (const record of dropped) this.reportDrop(record, now);
    await this.endDuePauses(now);
    await this.tracker.check(now);
    return dropped;
  }

  /**
   * With the `stateFile` option: writes the state file now and resolves once it is on disk (the
   * registry also does so every `stateFlushMs` and at {@link close}). Without it, does nothing.
   */
  async flushState(): Promise<void> {
    await this.state?.flush();
  }

  /** With the `stateFile` option: what it restored at start-up and how its flushes go. */
  get stateFile(): HeartbeatStateFileReport | undefined {
    return this.state?.status;
  }

  /**
   * Writes the state file a last time (with the `stateFile` option), completes `events$` and
   * closes the store (which closes only what it opened).
   */
  async close(): Promise<void> {
    await this.state?.close();
    this.tracker.close();
    await this.store.close?.();
  }

  private pausingStore(): HeartbeatStore {
    const { store } = this;
    if (!store.pause || !store.endPause) {
      throw new HeartbeatError(
        'unsupported',
        HeartbeatMessages.pauseUnsupported(),
      );
    }
    return store;
  }

  /** The sweep's part: ends the pauses whose `until` has come (up to `sweepBatchSize`). */
  private async endDuePauses(now: number): Promise<void> {
    const { store } = this;
    if (!store.duePauses || !store.endPause) return;
    const due = await this.call(() =>
      store.duePauses!(now, this.options.sweepBatchSize),
    );
    await Promise.all(
      due.map((record) =>
        this.endPause(record, record.pausedUntil ?? now, 'expired'),
      ),
    );
  }

  /**
   * Ends the pause holding `record` at `endedAt`, with deadlines from then on; reports it when
   * this call ended it (not a heartbeat, another pause or another replica first), and resolves
   * the stored record then, `undefined` otherwise.
   */
  private async endPause(
    record: HeartbeatRecord,
    endedAt: number,
    reason: 'resumed' | 'expired',
  ): Promise<HeartbeatRecord | undefined> {
    const now = this.clock.now();
    const deadlines = pauseEndDeadlines(
      { ...record, pausedUntil: endedAt },
      now,
      this.options,
      this.recordedTime(now),
    );
    const ended = await this.write(now, () =>
      this.store.endPause!(record.appId, record.pausedAt!, endedAt, deadlines),
    );
    if (ended) this.tracker.resumed(ended, endedAt, reason);
    return ended;
  }

  /** `now` in recorded time, and the refused-time credit, for evaluating records at `now`. */
  private recordedTime(now: number): HeartbeatRecordedTime {
    return {
      recordedNow: this.outages.recordedTime(now),
      credit: (since) => this.outages.credit(since, now),
    };
  }

  private async readPage(
    options: HeartbeatPageOptions,
    limit: number,
  ): Promise<HeartbeatAppPage> {
    const filtered =
      options.state !== undefined || options.idContains !== undefined;
    const apps: HeartbeatAppStatus[] = [];
    let cursor = options.cursor;
    let scanned = 0;
    for (;;) {
      const want = filtered ? this.options.readBatchSize : limit - apps.length;
      const page = await this.call(() => this.store.page(cursor, want));
      const now = this.clock.now();
      for (const [i, record] of page.records.entries()) {
        const status = this.match(record, now, options);
        if (!status) continue;
        apps.push(status);
        if (apps.length === limit) {
          const more = i < page.records.length - 1 || page.next !== undefined;
          return more ? { apps, next: page.cursors[i] } : { apps };
        }
      }
      scanned += page.records.length;
      cursor = page.next;
      if (cursor === undefined) return { apps };
      if (scanned >= this.options.maxPageScan) return { apps, next: cursor };
    }
  }

  private async hostStatus(): Promise<string> {
    const { total } = await this.counts();
    if (total === 1) {
      const [only] = await this.mostOverdue(1);
      if (only) return formatAppStatusLine(only, this.options);
    }
    if (total <= 1) return NO_CLIENTS_LINE;
    const named = Math.min(total, this.options.maxListedIds);
    const ids =
      named === 0
        ? []
        : (await this.readPage({}, named)).apps.map((app) => app.appId);
    return formatMultipleAppsLine(ids, total);
  }

  /** The status of a record at `now` when it is live and passes the filters. */
  private match(
    record: HeartbeatRecord,
    now: number,
    filter: HeartbeatWalkOptions,
  ): HeartbeatAppStatus | undefined {
    if (
      filter.idContains !== undefined &&
      !record.appId.includes(filter.idContains)
    ) {
      return undefined;
    }
    const status = this.evaluate(record, now);
    if (!status) return undefined;
    return filter.state === undefined || status.state === filter.state
      ? status
      : undefined;
  }

  private checkLimit(limit: number): number {
    if (
      !Number.isSafeInteger(limit) ||
      limit < 1 ||
      limit > this.options.maxPageSize
    ) {
      throw new HeartbeatError(
        'invalid',
        HeartbeatMessages.invalidPageLimit(
          String(limit),
          this.options.maxPageSize,
        ),
      );
    }
    return limit;
  }

  private async checkedBeat(
    counter: 'inits' | 'pings',
    appId: string,
    timeoutMs: number,
  ): Promise<HeartbeatBeatResult> {
    const id = this.checkAppId(appId);
    const delayMs =
      validateTimeout(timeoutMs, this.options.maxTimeoutMs) +
      this.options.toleranceMs;
    const now = this.clock.now();
    const result = await this.write(now, () =>
      this.store.upsert(
        {
          appId: id,
          lastSeen: now,
          delayMs,
          registeredAt: now,
          ...stateDeadlines(
            this.outages.recordedTime(now),
            delayMs,
            this.options,
          ),
        },
        this.options.maxApps,
        this.outages.recordedTime(now),
      ),
    );
    if (result.status === 'full') {
      throw new HeartbeatError(
        'capacity',
        HeartbeatMessages.appLimitReached(this.options.maxApps),
      );
    }
    // A stored heartbeat is the proof that heartbeats are recorded again.
    this.recorded(now);
    // The store replaced a record it judged past its drop deadline by the wall clock; with the
    // refused time credited it may still have been alive, and then this is an ordinary
    // heartbeat, not a drop and a comeback.
    const dropped =
      result.dropped && this.evaluate(result.dropped, now) === undefined
        ? result.dropped
        : undefined;
    if (dropped) this.reportDrop(dropped, now);
    const created =
      result.status === 'created' && (!result.dropped || dropped !== undefined);
    this.tracker.beat(result.record, created, result.recovered);
    this.count(counter);
    return { appId: id, delayMs, created };
  }

  private count(counter: keyof HeartbeatCounters): void {
    (this.counters as HeartbeatCounters)[counter]++;
  }

  private reportDrop(record: HeartbeatRecord, now: number): void {
    this.count('drops');
    this.logger.warn(
      `dropped application [${record.appId}]: no heartbeat for ${record.expiresAt - record.lastSeen} ms (T=${record.delayMs} ms)`,
    );
    this.tracker.dropped(record, now);
  }

  private checkAppId(appId: string): string {
    return validateAppId(appId, this.options.maxAppIdLength);
  }

  /**
   * A record evaluated at `now`, not counting the time the store refused heartbeats. Deadlines
   * are written in recorded time (`now` minus all the refused time the ledger knows of, the
   * same as wall time while no outage happened), so the state is a plain comparison with the
   * recorded `now`, the same comparison the stores' indexes make; `od` credits the refused time
   * since the record's heartbeat; deadlines are given back in wall time, as they will be if no
   * more heartbeats are refused.
   */
  private evaluate(
    record: HeartbeatRecord,
    now: number,
  ): HeartbeatAppStatus | undefined {
    return this.outages.recordedTime(now) === now
      ? evaluateRecord(record, now, this.options)
      : evaluateRecord(record, now, this.options, this.recordedTime(now));
  }

  /** A store write: when it is refused, heartbeats are not being recorded from `now` on. */
  private async write<T>(now: number, operation: () => Promise<T>): Promise<T> {
    try {
      return await this.call(operation);
    } catch (error) {
      if (isHeartbeatError(error) && error.kind === 'unavailable') {
        if (this.outages.begin(now)) {
          this.logger.debug?.(
            'heartbeat store refused a write: /status answers UNKNOWN until heartbeats are recorded again',
          );
        }
      }
      throw error;
    }
  }

  /** Heartbeats are recorded again: the refused time becomes credit. */
  private recorded(now: number): void {
    const refusedMs = this.outages.end(now);
    if (refusedMs !== undefined) {
      this.logger.debug?.(
        `heartbeat store records heartbeats again; ${refusedMs} ms of refused heartbeats are not counted as lateness`,
      );
    }
  }

  /**
   * Asks the store whether it can record heartbeats again (stores that can tell without
   * writing, like Redis), so recovery does not wait for the next client's heartbeat.
   */
  private async storeWritableAgain(): Promise<boolean> {
    if (!this.store.checkWritable) return false;
    try {
      await this.call(() => this.store.checkWritable!());
    } catch {
      return false;
    }
    this.recorded(this.clock.now());
    return true;
  }

  /**
   * Store failures other than our own typed errors become `unavailable` (503); such a store is
   * logged once when it starts failing and once when it answers again, not once per request.
   */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await operation();
    } catch (error) {
      if (isHeartbeatError(error)) throw error;
      if (!this.storeFailing) {
        this.storeFailing = true;
        this.logger.error(
          `heartbeat store failed: ${String(error)}; answering 503 until it answers again`,
        );
      }
      throw new HeartbeatError(
        'unavailable',
        HeartbeatMessages.storeUnavailable(),
      );
    }
    if (this.storeFailing) {
      this.storeFailing = false;
      this.logger.log('heartbeat store answers again');
    }
    return result;
  }
}
