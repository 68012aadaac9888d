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

/** The three instants at which a record changes state, as stored with it. @publicApi */
export type HeartbeatDeadlines = Pick<
  HeartbeatRecord,
  'warnAt' | 'critAt' | 'expiresAt'
>;

/**
 * When a record heartbeating at `lastSeen` with delay `T` becomes WARNING, CRITICAL and dropped:
 * `lastSeen + ceil(threshold * T)` for each threshold. With integer milliseconds (what clients and
 * clocks give) that is exactly where `od` reaches the threshold. Stores index records by these
 * instants, so a count per state at any `now` is a comparison with them, never an evaluation of
 * every record.
 *
 * @publicApi
 */
export function stateDeadlines(
  lastSeen: number,
  delayMs: number,
  thresholds: HeartbeatThresholds,
): HeartbeatDeadlines {
  return {
    warnAt: lastSeen + Math.ceil(delayMs * thresholds.warnThreshold),
    critAt: lastSeen + Math.ceil(delayMs * thresholds.critThreshold),
    expiresAt: dropDeadline(lastSeen, delayMs, thresholds),
  };
}

/**
 * The state of a record at `now`, decided by its stored deadlines, or `undefined` once it has
 * reached its drop deadline. Every query (one app, a page, the counts per state, the most overdue)
 * decides by this rule, so they always agree with each other and with the stores' indexes.
 *
 * @publicApi
 */
export function stateAt(
  deadlines: HeartbeatDeadlines,
  now: number,
): HeartbeatState | undefined {
  if (now >= deadlines.expiresAt) return undefined;
  if (now >= deadlines.critAt) return 'CRITICAL';
  return now >= deadlines.warnAt ? 'WARNING' : 'OK';
}

/**
 * Evaluates a record at `now`. Returns `undefined` once the record has reached its drop deadline:
 * every query treats it as absent from that instant on, whether or not the expiry task has removed
 * it yet, so answers never depend on sweep timing. The state comes from the record's deadlines
 * ({@link stateAt}); `od` is computed for display.
 *
 * @internal
 */
export function evaluateRecord(
  record: HeartbeatRecord,
  now: number,
): HeartbeatAppStatus | undefined {
  const state = stateAt(record, now);
  if (state === undefined) return undefined;
  return {
    appId: record.appId,
    lastSeen: record.lastSeen,
    delayMs: record.delayMs,
    registeredAt: record.registeredAt,
    warnAt: record.warnAt,
    critAt: record.critAt,
    expiresAt: record.expiresAt,
    od: overdueRatio(record, now),
    state,
  };
}
