/**
 * Defaults and limits of the client side, in one place.
 *
 * @publicApi
 */
export const HEARTBEAT_CLIENT_DEFAULTS = {
  /** Longest wait for one answer. */
  requestTimeoutMs: 5000,
  /** Smallest promise the keeper accepts (it beats every half of it). */
  minTimeoutMs: 100,
  /** Largest promise the keeper accepts: the longest delay a Node timer can wait. */
  maxTimeoutMs: 2_147_483_647,
  /** Heartbeats and retries are spread by ±10 %, so many instances never beat in step. */
  jitter: 0.1,
  /**
   * A heartbeat request (after registration) may take up to the beat interval, so a hung one
   * does not delay the next beat, but never less than this.
   */
  minBeatRequestTimeoutMs: 1000,
  /** First retry delay after a failure; it doubles up to half the promise. */
  initialBackoffMs: 1000,
  /** The binding name of a module or client without one. */
  clientName: 'default',
} as const;

/**
 * Token of the raw `HeartbeatClientModuleOptions` inside `HeartbeatClientModule`.
 *
 * @publicApi
 */
export const HEARTBEAT_CLIENT_MODULE_OPTIONS = Symbol(
  'HeartbeatClientModuleOptions',
);
