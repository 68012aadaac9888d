/**
 * How a remembered application ended: dropped for lateness (`EXPIRED`), or removed on purpose
 * (`DEREGISTERED`: `hb_done`, `DELETE /apps/:id`, `registry.deregister()`).
 * @publicApi
 */
export type HeartbeatTombstoneState = 'EXPIRED' | 'DEREGISTERED';

/**
 * What a store remembers of an application after removing it (see
 * {@link HeartbeatStore.tombstone}). Times are epoch milliseconds.
 * @publicApi
 */
export interface HeartbeatTombstone {
  readonly appId: string;
  readonly state: HeartbeatTombstoneState;
  /** The last heartbeat of the removed record (its `lastSeen`). */
  readonly lastSeen: number;
  /**
   * When it ended, on the time axis of the stored deadlines (the registry's recorded time, see
   * the store contract): the record's `expiresAt` for `EXPIRED`, the removal's `now` for
   * `DEREGISTERED`.
   */
  readonly endedAt: number;
}

/**
 * Passed to a removal ({@link HeartbeatStore.remove}, {@link HeartbeatStore.removeExpired}) to
 * have the store remember what it removes. Without it nothing is remembered.
 * @publicApi
 */
export interface HeartbeatTombstonePolicy {
  /** The removal's instant (recorded time): where a `DEREGISTERED` tombstone ends. */
  readonly now: number;
  /**
   * How long a tombstone is kept: one that ended at or before `now - keepMs` is forgotten
   * (never returned, and removed a bounded number at a time as later removals come).
   */
  readonly keepMs: number;
  /**
   * Most tombstones kept. Past it the ones that ended first are forgotten, a bounded number per
   * removal, so each removal's work stays bounded by what it removes.
   */
  readonly max: number;
}
