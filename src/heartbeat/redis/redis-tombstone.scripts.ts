import type {
  HeartbeatTombstone,
  HeartbeatTombstonePolicy,
} from '../interfaces/heartbeat-tombstone.interface.js';

/**
 * Names of the keys that hold tombstones (apps remembered after they were removed). They follow
 * the store's other keys: every script receives them as its last two KEYS, whatever keys come
 * before them.
 * @internal
 */
export const REDIS_TOMBSTONE_KEY_NAMES = [
  'tombstones',
  'tombstone-ends',
] as const;

/**
 * Tombstones forgotten per removal beyond the ones it writes: a backlog (a smaller `max` or
 * `keepMs` after a restart) is worked off a little at each removal, never in one call.
 * @internal
 */
export const REDIS_TOMBSTONE_TRIM_SLACK = 128;

// Tombstone layout, under the same prefix and hash tag as the registry (one cluster slot):
//   tombstones      hash  appId -> "kind,lastSeen,endedAt" (kind E: expired, D: deregistered)
//   tombstone-ends  zset  appId scored by endedAt (what trimming forgets first)
// A removal script writes the tombstones of what it removes and then forgets at most
// (written + slack) old ones: those that ended at or before the cutoff, then the oldest beyond
// max. An upsert that creates a record forgets that ID's tombstone in the same script.

/**
 * Lua helpers for scripts that take the tombstone keys: `forgetTombstone(id)` and
 * `bury(ids, packed, kind, now, cutoff, max)`, where `packed[i]` is the removed record of
 * `ids[i]` (false when there was none), `kind` 'E' (ended at its expiresAt) or 'D' (ended at
 * `now`). The writes go through pcall, sorted set first: a Redis that refuses writes (out of
 * memory) still removes the records (deletions are allowed then) and only fails to remember
 * them; a sorted-set entry without its hash field is harmless and trimmed like any other.
 * @internal
 */
export const TOMBSTONE_LUA = `
local TOMBS, ENDS = KEYS[#KEYS - 1], KEYS[#KEYS]
local function forgetTombstone(id)
  redis.call('ZREM', ENDS, id)
  redis.call('HDEL', TOMBS, id)
end
local function forgetTombstones(ids)
  if #ids == 0 then return end
  redis.call('ZREM', ENDS, unpack(ids))
  redis.call('HDEL', TOMBS, unpack(ids))
end
local function bury(ids, packed, kind, now, cutoff, max)
  -- one ZADD and one HSET per 200 tombstones, not one of each per tombstone
  local written = 0
  local scored, fields = {}, {}
  local function flush()
    if #scored == 0 then return end
    local added = redis.pcall('ZADD', ENDS, unpack(scored))
    if type(added) ~= 'table' or not added.err then
      redis.pcall('HSET', TOMBS, unpack(fields))
      written = written + #scored / 2
    end
    scored, fields = {}, {}
  end
  for i, id in ipairs(ids) do
    if packed[i] then
      local lastSeen, expiresAt = string.match(packed[i], '^([^,]*),[^,]*,[^,]*,[^,]*,[^,]*,([^,]*)')
      local endedAt = now
      if kind == 'E' then endedAt = expiresAt end
      scored[#scored + 1] = endedAt
      scored[#scored + 1] = id
      fields[#fields + 1] = id
      fields[#fields + 1] = kind .. ',' .. lastSeen .. ',' .. endedAt
      if #scored >= 400 then flush() end
    end
  end
  flush()
  local budget = written + ${REDIS_TOMBSTONE_TRIM_SLACK}
  local old = redis.call('ZRANGEBYSCORE', ENDS, '-inf', cutoff, 'LIMIT', 0, budget)
  forgetTombstones(old)
  budget = budget - #old
  local excess = redis.call('ZCARD', ENDS) - max
  if excess > 0 and budget > 0 then
    forgetTombstones(redis.call('ZRANGE', ENDS, 0, math.min(excess, budget) - 1))
  end
end
`;

/** The tombstone part of a removal script's ARGV: `now, cutoff, max`, or nothing. @internal */
export function tombstoneArgs(policy?: HeartbeatTombstonePolicy): string[] {
  if (!policy) return [];
  return [
    String(policy.now),
    String(policy.now - policy.keepMs),
    String(policy.max),
  ];
}

/** A field of the tombstone hash, when it ended after `since`. @internal */
export function unpackTombstone(
  appId: string,
  packed: string,
  since: number,
): HeartbeatTombstone | undefined {
  const [kind, lastSeen, endedAt] = packed.split(',');
  const fields = { lastSeen: Number(lastSeen), endedAt: Number(endedAt) };
  if (
    (kind !== 'E' && kind !== 'D') ||
    !Number.isFinite(fields.lastSeen) ||
    !Number.isFinite(fields.endedAt)
  ) {
    throw new Error(`unexpected Redis tombstone: ${JSON.stringify(packed)}`);
  }
  if (fields.endedAt <= since) return undefined;
  return {
    appId,
    state: kind === 'E' ? 'EXPIRED' : 'DEREGISTERED',
    ...fields,
  };
}
