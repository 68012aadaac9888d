import { createHash } from 'node:crypto';
import { TOMBSTONE_LUA } from './redis-tombstone.scripts.js';

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
  'pauses',
] as const;

// Key layout, all under the store's prefix and one hash tag (one cluster slot):
//   KEYS[1] apps       hash    appId -> "lastSeen,delayMs,registeredAt,warnAt,critAt,expiresAt"
//                              then ",pausedAt" and ",pausedUntil" for a paused record
//   KEYS[2] deadlines  zset    appId scored by expiresAt (what the expiry task pops)
//   KEYS[3] order      zset    appId scored by a registration sequence number (pages, /list)
//   KEYS[4] seq        string  the registration sequence counter
//   KEYS[5] warn       zset    appId scored by warnAt (counts per state, most overdue)
//   KEYS[6] crit       zset    appId scored by critAt (counts per state, most overdue)
//   KEYS[7] marks      hash    'warn' / 'crit' -> up to where threshold crossings were claimed
//   KEYS[8] pauses     zset    appId scored by pausedUntil (+inf: until resumed), for records a
//                              pause holds (their deadlines are all PAUSED_DEADLINE meanwhile)
//   and, always the last two KEYS, the tombstones of removed apps (redis-tombstone.scripts.ts)
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
 * ARGV: count, PAUSED_DEADLINE, then two per record: appId and
 * "lastSeen,delayMs,registeredAt,warnAt,critAt,expiresAt,maxApps,now" (`now`: the registry's
 * recorded time, a record whose expiresAt <= now was already dropped). Upserts the records in
 * order (the heartbeats that arrived together) and returns one string, the records' results
 * joined by ';', each "status|registeredAt|dropped|recovered|held": "full||||", or the status
 * (created, updated), the stored registeredAt, the dropped record's packed form or '', the
 * recovered state or '', and the held record's packed form or '' (the stored record is the one
 * given, with that registeredAt, unless a pause holds it: then it is the held one, the heartbeat
 * noted and the pause's deadlines kept). `recovered` is the late state whose crossing was
 * already claimed (marks) when this heartbeat ended it.
 *
 * One HMGET reads the batch's records, and one HSET and one ZADD per deadline index write them
 * at the end (the script is atomic, so no one sees the difference); a record met again later in
 * the batch is judged by what the batch wrote. Deletions (ended pauses, forgotten tombstones) come
 * after the writes: Redis refuses a script's first write when out of memory, but not writes after
 * a deletion, so a refused batch still writes nothing.
 * @internal
 */
