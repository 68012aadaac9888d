import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';

/** The contract's epoch: 2026-01-01T00:00:00Z. @internal */
export const T0 = 1_767_225_600_000;

/** A record as the registry writes it, with thresholds 3, 5 and 6. @internal */
export function record(
  appId: string,
  lastSeen: number,
  delayMs = 1000,
): HeartbeatRecord {
  return {
    appId,
    lastSeen,
    delayMs,
    registeredAt: lastSeen,
    warnAt: lastSeen + 3 * delayMs,
    critAt: lastSeen + 5 * delayMs,
    expiresAt: lastSeen + 6 * delayMs,
  };
}
