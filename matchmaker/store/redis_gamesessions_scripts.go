package store

import "github.com/redis/go-redis/v9"

// Game session scripts. Each touches the keys of one fleet only (hash tag
// {f:FLEETID}), so one cluster slot. The scripts that read or write a
// fleet's game session indexes share KEYS[1..8] (see Redis.fleetKeys): the
// fleet's game sessions (ZSET by creation ms), its ended sessions (ZSET by
// expiry ms), one ZSET per status, and the fleet record. Those that change
// or read the indexes first purge the ended sessions whose retention is
// over from them (the records themselves expire by PEXPIRE), on Redis's
// clock; the player session creates, which change no index, do not.
//
// A game session HASH has the fields b (JSON body without Status, Version
// and CurrentPlayerSessionCount), s (status), v (version), c (player
// sessions holding a slot), m (MaximumPlayerSessionCount), pol
// (PlayerSessionCreationPolicy), ct (creation ms) and tk (idempotency
// token). A player session HASH has b (JSON body without Status, Version and
// TerminationTime), s, v, e (termination, unix ns), p (player id) and g
// (game session id).
//
// Each fleet also keeps, for GameSessionChanges, a change counter (rev), a
// ZSET of its game sessions by the counter of their last change (changes)
// and the highest counter forgotten with an expired session (horizon).
// Those keys are named from the fleet's tag, which the scripts read from
// a key they are given (the same hash slot).
const luaGSPrelude = `
local statusKey = {ACTIVATING = 3, ACTIVE = 4, TERMINATING = 5, TERMINATED = 6, ERROR = 7}
local function ended(s) return s == 'TERMINATED' or s == 'ERROR' end
local function holds(s) return s == 'RESERVED' or s == 'ACTIVE' end
local function nowms()
	local t = redis.call('TIME')
	return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function touched(tag, id)
	redis.call('ZADD', tag .. 'changes', redis.call('INCR', tag .. 'rev'), id)
end
local function fleetTag() return string.sub(KEYS[1], 1, -4) end
-- gsTag is the fleet tag of a game session's key (<tag>gs:<id>).
local function gsTag(key, id) return string.sub(key, 1, -(#id + 4)) end
local function purge()
	local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', nowms())
	local tag = fleetTag()
	for _, id in ipairs(gone) do
		local last = redis.call('ZSCORE', tag .. 'changes', id)
		if last and tonumber(last) > tonumber(redis.call('GET', tag .. 'horizon') or '0') then
			redis.call('SET', tag .. 'horizon', last)
		end
		redis.call('ZREM', tag .. 'changes', id)
		for i = 3, 7 do redis.call('ZREM', KEYS[i], id) end
		redis.call('ZREM', KEYS[1], id)
		redis.call('ZREM', KEYS[2], id)
	end
end
local function taken(keys)
	if redis.call('EXISTS', unpack(keys)) == 0 then return nil end
	for i, k in ipairs(keys) do
		if redis.call('EXISTS', k) == 1 then return i end
	end
end
local function expire(id, key, retention)
	redis.call('PEXPIRE', key, retention)
	redis.call('ZADD', KEYS[2], nowms() + tonumber(retention), id)
end
`