export const UPSERT_SCRIPT = script(`${TOMBSTONE_LUA}
local count = tonumber(ARGV[1])
local paused = tonumber(ARGV[2])
local marks = redis.call('HMGET', KEYS[7], 'warn', 'crit')
local markWarn = tonumber(marks[1] or '')
local markCrit = tonumber(marks[2] or '')
local ids = {}
for r = 1, count do ids[r] = ARGV[1 + r * 2] end
local stored = redis.call('HMGET', KEYS[1], unpack(ids))
-- what this batch wrote, by appId; the size of the hash before it, once needed; fields it adds
local written = {}
local size
local added = 0
local hash, deadlines, warns, crits, unpaused, reborn = {}, {}, {}, {}, {}, {}
local out = {}
for r = 1, count do
  local id = ids[r]
  local lastSeen, delayMs, registeredAt, warnAt, critAt, expiresAt, maxApps, now = string.match(
    ARGV[2 + r * 2], '^([^,]+),([^,]+),([^,]+),([^,]+),([^,]+),([^,]+),([^,]+),([^,]+)$')
  local current = written[id] or stored[r]
  local status = 'updated'
  local dropped = ''
  local recovered = ''
  local held = ''
  local full = false
  if current then
    -- "lastSeen,delayMs,registeredAt,warnAt,critAt,expiresAt" then ",pausedAt[,pausedUntil]"
    local oldRegisteredAt, oldWarn, oldCrit, oldExpires, rest = string.match(
      current, '^[^,]+,[^,]+,([^,]+),([^,]+),([^,]+),([^,]+)(.*)$')
    local pausedAt, pausedUntil
    if rest ~= '' then
      pausedAt, pausedUntil = string.match(rest, '^,([^,]+),?([^,]*)$')
      if pausedUntil == '' then pausedUntil = nil end
    end
    if tonumber(oldExpires) <= tonumber(now) then
      -- already past its drop deadline: replaced as a new registration, listed last
      status = 'created'
      dropped = current
      redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), id)
      if pausedAt then unpaused[#unpaused + 1] = id end
    else
      registeredAt = oldRegisteredAt
      if pausedAt then
        if tonumber(oldExpires) >= paused and (pausedUntil == nil or tonumber(pausedUntil) > tonumber(lastSeen)) then
          -- a pause holds it: the heartbeat is noted, the pause and its deadlines stay
          held = lastSeen .. ',' .. delayMs .. ',' .. registeredAt .. ',' .. oldWarn .. ',' .. oldCrit .. ',' .. oldExpires .. rest
        else
          unpaused[#unpaused + 1] = id
        end
      end
      if markCrit and tonumber(oldCrit) <= markCrit then
        recovered = 'CRITICAL'
      elseif markWarn and tonumber(oldWarn) <= markWarn then
        recovered = 'WARNING'
      end
    end
  else
    size = size or redis.call('HLEN', KEYS[1])
    if size + added >= tonumber(maxApps) then
      full = true
    else
      added = added + 1
      status = 'created'
      redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), id)
    end
  end
  if full then
    out[r] = 'full||||'
  elseif held ~= '' then
    written[id] = held
    hash[#hash + 1] = id
    hash[#hash + 1] = held
    out[r] = status .. '|' .. registeredAt .. '||' .. '|' .. held
  else
    local packed = lastSeen .. ',' .. delayMs .. ',' .. registeredAt .. ',' .. warnAt .. ',' .. critAt .. ',' .. expiresAt
    written[id] = packed
    hash[#hash + 1] = id
    hash[#hash + 1] = packed
    deadlines[#deadlines + 1] = expiresAt
    deadlines[#deadlines + 1] = id
    warns[#warns + 1] = warnAt
    warns[#warns + 1] = id
    crits[#crits + 1] = critAt
    crits[#crits + 1] = id
    if status == 'created' then reborn[#reborn + 1] = id end
    out[r] = status .. '|' .. registeredAt .. '|' .. dropped .. '|' .. recovered .. '|'
  end
end
if #hash > 0 then redis.call('HSET', KEYS[1], unpack(hash)) end
if #deadlines > 0 then
  redis.call('ZADD', KEYS[2], unpack(deadlines))
  redis.call('ZADD', KEYS[5], unpack(warns))
  redis.call('ZADD', KEYS[6], unpack(crits))
end
if #unpaused > 0 then redis.call('ZREM', KEYS[8], unpack(unpaused)) end
forgetTombstones(reborn)
return table.concat(out, ';')
`);

// Bulk helpers: one call per key and per 500 ids rather than one per id (a script makes far
// fewer calls), in slices small enough for Lua's unpack.
const BULK = `
local function hmget(ids)
  local out = {}
  for i = 1, #ids, 500 do
    local part = redis.call('HMGET', KEYS[1], unpack(ids, i, math.min(i + 499, #ids)))
    for j = 1, #part do out[#out + 1] = part[j] end
  end
  return out
end
-- {id, packed, ...} for the ids whose record exists
local function withRecords(ids, packed)
  local out = {}
  for i, id in ipairs(ids) do
    if packed[i] then
      out[#out + 1] = id
      out[#out + 1] = packed[i]
    end
  end
  return out
end
local function removeIds(ids)
  local removed = 0
  for i = 1, #ids, 500 do
    local last = math.min(i + 499, #ids)
    redis.call('ZREM', KEYS[2], unpack(ids, i, last))
    redis.call('ZREM', KEYS[3], unpack(ids, i, last))
    redis.call('ZREM', KEYS[5], unpack(ids, i, last))
    redis.call('ZREM', KEYS[6], unpack(ids, i, last))
    redis.call('ZREM', KEYS[8], unpack(ids, i, last))
    removed = removed + redis.call('HDEL', KEYS[1], unpack(ids, i, last))
  end
  return removed
end
`;

/**
 * ARGV: appId, then optionally the tombstone policy: now, cutoff, max (the record is remembered
 * as deregistered at `now`). Returns 1 when the record existed.
 * @internal
 */
export const REMOVE_SCRIPT = script(`${BULK}${TOMBSTONE_LUA}
local packed = ARGV[2] and redis.call('HGET', KEYS[1], ARGV[1])
local removed = removeIds({ARGV[1]})
if packed then bury({ARGV[1]}, {packed}, 'D', ARGV[2], ARGV[3], tonumber(ARGV[4])) end
return removed
`);

/**
 * ARGV: now, limit, then optionally the tombstone policy: now, cutoff, max (each record is
 * remembered as expired at its expiresAt). Claims and removes up to `limit` records with
 * expiresAt <= now, in deadline order, returning {appId, packed, ...}. Atomic, so with several
 * replicas each expired record is returned (and remembered) by exactly one of them.
 * @internal
 */
