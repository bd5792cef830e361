package store

import "github.com/redis/go-redis/v9"

// Lua scripts. Each runs atomically in Redis; the ticket scripts touch only
// keys of one configuration (one hash tag, so one cluster slot).
//
// Ticket scripts share a convention: KEYS[1] is the configuration's
// searching ZSET, KEYS[2] its deadlines ZSET, KEYS[3] its players HASH and
// KEYS[4] the versions of its searching tickets (HASH).
// A ticket HASH has the fields b (JSON body), s (status), v (version),
// r (status reason), sm (status message), e (end time, unix ns), m (match id),
// dl (deadline, unix ns), st (start time, unix ns) and p (player ids, JSON).
//
// A redis.call costs Redis about 1 us beyond the command's own work on the
// 2-core machine (2-3 us at 2,000 tickets a second, where each script finds
// Redis's caches cold), so the scripts make none they can spare: a version
// is computed rather than read back, a new key is not PERSISTed, the event
// counter is one INCR, the index entries of a batch of tickets leave in one
// call per index. Numbers reach the scripts as strings and stay strings
// where they can (a version, a millisecond score): a Lua number costs a
// formatting on its way to Redis.

const luaTicketPrelude = `
local function terminal(s)
	return s == 'COMPLETED' or s == 'FAILED' or s == 'CANCELLED' or s == 'TIMED_OUT'
end
-- ms is the millisecond of a unix ns time (a decimal string): its digits
-- without the last six, a string ZADD takes, so that no number is parsed
-- or formatted; arithmetic only before 1970 and in its first millisecond.
local function ms(ns)
	if ns == false or ns == '' then return '0' end
	if #ns > 6 and string.byte(ns, 1) ~= 45 then return string.sub(ns, 1, -7) end
	return math.floor(tonumber(ns) / 1000000)
end
-- bulk calls cmd on key with items as its further arguments, in chunks
-- that unpack can take, and returns the replies one after the other.
local function bulk(cmd, key, items)
	local out = {}
	for first = 1, #items, 1000 do
		local r = redis.call(cmd, key, unpack(items, first, math.min(first + 999, #items)))
		if type(r) == 'table' then
			for _, x in ipairs(r) do table.insert(out, x) end
		end
	end
	return out
end
-- unindexAll removes the tickets ids (players[i] the player ids of ids[i])
-- from the searching and deadline ZSETs and the versions HASH, and each
-- player's entry that names the player's ticket from the players HASH: five
-- calls for any number of tickets.
local function unindexAll(ids, players)
	bulk('ZREM', KEYS[1], ids)
	bulk('HDEL', KEYS[4], ids)
	bulk('ZREM', KEYS[2], ids)
	local pids, owners = {}, {}
	for i, list in ipairs(players) do
		for _, pid in ipairs(list) do
			table.insert(pids, pid)
			table.insert(owners, ids[i])
		end
	end
	if #pids == 0 then return end
	local held = bulk('HMGET', KEYS[3], pids)
	local gone = {}
	for j, pid in ipairs(pids) do
		if held[j] == owners[j] then table.insert(gone, pid) end
	end
	if #gone > 0 then bulk('HDEL', KEYS[3], gone) end
end
local function unindex(id, players)
	unindexAll({id}, {players})
end
-- index adds a ticket written with status and version (a string) to the
-- indexes its status calls for, or sets its expiry when terminal.
local function index(tkey, id, status, players, deadline, start, retention, version, fresh)
	if terminal(status) then
		redis.call('PEXPIRE', tkey, retention)
		return
	end
	if not fresh then redis.call('PERSIST', tkey) end
	local entries = {}
	for _, pid in ipairs(players) do
		table.insert(entries, pid)
		table.insert(entries, id)
	end
	if #entries > 0 then bulk('HSET', KEYS[3], entries) end
	if deadline ~= false and deadline ~= '' then
		redis.call('ZADD', KEYS[2], ms(deadline), id)
	end
	if status == 'SEARCHING' then
		redis.call('ZADD', KEYS[1], ms(start), id)
		redis.call('HSET', KEYS[4], id, version)
	end
end
`

