import { createHash } from 'node:crypto';

/** A Lua script with its SHA1, for EVALSHA with an EVAL fallback. @internal */
export interface RedisScript {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): RedisScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

// Key layout, all under the store's prefix:
//   KEYS[1] apps       hash    appId -> "lastSeen,delayMs,registeredAt,expiresAt"
//   KEYS[2] deadlines  zset    appId scored by expiresAt (what the expiry task pops)
//   KEYS[3] order      zset    appId scored by a registration sequence number (for /list)
//   KEYS[4] seq        string  the registration sequence counter
// Every script touches all of them in one atomic step, so replicas never see half an update.

/**
 * ARGV: appId, lastSeen, delayMs, registeredAt, expiresAt, maxApps.
 * Returns {status, packed} or {status, packed, droppedPacked} or {'full'}.
 * @internal
 */
export const UPSERT_SCRIPT = script(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
local status = 'updated'
local registeredAt = ARGV[4]
local dropped = nil
if current then
  local _, _, oldRegisteredAt, oldExpiresAt = string.match(current, '^([^,]+),([^,]+),([^,]+),([^,]+)$')
  if tonumber(oldExpiresAt) <= tonumber(ARGV[2]) then
    -- already past its drop deadline: replaced as a new registration
    status = 'created'
    dropped = current
    redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), ARGV[1])
  else
    registeredAt = oldRegisteredAt
  end
else
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[6]) then
    return {'full'}
  end
  status = 'created'
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), ARGV[1])
end
local packed = ARGV[2] .. ',' .. ARGV[3] .. ',' .. registeredAt .. ',' .. ARGV[5]
redis.call('HSET', KEYS[1], ARGV[1], packed)
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
if dropped then
  return {status, packed, dropped}
end
return {status, packed}
`);

/**
 * ARGV: appId. Returns 1 when the record existed.
 * @internal
 */
export const REMOVE_SCRIPT = script(`
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return removed
`);

/**
 * ARGV: now, limit. Claims and removes up to `limit` records with expiresAt <= now, in deadline
 * order, returning {appId, packed, ...}. Atomic, so with several replicas each expired record is
 * returned by exactly one of them.
 * @internal
 */
export const REMOVE_EXPIRED_SCRIPT = script(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local packed = redis.call('HGET', KEYS[1], id)
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  if packed then
    out[#out + 1] = id
    out[#out + 1] = packed
  end
end
return out
`);

/**
 * Returns {appId, packed, ...} in registration order, read in one atomic step.
 * @internal
 */
export const LIST_SCRIPT = script(`
local ids = redis.call('ZRANGE', KEYS[3], 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local packed = redis.call('HGET', KEYS[1], id)
  if packed then
    out[#out + 1] = id
    out[#out + 1] = packed
  end
end
return out
`);
