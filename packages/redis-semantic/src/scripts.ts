// The index's Lua scripts. Every key an index uses carries its hash tag, so one script may touch any of
// them on a cluster too (they all live in one slot).

/** Takes an entry out of the buckets its record lists (or the warm-up list), given its record key. */
const UNLINK = `
local function unlink(rkey, id, bprefix, warm, tailAt)
  local scope, codes = string.match(redis.call('GETRANGE', rkey, tailAt, -1), '^([^|]*)|([^|]*)|')
  if scope == nil then return end
  if codes == '' then
    redis.call('LREM', warm, 0, id)
    return
  end
  local t = 0
  for code in string.gmatch(codes, '[^,]+') do
    redis.call('SREM', bprefix .. scope .. ':' .. t .. ':' .. code, id)
    t = t + 1
  end
end
`;

/**
 * Creates the index's description unless it exists, and answers it.
 * KEYS: meta. ARGV: ver, dim, seed, tables, bits.
 */
export const INIT = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'ver', ARGV[1], 'dim', ARGV[2], 'seed', ARGV[3], 'tables', ARGV[4], 'bits', ARGV[5])
end
return redis.call('HMGET', KEYS[1], 'ver', 'dim', 'seed', 'tables', 'bits', 'th')
`;

/**
 * Adds (or replaces) an entry, then sweeps a few expired ones. Answers -1 when the index is not the one
 * the caller hashed for (it was frozen or made anew meanwhile), else the warm-up list's length (0 once frozen).
 * KEYS: meta, warm, exp, heads, record, bucket… (no bucket while warming up).
 * ARGV: ver, id, head, record, px (0: none), expiresAt (0: never), now, record prefix, bucket prefix, tail offset, sweep count.
 */
export const ADD = `${UNLINK}
if redis.call('HGET', KEYS[1], 'ver') ~= ARGV[1] then return -1 end
local id = ARGV[2]
unlink(KEYS[5], id, ARGV[9], KEYS[2], ARGV[10])
if ARGV[5] == '0' then redis.call('SET', KEYS[5], ARGV[4]) else redis.call('SET', KEYS[5], ARGV[4], 'PX', ARGV[5]) end
redis.call('HSET', KEYS[4], id, ARGV[3])
if #KEYS > 5 then
  for i = 6, #KEYS do redis.call('SADD', KEYS[i], id) end
else
  redis.call('RPUSH', KEYS[2], id)
end
if ARGV[6] == '0' then redis.call('ZREM', KEYS[3], id) else redis.call('ZADD', KEYS[3], ARGV[6], id) end
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[7], 'LIMIT', 0, tonumber(ARGV[11]))
for _, old in ipairs(expired) do
  local rkey = ARGV[8] .. old
  unlink(rkey, old, ARGV[9], KEYS[2], ARGV[10])
  redis.call('DEL', rkey)
  redis.call('HDEL', KEYS[4], old)
  redis.call('ZREM', KEYS[3], old)
end
if #KEYS > 5 then return 0 end
return redis.call('LLEN', KEYS[2])
`;

/**
 * Ends the warm-up: stores the thresholds and moves the sampled entries into their buckets. Answers 0
 * when another process froze the index first.
 * KEYS: meta, warm. ARGV: ver, new ver, thresholds, record prefix, bucket prefix, tail offset, then id, codes pairs.
 */
export const FREEZE = `
if redis.call('HGET', KEYS[1], 'ver') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[2], 'th', ARGV[3])
local tailAt = tonumber(ARGV[6])
for i = 7, #ARGV, 2 do
  local id, codes = ARGV[i], ARGV[i + 1]
  local rkey = ARGV[4] .. id
  local record = redis.call('GET', rkey)
  if record then
    local scope, key = string.match(string.sub(record, tailAt + 1), '^([^|]*)|[^|]*|(.*)$')
    redis.call('SET', rkey, string.sub(record, 1, tailAt) .. scope .. '|' .. codes .. '|' .. key, 'KEEPTTL')
    local t = 0
    for code in string.gmatch(codes, '[^,]+') do
      redis.call('SADD', ARGV[5] .. scope .. ':' .. t .. ':' .. code, id)
      t = t + 1
    end
  end
  redis.call('LREM', KEYS[2], 0, id)
end
return 1
`;

/**
 * The candidates of a query: every entry of the probed buckets and of the warm-up list (at most `limit`),
 * read with one SUNION and one HMGET per thousand, answered as two lists: ids, and their heads (nil for
 * an id whose entry is gone: it is dropped from the probed buckets and the warm-up list). Answers nil
 * when the index is not the one the caller hashed for.
 * KEYS: meta, warm, heads, bucket…. ARGV: ver, limit.
 */
export const SEARCH = `
if redis.call('HGET', KEYS[1], 'ver') ~= ARGV[1] then return false end
local ids = {}
if #KEYS > 3 then ids = redis.call('SUNION', unpack(KEYS, 4)) end
for _, id in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do ids[#ids + 1] = id end
local count = math.min(#ids, tonumber(ARGV[2]))
local heads = {}
for from = 1, count, 1000 do
  local to = math.min(from + 999, count)
  local part = redis.call('HMGET', KEYS[3], unpack(ids, from, to))
  if from == 1 then heads = part else for i = 1, #part do heads[from + i - 1] = part[i] end end
end
for i = 1, count do
  if not heads[i] then
    for k = 4, #KEYS do redis.call('SREM', KEYS[k], ids[i]) end
    redis.call('LREM', KEYS[2], 0, ids[i])
  end
end
for i = #ids, count + 1, -1 do ids[i] = nil end
return { ids, heads }
`;

/**
 * Removes an entry from the index.
 * KEYS: warm, exp, heads, record. ARGV: id, bucket prefix, tail offset.
 */
export const REMOVE = `${UNLINK}
unlink(KEYS[4], ARGV[1], ARGV[2], KEYS[1], ARGV[3])
redis.call('DEL', KEYS[4])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`;
