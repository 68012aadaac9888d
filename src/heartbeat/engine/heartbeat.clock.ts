import type { HeartbeatClock } from '../interfaces/clock.interface.js';
import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatStore } from '../interfaces/heartbeat-store.interface.js';

/**
 * The default clock: wall time from `Date.now()`.
 * @publicApi
 */
export const systemClock: HeartbeatClock = Object.freeze({
  now: () => Date.now(),
});

/**
 * The clock the registry uses: the configured one, else the store's (shared by replicas), else
 * wall time.
 * @internal
 */
export function resolveHeartbeatClock(
  options: Pick<ResolvedHeartbeatOptions, 'clock'>,
  store: HeartbeatStore,
): HeartbeatClock {
  return options.clock ?? store.clock ?? systemClock;
}
