import {
  overdueRatio,
  stateOf,
  type HeartbeatState,
  type HeartbeatThresholds,
} from '../core/status.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import { SlotHeap } from '../internal/slot-heap.js';
import { SlotIndex, widen } from '../internal/slot-index.js';

/** A transition found by {@link HeartbeatStateWatcher}. */
export interface HeartbeatTransition {
  readonly appId: string;
  readonly from: HeartbeatState;
  readonly to: HeartbeatState;
  readonly od: number;
  readonly lastSeen: number;
}

const STATES: readonly HeartbeatState[] = ['OK', 'WARNING', 'CRITICAL'];
const INITIAL_CAPACITY = 256;

/**
 * Knows, for each app this process has seen, the state last reported and when to look at it
 * again (its next threshold), in a heap of deadlines: checking costs time proportional to what
 * is due, never a scan of every app.
 *
 * @internal
 */
export class HeartbeatStateWatcher {
  /** Index into STATES of the state last reported. */
  private state = new Uint8Array(INITIAL_CAPACITY);
  private lastSeen = new Float64Array(INITIAL_CAPACITY);
  private delayMs = new Float64Array(INITIAL_CAPACITY);
  private readonly due = new SlotHeap(INITIAL_CAPACITY);
  private readonly index = new SlotIndex(INITIAL_CAPACITY, (capacity) => {
    this.state = widen(this.state, capacity);
    this.lastSeen = widen(this.lastSeen, capacity);
    this.delayMs = widen(this.delayMs, capacity);
    this.due.grow(capacity);
  });

  constructor(private readonly thresholds: HeartbeatThresholds) {}

  get size(): number {
    return this.index.size;
  }

  /** A heartbeat: the app is OK from now; returns the way back to OK if it was late. */
  beat(record: HeartbeatRecord): HeartbeatTransition | undefined {
    let slot = this.index.slotOf(record.appId);
    const known = slot !== undefined;
    slot ??= this.index.add(record.appId);
    const from = known ? STATES[this.state[slot]!]! : 'OK';
    this.state[slot] = 0;
    this.lastSeen[slot] = record.lastSeen;
    this.delayMs[slot] = record.delayMs;
    if (known) this.due.update(slot, this.nextLook(slot));
    else this.due.push(slot, this.nextLook(slot));
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

  /**
   * Starts watching an app found in the store (it was there before anyone listened, or another
   * replica registered it). Its present state is the baseline: what happened before is not
   * reported. An app already watched is left as it is, since what the watcher knows is newer.
   * `creditMs` is the time the store refused heartbeats since the record's last one.
   */
  seed(record: HeartbeatRecord, now: number, creditMs = 0): void {
    if (this.index.slotOf(record.appId) !== undefined) return;
    const slot = this.index.add(record.appId);
    const seen = record.lastSeen + creditMs;
    this.state[slot] = this.targetOf(seen, record.delayMs, now);
    this.lastSeen[slot] = seen;
    this.delayMs[slot] = record.delayMs;
    this.due.push(slot, this.nextLook(slot));
  }

  /** The app is gone (dropped or deregistered): stop watching it. */
  forget(appId: string): void {
    const slot = this.index.slotOf(appId);
    if (slot === undefined) return;
    this.due.remove(slot);
    this.index.delete(appId);
  }

  /** IDs (up to `limit`) whose next threshold has come, for the registry to re-read. */
  dueAt(now: number, limit: number): string[] {
    return this.due.dueBy(now, limit).map((slot) => this.index.idOf(slot));
  }

  /**
   * Brings one app up to date with its stored record at `now` and returns every transition
   * passed since the last report, in order (OK -> WARNING -> CRITICAL when a tick came late).
   * A record refreshed by a heartbeat another replica received comes back to OK in one step.
   * `creditMs` is the time the store refused heartbeats since the record's last one: the watcher
   * schedules and judges by the credited last-seen time, and reports the true one.
   */
  advance(
    appId: string,
    record: HeartbeatRecord | undefined,
    now: number,
    creditMs = 0,
  ): HeartbeatTransition[] {
    const slot = this.index.slotOf(appId);
    if (slot === undefined) return [];
    if (!record) {
      this.forget(appId); // removed elsewhere; its drop or goodbye is reported where it happened
      return [];
    }
    const seen = record.lastSeen + creditMs;
    if (seen < this.lastSeen[slot]!) {
      // Read before a heartbeat that beat() has already applied: nothing to report from it.
      this.due.update(slot, this.nextLook(slot));
      return [];
    }
    this.lastSeen[slot] = seen;
    this.delayMs[slot] = record.delayMs;
    const od = overdueRatio({ lastSeen: seen, delayMs: record.delayMs }, now);
    const target = this.targetOf(seen, record.delayMs, now);
    const transitions: HeartbeatTransition[] = [];
    const report = (to: number) => {
      transitions.push({
        appId,
        from: STATES[this.state[slot]!]!,
        to: STATES[to]!,
        od,
        lastSeen: record.lastSeen,
      });
      this.state[slot] = to;
    };
    // Refreshed by a heartbeat this process did not see: the app recovered.
    if (target < this.state[slot]!) report(target);
    while (this.state[slot]! < target) report(this.state[slot]! + 1);
    this.due.update(slot, this.nextLook(slot));
    return transitions;
  }

  clear(): void {
    this.index.clear();
    this.due.clear();
  }

  /**
   * When to look again: the warn deadline while OK, the crit deadline while WARNING, the drop
   * deadline while CRITICAL (by then the record is gone, or was refreshed elsewhere).
   */
  private nextLook(slot: number): number {
    const { warnThreshold, critThreshold, dropThreshold } = this.thresholds;
    const ratio = [warnThreshold, critThreshold, dropThreshold][
      this.state[slot]!
    ]!;
    return this.lastSeen[slot]! + this.delayMs[slot]! * ratio;
  }

  /** Index into STATES of the state at `now`; past the drop deadline is CRITICAL. */
  private targetOf(lastSeen: number, delayMs: number, now: number): number {
    const od = overdueRatio({ lastSeen, delayMs }, now);
    return STATES.indexOf(
      od >= this.thresholds.dropThreshold
        ? 'CRITICAL'
        : stateOf(od, this.thresholds),
    );
  }
}
