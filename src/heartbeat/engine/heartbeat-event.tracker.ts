import { Observable, Subject } from 'rxjs';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import {
  HeartbeatDeregisteredEvent,
  HeartbeatDroppedEvent,
  HeartbeatRegisteredEvent,
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
  list(): Promise<HeartbeatRecord[]>;
  /** The time the store refused heartbeats since `lastSeen`: not counted as lateness. */
  credit(lastSeen: number, now: number): number;
}

/**
 * Turns what the registry does into typed events: on `events$`, and on an emitter when one is
 * attached. Per-app state tracking (a watcher of deadlines) starts with the first listener, so a
 * server nobody listens to pays nothing for events on its hot path.
 *
 * @internal
 */
export class HeartbeatEventTracker {
  private readonly subject = new Subject<HeartbeatEvent>();
  private readonly watcher: HeartbeatStateWatcher;
  private emitter?: HeartbeatEventEmitter;
  /** Set once anyone listens; from then on every app's state is tracked. */
  private watching = false;
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

  /** A heartbeat was stored (`created` when the ID was new). */
  beat(record: HeartbeatRecord, created: boolean): void {
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
    const back = this.watcher.beat(record);
    if (back) {
      this.emit(
        new HeartbeatStateChangedEvent(
          record.appId,
          back.from,
          'OK',
          0,
          record.lastSeen,
          record.lastSeen,
        ),
      );
    }
  }

  /** A record was removed by `hb_done` / `deregister()` (`existed` when it was there). */
  removed(appId: string, existed: boolean, now: number): void {
    this.watcher.forget(appId);
    if (existed) this.emit(new HeartbeatDeregisteredEvent(appId, now));
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
   * The sweep's part: watch the apps stored before the first listener (once), then report the
   * late transitions whose time has come, each confirmed against the stored record.
   */
  async check(now: number): Promise<void> {
    if (this.seedFrom !== undefined) {
      const since = this.seedFrom;
      for (const record of await this.reader.list()) {
        this.watcher.seed(
          record,
          since,
          this.reader.credit(record.lastSeen, since),
        );
      }
      this.seedFrom = undefined;
    }
    if (this.watcher.size === 0) return;
    const due = this.watcher.dueAt(now, this.options.sweepBatchSize);
    // Read together: one round trip's worth of waiting on a networked store, not one per app.
    const records = await Promise.all(
      due.map((appId) => this.reader.get(appId)),
    );
    for (const [i, appId] of due.entries()) {
      const record = records[i];
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
    this.seedFrom = this.now();
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