// createGameSession: KEYS[9] the game session, KEYS[10] the creator index.
// ARGV: 1 id, 2 body, 3 status, 4 max, 5 policy, 6 creation ms, 7 token,
// 8 limit max (0: none), 9 limit start ms (exclusive), 10 retention ms,
// 11 creator id, 12 limit period ms, 13 '1' for a FlexMatch session (no
// fleet record).
// Returns {'ok'}, {'same', b, s, v, c}, {'exists'}, {'notfound'} or
// {'limit', n}.
const luaCreateGameSession = luaGSPrelude + `
purge()
if redis.call('EXISTS', KEYS[9]) == 1 then
	if ARGV[7] ~= '' and redis.call('HGET', KEYS[9], 'tk') == ARGV[7] then
		local f = redis.call('HMGET', KEYS[9], 'b', 's', 'v', 'c')
		return {'same', f[1], f[2], f[3], f[4]}
	end
	return {'exists'}
end
if ARGV[13] ~= '1' and redis.call('EXISTS', KEYS[8]) == 0 then return {'notfound'} end
local limited = tonumber(ARGV[8]) > 0 and ARGV[11] ~= ''
if limited then
	local n = redis.call('ZCOUNT', KEYS[10], '(' .. ARGV[9], '+inf')
	if n >= tonumber(ARGV[8]) then return {'limit', n} end
end
redis.call('HSET', KEYS[9], 'b', ARGV[2], 's', ARGV[3], 'v', 1, 'c', 0, 'm', ARGV[4], 'pol', ARGV[5], 'ct', ARGV[6], 'tk', ARGV[7])
redis.call('ZADD', KEYS[1], ARGV[6], ARGV[1])
redis.call('ZADD', KEYS[statusKey[ARGV[3]]], ARGV[6], ARGV[1])
if limited then
	redis.call('ZADD', KEYS[10], ARGV[6], ARGV[1])
	redis.call('ZREMRANGEBYSCORE', KEYS[10], '-inf', ARGV[9])
	redis.call('PEXPIRE', KEYS[10], ARGV[12])
end
touched(fleetTag(), ARGV[1])
if ended(ARGV[3]) then expire(ARGV[1], KEYS[9], ARGV[10]) end
return {'ok'}
`

// updateGameSession: KEYS[9] the game session, KEYS[10] its player
// sessions (ZSET). ARGV: 1 id, 2 body, 3 status, 4 expected version, 5 max,
// 6 policy, 7 retention ms, 8 player session key prefix, 9 termination ns,
// 10 '1' when the body's fleet is the id's.
// Returns {'ok', version}, {'ended', version, then per player session its
// id and its player id},
// {'notfound'}, {'conflict', version}, {'moved'}, {'revive', status} or
// {'over', count} (a new maximum below the player sessions held).
const luaUpdateGameSession = luaGSPrelude + `
purge()
local cur = redis.call('HMGET', KEYS[9], 's', 'v', 'ct', 'm', 'c')
if not cur[1] then return {'notfound'} end
if cur[2] ~= ARGV[4] then return {'conflict', cur[2]} end
if ARGV[10] ~= '1' then return {'moved'} end
if ended(cur[1]) and not ended(ARGV[3]) then return {'revive', cur[1]} end
if ARGV[5] ~= cur[4] and tonumber(ARGV[5]) < tonumber(cur[5]) and not ended(ARGV[3]) then return {'over', cur[5]} end
local v = tonumber(cur[2]) + 1
redis.call('HSET', KEYS[9], 'b', ARGV[2], 's', ARGV[3], 'v', v, 'm', ARGV[5], 'pol', ARGV[6])
if cur[1] ~= ARGV[3] then
	redis.call('ZREM', KEYS[statusKey[cur[1]]], ARGV[1])
	redis.call('ZADD', KEYS[statusKey[ARGV[3]]], cur[3], ARGV[1])
end
touched(fleetTag(), ARGV[1])
if ended(cur[1]) or not ended(ARGV[3]) then return {'ok', v} end
local reply = {'ended', v}
for _, pid in ipairs(redis.call('ZRANGE', KEYS[10], 0, -1)) do
	local k = ARGV[8] .. pid
	local f = redis.call('HMGET', k, 's', 'p')
	if holds(f[1]) then
		redis.call('HSET', k, 's', 'COMPLETED', 'e', ARGV[9])
		redis.call('HINCRBY', k, 'v', 1)
	end
	redis.call('PEXPIRE', k, ARGV[7])
	table.insert(reply, pid)
	table.insert(reply, f[2] or '')
end
redis.call('HSET', KEYS[9], 'c', 0)
redis.call('PEXPIRE', KEYS[10], ARGV[7])
expire(ARGV[1], KEYS[9], ARGV[7])
return reply
`

// createPlayerSessions: KEYS[9] the game session, KEYS[10] its player
// sessions (ZSET), KEYS[11..10+n] the n new player sessions. ARGV: 1 game
// session id, then per player session 5 values: id, body, status, creation
// ms, player id.
// Returns {'ok', c (the player sessions held after)}, {'notfound'},
// {'status', s}, {'deny'}, {'full', c, m} or {'exists', id}.
const luaCreatePlayerSessions = luaGSPrelude + `
local n = #KEYS - 10
local ids = {}
` + luaCreatePlayerSessionsChecks + luaCreatePlayerSessionsWrites

