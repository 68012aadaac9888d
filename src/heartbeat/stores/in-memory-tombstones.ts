import type {
  HeartbeatTombstone,
  HeartbeatTombstonePolicy,
  HeartbeatTombstoneState,
} from '../interfaces/heartbeat-tombstone.interface.js';
import { CompactIdIndex } from '../internal/compact-id-index.js';
import { SlotHeap } from '../internal/slot-heap.js';
import { widen } from '../internal/slot-index.js';

const INITIAL_CAPACITY = 64;

/**
 * Tombstones forgotten per removal beyond the ones it adds: enough to work off a backlog (a
 * smaller `max` or `keepMs` after a restart) a little at each removal, never all at once.
 * @internal
 */
export const TOMBSTONE_TRIM_SLACK = 128;

/**
 * What the in-memory store remembers of removed apps, laid out like the store itself: IDs in a
 * {@link CompactIdIndex}, the last heartbeat and the kind of end in typed-array columns, and a
 * heap of slots by end time, so that the oldest is found in O(1) and forgotten in O(log n).
 * Nothing is held for live apps, nothing per tombstone on the JavaScript heap, and every call's
 * work is bounded by what it adds.
 *
 * @internal
 */
export class InMemoryTombstones {
  private lastSeen = new Float64Array(INITIAL_CAPACITY);
  /** 1: EXPIRED, 0: DEREGISTERED. */
  private expired = new Uint8Array(INITIAL_CAPACITY);
  /** Slots by end time; it also holds the end-time column. */
  private readonly ends = new SlotHeap(INITIAL_CAPACITY);
  private readonly index = new CompactIdIndex(
    INITIAL_CAPACITY,
    (grown) => {
      this.lastSeen = widen(this.lastSeen, grown);
      this.expired = widen(this.expired, grown);
      this.ends.grow(grown);
    },
    (from, to) => {
      this.lastSeen[to] = this.lastSeen[from]!;
      this.expired[to] = this.expired[from]!;
      this.ends.move(from, to);
    },
  );

  get size(): number {
    return this.index.size;
  }

  /**
   * Remembers the removed apps (replacing what was remembered of the same IDs), then forgets,
   * at most `ended.length + TOMBSTONE_TRIM_SLACK` of them, what is older than `keepMs` and the
   * oldest beyond `max`.
   */
  bury(
    ended: readonly HeartbeatTombstone[],
    policy: HeartbeatTombstonePolicy,
  ): void {
    for (const tombstone of ended) {
      this.forget(tombstone.appId);
      const slot = this.index.add(tombstone.appId);
      this.lastSeen[slot] = tombstone.lastSeen;
      this.expired[slot] = tombstone.state === 'EXPIRED' ? 1 : 0;
      this.ends.push(slot, tombstone.endedAt);
    }
    this.trim(policy, ended.length + TOMBSTONE_TRIM_SLACK);
  }

  /** Forgets one app (it was registered again). */
  forget(appId: string): void {
    if (this.index.size === 0) return;
    const slot = this.index.slotOf(appId);
    if (slot === -1) return;
    this.ends.remove(slot);
    this.index.delete(slot);
  }

  /** The tombstone of `appId` when it ended after `since`. */
  get(appId: string, since: number): HeartbeatTombstone | undefined {
    if (this.index.size === 0) return undefined;
    const slot = this.index.slotOf(appId);
    if (slot === -1) return undefined;
    const endedAt = this.ends.deadlineOf(slot);
    if (endedAt <= since) return undefined;
    const state: HeartbeatTombstoneState =
      this.expired[slot] === 1 ? 'EXPIRED' : 'DEREGISTERED';
    return { appId, state, lastSeen: this.lastSeen[slot]!, endedAt };
  }

  clear(): void {
    this.index.clear();
    this.ends.clear();
  }

  private trim(policy: HeartbeatTombstonePolicy, budget: number): void {
    const cutoff = policy.now - policy.keepMs;
    for (let left = budget; left > 0 && this.index.size > 0; left--) {
      const oldest = this.ends.peek();
      if (
        this.index.size <= policy.max &&
        this.ends.deadlineOf(oldest) > cutoff
      ) {
        return;
      }
      this.ends.remove(oldest);
      this.index.delete(oldest);
    }
  }
}
