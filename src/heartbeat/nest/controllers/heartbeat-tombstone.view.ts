import { NotFoundException } from '@nestjs/common';
import { formatUnknownAppLine } from '../../core/nagios.js';
import type {
  HeartbeatTombstone,
  HeartbeatTombstoneState,
} from '../../interfaces/heartbeat-tombstone.interface.js';

/**
 * The 404 of `GET apps/:id` and `DELETE apps/:id`. For an app that ended within `tombstoneMs`
 * it tells how (`state`), its last heartbeat and when it ended, in ISO 8601 and in epoch
 * milliseconds; for one never seen (or forgotten) it has only the first three fields.
 * @publicApi
 */
export interface HeartbeatNotFoundView {
  /** `CRITICAL - no application record for queried ID: [ID]`, as `/status?appid=ID` says. */
  readonly message: string;
  readonly error: 'Not Found';
  readonly statusCode: 404;
  readonly id?: string;
  /** `EXPIRED` (dropped for lateness) or `DEREGISTERED` (`hb_done`, `DELETE apps/:id`). */
  readonly state?: HeartbeatTombstoneState;
  readonly lastSeen?: string;
  readonly lastSeenMs?: number;
  /** When it reached the drop threshold (`EXPIRED`) or was deregistered. */
  readonly endedAt?: string;
  readonly endedAtMs?: number;
}

/** The 404 for `id`, with what is remembered of it when anything is. @internal */
export function appNotFound(
  id: string,
  tombstone: HeartbeatTombstone | undefined,
): NotFoundException {
  const message = formatUnknownAppLine(id);
  if (!tombstone) return new NotFoundException(message);
  const body: HeartbeatNotFoundView = {
    message,
    error: 'Not Found',
    statusCode: 404,
    id,
    state: tombstone.state,
    lastSeen: new Date(tombstone.lastSeen).toISOString(),
    lastSeenMs: tombstone.lastSeen,
    endedAt: new Date(tombstone.endedAt).toISOString(),
    endedAtMs: tombstone.endedAt,
  };
  return new NotFoundException(body);
}