// createPlayerSessionsIndexed is createPlayerSessions that also writes the
// global index entries (one server only: they are in other hash slots).
// KEYS as createPlayerSessions, then per player session its id's fleet key
// and its player's index (KEYS[10+n+2i-1], KEYS[10+n+2i]), then the index
// of RESERVED player sessions (reservationEntry). ARGV as
// createPlayerSessions, then the fleet id. A player session id already
// known to any fleet is 'exists'.
// A new entry of a player's index is live (score +inf), so the index loses
// any expiry it had (see luaEndPlayerEntries).
const luaCreatePlayerSessionsIndexed = luaGSPrelude + `
local n = (#KEYS - 11) / 3
local fleet = ARGV[#ARGV]
local ids = {}
for i = 1, n do ids[i] = KEYS[10 + n + 2 * i - 1] end
` + luaCreatePlayerSessionsChecks + `
local mset, reserved = {}, {}
for i = 1, n do
	table.insert(mset, ids[i])
	table.insert(mset, fleet)
end
redis.call('MSET', unpack(mset))
for i = 1, n do
	local a = 5 * i - 3
	redis.call('ZADD', KEYS[10 + n + 2 * i], 'NX', '+inf', ARGV[a])
	redis.call('PERSIST', KEYS[10 + n + 2 * i])
	if ARGV[a + 2] == 'RESERVED' then
		table.insert(reserved, ARGV[a + 3] .. ' ' .. ARGV[1] .. ' ' .. ARGV[a])
	end
end
if #reserved > 0 then redis.call('RPUSH', KEYS[#KEYS], unpack(reserved)) end
` + luaCreatePlayerSessionsWrites

// moveOldReservations: KEYS[1] the index of reservations written before
// 2026-12-06 (ZSET of "<fleet> <player session id>" by creation ms), KEYS[2]
// the LIST that replaced it, in the form parseReservationEntry reads as
// written until 2026-12-06. ARGV: 1 how many to
// move. Moves the newest ARGV[1] of KEYS[1] to the head of KEYS[2], oldest
// first, and returns how many it moved.
const luaMoveOldReservations = `
local old = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1, 'REV', 'WITHSCORES')
for i = 1, #old, 2 do
	redis.call('LPUSH', KEYS[2], string.format('%d', tonumber(old[i + 1])) .. ' ' .. old[i])
	redis.call('ZREM', KEYS[1], old[i])
end
return #old / 2
`

// dropReservations: KEYS[1] the index of reservations (LIST), ARGV its
// entries to drop, each once. When they are its head, in order (what a
// sweep drops, the sweep being alone), one LTRIM drops them; else an LREM
// each, searched from the head. Returns how many it dropped.
const luaDropReservations = `
local n = #ARGV
local head = redis.call('LRANGE', KEYS[1], 0, n - 1)
local prefix = #head == n
for i = 1, n do
	if not prefix then break end
	prefix = head[i] == ARGV[i]
end
if prefix then
	redis.call('LTRIM', KEYS[1], n, -1)
	return n
end
local dropped = 0
for i = 1, n do dropped = dropped + redis.call('LREM', KEYS[1], 1, ARGV[i]) end
return dropped
`

// endPlayerEntries: KEYS[1] a player's index (ZSET of player session ids,
// or "<fleet> <player session id>" as written before 2026-12-06, by the ms,
// on Redis's clock, from which its entry may be dropped: +inf while its
// game session lives). ARGV: 1 retention ms, 2 the fleet, then the player
// sessions of the fleet whose game session just ended, which may be dropped
// once the retention is over (in either form). Drops the entries whose time
// has come, and when no live entry is left gives the index the expiry of
// its last entry, so that a player's index goes with its last player
// session record. Returns the number of entries left.
const luaEndPlayerEntries = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 3, #ARGV do
	redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i], now + tonumber(ARGV[1]), ARGV[2] .. ' ' .. ARGV[i])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last == 0 then return 0 end
