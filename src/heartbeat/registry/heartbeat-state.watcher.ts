import {
  overdueRatio,
  stateOf,
  type HeartbeatState,
  type HeartbeatThresholds,
} from '../core/status.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import { DeadlineHeap, type HeapEntry } from '../stores/deadline-heap.js';

/** What the watcher last reported for one app, and when its state changes next. */
interface Watch extends HeapEntry {
  readonly appId: string;
  state: HeartbeatState;
  lastSeen: number;
  delayMs: number;
}

/** A transition found by {@link HeartbeatStateWatcher}. */
export interface HeartbeatTransition {
  readonly appId: string;
  readonly from: HeartbeatState;
  readonly to: HeartbeatState;
  readonly od: number;
  readonly lastSeen: number;
}

/**
 * Knows, for each app this process has seen, the state last reported and the time of its next
 * late transition (the warn, then the crit deadline), in a deadline heap: checking costs time
 * proportional to the transitions that are due, never a scan of every app.
 *
 * @internal
 */
export class HeartbeatStateWatcher {
  private readonly watches = new Map<string, Watch>();
  private readonly due = new DeadlineHeap<Watch>();

  constructor(private readonly thresholds: HeartbeatThresholds) {}

  get size(): number {
    return this.watches.size;
  }

  /** A heartbeat: the app is OK from now; returns the way back to OK if it was late. */
  beat(record: HeartbeatRecord): HeartbeatTransition | undefined {
    const watch = this.watches.get(record.appId);
    const from = watch?.state ?? 'OK';
    if (watch) {
      Object.assign(watch, {
        state: 'OK',
        lastSeen: record.lastSeen,
        delayMs: record.delayMs,
      });
      watch.expiresAt = this.nextDeadline(watch);
      this.due.update(watch);
    } else {
      const created: Watch = {
        appId: record.appId,
        state: 'OK',
        lastSeen: record.lastSeen,
        delayMs: record.delayMs,
        expiresAt: 0,
        heapIndex: -1,
      };
      created.expiresAt = this.nextDeadline(created);
      this.watches.set(record.appId, created);
      this.due.push(created);
    }
    return from === 'OK'
      ? undefined
      : {
          appId: record.appId,
          from,
          to: 'OK',
          od: 0,
          lastSeen: record.lastSeen,
        };
  }

  /** The app is gone (dropped or deregistered): stop watching it. */
  forget(appId: string): void {
    const watch = this.watches.get(appId);
    if (!watch) return;
    this.watches.delete(appId);
    this.due.remove(watch);
  }

  /** IDs (up to `limit`) whose next transition time has come, for the registry to re-read. */
  dueAt(now: number, limit: number): string[] {
    return this.due.dueBy(now, limit).map((watch) => watch.appId);
  }

  /**
   * Brings one app up to date with its stored record at `now` and returns every transition
   * passed since the last report, in order (OK -> WARNING -> CRITICAL when a tick came late).
   * A record refreshed by a heartbeat another replica received comes back to OK in one step.
   */
  advance(
    appId: string,
    record: HeartbeatRecord | undefined,
    now: number,
  ): HeartbeatTransition[] {
    const watch = this.watches.get(appId);
    if (!watch) return [];
    if (!record) {
      this.forget(appId); // removed elsewhere; its drop or goodbye is reported where it happened
      return [];
    }
    watch.lastSeen = record.lastSeen;
    watch.delayMs = record.delayMs;
    const od = overdueRatio(record, now);
    const target =
      od >= this.thresholds.dropThreshold
        ? 'CRITICAL'
        : stateOf(od, this.thresholds);
    const transitions: HeartbeatTransition[] = [];
    const order: HeartbeatState[] = ['OK', 'WARNING', 'CRITICAL'];
    if (order.indexOf(target) < order.indexOf(watch.state)) {
      // Refreshed by a heartbeat this process did not see: the app recovered.
      transitions.push({
        appId,
        from: watch.state,
        to: target,
        od,
        lastSeen: record.lastSeen,
      });
      watch.state = target;
    }
    while (order.indexOf(watch.state) < order.indexOf(target)) {
      const to = order[order.indexOf(watch.state) + 1]!;
      transitions.push({
        appId,
        from: watch.state,
        to,
        od,
        lastSeen: record.lastSeen,
      });
      watch.state = to;
    }
    watch.expiresAt = this.nextDeadline(watch);
    this.due.update(watch);
    return transitions;
  }

  clear(): void {
    this.watches.clear();
    this.due.clear();
  }

  /**
   * When to look again: the warn deadline while OK, the crit deadline while WARNING, the drop
   * deadline while CRITICAL (by then the record is gone, or was refreshed elsewhere).
   */
  private nextDeadline(watch: Watch): number {
    const { warnThreshold, critThreshold, dropThreshold } = this.thresholds;
    const ratio =
      watch.state === 'OK'
        ? warnThreshold
        : watch.state === 'WARNING'
          ? critThreshold
          : dropThreshold;
    return watch.lastSeen + watch.delayMs * ratio;
  }
}