// createTicket: KEYS[5] the new ticket, KEYS[6] the event sequence counter,
// KEYS[7] the event stream; on one Redis server (not a Cluster) also KEYS[8]
// the global id entry and KEYS[9] the configurations HASH, so that the id
// and the configuration are checked and the id entry written in the same
// step. ARGV: 1 id, 2 ticket key prefix of the configuration, 3 body,
// 4 status, 5 reason, 6 message, 7 end, 8 match id, 9 deadline, 10 start,
// 11 player ids JSON, 12 retention ms, 13 now ns, 14 '1' to append an event,
// 15 event payload, 16 event log length, 17 event ticket ids JSON; with
// KEYS[8]: 18 configuration name, 19 id entry value, 20 key prefix, 21 now
// ms, 22 id pending window ms.
// Every check comes before the first write, and the XADD, the one write
// whose success depends on stored data (its id must exceed the stream's
// last), comes first after the counter's INCR, which is undone if the XADD
// fails, so that a refusal or an error leaves nothing written.
// Returns {'ok', event seq or 0, cancelled ids...}, {'exists'},
// {'notfound'} or {'placing', player, ticket}.
const luaCreateTicket = luaTicketPrelude + `
local global = #KEYS == 9
if global then
	if redis.call('HEXISTS', KEYS[9], ARGV[18]) == 0 then return {'notfound'} end
	local cur = redis.call('GET', KEYS[8])
	if cur then
		local cfg, at = cur, 0
		local sep = string.find(cur, '|[^|]*$')
		if sep then
			cfg = string.sub(cur, 1, sep - 1)
			at = tonumber(string.sub(cur, sep + 1)) or 0
		end
		if redis.call('EXISTS', ARGV[20] .. '{' .. cfg .. '}:t:' .. ARGV[1]) == 1 then return {'exists'} end
		if tonumber(ARGV[21]) - at < tonumber(ARGV[22]) then return {'exists'} end
	end
end
-- With the global id entry, no entry means no ticket: the entry is written
-- with the ticket and expires with it. Without it, the key itself is looked
-- at.
if not global and redis.call('EXISTS', KEYS[5]) == 1 then return {'exists'} end
local players = cjson.decode(ARGV[11])
local dups = {}
if not terminal(ARGV[4]) then
	local seen = {}
	for _, pid in ipairs(players) do
		local old = redis.call('HGET', KEYS[3], pid)
		if old and old ~= ARGV[1] and not seen[old] then
			local st = redis.call('HGET', ARGV[2] .. old, 's')
			if st and not terminal(st) then
				if st == 'PLACING' then return {'placing', pid, old} end
				seen[old] = true
				table.insert(dups, old)
			end
		end
	end
end
local seq = 0
if ARGV[14] == '1' then
	seq = redis.call('INCR', KEYS[6])
	local added = redis.pcall('XADD', KEYS[7], 'MAXLEN', '=', ARGV[16], seq .. '-0', 't', ARGV[17], 'p', ARGV[15])
	if type(added) == 'table' and added.err then
		redis.call('DECR', KEYS[6])
		return added
	end
end
for _, old in ipairs(dups) do
	local okey = ARGV[2] .. old
	unindex(old, cjson.decode(redis.call('HGET', okey, 'p')))
	redis.call('HSET', okey, 's', 'CANCELLED', 'r', '` + DuplicatePlayerReason + `', 'e', ARGV[13])
	redis.call('HINCRBY', okey, 'v', 1)
	redis.call('PEXPIRE', okey, ARGV[12])
	if global then redis.call('PEXPIRE', ARGV[20] .. 'tid:' .. old, ARGV[12]) end
end
redis.call('HSET', KEYS[5], 'b', ARGV[3], 's', ARGV[4], 'r', ARGV[5], 'sm', ARGV[6], 'e', ARGV[7],
	'm', ARGV[8], 'dl', ARGV[9], 'st', ARGV[10], 'p', ARGV[11], 'v', '1')
index(KEYS[5], ARGV[1], ARGV[4], players, ARGV[9], ARGV[10], ARGV[12], '1', true)
if global then
	redis.call('SET', KEYS[8], ARGV[19])
	if terminal(ARGV[4]) then redis.call('PEXPIRE', KEYS[8], ARGV[12]) end
end
return {'ok', seq, unpack(dups)}
`

