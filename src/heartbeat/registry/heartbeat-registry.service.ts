import {
  Inject,
  Injectable,
  Logger,
  Optional,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Observable, Subject } from 'rxjs';
import { HeartbeatError, isHeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import {
  formatAppStatusLine,
  formatHostStatusLine,
  formatList,
  formatUnknownAppLine,
  GOODBYE,
  STORE_UNAVAILABLE_LINE,
} from '../core/nagios.js';
import {
  parseMonitorAppId,
  parseProtocolRequest,
  validateAppId,
  validateTimeout,
  type HeartbeatCommand,
  type MonitorQuery,
  type ProtocolInput,
} from '../core/protocol.js';
import {
  dropDeadline,
  evaluateRecord,
  type HeartbeatAppStatus,
} from '../core/status.js';
import {
  HEARTBEAT_CLOCK,
  HEARTBEAT_OPTIONS,
  HEARTBEAT_STORE,
} from '../heartbeat.constants.js';
import type { HeartbeatClock } from '../interfaces/clock.interface.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';
import {
  HeartbeatDeregisteredEvent,
  HeartbeatDroppedEvent,
  HeartbeatRegisteredEvent,
  HeartbeatStateChangedEvent,
  type HeartbeatEvent,
} from '../heartbeat.events.js';
import { HeartbeatStateWatcher } from './heartbeat-state.watcher.js';

/**
 * What the registry needs of an event emitter: `EventEmitter2` from `@nestjs/event-emitter` fits.
 * @publicApi
 */
export interface HeartbeatEventEmitter {
  emit(event: string, ...values: unknown[]): unknown;
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
  /** Requests answered with an `ERROR:` line. */
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
 * The one service behind every face of the module: the protocol and monitoring controllers, the
 * Express middleware and the host application's own code. Inputs are validated against the
 * configured limits; time comes from the injected clock.
 *
 * It also reports what happens as typed events: on `events$` always, and through
 * `@nestjs/event-emitter` when the host has `EventEmitterModule` (this module never registers it).
 *
 * @publicApi
 */
@Injectable()
export class HeartbeatRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Heartbeat');
  private readonly subject = new Subject<HeartbeatEvent>();
  private readonly watcher: HeartbeatStateWatcher;
  private emitter?: HeartbeatEventEmitter;
  /** Set once anyone listens; from then on every app's state is tracked for events. */
  private watching = false;
  /**
   * When the first listener came, while the apps already stored are still to be watched (the
   * next sweep does it, taking their state at that moment as the baseline).
   */
  private seedFrom?: number;

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
  readonly events$: Observable<HeartbeatEvent> = new Observable(
    (subscriber) => {
      this.startWatching();
      return this.subject.subscribe(subscriber);
    },
  );

  constructor(
    @Inject(HEARTBEAT_OPTIONS) readonly options: ResolvedHeartbeatOptions,
    @Inject(HEARTBEAT_STORE) private readonly store: HeartbeatStore,
    @Inject(HEARTBEAT_CLOCK) private readonly clock: HeartbeatClock,
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {
    this.watcher = new HeartbeatStateWatcher(options);
  }

  /** Finds the host's `EventEmitter2`, if `@nestjs/event-emitter` is installed and registered. */
  async onModuleInit(): Promise<void> {
    if (!this.moduleRef) return;
    try {
      const { EventEmitter2 } = await import('@nestjs/event-emitter');
      this.useEventEmitter(
        this.moduleRef.get(EventEmitter2, { strict: false }),
      );
    } catch {
      // Not installed, or EventEmitterModule not imported: events$ only.
    }
  }

  /** Also deliver events to an emitter (what `onModuleInit` does with Nest's `EventEmitter2`). */
  useEventEmitter(emitter: HeartbeatEventEmitter): void {
    this.emitter = emitter;
    this.startWatching();
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
    const removed = await this.remove(this.checkAppId(appId));
    this.count('dones');
    return removed;
  }

  /** The live status of one application, or `undefined` when unknown or dropped. */
  async get(appId: string): Promise<HeartbeatAppStatus | undefined> {
    const record = await this.call(() =>
      this.store.get(this.checkAppId(appId)),
    );
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

  /**
   * Runs a protocol command from raw HTTP input and returns the response body: `T` for
   * `hb_init`/`hb_ping`, the goodbye text for `hb_done`. Throws `HeartbeatError` on bad input.
   */
  async execute(
    command: HeartbeatCommand,
    input: ProtocolInput,
  ): Promise<string> {
    const { appId, timeoutMs } = parseProtocolRequest(input, this.options);
    if (command === 'hb_done') {
      await this.remove(appId);
      this.count('dones');
      return GOODBYE;
    }
    const { delayMs } = await this.upsert(appId, timeoutMs);
    this.count(command === 'hb_init' ? 'inits' : 'pings');
    return String(delayMs);
  }

  /**
   * Answers a monitoring query from its raw query string: the `/list` body or the `/status` line
   * (of `appid=` when given). Throws `HeartbeatError` on a bad ID.
   */
  async query(query: MonitorQuery, rawQuery: string): Promise<string> {
    if (query === 'list') {
      return formatList((await this.list()).map((status) => status.appId));
    }
    return this.status(parseMonitorAppId(rawQuery, this.options));
  }

  /** Counts a request answered with an `ERROR:` line (called by the HTTP adapters). */
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
    if (this.seedFrom !== undefined) await this.seedWatcher(this.seedFrom);
    await this.detectStateChanges(now);
    return dropped;
  }

  async onApplicationShutdown(): Promise<void> {
    this.subject.complete();
    this.watcher.clear();
    await this.store.close?.();
  }

  /**
   * Until someone listens, heartbeats cost nothing for events: the per-app tracking (memory and a
   * heap update per beat) starts with the first listener and then stays.
   */
  private startWatching(): void {
    if (this.watching) return;
    this.watching = true;
    this.seedFrom = this.clock.now();
  }

  /** Watches the apps stored before anyone listened (or by another replica), once. */
  private async seedWatcher(since: number): Promise<void> {
    const records = await this.call(() => this.store.list());
    for (const record of records) this.watcher.seed(record, since);
    this.seedFrom = undefined;
  }

  /** Late transitions whose time has come; each is confirmed against the stored record. */
  private async detectStateChanges(now: number): Promise<void> {
    if (this.watcher.size === 0) return;
    const due = this.watcher.dueAt(now, this.options.sweepBatchSize);
    // Read together: one round trip's worth of waiting on a networked store, not one per app.
    const records = await Promise.all(
      due.map((appId) => this.call(() => this.store.get(appId))),
    );
    for (const [i, appId] of due.entries()) {
      for (const change of this.watcher.advance(appId, records[i], now)) {
        this.emit(
          new HeartbeatStateChangedEvent(
            appId,
            change.from,
            change.to,
            change.od,
            now,
            change.lastSeen,
          ),
        );
      }
    }
  }

  private async remove(appId: string): Promise<boolean> {
    const removed = await this.call(() => this.store.remove(appId));
    this.watcher.forget(appId);
    if (removed)
      this.emit(new HeartbeatDeregisteredEvent(appId, this.clock.now()));
    return removed;
  }

  /** Delivers an event; a failing listener is logged and never reaches the caller. */
  private emit(event: HeartbeatEvent): void {
    this.subject.next(event);
    if (!this.emitter) return;
    try {
      this.emitter.emit(event.name, event);
    } catch (error) {
      this.logger.error(`a ${event.name} listener failed: ${String(error)}`);
    }
  }

  private async upsert(
    appId: string,
    timeoutMs: number,
  ): Promise<HeartbeatBeatResult> {
    const now = this.clock.now();
    const delayMs = timeoutMs + this.options.toleranceMs;
    const result = await this.call(() =>
      this.store.upsert(
        {
          appId,
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
    if (result.status === 'created') {
      this.emit(new HeartbeatRegisteredEvent(appId, delayMs, now));
    }
    if (this.watching) {
      const back = this.watcher.beat(result.record);
      if (back) {
        this.emit(
          new HeartbeatStateChangedEvent(appId, back.from, 'OK', 0, now, now),
        );
      }
    }
    return { appId, delayMs, created: result.status === 'created' };
  }

  private async checkedBeat(
    counter: 'inits' | 'pings',
    appId: string,
    timeoutMs: number,
  ): Promise<HeartbeatBeatResult> {
    const result = await this.upsert(
      this.checkAppId(appId),
      this.checkTimeout(timeoutMs),
    );
    this.count(counter);
    return result;
  }

  private count(counter: keyof HeartbeatCounters): void {
    (this.counters as HeartbeatCounters)[counter]++;
  }

  private reportDrop(record: HeartbeatRecord, now: number): void {
    this.count('drops');
    this.watcher.forget(record.appId);
    this.logger.warn(
      `dropped application [${record.appId}]: no heartbeat for ${record.expiresAt - record.lastSeen} ms (T=${record.delayMs} ms)`,
    );
    this.emit(
      new HeartbeatDroppedEvent(
        record.appId,
        record.lastSeen,
        record.delayMs,
        now,
      ),
    );
  }

  private checkAppId(appId: string): string {
    return validateAppId(appId, this.options.maxAppIdLength);
  }

  private checkTimeout(timeoutMs: number): number {
    return validateTimeout(timeoutMs, this.options.maxTimeoutMs);
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
