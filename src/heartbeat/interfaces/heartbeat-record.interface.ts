/**
 * What a store keeps for one application. Times are epoch milliseconds.
 *
 * @publicApi
 */
export interface HeartbeatRecord {
  /** The application ID as the client sent it (decoded). */
  readonly appId: string;
  /** When the last `hb_init`/`hb_ping` arrived. */
  readonly lastSeen: number;
  /** `T = TIMEOUT + tolerance`: the promised delay until the next heartbeat. */
  readonly delayMs: number;
  /** When the application was first seen (kept across pings). */
  readonly registeredAt: number;
  /**
   * When the record becomes WARNING: `lastSeen + ceil(warn * delayMs)`. Stores index records by
   * it, so that the number of late apps at any instant is a range count.
   */
  readonly warnAt: number;
  /** When the record becomes CRITICAL: `lastSeen + ceil(crit * delayMs)`; indexed like `warnAt`. */
  readonly critAt: number;
  /**
   * When the record reaches the drop threshold: `lastSeen + ceil(drop * delayMs)`.
   * Stores index records by it so that expiry work is proportional to what expires.
   */
  readonly expiresAt: number;
  /**
   * When an operator paused the application (epoch ms), absent when it is not paused. While a
   * pause lasts the store keeps every deadline at `PAUSED_DEADLINE`, so the app counts as OK,
   * is never listed as late and never expires, and heartbeats do not end it.
   */
  readonly pausedAt?: number;
  /**
   * When the pause ends (epoch ms): the `until` it was given, or when it was resumed. Absent
   * while paused until resumed. After the end, lateness counts from `max(lastSeen, pausedUntil)`
   * until the next heartbeat clears both fields.
   */
  readonly pausedUntil?: number;
}
