import type { HeartbeatClock } from './interfaces/clock.interface.js';

/**
 * The default clock: wall time from `Date.now()`.
 * @publicApi
 */
export const systemClock: HeartbeatClock = Object.freeze({
  now: () => Date.now(),
});
