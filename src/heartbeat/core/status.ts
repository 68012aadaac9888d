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
  /**
   * The overdue ratio `(now - lastSeen) / delayMs`, counted from the end of a pause when one
   * ended after the last heartbeat; 0 while paused.
   */
  readonly od: number;
  /** A paused application is OK until its pause ends. */
  readonly state: HeartbeatState;
  /** Whether an operator's pause is in effect at this instant. */
  readonly paused: boolean;
}

/**
 * What a store keeps as every deadline of a paused record: a time never reached (the largest a
 * `Date` holds, exact as a double), so a paused app counts as OK, sorts after every other app
 * and never expires, with no store knowing about pauses in its counts or indexes.
 *
 * @publicApi
 */
export const PAUSED_DEADLINE = 8_640_000_000_000_000;

/** Whether a record is held by a pause that the store has not ended yet. @internal */
export function isPausing(
  record: Pick<HeartbeatRecord, 'pausedAt' | 'expiresAt'>,
): boolean {
  return record.pausedAt !== undefined && record.expiresAt >= PAUSED_DEADLINE;
}

/** Whether a pause holds a record at `now` (it has no end, or its end is still to come). @internal */
export function isPausedAt(
  record: Pick<HeartbeatRecord, 'pausedAt' | 'pausedUntil' | 'expiresAt'>,
  now: number,
): boolean {
  return (
    isPausing(record) &&
    (record.pausedUntil === undefined || now < record.pausedUntil)
  );
}

/**
 * Where lateness counts from: the last heartbeat, or the end of a pause that came after it (a
 * pause's end restarts lateness from that moment).
 *
 * @internal
 */
export function lateSince(
  record: Pick<HeartbeatRecord, 'lastSeen' | 'pausedUntil'>,
): number {
  return record.pausedUntil === undefined
    ? record.lastSeen
    : Math.max(record.lastSeen, record.pausedUntil);
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
 * The time axis of stored deadlines, when it differs from wall time (see the engine's outage
 * ledger): `now` minus the refused time, and the refused time between an instant and `now`.
 * @internal
 */
export interface HeartbeatRecordedTime {
  /** `now` in recorded time. */
  readonly recordedNow: number;
  /** The refused time between `since` and `now`: not counted as lateness. */
  credit(since: number): number;
}

const WALL_TIME_CREDIT = () => 0;

/**
 * Evaluates a record at `now`. Returns `undefined` once the record has reached its drop deadline:
 * every query treats it as absent from that instant on, whether or not the expiry task has removed
 * it yet, so answers never depend on sweep timing. The state comes from the record's deadlines
 * ({@link stateAt}), compared with `now` in recorded time; `od` is computed for display, from
 * {@link lateSince} and not counting refused time.
 *
 * A paused record is OK with `od` 0 until its pause ends. A pause whose end has come but that the
 * store still holds (the next sweep ends it there) is judged by the deadlines the sweep will
 * write, from the pause's end, so no answer waits for the sweep.
 *
 * @internal
 */
export function evaluateRecord(
  record: HeartbeatRecord,
  now: number,
  thresholds: HeartbeatThresholds,
  time: HeartbeatRecordedTime = { recordedNow: now, credit: WALL_TIME_CREDIT },
): HeartbeatAppStatus | undefined {
  let deadlines: HeartbeatDeadlines = record;
  let paused = false;
  if (isPausing(record)) {
    paused = isPausedAt(record, now);
    if (!paused) deadlines = pauseEndDeadlines(record, now, thresholds, time);
  }
  const state = paused ? 'OK' : stateAt(deadlines, time.recordedNow);
  if (state === undefined) return undefined;
  const since = lateSince(record);
  // Deadlines given back in wall time, as they will be if no more heartbeats are refused.
  const shift = paused ? 0 : now - time.recordedNow;
  // Built field by field (no spread): every read of a page evaluates each of its records.
  const status: {
    -readonly [K in keyof HeartbeatAppStatus]: HeartbeatAppStatus[K];
  } = {
    appId: record.appId,
    lastSeen: record.lastSeen,
    delayMs: record.delayMs,
    registeredAt: record.registeredAt,
    warnAt: deadlines.warnAt + shift,
    critAt: deadlines.critAt + shift,
    expiresAt: deadlines.expiresAt + shift,
    od: paused
      ? 0
      : overdueRatio(
          since === record.lastSeen
            ? record
            : { lastSeen: since, delayMs: record.delayMs },
          now - time.credit(since),
        ),
    state,
    paused,
  };
  if (record.pausedAt !== undefined) status.pausedAt = record.pausedAt;
  if (record.pausedUntil !== undefined) status.pausedUntil = record.pausedUntil;
  return status;
}

/**
 * The deadlines (in recorded time) of a record whose pause ends at `pausedUntil`: lateness from
 * {@link lateSince}, as the sweep writes them when it ends the pause in the store.
 *
 * @internal
 */
export function pauseEndDeadlines(
  record: Pick<HeartbeatRecord, 'lastSeen' | 'delayMs' | 'pausedUntil'>,
  now: number,
  thresholds: HeartbeatThresholds,
  time: HeartbeatRecordedTime = { recordedNow: now, credit: WALL_TIME_CREDIT },
): HeartbeatDeadlines {
  const since = lateSince(record);
  // `since` in recorded time: recorded now, less the recorded time passed since then.
  const recordedSince = time.recordedNow - (now - since) + time.credit(since);
  return stateDeadlines(recordedSince, record.delayMs, thresholds);
}
