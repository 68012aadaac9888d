import { Observable, Subject } from 'rxjs';
import { isPausing, lateSince, overdueRatio } from '../core/status.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type {
  HeartbeatStorePage,
  HeartbeatStoreStateChange,
} from '../interfaces/heartbeat-store.interface.js';
import {
  HeartbeatDeregisteredEvent,
  HeartbeatDroppedEvent,
  HeartbeatPausedEvent,
  HeartbeatRegisteredEvent,
  HeartbeatResumedEvent,
  HeartbeatStateChangedEvent,
  type HeartbeatEvent,
} from './heartbeat.events.js';
import type { HeartbeatLogger } from './heartbeat.logger.js';
import { HeartbeatStateWatcher } from './heartbeat-state.watcher.js';

/**
 * What the registry needs of an event emitter: `EventEmitter2` from `@nestjs/event-emitter` fits.
 * @publicApi
 */
export interface HeartbeatEventEmitter {
  emit(event: string, ...values: unknown[]): unknown;
}

/** The reads the tracker makes of the store, already guarded by the registry. @internal */
export interface HeartbeatRecordReader {
  get(appId: string): Promise<HeartbeatRecord | undefined>;
  page(cursor: string | undefined, limit: number): Promise<HeartbeatStorePage>;
  /** Present when the store claims state changes itself (shared by several processes). */
  takeStateChanges?: (
    since: number,
    now: number,
    limit: number,
  ) => Promise<HeartbeatStoreStateChange[]>;
  /** The time the store refused heartbeats since `lastSeen`: not counted as lateness. */
  credit(lastSeen: number, now: number): number;
  /** `now` in recorded time, the time axis of stored deadlines (see the outage ledger). */
  recordedTime(now: number): number;
}

/**
 * The record as the watcher judges it: late from the end of a pause that came after its last
 * heartbeat (events then report that moment as `lastSeen`, where lateness began).
 */
function lateFrom(record: HeartbeatRecord): HeartbeatRecord {
  return record.pausedUntil === undefined
    ? record
    : { ...record, lastSeen: lateSince(record) };
}

/** Lets other work run between two store reads of a long walk. */
const yieldToEventLoop = () =>
  new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Turns what the registry does into typed events: on `events$`, and on an emitter when one is
 * attached. State tracking starts with the first listener, so a server nobody listens to pays
 * nothing for events on its hot path.
 *
 * Two ways to find state changes. A store shared by several processes (Redis) claims them
 * itself (`takeStateChanges`): each crossing of a threshold is handed to exactly one listening
 * process, and the way back to OK is reported by the process whose heartbeat ended it. Otherwise
 * a watcher of deadlines in this process does it, after reading the records already stored page
 * by page (`readBatchSize` at a time, letting other work run in between).
 *
 * @internal
 */
export class HeartbeatEventTracker {
  private readonly subject = new Subject<HeartbeatEvent>();
  private readonly watcher: HeartbeatStateWatcher;
  private emitter?: HeartbeatEventEmitter;
  /** Set once anyone listens; from then on every app's state is tracked. */
  private watching = false;
  /** When this process started listening: nothing that happened before is reported. */
  private watchingSince = 0;
  /**
   * When the first listener came, while the apps already stored are still to be watched (the
   * next sweep does it, taking their state at that moment as the baseline).
   */
  private seedFrom?: number;

  /** See `HeartbeatRegistry.events$`. */
  readonly events$: Observable<HeartbeatEvent> = new Observable(
    (subscriber) => {
      this.startWatching();
      return this.subject.subscribe(subscriber);
    },
  );

  constructor(
    private readonly options: ResolvedHeartbeatOptions,
    private readonly reader: HeartbeatRecordReader,
    private readonly logger: HeartbeatLogger,
    private readonly now: () => number,
  ) {
    this.watcher = new HeartbeatStateWatcher(options);
  }

  /** Also deliver events to an emitter. */
  useEmitter(emitter: HeartbeatEventEmitter): void {
    this.emitter = emitter;
    this.startWatching();
  }

  /**
   * A heartbeat was stored (`created` when the ID was new; `recovered` when a store that claims
   * state changes says this heartbeat ended a late state it had handed out).
   */
  beat(
    record: HeartbeatRecord,
    created: boolean,
    recovered?: 'WARNING' | 'CRITICAL',
  ): void {
    if (created) {
      this.emit(
        new HeartbeatRegisteredEvent(
          record.appId,
          record.delayMs,
          record.lastSeen,
        ),
      );
    }
    if (!this.watching) return;
    if (isPausing(record)) return; // a paused app has no state to follow until its pause ends
    const back = this.reader.takeStateChanges
      ? recovered && { from: recovered }
      : this.watcher.beat(lateFrom(record));
    if (back) {
      this.emit(
        new HeartbeatStateChangedEvent(
          record.appId,
          back.from,
          'OK',
          0,
          record.lastSeen,
          record.lastSeen,
          record.delayMs,
        ),
      );
    }
  }

