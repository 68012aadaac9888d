import type { Observable } from 'rxjs';
import { HeartbeatError, isHeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import {
  formatAppStatusLine,
  formatHostStatusLine,
  formatUnknownAppLine,
  STORE_UNAVAILABLE_LINE,
} from '../core/nagios.js';
import { resolveHeartbeatOptions } from '../core/options.js';
import { validateAppId, validateTimeout } from '../core/protocol.js';
import {
  dropDeadline,
  evaluateRecord,
  type HeartbeatAppStatus,
} from '../core/status.js';
import type { HeartbeatClock } from '../interfaces/clock.interface.js';
import type {
  HeartbeatModuleOptions,
  ResolvedHeartbeatOptions,
} from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import { InMemoryHeartbeatStore } from '../stores/in-memory-heartbeat.store.js';
import { HeartbeatAccessControl } from './heartbeat-access.js';
import {
  HeartbeatEventTracker,
  type HeartbeatEventEmitter,
} from './heartbeat-event.tracker.js';
import { resolveHeartbeatClock } from './heartbeat.clock.js';
import type { HeartbeatEvent } from './heartbeat.events.js';
import { HeartbeatOutageLedger } from './heartbeat-outage.ledger.js';
import {
  consoleHeartbeatLogger,
  type HeartbeatLogger,
} from './heartbeat.logger.js';

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
 * What `HeartbeatRegistry.create()` takes besides the options.
 * @publicApi
 */
export interface HeartbeatRegistryDependencies {
  /** Where the registry logs drops and store failures. @default console */
  readonly logger?: HeartbeatLogger;
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
        list: () => this.call(() => this.store.list()),
        credit: (lastSeen, now) => this.outages.credit(lastSeen, now),
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
    const store = resolved.store ?? new InMemoryHeartbeatStore();
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
    const removed = await this.write(now, () => this.store.remove(id));
    this.tracker.removed(id, removed, now);
    this.count('dones');
    return removed;
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

  /** The live applications in registration order. */
  async list(): Promise<HeartbeatAppStatus[]> {
    const records = await this.call(() => this.store.list());
    const now = this.clock.now();
    const live: HeartbeatAppStatus[] = [];
    for (const record of records) {
      const status = this.evaluate(record, now);
      if (status) live.push(status);
    }
    return live;
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
   * (none, exactly one, or several applications). While the store cannot be read, or cannot
   * record heartbeats even though it can be read: `UNKNOWN - heartbeat store unavailable`, since
   * judging lateness then would report every application late.
   */
  async status(appId?: string): Promise<string> {
    try {
      if (this.outages.open && !(await this.storeWritableAgain())) {
        return STORE_UNAVAILABLE_LINE;
      }
      if (appId === undefined) {
        return formatHostStatusLine(await this.list(), this.options);
      }
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
    // Records are indexed by their uncredited drop deadline: remove only what is past it with the
    // largest credit any record can have. Queries already treat the rest as absent when it is.
    const cutoff = now - this.outages.maxCredit(now);
    const dropped = await this.write(now, () =>
      this.store.removeExpired(cutoff, this.options.sweepBatchSize),
    );
    for (const record of dropped) this.reportDrop(record, now);
    await this.tracker.check(now);
    return dropped;
  }

  /** Completes `events$` and closes the store (which closes only what it opened). */
  async close(): Promise<void> {
    this.tracker.close();
    await this.store.close?.();
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
          expiresAt: dropDeadline(now, delayMs, this.options),
        },
        this.options.maxApps,
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
    // The store replaced a record past its drop deadline; with the refused time credited it may
    // still have been alive, and then this is an ordinary heartbeat, not a drop and a comeback.
    const dropped =
      result.dropped && this.evaluate(result.dropped, now) === undefined
        ? result.dropped
        : undefined;
    if (dropped) this.reportDrop(dropped, now);
    const created =
      result.status === 'created' && (!result.dropped || dropped !== undefined);
    this.tracker.beat(result.record, created);
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

  /** A record evaluated at `now`, not counting the time the store refused heartbeats. */
  private evaluate(
    record: HeartbeatRecord,
    now: number,
  ): HeartbeatAppStatus | undefined {
    const credit = this.outages.credit(record.lastSeen, now);
    if (credit === 0) return evaluateRecord(record, now, this.options);
    const status = evaluateRecord(record, now - credit, this.options);
    return status && { ...status, expiresAt: record.expiresAt + credit };
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