// updateTicket: KEYS[5] the ticket; on one Redis server (not a Cluster)
// also KEYS[6] its global id entry, whose expiry follows the ticket's in the
// same step. ARGV: 1 id, 2 expected version, then 3-11 as createTicket, 12
// retention ms. Returns {'ok', new version, old status}, {'notfound'} or
// {'conflict', stored version}.
const luaUpdateTicket = luaTicketPrelude + `
local cur = redis.call('HMGET', KEYS[5], 'v', 'p', 's')
if not cur[1] then return {'notfound'} end
if cur[1] ~= ARGV[2] then return {'conflict', cur[1]} end
unindex(ARGV[1], cjson.decode(cur[2]))
local v = tonumber(cur[1]) + 1
redis.call('HSET', KEYS[5], 'b', ARGV[3], 's', ARGV[4], 'r', ARGV[5], 'sm', ARGV[6], 'e', ARGV[7],
	'm', ARGV[8], 'dl', ARGV[9], 'st', ARGV[10], 'p', ARGV[11], 'v', v)
index(KEYS[5], ARGV[1], ARGV[4], cjson.decode(ARGV[11]), ARGV[9], ARGV[10], ARGV[12], v, false)
if #KEYS == 6 then
	if terminal(ARGV[4]) then
		redis.call('PEXPIRE', KEYS[6], ARGV[12])
	elseif terminal(cur[3]) then
		redis.call('PERSIST', KEYS[6])
	end
end
return {'ok', v, cur[3]}
`

// updateTickets: KEYS[5] the event sequence counter, KEYS[6] the event
// stream, KEYS[7..6+n] the n tickets; on one Redis server also
// KEYS[7+n..6+2n] their global id entries. ARGV: 1 n, 2 retention ms, 3
// event log length, then 12 per ticket (id, expected version, new version
// (expected + 1), then 3-11 as createTicket), then 2 per event (ticket ids
// JSON, payload). Every check comes first, then the events (XADD, whose id
// must exceed the stream's last, before any other write), then the
// tickets: all leave their indexes at once, then each is written and
// indexed. Returns {'ok', new versions..., event seqs...}, {'notfound', id}
// or {'conflict', id, stored version}.
const luaUpdateTickets = luaTicketPrelude + `
local n = tonumber(ARGV[1])
local cur = {}
for i = 1, n do
	local a = 3 + (i - 1) * 12
	local f = redis.call('HMGET', KEYS[6 + i], 'v', 'p', 's')
	if not f[1] then return {'notfound', ARGV[a + 1]} end
	if f[1] ~= ARGV[a + 2] then return {'conflict', ARGV[a + 1], f[1]} end
	cur[i] = f
end
local seqs = {}
local first = 4 + n * 12
if first <= #ARGV then
	local seq = tonumber(redis.call('GET', KEYS[5]) or '0')
	for j = first, #ARGV, 2 do
		seq = seq + 1
		redis.call('XADD', KEYS[6], 'MAXLEN', '=', ARGV[3], seq .. '-0', 't', ARGV[j], 'p', ARGV[j + 1])
		table.insert(seqs, seq)
	end
	redis.call('SET', KEYS[5], seq)
end
local ids, players = {}, {}
for i = 1, n do
	ids[i] = ARGV[3 + (i - 1) * 12 + 1]
	players[i] = cjson.decode(cur[i][2])
end
unindexAll(ids, players)
local out = {'ok'}
for i = 1, n do
	local a = 3 + (i - 1) * 12
	local k = KEYS[6 + i]
	local v = ARGV[a + 3]
	redis.call('HSET', k, 'b', ARGV[a + 4], 's', ARGV[a + 5], 'r', ARGV[a + 6], 'sm', ARGV[a + 7], 'e', ARGV[a + 8],
		'm', ARGV[a + 9], 'dl', ARGV[a + 10], 'st', ARGV[a + 11], 'p', ARGV[a + 12], 'v', v)
	table.insert(out, v)
	index(k, ids[i], ARGV[a + 5], cjson.decode(ARGV[a + 12]), ARGV[a + 10], ARGV[a + 11], ARGV[2], v, false)
	if #KEYS == 6 + 2 * n then
		local idk = KEYS[6 + n + i]
		if terminal(ARGV[a + 5]) then
			redis.call('PEXPIRE', idk, ARGV[2])
		elseif terminal(cur[i][3]) then
			redis.call('PERSIST', idk)
		end
	end
end
for _, seq in ipairs(seqs) do table.insert(out, seq) end
return out
`

