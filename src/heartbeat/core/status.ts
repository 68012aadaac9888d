import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';

/** The lateness thresholds, as overdue ratios. @publicApi */
export interface HeartbeatThresholds {
  readonly warnThreshold: number;
  readonly critThreshold: number;
  readonly dropThreshold: number;
}

/** The state of a known application. @publicApi */
export type HeartbeatState = 'OK' | 'WARNING' | 'CRITICAL';

/** A live record evaluated at one instant. @publicApi */
export interface HeartbeatAppStatus extends HeartbeatRecord {
  /** The overdue ratio `(now - lastSeen) / delayMs`. */
  readonly od: number;
  readonly state: HeartbeatState;
}

/**
 * `od = (now - lastSeen) / T`. A clock that steps backwards counts as not late at all.
 *
 * @internal
 */
export function overdueRatio(
  record: Pick<HeartbeatRecord, 'lastSeen' | 'delayMs'>,
  now: number,
): number {
  const elapsed = Math.max(0, now - record.lastSeen);
  if (record.delayMs <= 0) return elapsed === 0 ? 0 : Number.POSITIVE_INFINITY;
  return elapsed / record.delayMs;
}

/** The state for an overdue ratio below the drop threshold. @internal */
export function stateOf(
  od: number,
  thresholds: HeartbeatThresholds,
): HeartbeatState {
  if (od < thresholds.warnThreshold) return 'OK';
  if (od < thresholds.critThreshold) return 'WARNING';
  return 'CRITICAL';
}

/**
 * When a record reaches the drop threshold. Stores index records by it.
 *
 * @internal
 */
export function dropDeadline(
  lastSeen: number,
  delayMs: number,
  thresholds: Pick<HeartbeatThresholds, 'dropThreshold'>,
): number {
  return lastSeen + Math.ceil(delayMs * thresholds.dropThreshold);
}

/**
 * Evaluates a record at `now`. Returns `undefined` once the record has reached the drop
 * threshold: every query treats it as absent from that instant on, whether or not the expiry
 * task has removed it yet, so answers never depend on sweep timing.
 *
 * @internal
 */
export function evaluateRecord(
  record: HeartbeatRecord,
  now: number,
  thresholds: HeartbeatThresholds,
): HeartbeatAppStatus | undefined {
  const od = overdueRatio(record, now);
  if (od >= thresholds.dropThreshold) return undefined;
  return {
    appId: record.appId,
    lastSeen: record.lastSeen,
    delayMs: record.delayMs,
    registeredAt: record.registeredAt,
    expiresAt: record.expiresAt,
    od,
    state: stateOf(od, thresholds),
  };
}
