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
import {
  HeartbeatEventTracker,
  type HeartbeatEventEmitter,
} from './heartbeat-event.tracker.js';
import { resolveHeartbeatClock } from './heartbeat.clock.js';
import type { HeartbeatEvent } from './heartbeat.events.js';
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
      },
      logger,
      () => this.clock.now(),
    );
    this.events$ = this.tracker.events$;
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
    const removed = await this.call(() => this.store.remove(id));
    this.tracker.removed(id, removed, this.clock.now());
    this.count('dones');
    return removed;
  }

  /** The live status of one application, or `undefined` when unknown or dropped. */
  async get(appId: string): Promise<HeartbeatAppStatus | undefined> {
    const id = this.checkAppId(appId);
    const record = await this.call(() => this.store.get(id));
    return record && evaluateRecord(record, this.clock.now(), this.options);
  }

  /** The live applications in registration order. */
  async list(): Promise<HeartbeatAppStatus[]> {
    const records = await this.call(() => this.store.list());
    const now = this.clock.now();
    const live: HeartbeatAppStatus[] = [];
    for (const record of records) {
      const status = evaluateRecord(record, now, this.options);
      if (status) live.push(status);
    }
    return live;
  }

  /**
   * The Nagios status line: of one application when `appId` is given, otherwise of the host
   * (none, exactly one, or several applications). While the store is unreachable:
   * `UNKNOWN - heartbeat store unavailable`.
   */
  async status(appId?: string): Promise<string> {
    try {
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
    const dropped = await this.call(() =>
      this.store.removeExpired(now, this.options.sweepBatchSize),
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
    const result = await this.call(() =>
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
    if (result.dropped) this.reportDrop(result.dropped, now);
    const created = result.status === 'created';
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

  /** Store failures other than our own typed errors become `unavailable` (503). */
  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (isHeartbeatError(error)) throw error;
      this.logger.error(`heartbeat store failed: ${String(error)}`);
      throw new HeartbeatError(
        'unavailable',
        HeartbeatMessages.storeUnavailable(),
      );
    }
  }
}