export const REMOVE_EXPIRED_SCRIPT = script(`${BULK}${TOMBSTONE_LUA}
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {} end
local packed = hmget(ids)
removeIds(ids)
if ARGV[3] then bury(ids, packed, 'E', ARGV[3], ARGV[4], tonumber(ARGV[5])) end
return withRecords(ids, packed)
`);

/**
 * ARGV: fromSeq (inclusive), limit. Up to `limit` records in registration order from `fromSeq`:
 * {more (0/1), appId, packed, seq, ...}. O(log n + limit).
 * @internal
 */
export const PAGE_SCRIPT = script(`${BULK}
local limit = tonumber(ARGV[2])
local entries = redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, limit + 1)
local out = {0}
local n = #entries / 2
if n > limit then
  out[1] = 1
  n = limit
end
if n == 0 then return out end
local ids = {}
for i = 1, n do ids[i] = entries[2 * i - 1] end
local packed = hmget(ids)
for i = 1, n do
  if packed[i] then
    out[#out + 1] = ids[i]
    out[#out + 1] = packed[i]
    out[#out + 1] = entries[2 * i]
  end
end
return out
`);

/**
 * ARGV: fromSeq (inclusive), limit, now. The IDs of up to `limit` records in registration order
 * from `fromSeq` that are live at `now`: {more (0/1), lastSeq, appId, ...}. O(log n + limit).
 * @internal
 */
export const PAGE_IDS_SCRIPT = script(`
local limit = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local ids = redis.call('ZRANGEBYSCORE', KEYS[3], ARGV[1], '+inf', 'LIMIT', 0, limit + 1)
local out = {0, ''}
if #ids > limit then
  out[1] = 1
  ids[#ids] = nil
end
if #ids == 0 then return out end
out[2] = redis.call('ZSCORE', KEYS[3], ids[#ids])
for i = 1, #ids, 500 do
  local deadlines = redis.call('ZMSCORE', KEYS[2], unpack(ids, i, math.min(i + 499, #ids)))
  for j = 1, #deadlines do
    if deadlines[j] and tonumber(deadlines[j]) > now then out[#out + 1] = ids[i + j - 1] end
  end
end
return out
`);

/**
 * ARGV: now. {records, expired, warned, critical, paused}: record count, how many have passed
 * each deadline, and how many a pause holds. O(log n), one atomic snapshot.
 * @internal
 */
export const COUNTS_SCRIPT = script(`
return {
  redis.call('HLEN', KEYS[1]),
  redis.call('ZCOUNT', KEYS[2], '-inf', ARGV[1]),
  redis.call('ZCOUNT', KEYS[5], '-inf', ARGV[1]),
  redis.call('ZCOUNT', KEYS[6], '-inf', ARGV[1]),
  redis.call('ZCARD', KEYS[8])
}
`);

/**
 * ARGV: appId, pausedAt, pausedUntil ('' for until resumed), PAUSED_DEADLINE, now (recorded
 * time). Pauses a record: every deadline to PAUSED_DEADLINE in every index, the pause in the
 * record and in the pauses index. Returns the stored packed record, or false when the ID is
 * unknown or already past its drop deadline at now.
 * @internal
 */
export const PAUSE_SCRIPT = script(`${PARSE}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
local f = parse(current)
if tonumber(f[6]) <= tonumber(ARGV[5]) then return false end
local p = ARGV[4]
local packed = f[1] .. ',' .. f[2] .. ',' .. f[3] .. ',' .. p .. ',' .. p .. ',' .. p .. ',' .. ARGV[2]
local score = '+inf'
if ARGV[3] ~= '' then
  packed = packed .. ',' .. ARGV[3]
  score = ARGV[3]
end
redis.call('HSET', KEYS[1], ARGV[1], packed)
redis.call('ZADD', KEYS[2], p, ARGV[1])
redis.call('ZADD', KEYS[5], p, ARGV[1])
redis.call('ZADD', KEYS[6], p, ARGV[1])
redis.call('ZADD', KEYS[8], score, ARGV[1])
return packed
`);

/**
 * ARGV: appId, pausedAt, endedAt, warnAt, critAt, expiresAt, PAUSED_DEADLINE. Ends the pause
 * begun at pausedAt, if it still holds the record (compare and set): pausedUntil becomes endedAt
 * and the deadlines are written to the record and its indexes. Returns the stored packed record,
 * or false when nothing changed.
 * @internal
 */