// claim: KEYS[5..] the tickets. ARGV: 1 match id, 2 new status, 3 retention
// ms, then id and expected version per ticket. Returns {'ok'} or
// {'conflict', id, status, version}.
const luaClaim = luaTicketPrelude + `
local n = #KEYS - 4
local ending = terminal(ARGV[2])
local ids, players = {}, {}
for i = 1, n do
	local f = redis.call('HMGET', KEYS[4 + i], 's', 'v', 'p')
	if f[1] ~= 'SEARCHING' or f[2] ~= ARGV[3 + 2 * i] then
		return {'conflict', ARGV[2 + 2 * i], f[1] or '', f[2] or ''}
	end
	ids[i] = ARGV[2 + 2 * i]
	-- Only an ending claim takes the players' entries out.
	if ending then players[i] = cjson.decode(f[3]) end
end
if ending then
	unindexAll(ids, players)
elseif ARGV[2] ~= 'SEARCHING' then
	bulk('ZREM', KEYS[1], ids)
	bulk('HDEL', KEYS[4], ids)
end
for i = 1, n do
	local k = KEYS[4 + i]
	local id = ids[i]
	if ending then redis.call('PEXPIRE', k, ARGV[3]) end
	redis.call('HSET', k, 's', ARGV[2], 'm', ARGV[1])
	local v = redis.call('HINCRBY', k, 'v', 1)
	if ARGV[2] == 'SEARCHING' then
		redis.call('HSET', KEYS[4], id, v)
	end
end
return {'ok'}
`

// Meta scripts: KEYS are metaKeys (1 rule sets, 2 configurations,
// 3 configuration -> rule set, 4 queues, 5 configuration -> JSON list of the
// queues it names).
//
// putConfiguration: ARGV 1 name, 2 rule set name, 3 JSON, 4 '1' to create
// or '0' to update, 5 JSON list of the queues it names, 6... those queues.
// Returns 'ok', 'exists', 'notfound', 'norules' or 'noqueue:<queue>'.
const luaPutConfiguration = `
local present = redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1
if ARGV[4] == '1' and present then return 'exists' end
if ARGV[4] == '0' and not present then return 'notfound' end
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 0 then return 'norules' end
for i = 6, #ARGV do
	if redis.call('HEXISTS', KEYS[4], ARGV[i]) == 0 then return 'noqueue:' .. ARGV[i] end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
if #ARGV > 5 then
	redis.call('HSET', KEYS[5], ARGV[1], ARGV[5])
else
	redis.call('HDEL', KEYS[5], ARGV[1])
end
return 'ok'
`

// deleteConfiguration: ARGV 1 name. Returns 1 if deleted.
const luaDeleteConfiguration = `
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return redis.call('HDEL', KEYS[2], ARGV[1])
`

