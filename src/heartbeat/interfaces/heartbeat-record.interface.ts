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
}
