import { createHash } from 'node:crypto';

/** A Lua script with its SHA1, for EVALSHA with an EVAL fallback. @internal */
export interface RedisScript {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): RedisScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Names of the store's keys, in the order every script receives them as KEYS. @internal */
export const REDIS_KEY_NAMES = [
  'apps',
  'deadlines',
  'order',
  'seq',
  'warn',
  'crit',
  'marks',
] as const;

// Key layout, all under the store's prefix and one hash tag (one cluster slot):
//   KEYS[1] apps       hash    appId -> "lastSeen,delayMs,registeredAt,warnAt,critAt,expiresAt"
//   KEYS[2] deadlines  zset    appId scored by expiresAt (what the expiry task pops)
//   KEYS[3] order      zset    appId scored by a registration sequence number (pages, /list)
//   KEYS[4] seq        string  the registration sequence counter
//   KEYS[5] warn       zset    appId scored by warnAt (counts per state, most overdue)
//   KEYS[6] crit       zset    appId scored by critAt (counts per state, most overdue)
//   KEYS[7] marks      hash    'warn' / 'crit' -> up to where threshold crossings were claimed
// Every script touches them in one atomic step, so replicas never see half an update, and every
// script's work is bounded by its arguments (no script walks the registry).

const PARSE = `
local function parse(packed)
  local f = {}
  for field in string.gmatch(packed, '[^,]+') do f[#f + 1] = field end
  return f
end
`;

/**
 * ARGV: appId, lastSeen, delayMs, registeredAt, warnAt, critAt, expiresAt, maxApps.
 * Returns {'full'} or {status, packed, droppedPacked or '', recovered or ''}: `recovered` is the
 * late state whose crossing was already claimed (marks) when this heartbeat ended it.
 * @internal
 */
export const UPSERT_SCRIPT = script(`${PARSE}
local current = redis.call('HGET', KEYS[1], ARGV[1])
local status = 'updated'
local registeredAt = ARGV[4]
local dropped = ''
local recovered = ''
if current then
  local old = parse(current)
  if tonumber(old[6]) <= tonumber(ARGV[2]) then
    -- already past its drop deadline: replaced as a new registration, listed last
    status = 'created'
    dropped = current
    redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), ARGV[1])
  else
    registeredAt = old[3]
    local marks = redis.call('HMGET', KEYS[7], 'warn', 'crit')
    if marks[2] and tonumber(old[5]) <= tonumber(marks[2]) then
      recovered = 'CRITICAL'
    elseif marks[1] and tonumber(old[4]) <= tonumber(marks[1]) then
      recovered = 'WARNING'
    end
  end
else
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[8]) then
    return {'full'}
  end
  status = 'created'
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), ARGV[1])
end
local packed = ARGV[2] .. ',' .. ARGV[3] .. ',' .. registeredAt .. ',' .. ARGV[5] .. ',' .. ARGV[6] .. ',' .. ARGV[7]
redis.call('HSET', KEYS[1], ARGV[1], packed)
redis.call('ZADD', KEYS[2], ARGV[7], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[1])
redis.call('ZADD', KEYS[6], ARGV[6], ARGV[1])
return {status, packed, dropped, recovered}
`);

const REMOVE_ALL = `
local function removeId(id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[5], id)
  redis.call('ZREM', KEYS[6], id)
  return redis.call('HDEL', KEYS[1], id)
end
`;

/**
 * ARGV: appId. Returns 1 when the record existed.
 * @internal
 */
export const REMOVE_SCRIPT = script(`${REMOVE_ALL}
return removeId(ARGV[1])
`);

/**
 * ARGV: now, limit. Claims and removes up to `limit` records with expiresAt <= now, in deadline
 * order, returning {appId, packed, ...}. Atomic, so with several replicas each expired record is
 * returned by exactly one of them.
 * @internal
 */
export const REMOVE_EXPIRED_SCRIPT = script(`${REMOVE_ALL}
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local packed = redis.call('HGET', KEYS[1], id)
  removeId(id)
  if packed then
    out[#out + 1] = id
    out[#out + 1] = packed
  end
end
return out
`);

/**
 * ARGV: fromSeq (inclusive), limit. Up to `limit` records in registration order from `fromSeq`:
 * {more (0/1), appId, packed, seq, ...}. O(log n + limit).
 * @internal
 */
export const PAGE_SCRIPT = script(`
local limit = tonumber(ARGV[2])
local entries = redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, limit + 1)
local out = {0}
local n = #entries / 2
if n > limit then
  out[1] = 1
  n = limit
end
for i = 1, n do
  local id = entries[2 * i - 1]
  local packed = redis.call('HGET', KEYS[1], id)
  if packed then
    out[#out + 1] = id
    out[#out + 1] = packed
    out[#out + 1] = entries[2 * i]
  end
end
return out
`);

/**
 * ARGV: now. {records, expired, warned, critical}: record count and how many have passed each
 * deadline. O(log n), one atomic snapshot.
 * @internal
 */