  /** A record was removed by `hb_done` / `deregister()` (`existed` when it was there). */
  removed(appId: string, existed: boolean, now: number): void {
    this.watcher.forget(appId);
    if (existed) this.emit(new HeartbeatDeregisteredEvent(appId, now));
  }

  /** An operator paused an app: nothing to watch until the pause ends. */
  paused(record: HeartbeatRecord, at: number, until: number | undefined): void {
    this.watcher.forget(record.appId);
    this.emit(new HeartbeatPausedEvent(record.appId, at, until));
  }

  /** An app's pause ended at `at`: its lateness counts from then on. */
  resumed(
    record: HeartbeatRecord,
    at: number,
    reason: 'resumed' | 'expired',
  ): void {
    this.emit(new HeartbeatResumedEvent(record.appId, at, reason));
    if (this.watching && !this.reader.takeStateChanges) {
      this.watcher.forget(record.appId);
      this.watcher.seed(lateFrom(record), this.now());
    }
  }

  /** A record reached the drop threshold and this process removed it. */
  dropped(record: HeartbeatRecord, now: number): void {
    this.watcher.forget(record.appId);
    this.emit(
      new HeartbeatDroppedEvent(
        record.appId,
        record.lastSeen,
        record.delayMs,
        now,
      ),
    );
  }

  /**
   * The sweep's part: report the late transitions whose time has come. With a store that claims
   * them, ask it; otherwise watch the apps stored before the first listener (once, page by page),
   * then confirm each due transition against the stored record.
   */
  async check(now: number): Promise<void> {
    if (this.reader.takeStateChanges) {
      if (!this.watching) return;
      const changes = await this.reader.takeStateChanges(
        this.reader.recordedTime(this.watchingSince),
        this.reader.recordedTime(now),
        this.options.sweepBatchSize,
      );
      for (const { record, from, to } of changes) {
        const credit = this.reader.credit(record.lastSeen, now);
        this.emit(
          new HeartbeatStateChangedEvent(
            record.appId,
            from,
            to,
            overdueRatio(record, now - credit),
            now,
            record.lastSeen,
            record.delayMs,
          ),
        );
      }
      return;
    }
    if (this.seedFrom !== undefined) {
      await this.seed(this.seedFrom);
      this.seedFrom = undefined;
    }
    if (this.watcher.size === 0) return;
    const due = this.watcher.dueAt(now, this.options.sweepBatchSize);
    // Read together: one round trip's worth of waiting on a networked store, not one per app.
    const records = await Promise.all(
      due.map((appId) => this.reader.get(appId)),
    );
    for (const [i, appId] of due.entries()) {
      const stored = records[i];
      if (stored && isPausing(stored)) {
        this.watcher.forget(appId); // paused by another call meanwhile
        continue;
      }
      const record = stored && lateFrom(stored);
      const credit = record ? this.reader.credit(record.lastSeen, now) : 0;
      for (const change of this.watcher.advance(appId, record, now, credit)) {
        this.emit(
          new HeartbeatStateChangedEvent(
            appId,
            change.from,
            change.to,
            change.od,
            now,
            change.lastSeen,
            change.delayMs,
          ),
        );
      }
    }
  }

  /** Completes `events$` and forgets every app. */
  close(): void {
    this.subject.complete();
    this.watcher.clear();
  }

  /**
   * Until someone listens, heartbeats cost nothing for events: the per-app tracking (memory and a
   * heap update per beat) starts with the first listener and then stays.
   */
  private startWatching(): void {
    if (this.watching) return;
    this.watching = true;
    this.watchingSince = this.now();
    if (!this.reader.takeStateChanges) this.seedFrom = this.watchingSince;
  }

  /** Watches every stored app, with its state at `since` as the baseline, a page at a time. */
  private async seed(since: number): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await this.reader.page(cursor, this.options.readBatchSize);
      for (const stored of page.records) {
        if (isPausing(stored)) continue;
        const record = lateFrom(stored);
        this.watcher.seed(
          record,
          since,
          this.reader.credit(record.lastSeen, since),
        );
      }
      cursor = page.next;
      if (cursor !== undefined) await yieldToEventLoop();
    } while (cursor !== undefined);
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
}