export const END_PAUSE_SCRIPT = script(`${PARSE}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
local f = parse(current)
if f[7] ~= ARGV[2] or tonumber(f[6]) < tonumber(ARGV[7]) then return false end
local packed = f[1] .. ',' .. f[2] .. ',' .. f[3] .. ',' .. ARGV[4] .. ',' .. ARGV[5] .. ',' .. ARGV[6] .. ',' .. f[7] .. ',' .. ARGV[3]
redis.call('HSET', KEYS[1], ARGV[1], packed)
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[5], ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[6], ARGV[5], ARGV[1])
redis.call('ZREM', KEYS[8], ARGV[1])
return packed
`);

/**
 * ARGV: now, limit. Up to `limit` records held by a pause whose end is at or before now, the
 * earliest first: {appId, packed, ...}. O(log n + limit).
 * @internal
 */
export const DUE_PAUSES_SCRIPT = script(`${BULK}
local ids = redis.call('ZRANGEBYSCORE', KEYS[8], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids == 0 then return {} end
local packed = hmget(ids)
return withRecords(ids, packed)
`);

/**
 * ARGV: now, wanted, state ('' for any), phase ('crit' | 'warn' | 'ok'), rank, budget.
 * Examines at most `budget` index entries from `rank` of one phase, a window at a time, and
 * returns {nextPhase ('' when done), nextRank, appId, packed, ...} with at most `wanted` live
 * records: phase 'crit' walks the crit index (ascending critAt) over CRITICAL records, skipping
 * expired ones; phase 'warn' walks the warn index (ascending warnAt) over WARNING and OK records,
 * skipping CRITICAL and expired ones; phase 'ok' reads OK records straight from the warn index,
 * `rank` counting from the first of them.
 * Needs ZMSCORE (Redis 6.2).
 * @internal
 */
export const MOST_OVERDUE_SCRIPT = script(`${BULK}
local now = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local state = ARGV[3]
local phase = ARGV[4]
local rank = tonumber(ARGV[5])
local budget = tonumber(ARGV[6])
local out = {'', 0}
local kept = {}
if phase == 'ok' then
  -- OK records are the warn index past its ZCOUNT up to now; rank counts from there
  local start = redis.call('ZCOUNT', KEYS[5], '-inf', ARGV[1]) + rank
  kept = redis.call('ZRANGE', KEYS[5], start, start + wanted - 1)
  if #kept == wanted then
    out[1] = 'ok'
    out[2] = rank + wanted
  end
else
  local index = KEYS[6]
  -- a record in the crit phase is live unless expired; in the warn phase, unless critical
  local check = KEYS[2]
  if phase == 'warn' then
    index = KEYS[5]
    check = KEYS[6]
  end
  local ended = false
  local examined = 0
  while #kept < wanted and examined < budget and not ended do
    local size = math.min(128, budget - examined)
    local entries = redis.call('ZRANGE', index, rank, rank + size - 1, 'WITHSCORES')
    local ids = {}
    for i = 1, #entries, 2 do
      -- past now, nothing more of this phase (crit: no longer critical; WARNING only: OK)
      if (phase == 'crit' or state == 'WARNING') and tonumber(entries[i + 1]) > now then
        ended = true
        break
      end
      ids[#ids + 1] = entries[i]
    end
    if #entries < 2 * size then ended = true end
    if #ids > 0 then
      local scores = redis.call('ZMSCORE', check, unpack(ids))
      for i, id in ipairs(ids) do
        if #kept >= wanted then
          ended = false
          break
        end
        rank = rank + 1
        examined = examined + 1
        if scores[i] and tonumber(scores[i]) > now then kept[#kept + 1] = id end
      end
    end
  end
  if not ended then
    out[1] = phase
    out[2] = rank
  elseif phase == 'crit' and state == '' then
    out[1] = 'warn'
    out[2] = 0
  end
end
if #kept > 0 then
  local packed = hmget(kept)
  for i, id in ipairs(kept) do
    if packed[i] then
      out[#out + 1] = id
      out[#out + 1] = packed[i]
    end
  end
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
export const TAKE_STATE_CHANGES_SCRIPT = script(`${PARSE}${BULK}
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
  if n == 0 then return to end
  local ids = {}
  for i = 1, n do ids[i] = entries[2 * i - 1] end
  local packed = hmget(ids)
  for i = 1, n do
    if packed[i] and tonumber(parse(packed[i])[6]) > now then
      out[#out + 1] = kind
      out[#out + 1] = ids[i]
      out[#out + 1] = packed[i]
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
