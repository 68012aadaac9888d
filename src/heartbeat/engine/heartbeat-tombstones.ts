import type { ResolvedHeartbeatOptions } from '../interfaces/heartbeat-module-options.interface.js';
import type { HeartbeatRecord } from '../interfaces/heartbeat-record.interface.js';
import type {
  HeartbeatTombstone,
  HeartbeatTombstonePolicy,
} from '../interfaces/heartbeat-tombstone.interface.js';

/**
 * The tombstone policy a removal at `recordedNow` passes to the store, or `undefined` when
 * nothing is remembered (`tombstoneMs: 0`).
 * @internal
 */
export function tombstonePolicy(
  options: Pick<ResolvedHeartbeatOptions, 'tombstoneMs' | 'maxTombstones'>,
  recordedNow: number,
): HeartbeatTombstonePolicy | undefined {
  if (options.tombstoneMs === 0) return undefined;
  return {
    now: recordedNow,
    keepMs: options.tombstoneMs,
    max: options.maxTombstones,
  };
}

/**
 * The tombstone of a record still stored although past its drop deadline (the expiry task has
 * not removed it yet): the same as the one its removal will write, so that the answer does not
 * depend on when the task runs. `undefined` while the record is live, or when it ended at or
 * before `since`.
 * @internal
 */
export function expiredTombstone(
  record: HeartbeatRecord,
  recordedNow: number,
  since: number,
): HeartbeatTombstone | undefined {
  if (record.expiresAt > recordedNow || record.expiresAt <= since) {
    return undefined;
  }
  return {
    appId: record.appId,
    state: 'EXPIRED',
    lastSeen: record.lastSeen,
    endedAt: record.expiresAt,
  };
}
