/**
 * The registry's Lua scripts: each touches the keys of one registered model only (its family
 * under one base), so a change is atomic and stays within one hash slot once the base is tagged.
 * KEYS are always meta, versions, aliases, history, jobs.
 */

/** ARGV: jobId, record JSON, createdAt. A job registers once: a retry answers the version it got. */
export const REGISTER = `
local had = redis.call('HGET', KEYS[5], ARGV[1])
if had then return tonumber(had) end
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'createdAt', ARGV[3], 'description', '', 'tags', '{}', 'counter', 0, 'latest', 0)
end
local n = redis.call('HINCRBY', KEYS[1], 'counter', 1)
redis.call('HSET', KEYS[2], n, ARGV[2])
redis.call('HSET', KEYS[5], ARGV[1], n)
redis.call('HSET', KEYS[1], 'latest', n)
return n
`;

/**
 * ARGV: alias, version ('' removes it), expected ('*': any; '-': must be absent; else a version),
 * at, by (JSON string), most history entries kept. Answers {'ok', from} or {'nomodel'},
 * {'noversion'}, {'noalias'}, {'conflict', current}. Every real move is appended to the history.
 */
export const MOVE_ALIAS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'nomodel'} end
if ARGV[2] ~= '' and redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return {'noversion'} end
local cur = redis.call('HGET', KEYS[3], ARGV[1]) or ''
if ARGV[3] ~= '*' and ARGV[3] ~= (cur == '' and '-' or cur) then return {'conflict', cur} end
if ARGV[2] == '' and cur == '' then return {'noalias'} end
if cur == ARGV[2] then return {'ok', cur} end
if ARGV[2] == '' then redis.call('HDEL', KEYS[3], ARGV[1]) else redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end
local from = cur == '' and 'null' or cur
local to = ARGV[2] == '' and 'null' or ARGV[2]
redis.call('RPUSH', KEYS[4], '{"alias":"' .. ARGV[1] .. '","from":' .. from .. ',"to":' .. to ..
  ',"at":"' .. ARGV[4] .. '","by":' .. ARGV[5] .. '}')
redis.call('LTRIM', KEYS[4], -tonumber(ARGV[6]), -1)
return {'ok', cur}
`;

/**
 * ARGV: version. Refused while an alias points at it ({'aliased', names…}); \`latest\` moves to
 * the newest version left. Answers {'ok'} or {'noversion'}.
 */
export const DELETE_VERSION = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return {'noversion'} end
local aliases = redis.call('HGETALL', KEYS[3])
local held = {'aliased'}
for i = 1, #aliases, 2 do
  if aliases[i + 1] == ARGV[1] then table.insert(held, aliases[i]) end
end
if #held > 1 then return held end
redis.call('HDEL', KEYS[2], ARGV[1], ARGV[1] .. ':notes')
local jobs = redis.call('HGETALL', KEYS[5])
for i = 1, #jobs, 2 do
  if jobs[i + 1] == ARGV[1] then redis.call('HDEL', KEYS[5], jobs[i]) end
end
local newest = 0
for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
  local n = tonumber(field)
  if n and n > newest then newest = n end
end
redis.call('HSET', KEYS[1], 'latest', newest)
return {'ok'}
`;

/** ARGV: version, notes JSON. Answers 1, or 0 when there is no such version. */
export const SET_NOTES = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1] .. ':notes', ARGV[2])
return 1
`;
