/**
 * The source of time for the registry. Override `HEARTBEAT_CLOCK` to control it in tests.
 *
 * @publicApi
 */
export interface HeartbeatClock {
  /** Current time in epoch milliseconds. */
  now(): number;
  /**
   * Runs `callback` once after `ms` milliseconds of this clock's time and returns a function
   * that cancels it. Optional: without it, timers are the process's own (`setTimeout`, never
   * keeping the process alive). `FakeHeartbeatClock` implements it, so tests that move time also
   * fire what waits on it (webhook retries and timeouts).
   */
  setTimer?(callback: () => void, ms: number): () => void;
}
