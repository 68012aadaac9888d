import type { HeartbeatAppStatus, HeartbeatState } from './status.js';

/**
 * One application as the JSON API and the dashboard show it. Times are ISO 8601.
 * @publicApi
 */
export interface HeartbeatAppView {
  readonly id: string;
  /** A paused application is `OK`. */
  readonly state: HeartbeatState;
  /** The overdue ratio `(now - lastSeen) / delayMs` (from the end of a later pause; 0 while paused). */
  readonly od: number;
  /** The TIMEOUT the client last sent, in milliseconds. */
  readonly timeoutMs: number;
  /** `T = TIMEOUT + tolerance`. */
  readonly delayMs: number;
  /** The last heartbeat. */
  readonly lastSeen: string;
  readonly registeredAt: string;
  /** When the record will be dropped unless a heartbeat arrives; `null` while paused. */
  readonly dropsAt: string | null;
  /** Whether an operator's pause holds the application now. */
  readonly paused: boolean;
  /** When the pause began; `null` when not paused. */
  readonly pausedAt: string | null;
  /** When the pause ends by itself; `null` when not paused, or paused until resumed. */
  readonly pausedUntil: string | null;
}

/** The view of an evaluated application; `toleranceMs` gives back the TIMEOUT it sent. @internal */
export function toAppView(
  status: HeartbeatAppStatus,
  toleranceMs: number,
): HeartbeatAppView {
  const { paused } = status;
  return {
    id: status.appId,
    state: status.state,
    od: status.od,
    timeoutMs: status.delayMs - toleranceMs,
    delayMs: status.delayMs,
    lastSeen: new Date(status.lastSeen).toISOString(),
    registeredAt: new Date(status.registeredAt).toISOString(),
    dropsAt: paused ? null : new Date(status.expiresAt).toISOString(),
    paused,
    pausedAt:
      paused && status.pausedAt !== undefined
        ? new Date(status.pausedAt).toISOString()
        : null,
    pausedUntil:
      paused && status.pausedUntil !== undefined
        ? new Date(status.pausedUntil).toISOString()
        : null,
  };
}