if last[2] ~= 'inf' then redis.call('PEXPIREAT', KEYS[1], string.format('%d', tonumber(last[2]))) end
return redis.call('ZCARD', KEYS[1])
`

// luaCreatePlayerSessionsChecks refuses, before any write, the n player
// sessions the game session cannot take, or whose ids are taken: their keys
// in the fleet, or their global index keys ids (empty when the script does
// not write them). It does not purge the fleet's indexes (luaGSPrelude):
// the game session it reads is live, and the indexes' readers purge.
const luaCreatePlayerSessionsChecks = `
local gs = redis.call('HMGET', KEYS[9], 's', 'pol', 'c', 'm')
if not gs[1] then return {'notfound'} end
if gs[1] ~= 'ACTIVE' then return {'status', gs[1]} end
if gs[2] == 'DENY_ALL' then return {'deny'} end
local add = 0
for i = 1, n do
	if holds(ARGV[5 * i - 1]) then add = add + 1 end
end
if tonumber(gs[3]) + add > tonumber(gs[4]) then return {'full', gs[3], gs[4]} end
local known = {unpack(KEYS, 11, 10 + n)}
for i, k in ipairs(ids) do known[n + i] = k end
local t = taken(known)
if t then return {'exists', ARGV[5 * ((t - 1) % n + 1) - 3]} end
`

// luaCreatePlayerSessionsWrites writes the n player sessions and answers.
const luaCreatePlayerSessionsWrites = `
local members = {}
for i = 1, n do
	local a = 5 * i - 3
	redis.call('HSET', KEYS[10 + i], 'b', ARGV[a + 1], 's', ARGV[a + 2], 'v', 1, 'e', '', 'p', ARGV[a + 4], 'g', ARGV[1])
	table.insert(members, ARGV[a + 3])
	table.insert(members, ARGV[a])
end
redis.call('ZADD', KEYS[10], unpack(members))
local held = redis.call('HINCRBY', KEYS[9], 'c', add)
touched(fleetTag(), ARGV[1])
return {'ok', tostring(held)}
`

// updatePlayerSession: KEYS[1] the player session, KEYS[2] its game
// session. ARGV: 1 expected version, 2 body, 3 status, 4 termination ns,
// 5 player id, 6 game session id.
// Returns {'ok', version}, {'notfound'}, {'conflict', version} or
// {'moved'}.
const luaUpdatePlayerSession = luaGSPrelude + `
local cur = redis.call('HMGET', KEYS[1], 's', 'v', 'p', 'g')
if not cur[1] then return {'notfound'} end
if cur[2] ~= ARGV[1] then return {'conflict', cur[2]} end
if cur[3] ~= ARGV[5] or cur[4] ~= ARGV[6] then return {'moved'} end
local v = tonumber(cur[2]) + 1
redis.call('HSET', KEYS[1], 'b', ARGV[2], 's', ARGV[3], 'v', v, 'e', ARGV[4])
local delta = 0
if holds(ARGV[3]) then delta = delta + 1 end
if holds(cur[1]) then delta = delta - 1 end
if delta ~= 0 and redis.call('EXISTS', KEYS[2]) == 1 then
	redis.call('HINCRBY', KEYS[2], 'c', delta)
	touched(gsTag(KEYS[2], ARGV[6]), ARGV[6])
end
return {'ok', v}
`

// timeOutReservations: KEYS[2i-1] a player session, KEYS[2i] its game
// session, all of one fleet. ARGV[3i-2] its expected version, ARGV[3i-1]
// its termination (unix ns), ARGV[3i] its game session id. Moves each
// still RESERVED at that version to TIMEDOUT; the count of a game session
// that still exists falls by those of its player sessions moved, in one
// HINCRBY, and it is touched once. Returns {'ok', i, version, ...} for
// those moved.
const luaTimeOutReservations = luaGSPrelude + `
local reply, fell, order = {'ok'}, {}, {}
for i = 1, #KEYS / 2 do
	local k, g = KEYS[2 * i - 1], KEYS[2 * i]
	local cur = redis.call('HMGET', k, 's', 'v')
	if cur[1] == 'RESERVED' and cur[2] == ARGV[3 * i - 2] then
		local v = tonumber(cur[2]) + 1
		redis.call('HSET', k, 's', 'TIMEDOUT', 'v', v, 'e', ARGV[3 * i - 1])
		if fell[g] then
			fell[g] = fell[g] + 1
		else
			fell[g] = 1
			table.insert(order, {g, ARGV[3 * i]})
		end
		table.insert(reply, i)
		table.insert(reply, v)
	end
