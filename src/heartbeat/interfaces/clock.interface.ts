/**
 * The source of time for the registry. Override `HEARTBEAT_CLOCK` to control it in tests.
 *
 * @publicApi
 */
export interface HeartbeatClock {
  /** Current time in epoch milliseconds. */
  now(): number;
}