// deleteRuleSet: ARGV 1 name. Returns {'ok'}, {'notfound'} or {'inuse', configuration}.
const luaDeleteRuleSet = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {'notfound'} end
local refs = redis.call('HGETALL', KEYS[3])
for i = 1, #refs, 2 do
	if refs[i + 1] == ARGV[1] then return {'inuse', refs[i]} end
end
redis.call('HDEL', KEYS[1], ARGV[1])
return {'ok'}
`

// updateQueue: ARGV 1 name, 2 JSON. Returns 1 if the queue existed and was
// replaced.
const luaUpdateQueue = `
if redis.call('HEXISTS', KEYS[4], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
return 1
`

// deleteQueue: ARGV 1 name. Returns {'ok'}, {'notfound'} or {'inuse', configuration}.
const luaDeleteQueue = `
if redis.call('HEXISTS', KEYS[4], ARGV[1]) == 0 then return {'notfound'} end
local refs = redis.call('HGETALL', KEYS[5])
for i = 1, #refs, 2 do
	for _, q in ipairs(cjson.decode(refs[i + 1])) do
		if q == ARGV[1] then return {'inuse', refs[i]} end
	end
end
redis.call('HDEL', KEYS[4], ARGV[1])
return {'ok'}
`

// compareAndDelete: KEYS[1]; ARGV 1 expected value. Deletes the key only if
// it holds that value.
const luaCompareAndDelete = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

// compareAndSet: KEYS[1]; ARGV 1 expected value, 2 new value.
const luaCompareAndSet = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
	redis.call('SET', KEYS[1], ARGV[2])
	return 1
end
return 0
`

// Lease scripts: KEYS[1] the lease. acquire: ARGV 1 owner, 2 ttl ms; returns
// ” when acquired, else the holder.
const luaAcquireLease = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return '' end
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
	return ''
end
return holder
`

// renewLease: ARGV 1 owner, 2 ttl ms. releaseLease: ARGV 1 owner, 2 ”.
// Both return {'ok'}, {'notfound'} or {'conflict', holder}.
const luaRenewLease = `
local holder = redis.call('GET', KEYS[1])
if not holder then return {'notfound'} end
if holder ~= ARGV[1] then return {'conflict', holder} end
if ARGV[2] == '' then
	redis.call('DEL', KEYS[1])
else
	redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return {'ok'}
`

// appendEvent: KEYS[1] sequence counter, KEYS[2] stream. ARGV 1 max length,
// 2 ticket ids JSON, 3 payload. Returns the sequence number.
const luaAppendEvent = `
local seq = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '=', ARGV[1], seq .. '-0', 't', ARGV[2], 'p', ARGV[3])
return seq
`

type redisScripts struct {
	createTicket, updateTicket, updateTickets, claim     *redis.Script
	putConfiguration, deleteConfiguration, deleteRuleSet *redis.Script
	updateQueue, deleteQueue                             *redis.Script
	compareAndDelete, compareAndSet                      *redis.Script
	acquireLease, renewLease, appendEvent                *redis.Script
}

func newRedisScripts() redisScripts {
	return redisScripts{
		createTicket:        redis.NewScript(luaCreateTicket),
		updateTicket:        redis.NewScript(luaUpdateTicket),
		updateTickets:       redis.NewScript(luaUpdateTickets),
		claim:               redis.NewScript(luaClaim),
		putConfiguration:    redis.NewScript(luaPutConfiguration),
		deleteConfiguration: redis.NewScript(luaDeleteConfiguration),
		deleteRuleSet:       redis.NewScript(luaDeleteRuleSet),
		updateQueue:         redis.NewScript(luaUpdateQueue),
		deleteQueue:         redis.NewScript(luaDeleteQueue),
		compareAndDelete:    redis.NewScript(luaCompareAndDelete),
		compareAndSet:       redis.NewScript(luaCompareAndSet),
		acquireLease:        redis.NewScript(luaAcquireLease),
		renewLease:          redis.NewScript(luaRenewLease),
		appendEvent:         redis.NewScript(luaAppendEvent),
	}
}