end
for _, o in ipairs(order) do
	if redis.call('EXISTS', o[1]) == 1 then
		redis.call('HINCRBY', o[1], 'c', -fell[o[1]])
		touched(gsTag(o[1], o[2]), o[2])
	end
end
return reply
`

// listGameSessions: KEYS[1..8]. ARGV: 1 status (empty for all), 2 offset,
// 3 limit (0: all), 4 '1' for newest first. Returns {total, ids...}.
const luaListGameSessions = luaGSPrelude + `
purge()
local k = KEYS[1]
if ARGV[1] ~= '' then k = KEYS[statusKey[ARGV[1]]] end
local off, lim = tonumber(ARGV[2]), tonumber(ARGV[3])
local stop = -1
if lim > 0 then stop = off + lim - 1 end
local reply = {redis.call('ZCARD', k)}
local range = 'ZRANGE'
if ARGV[4] == '1' then range = 'ZREVRANGE' end
for _, id in ipairs(redis.call(range, k, off, stop)) do table.insert(reply, id) end
return reply
`

// gameSessionChanges: KEYS[1..8]. ARGV: 1 since. Returns {rev, reset,
// ids...}: reset '1' when since is 0, below the horizon or above the
// counter (the store lost its record: a Redis without persistence
// restarted), and then every game session the fleet remembers.
const luaGameSessionChanges = luaGSPrelude + `
purge()
local tag = fleetTag()
local since = tonumber(ARGV[1])
local rev = redis.call('GET', tag .. 'rev') or '0'
local reset = since == 0 or since < tonumber(redis.call('GET', tag .. 'horizon') or '0') or since > tonumber(rev)
local reply = {rev, reset and '1' or '0'}
local lo = '(' .. ARGV[1]
if reset then lo = '-inf' end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', tag .. 'changes', lo, '+inf')) do table.insert(reply, id) end
return reply
`

// deleteFleet: KEYS[1..8]. Returns {'ok'}, {'notfound'} or {'inuse', id,
// status}.
const luaDeleteFleet = luaGSPrelude + `
purge()
if redis.call('EXISTS', KEYS[8]) == 0 then return {'notfound'} end
for _, s in ipairs({'ACTIVATING', 'ACTIVE', 'TERMINATING'}) do
	local ids = redis.call('ZRANGE', KEYS[statusKey[s]], 0, 0)
	if #ids > 0 then return {'inuse', ids[1], s} end
end
redis.call('DEL', KEYS[8])
return {'ok'}
`

// casJSON replaces a JSON record carrying its Version: KEYS[1] a HASH,
// ARGV: 1 field, 2 expected version, 3 new JSON. Returns 1, 0 (not found)
// or -1 (another version).
const luaCasJSON = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
if tostring(cjson.decode(cur).Version) ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`

var gsScripts = struct {
	createGameSession, updateGameSession, createPlayerSessions, createPlayerSessionsIndexed, updatePlayerSession,
	timeOutReservations, listGameSessions, gameSessionChanges, deleteFleet, casJSON, endPlayerEntries,
	moveOldReservations, dropReservations *redis.Script
}{
	createGameSession:           redis.NewScript(luaCreateGameSession),
	updateGameSession:           redis.NewScript(luaUpdateGameSession),
	createPlayerSessions:        redis.NewScript(luaCreatePlayerSessions),
	createPlayerSessionsIndexed: redis.NewScript(luaCreatePlayerSessionsIndexed),
	updatePlayerSession:         redis.NewScript(luaUpdatePlayerSession),
	timeOutReservations:         redis.NewScript(luaTimeOutReservations),
	listGameSessions:            redis.NewScript(luaListGameSessions),
	gameSessionChanges:          redis.NewScript(luaGameSessionChanges),
	deleteFleet:                 redis.NewScript(luaDeleteFleet),
	casJSON:                     redis.NewScript(luaCasJSON),
	endPlayerEntries:            redis.NewScript(luaEndPlayerEntries),
	moveOldReservations:         redis.NewScript(luaMoveOldReservations),
	dropReservations:            redis.NewScript(luaDropReservations),
}