export const COUNTS_SCRIPT = script(`
return {
  redis.call('HLEN', KEYS[1]),
  redis.call('ZCOUNT', KEYS[2], '-inf', ARGV[1]),
  redis.call('ZCOUNT', KEYS[5], '-inf', ARGV[1]),
  redis.call('ZCOUNT', KEYS[6], '-inf', ARGV[1])
}
`);

/**
 * ARGV: now, wanted, state ('' for any), phase ('crit' | 'warn' | 'ok'), rank, budget.
 * Examines at most `budget` index entries from `rank` of one phase and returns
 * {nextPhase ('' when done), nextRank, appId, packed, ...} with at most `wanted` live records:
 * phase 'crit' walks the crit index (ascending critAt) over CRITICAL records; phase 'warn' walks
 * the warn index (ascending warnAt) over WARNING and OK records, skipping CRITICAL and expired
 * ones; phase 'ok' reads OK records straight from the warn index.
 * @internal
 */
export const MOST_OVERDUE_SCRIPT = script(`${PARSE}
local now = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local state = ARGV[3]
local phase = ARGV[4]
local rank = tonumber(ARGV[5])
local budget = tonumber(ARGV[6])
local out = {'', 0}
local found = 0
local function keep(id)
  local packed = redis.call('HGET', KEYS[1], id)
  if packed then
    out[#out + 1] = id
    out[#out + 1] = packed
    found = found + 1
  end
end
if phase == 'ok' then
  local ids = redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. ARGV[1], '+inf', 'LIMIT', 0, wanted)
  for _, id in ipairs(ids) do keep(id) end
  return out
end
local entries = redis.call('ZRANGE', phase == 'warn' and KEYS[5] or KEYS[6], rank, rank + budget - 1, 'WITHSCORES')
-- ended: nothing of this phase lies beyond what was examined
local ended = #entries < 2 * budget
local consumed = 0
for i = 1, #entries, 2 do
  if found >= wanted then break end
  local id = entries[i]
  if (phase == 'crit' or state == 'WARNING') and tonumber(entries[i + 1]) > now then
    ended = true
    break
  end
  consumed = consumed + 1
  if phase == 'crit' then
    if tonumber(redis.call('ZSCORE', KEYS[2], id)) > now then keep(id) end
  elseif tonumber(redis.call('ZSCORE', KEYS[6], id)) > now then
    -- CRITICAL and expired records have critAt <= now: they are not WARNING or OK
    keep(id)
  end
end
if found >= wanted or not ended then
  out[1] = phase
  out[2] = rank + consumed
elseif phase == 'crit' and state == '' then
  out[1] = 'warn'
  out[2] = 0
end
return out
`);

/**
 * ARGV: since, now, limit. Claims the threshold crossings in (mark, now] of each of the warn and
 * crit indexes (mark: where the previous claim stopped, at least `since`), at most about `limit`
 * of each, and advances the marks, so each crossing is returned by exactly one call. A batch that
 * hits the limit stops before the last score it saw (ties are never split); the crit window never
 * passes the warn mark, so an app's OK -> WARNING is claimed no later than its WARNING -> CRITICAL.
 * Returns {kind ('warn' | 'crit'), appId, packed, ...} for records still live at `now`.
 * @internal
 */
export const TAKE_STATE_CHANGES_SCRIPT = script(`${PARSE}
local since = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local marks = redis.call('HMGET', KEYS[7], 'warn', 'crit')
local out = {}
-- Lua's own number formatting keeps 14 digits: not enough for epoch milliseconds with fractions.
local function num(x) return string.format('%.17g', x) end
local function claim(index, kind, from, upTo)
  if from >= upTo then return from end
  local entries = redis.call('ZRANGEBYSCORE', index, '(' .. num(from), num(upTo), 'WITHSCORES', 'LIMIT', 0, limit)
  local to = upTo
  local n = #entries / 2
  if n == limit then
    local last = tonumber(entries[#entries])
    while n > 0 and tonumber(entries[2 * n]) == last do n = n - 1 end
    if n == 0 then
      -- one score fills the batch: take every record at that score
      entries = redis.call('ZRANGEBYSCORE', index, num(last), num(last), 'WITHSCORES')
      n = #entries / 2
      to = last
    else
      to = tonumber(entries[2 * n])
    end
  end
  for i = 1, n do
    local id = entries[2 * i - 1]
    local packed = redis.call('HGET', KEYS[1], id)
    if packed and tonumber(parse(packed)[6]) > now then
      out[#out + 1] = kind
      out[#out + 1] = id
      out[#out + 1] = packed
    end
  end
  return to
end
local warnFrom = math.max(since, tonumber(marks[1] or since))
local warnTo = claim(KEYS[5], 'warn', warnFrom, now)
local critFrom = math.max(since, tonumber(marks[2] or since))
local critTo = claim(KEYS[6], 'crit', critFrom, math.min(now, warnTo))
redis.call('HSET', KEYS[7], 'warn', num(math.max(warnFrom, warnTo)), 'crit', num(math.max(critFrom, critTo)))
return out
`);
