package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Key names of fleets, aliases and sessions (docs/store.md). A fleet's
// record, game sessions, player sessions and their indexes carry the hash
// tag {f:FLEETID}; the fleet list and the aliases are meta keys; two global
// indexes (player session id -> fleet, player id -> player sessions) are
// written before the fleet's script and checked on read.

func (r *Redis) fleetTag(fleet string) string { return r.fleetKeySet(fleet).tag }

func (r *Redis) fleetRecordKey(fleet string) string { return r.fleetKeySet(fleet).record }

func (r *Redis) fleetsKey() string { return r.metaKey("fleets") }

func (r *Redis) aliasesKey() string { return r.metaKey("aliases") }

func (r *Redis) gameSessionKey(fleet, id string) string { return r.fleetTag(fleet) + "gs:" + id }

func (r *Redis) sessionPlayersKey(fleet, id string) string { return r.fleetTag(fleet) + "gsps:" + id }

func (r *Redis) playerSessionPrefix(fleet string) string { return r.fleetKeySet(fleet).psPrefix }

func (r *Redis) psFleetKey(id string) string { return r.opts.Prefix + "psf:" + id }

// playerKey is a player's index: a ZSET of player session ids by the ms
// from which the entry may be dropped (+inf while its game session lives),
// expiring with its last entry once none is live (see luaEndPlayerEntries).
// An entry is the bare id, whose fleet psFleetKey holds, so that a player's
// index of entries up to 64 bytes stays a listpack (zset-max-listpack-value):
// as "<fleet> <id>", the form written before 2026-12-06 and still read, each
// new index was a skiplist, 1 KB of Redis memory and twice the CPU.
func (r *Redis) playerKey(player string) string { return r.opts.Prefix + "pl:" + player }

// reservedKey is the global index of player sessions created RESERVED, for
// DueReservations: a LIST of reservationEntry in the order they were created,
// appended to by the create. TimeOutReservations drops the entries of those
// it moves; DueReservations drops the entries of those it finds no longer
// RESERVED. Others (connected, ended with their game session) wait for
// DueReservations: an append and a removal near the head cost Redis the
// same whatever the list's length, where the sorted set it replaces
// (oldReservedKey) cost a skiplist insertion per entry (20 us for a call's
// four at 120,000 entries).
func (r *Redis) reservedKey() string { return r.metaKey("reservations") }

// oldReservedKey is the index of reservations written before 2026-12-06: a
// ZSET of "<fleet id> <player session id>" by creation ms. DueReservations
// moves what it holds into reservedKey (moveOldReservations).
func (r *Redis) oldReservedKey() string { return r.metaKey("reserved") }

// fleetKeys are KEYS[1..8] of the game session scripts (see luaGSPrelude),
// with room for extra more.
func (r *Redis) fleetKeys(fleet string, extra int) []string {
	set := r.fleetKeySet(fleet)
	return append(make([]string, 0, len(set.keys)+extra), set.keys...)
}

// fleetKeySet is what a fleet's keys are made of: its hash tag, KEYS[1..8]
// of the game session scripts, its record's key and its player sessions'
// prefix.
type fleetKeySet struct {
	tag, record, psPrefix string
	keys                  []string
}

// fleetKeySet returns fleet's key set, made once: a CreatePlayerSessions
// made ten key strings of its fleet for each call.
func (r *Redis) fleetKeySet(fleet string) *fleetKeySet {
	return r.fleetSets.Get(fleet, r.newFleetKeySet)
}

func (r *Redis) newFleetKeySet(fleet string) *fleetKeySet {
	tag := r.opts.Prefix + "{f:" + fleet + "}:"
	set := &fleetKeySet{tag: tag, record: tag + "fleet", psPrefix: tag + "ps:"}
	set.keys = append(set.keys, tag+"gss", tag+"ended")
	for _, s := range gameSessionStatuses {
		set.keys = append(set.keys, tag+"gss:"+string(s))
	}
	set.keys = append(set.keys, set.record)
	return set
}

// fleetField is the field of the fleet record HASH.
const fleetField = "f"

// CreateFleet implements GameSessions.
func (r *Redis) CreateFleet(ctx context.Context, f Fleet) error {
	f.Version = 1
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("create fleet %s: %w", f.FleetId, err)
	}
	created, err := r.hSetNXWrite(ctx, r.fleetRecordKey(f.FleetId), fleetField, b)
	if err != nil {
		return fmt.Errorf("create fleet %s: %w", f.FleetId, err)
	}
	if !created {
		return fmt.Errorf("create fleet %s: %w", f.FleetId, ErrExists)
	}
	if err := r.c.ZAdd(ctx, r.fleetsKey(), redis.Z{Score: float64(f.CreationTime.UnixMilli()), Member: f.FleetId}).Err(); err != nil {
		return fmt.Errorf("create fleet %s: list it: %w", f.FleetId, err)
	}
	return nil
}

// GetFleet implements GameSessions.
func (r *Redis) GetFleet(ctx context.Context, id string) (Fleet, error) {
	var f Fleet
	if err := r.getJSON(ctx, r.fleetRecordKey(id), fleetField, &f); err != nil {
		return Fleet{}, fmt.Errorf("get fleet %s: %w", id, err)
	}
	return f, nil
}

// ListFleets implements GameSessions.
func (r *Redis) ListFleets(ctx context.Context) ([]Fleet, error) {
	ids, err := r.c.ZRange(ctx, r.fleetsKey(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list fleets: %w", err)
	}
	pipe := r.c.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, r.fleetRecordKey(id), fleetField)
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, fmt.Errorf("list fleets: %w", err)
	}
	out := make([]Fleet, 0, len(ids))
	for _, cmd := range cmds {
		b, err := cmd.Bytes()
		if isNil(err) {
			continue
		}
		var f Fleet
		if err == nil {
			err = json.Unmarshal(b, &f)
		}
		if err != nil {
			return nil, fmt.Errorf("list fleets: %w", err)
		}
		out = append(out, f)
	}
	sortFleets(out)
	return out, nil
}

// UpdateFleet implements GameSessions.
func (r *Redis) UpdateFleet(ctx context.Context, f Fleet) (int64, error) {
	v, err := r.casJSON(ctx, r.fleetRecordKey(f.FleetId), fleetField, f.Version, func(v int64) any { f.Version = v; return f })
	if err != nil {
		return 0, fmt.Errorf("update fleet %s: %w", f.FleetId, err)
	}
	return v, nil
}

// casJSON stores next(version+1) as JSON in key's field if the stored
// record is at version.
func (r *Redis) casJSON(ctx context.Context, key, field string, version int64, next func(int64) any) (int64, error) {
	b, err := json.Marshal(next(version + 1))
	if err != nil {
		return 0, err
	}
	n, err := r.runWrite(ctx, r.c, gsScripts.casJSON, []string{key}, field, version, b).Int()
	switch {
	case err != nil:
		return 0, err
	case n == 0:
		return 0, ErrNotFound
	case n < 0:
		return 0, fmt.Errorf("not at version %d: %w", version, ErrConflict)
	}
	return version + 1, nil
}

// DeleteFleet implements GameSessions.
func (r *Redis) DeleteFleet(ctx context.Context, id string) error {
	reply, err := r.writeStrings(ctx, gsScripts.deleteFleet, r.fleetKeys(id, 0))
	if err != nil {
		return fmt.Errorf("delete fleet %s: %w", id, err)
	}
	switch reply[0] {
	case "ok":
	case "notfound":
		return fmt.Errorf("delete fleet %s: %w", id, ErrNotFound)
	default:
		return fmt.Errorf("delete fleet %s: game session %s is %s: %w", id, reply[1], reply[2], ErrInUse)
	}
	if err := r.c.ZRem(ctx, r.fleetsKey(), id).Err(); err != nil {
		return fmt.Errorf("delete fleet %s: unlist it: %w", id, err)
	}
	return nil
}

func (r *Redis) runStrings(ctx context.Context, s *redis.Script, keys []string, args ...any) ([]string, error) {
	v, err := s.Run(ctx, r.c, keys, args...).Result()
	if err != nil {
		return nil, err
	}
	return replyStrings(v)
}

// writeStrings is runStrings for a script that writes: with
// Options.WaitReplicas it waits for the replicas as runWrite does.
func (r *Redis) writeStrings(ctx context.Context, s *redis.Script, keys []string, args ...any) ([]string, error) {
	return r.writeStringsVia(ctx, r.c, s, keys, args...)
}

// writeStringsVia is writeStrings sent through via (the client, or the
// creates' batcher).
func (r *Redis) writeStringsVia(ctx context.Context, via redis.Scripter, s *redis.Script, keys []string, args ...any) ([]string, error) {
	v, err := r.runWrite(ctx, via, s, keys, args...).Result()
	if err != nil {
		return nil, err
	}
	return replyStrings(v)
}

// CreateAlias implements GameSessions.
func (r *Redis) CreateAlias(ctx context.Context, a Alias) error {
	a.Version = 1
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("create alias %s: %w", a.AliasId, err)
	}
	created, err := r.hSetNXWrite(ctx, r.aliasesKey(), a.AliasId, b)
	if err != nil {
		return fmt.Errorf("create alias %s: %w", a.AliasId, err)
	}
	if !created {
		return fmt.Errorf("create alias %s: %w", a.AliasId, ErrExists)
	}
	return nil
}

// GetAlias implements GameSessions.
func (r *Redis) GetAlias(ctx context.Context, id string) (Alias, error) {
	var a Alias
	if err := r.getJSON(ctx, r.aliasesKey(), id, &a); err != nil {
		return Alias{}, fmt.Errorf("get alias %s: %w", id, err)
	}
	return a, nil
}

// ListAliases implements GameSessions.
func (r *Redis) ListAliases(ctx context.Context) ([]Alias, error) {
	out, err := listJSON[Alias](ctx, r, r.aliasesKey())
	if err != nil {
		return nil, fmt.Errorf("list aliases: %w", err)
	}
	sortAliases(out)
	return out, nil
}

// UpdateAlias implements GameSessions.
func (r *Redis) UpdateAlias(ctx context.Context, a Alias) (int64, error) {
	v, err := r.casJSON(ctx, r.aliasesKey(), a.AliasId, a.Version, func(v int64) any { a.Version = v; return a })
	if err != nil {
		return 0, fmt.Errorf("update alias %s: %w", a.AliasId, err)
	}
	return v, nil
}

// DeleteAlias implements GameSessions.
func (r *Redis) DeleteAlias(ctx context.Context, id string) error {
	n, err := r.c.HDel(ctx, r.aliasesKey(), id).Result()
	if err != nil {
		return fmt.Errorf("delete alias %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("delete alias %s: %w", id, ErrNotFound)
	}
	return nil
}

// gameSessionBody is the b field of a game session HASH.
func gameSessionBody(gs GameSession) ([]byte, error) {
	gs.Status, gs.Version, gs.CurrentPlayerSessionCount = "", 0, 0
	return json.Marshal(gs)
}

// decodeGameSession rebuilds a game session from its b, s, v and c fields;
// ok is false when it does not exist.
func decodeGameSession(f []string) (gs GameSession, ok bool, err error) {
	if len(f) < 4 || f[0] == "" {
		return GameSession{}, false, nil
	}
	if err := json.Unmarshal([]byte(f[0]), &gs); err != nil {
		return GameSession{}, false, fmt.Errorf("decode game session: %w", err)
	}
	gs.Status = GameSessionStatus(f[1])
	if gs.Version, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return GameSession{}, false, fmt.Errorf("decode game session %s version: %w", gs.GameSessionId, err)
	}
	if gs.CurrentPlayerSessionCount, err = strconv.Atoi(f[3]); err != nil {
		return GameSession{}, false, fmt.Errorf("decode game session %s count: %w", gs.GameSessionId, err)
	}
	return gs, true, nil
}

func anyStrings(vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i], _ = v.(string)
	}
	return out
}

// CreateGameSession implements GameSessions.
func (r *Redis) CreateGameSession(ctx context.Context, gs GameSession, limit CreatorLimit) (GameSession, bool, error) {
	if err := checkNewGameSession(&gs); err != nil {
		return GameSession{}, false, err
	}
	gs.Version, gs.CurrentPlayerSessionCount = 1, 0
	b, err := gameSessionBody(gs)
	if err != nil {
		return GameSession{}, false, fmt.Errorf("create game session %s: %w", gs.GameSessionId, err)
	}
	keys := append(r.fleetKeys(gs.FleetId, 2), r.gameSessionKey(gs.FleetId, gs.GameSessionId), r.fleetTag(gs.FleetId)+"cr:"+gs.CreatorId)
	ct := gs.CreationTime.UnixMilli()
	flexMatch := "0"
	if gs.FlexMatch {
		flexMatch = "1"
	}
	reply, err := r.writeStrings(ctx, gsScripts.createGameSession, keys,
		gs.GameSessionId, b, string(gs.Status), gs.MaximumPlayerSessionCount, gs.PlayerSessionCreationPolicy, ct,
		gs.IdempotencyToken, limit.Max, ct-limit.Period.Milliseconds(), r.opts.SessionRetention.Milliseconds(),
		gs.CreatorId, max(limit.Period.Milliseconds(), 1), flexMatch)
	if err != nil {
		return GameSession{}, false, fmt.Errorf("create game session %s: %w", gs.GameSessionId, err)
	}
	switch reply[0] {
	case "ok":
		return gs, true, nil
	case "same":
		stored, _, err := decodeGameSession(reply[1:])
		if err != nil {
			return GameSession{}, false, fmt.Errorf("create game session %s: %w", gs.GameSessionId, err)
		}
		return stored, false, nil
	case "exists":
		return GameSession{}, false, fmt.Errorf("create game session %s: %w", gs.GameSessionId, ErrExists)
	case "notfound":
		return GameSession{}, false, fmt.Errorf("create game session %s: fleet %s: %w", gs.GameSessionId, gs.FleetId, ErrNotFound)
	default:
		return GameSession{}, false, fmt.Errorf("create game session %s: creator %s has created %s in %v: %w",
			gs.GameSessionId, gs.CreatorId, reply[1], limit.Period, ErrLimitExceeded)
	}
}

// GetGameSession implements GameSessions.
func (r *Redis) GetGameSession(ctx context.Context, id string) (GameSession, error) {
	gss, err := r.readGameSessions(ctx, []string{id})
	if err != nil {
		return GameSession{}, fmt.Errorf("get game session %s: %w", id, err)
	}
	if len(gss) == 0 {
		return GameSession{}, fmt.Errorf("get game session %s: %w", id, ErrNotFound)
	}
	return gss[0], nil
}

// readGameSessions reads the game sessions that exist among ids, in order.
func (r *Redis) readGameSessions(ctx context.Context, ids []string) ([]GameSession, error) {
	pipe := r.c.Pipeline()
	cmds := make([]*redis.SliceCmd, 0, len(ids))
	for _, id := range ids {
		if fleet := GameSessionFleet(id); fleet != "" {
			cmds = append(cmds, pipe.HMGet(ctx, r.gameSessionKey(fleet, id), "b", "s", "v", "c"))
		}
	}
	if len(cmds) == 0 {
		return nil, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := make([]GameSession, 0, len(cmds))
	for _, cmd := range cmds {
		gs, ok, err := decodeGameSession(anyStrings(cmd.Val()))
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, gs)
		}
	}
	return out, nil
}

// ListGameSessions implements GameSessions.
func (r *Redis) ListGameSessions(ctx context.Context, f GameSessionFilter, p Page) ([]GameSession, string, error) {
	offset, err := pageOffset(p)
	if err != nil {
		return nil, "", fmt.Errorf("list game sessions of fleet %s: %w", f.FleetID, err)
	}
	if f.Status != "" {
		if err := checkGameSessionStatus(&GameSession{Status: f.Status}); err != nil {
			return nil, "", fmt.Errorf("list game sessions of fleet %s: %w", f.FleetID, err)
		}
	}
	newest := "0"
	if f.NewestFirst {
		newest = "1"
	}
	reply, err := r.runStrings(ctx, gsScripts.listGameSessions, r.fleetKeys(f.FleetID, 0), string(f.Status), offset, max(p.Limit, 0), newest)
	if err != nil {
		return nil, "", fmt.Errorf("list game sessions of fleet %s: %w", f.FleetID, err)
	}
	total, err := strconv.Atoi(reply[0])
	if err != nil {
		return nil, "", fmt.Errorf("list game sessions of fleet %s: %w", f.FleetID, err)
	}
	out, err := r.readGameSessions(ctx, reply[1:])
	if err != nil {
		return nil, "", fmt.Errorf("list game sessions of fleet %s: %w", f.FleetID, err)
	}
	next := ""
	if end := offset + len(reply) - 1; p.Limit > 0 && end < total {
		next = strconv.Itoa(end)
	}
	return out, next, nil
}

// UpdateGameSession implements GameSessions.
func (r *Redis) UpdateGameSession(ctx context.Context, gs GameSession) (int64, error) {
	if err := checkGameSessionStatus(&gs); err != nil {
		return 0, fmt.Errorf("update %w", err)
	}
	fleet := GameSessionFleet(gs.GameSessionId)
	if fleet == "" {
		return 0, fmt.Errorf("update game session %s: %w", gs.GameSessionId, ErrNotFound)
	}
	b, err := gameSessionBody(gs)
	if err != nil {
		return 0, fmt.Errorf("update game session %s: %w", gs.GameSessionId, err)
	}
	sameFleet := "0"
	if gs.FleetId == fleet {
		sameFleet = "1"
	}
	keys := append(r.fleetKeys(fleet, 2), r.gameSessionKey(fleet, gs.GameSessionId), r.sessionPlayersKey(fleet, gs.GameSessionId))
	reply, err := r.writeStrings(ctx, gsScripts.updateGameSession, keys,
		gs.GameSessionId, b, string(gs.Status), gs.Version, gs.MaximumPlayerSessionCount, gs.PlayerSessionCreationPolicy,
		r.opts.SessionRetention.Milliseconds(), r.playerSessionPrefix(fleet), nsString(gs.TerminationTime), sameFleet)
	if err != nil {
		return 0, fmt.Errorf("update game session %s: %w", gs.GameSessionId, err)
	}
	switch reply[0] {
	case "ok", "ended":
		v, err := strconv.ParseInt(reply[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("update game session %s: %w", gs.GameSessionId, err)
		}
		r.expirePlayerIndex(ctx, fleet, reply[2:])
		return v, nil
	case "notfound":
		return 0, fmt.Errorf("update game session %s: %w", gs.GameSessionId, ErrNotFound)
	case "conflict":
		return 0, fmt.Errorf("update game session %s: at version %s, not %d: %w", gs.GameSessionId, reply[1], gs.Version, ErrConflict)
	case "moved":
		return 0, fmt.Errorf("update game session %s: fleet %s cannot become %s: %w", gs.GameSessionId, fleet, gs.FleetId, ErrConflict)
	case "over":
		return 0, fmt.Errorf("update game session %s: maximum %d below its %s player sessions: %w", gs.GameSessionId, gs.MaximumPlayerSessionCount, reply[1], ErrConflict)
	default:
		return 0, fmt.Errorf("update game session %s: %s cannot become %s: %w", gs.GameSessionId, reply[1], gs.Status, ErrConflict)
	}
}

// expirePlayerIndex gives the global index entries of the player sessions
// of an ended game session (ended: per player session its id and its player
// id) the same retention as their records: the id's fleet entry expires,
// the player's index entry may be dropped from then on (and the index
// expires with its last entry); a reservation entry waits for
// DueReservations. It is best effort: a reader checks the player session
// itself.
func (r *Redis) expirePlayerIndex(ctx context.Context, fleet string, ended []string) {
	if len(ended) < 2 {
		return
	}
	byPlayer := map[string][]any{}
	pipe := r.c.Pipeline()
	for i := 0; i+1 < len(ended); i += 2 {
		id, player := ended[i], ended[i+1]
		pipe.PExpire(ctx, r.psFleetKey(id), r.opts.SessionRetention)
		if player != "" {
			byPlayer[player] = append(byPlayer[player], id)
		}
	}
	for player, ids := range byPlayer {
		args := append([]any{r.opts.SessionRetention.Milliseconds(), fleet}, ids...)
		gsScripts.endPlayerEntries.Eval(ctx, pipe, []string{r.playerKey(player)}, args...)
	}
	_, _ = pipe.Exec(ctx)
}

// reservationEntry is the reservation index's entry for a player session
// of game session gs created at ms (unix milliseconds): "<ms> <game session
// id> <player session id>", all the sweep needs but the version.
func reservationEntry(ms int64, gs, id string) string {
	return strconv.FormatInt(ms, 10) + " " + gs + " " + id
}

// parseReservationEntry reads a reservationEntry, or one in the form written
// until 2026-12-06, "<ms> <fleet id> <player session id>", whose game
// session only the player session's record holds (gs is then ""); ok is
// false for what is neither. Game session ids may hold spaces; player
// session ids and fleet ids do not.
func parseReservationEntry(e string) (ms int64, gs, fleet, id string, ok bool) {
	msText, rest, ok1 := strings.Cut(e, " ")
	i := strings.LastIndexByte(rest, ' ')
	if !ok1 || i < 0 {
		return 0, "", "", "", false
	}
	mid, id := rest[:i], rest[i+1:]
	if fleet = GameSessionFleet(mid); fleet != "" {
		gs = mid
	} else {
		fleet = mid
	}
	ms, err := strconv.ParseInt(msText, 10, 64)
	return ms, gs, fleet, id, err == nil && fleet != "" && !strings.Contains(fleet, " ") && id != ""
}

// CreatePlayerSessions implements GameSessions.
func (r *Redis) CreatePlayerSessions(ctx context.Context, gameSessionID string, ps []PlayerSession) (int, error) {
	if err := checkNewPlayerSessions(gameSessionID, ps); err != nil {
		return 0, err
	}
	fleet := GameSessionFleet(gameSessionID)
	if fleet == "" {
		return 0, fmt.Errorf("create player sessions in %s: %w", gameSessionID, ErrNotFound)
	}
	// Room for the index keys and the fleet id of createPlayerSessionsIndexed.
	keys := append(r.fleetKeys(fleet, 3+3*len(ps)), r.gameSessionKey(fleet, gameSessionID), r.sessionPlayersKey(fleet, gameSessionID))
	args := append(make([]any, 0, 2+5*len(ps)), gameSessionID)
	for _, p := range ps {
		p.Version = 1
		b, err := playerSessionBody(&p)
		if err != nil {
			return 0, fmt.Errorf("create player session %s: %w", p.PlayerSessionId, err)
		}
		keys = append(keys, r.playerSessionPrefix(fleet)+p.PlayerSessionId)
		args = append(args, p.PlayerSessionId, b, string(p.Status), p.CreationTime.UnixMilli(), p.PlayerId)
	}
	undo, reply, err := r.indexAndCreatePlayerSessions(ctx, fleet, ps, keys, args)
	if undo == nil {
		return 0, fmt.Errorf("create player sessions in %s: %w", gameSessionID, err)
	}
	if err == nil && reply[0] == "ok" {
		held, err := strconv.Atoi(reply[1])
		if err != nil {
			return 0, fmt.Errorf("create player sessions in %s: held count: %w", gameSessionID, err)
		}
		return held, nil
	}
	if errors.Is(err, ErrNotReplicated) {
		// Written on the primary: its index entries stay.
		return 0, fmt.Errorf("create player sessions in %s: %w", gameSessionID, err)
	}
	undo()
	if err != nil {
		return 0, fmt.Errorf("create player sessions in %s: %w", gameSessionID, err)
	}
	switch reply[0] {
	case "notfound":
		return 0, fmt.Errorf("create player sessions in %s: %w", gameSessionID, ErrNotFound)
	case "status":
		return 0, fmt.Errorf("create player sessions in %s: it is %s: %w", gameSessionID, reply[1], ErrGameSessionStatus)
	case "deny":
		return 0, fmt.Errorf("create player sessions in %s: its policy is %s: %w", gameSessionID, DenyAll, ErrGameSessionStatus)
	case "full":
		return 0, fmt.Errorf("create player sessions in %s: %s of %s taken, %d asked: %w",
			gameSessionID, reply[1], reply[2], holding(ps), ErrGameSessionFull)
	default:
		return 0, fmt.Errorf("create player session %s: %w", reply[1], ErrExists)
	}
}

// indexAndCreatePlayerSessions writes the global index entries of new
// player sessions and runs the fleet's create script (keys, args), and
// returns its reply. On one server the script writes the index entries too
// (createPlayerSessionsIndexed): one round trip, one atomic step, nothing to
// undo. On a cluster the index entries live on other nodes, so they are
// written first, in a round trip of their own; undo removes them, for when
// the script refuses the player sessions. undo is nil when the entries could
// not be written, and then the script did not run.
func (r *Redis) indexAndCreatePlayerSessions(ctx context.Context, fleet string, ps []PlayerSession, keys []string, args []any) (undo func(), reply []string, err error) {
	if r.oneServer {
		for _, p := range ps {
			keys = append(keys, r.psFleetKey(p.PlayerSessionId), r.playerKey(p.PlayerId))
		}
		keys = append(keys, r.reservedKey())
		via, done := r.playerSessions.scripter()
		reply, err := r.writeStringsVia(ctx, via, gsScripts.createPlayerSessionsIndexed, keys, append(args, fleet)...)
		done()
		return func() {}, reply, err
	}
	pipe := r.c.Pipeline()
	x := r.queuePlayerIndexes(ctx, pipe, fleet, ps)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, fmt.Errorf("index player sessions: %w", err)
	}
	undo = func() { r.undoPlayerIndexes(ctx, x) }
	for i, set := range x.ids {
		if !set.Val() {
			// The id is another fleet's player session's.
			return undo, []string{"exists", ps[i].PlayerSessionId}, nil
		}
	}
	reply, err = r.writeStrings(ctx, gsScripts.createPlayerSessions, keys, args...)
	return undo, reply, err
}

// playerIndexes are the global index commands queued for new player
// sessions, kept to tell which entries they wrote.
type playerIndexes struct {
	fleet    string
	ps       []PlayerSession
	ids      []*redis.BoolCmd
	members  []*redis.IntCmd
	reserved []*redis.IntCmd
}

// queuePlayerIndexes queues on pipe the global index entries of new player
// sessions.
func (r *Redis) queuePlayerIndexes(ctx context.Context, pipe redis.Pipeliner, fleet string, ps []PlayerSession) *playerIndexes {
	x := &playerIndexes{fleet: fleet, ps: ps, ids: make([]*redis.BoolCmd, len(ps)),
		members: make([]*redis.IntCmd, len(ps)), reserved: make([]*redis.IntCmd, len(ps))}
	for i, p := range ps {
		x.ids[i] = pipe.SetNX(ctx, r.psFleetKey(p.PlayerSessionId), fleet, 0)
		x.members[i] = pipe.ZAddNX(ctx, r.playerKey(p.PlayerId), redis.Z{Score: math.Inf(1), Member: p.PlayerSessionId})
		pipe.Persist(ctx, r.playerKey(p.PlayerId))
		if p.Status == PlayerSessionReserved {
			x.reserved[i] = pipe.RPush(ctx, r.reservedKey(), reservationEntry(p.CreationTime.UnixMilli(), p.GameSessionId, p.PlayerSessionId))
		}
	}
	return x
}

// err is the first error of the queued commands.
func (x *playerIndexes) err() error {
	for i := range x.ps {
		if err := x.ids[i].Err(); err != nil {
			return err
		}
		if err := x.members[i].Err(); err != nil {
			return err
		}
		if x.reserved[i] != nil && x.reserved[i].Err() != nil {
			return x.reserved[i].Err()
		}
	}
	return nil
}

// undoPlayerIndexes removes the index entries x wrote, for when the
// script refused the player sessions.
func (r *Redis) undoPlayerIndexes(ctx context.Context, x *playerIndexes) {
	pipe := r.c.Pipeline()
	for i, p := range x.ps {
		if x.ids[i].Val() {
			pipe.Del(ctx, r.psFleetKey(p.PlayerSessionId))
		}
		if x.members[i].Val() > 0 {
			pipe.ZRem(ctx, r.playerKey(p.PlayerId), p.PlayerSessionId)
			// The create took the index's expiry off; give it back if no
			// live entry is left.
			gsScripts.endPlayerEntries.Eval(ctx, pipe, []string{r.playerKey(p.PlayerId)}, r.opts.SessionRetention.Milliseconds(), x.fleet)
		}
		if x.reserved[i] != nil && x.reserved[i].Val() > 0 {
			pipe.LRem(ctx, r.reservedKey(), -1, reservationEntry(p.CreationTime.UnixMilli(), p.GameSessionId, p.PlayerSessionId))
		}
	}
	_, _ = pipe.Exec(ctx)
}

// psFields are the player session HASH fields a read fetches.
var psFields = []string{"b", "s", "v", "e", "p", "g"}

// decodePlayerSession reads the player session id from its HASH's fields
// psFields (ok false when it has none). What the body leaves out
// (playerSessionBody) comes from the id, the fields p and g and the game
// session's fleet.
func decodePlayerSession(id string, f []string) (ps PlayerSession, ok bool, err error) {
	if len(f) < len(psFields) || f[0] == "" {
		return PlayerSession{}, false, nil
	}
	var body struct {
		PlayerSession
		// FleetId is in the body when it is not the game session's.
		FleetId *string `json:"FleetId"`
	}
	if err := json.Unmarshal([]byte(f[0]), &body); err != nil {
		return PlayerSession{}, false, fmt.Errorf("decode player session %s: %w", id, err)
	}
	ps = body.PlayerSession
	ps.PlayerSessionId = cmp.Or(ps.PlayerSessionId, id)
	ps.PlayerId = cmp.Or(ps.PlayerId, f[4])
	ps.GameSessionId = cmp.Or(ps.GameSessionId, f[5])
	if body.FleetId != nil {
		ps.FleetId = *body.FleetId
	} else {
		ps.FleetId = GameSessionFleet(ps.GameSessionId)
	}
	ps.Status = PlayerSessionStatus(f[1])
	if ps.Version, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return PlayerSession{}, false, fmt.Errorf("decode player session %s version: %w", id, err)
	}
	if ps.TerminationTime, err = parseNs(f[3]); err != nil {
		return PlayerSession{}, false, fmt.Errorf("decode player session %s termination: %w", id, err)
	}
	return ps, true, nil
}

// readPlayerSessions reads the player sessions ids[i] by their keys[i];
// found[i] tells whether keys[i] exists.
func (r *Redis) readPlayerSessions(ctx context.Context, keys, ids []string) (ps []PlayerSession, found []bool, err error) {
	if len(keys) == 0 {
		return nil, nil, nil
	}
	pipe := r.c.Pipeline()
	cmds := make([]*redis.SliceCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HMGet(ctx, k, psFields...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, err
	}
	found = make([]bool, len(keys))
	for i, cmd := range cmds {
		p, ok, err := decodePlayerSession(ids[i], anyStrings(cmd.Val()))
		if err != nil {
			return nil, nil, err
		}
		if ok {
			ps, found[i] = append(ps, p), true
		}
	}
	return ps, found, nil
}

// GetPlayerSession implements GameSessions.
func (r *Redis) GetPlayerSession(ctx context.Context, id string) (PlayerSession, error) {
	fleet, err := r.c.Get(ctx, r.psFleetKey(id)).Result()
	if isNil(err) {
		return PlayerSession{}, fmt.Errorf("get player session %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return PlayerSession{}, fmt.Errorf("get player session %s: %w", id, err)
	}
	ps, _, err := r.readPlayerSessions(ctx, []string{r.playerSessionPrefix(fleet) + id}, []string{id})
	if err != nil {
		return PlayerSession{}, fmt.Errorf("get player session %s: %w", id, err)
	}
	if len(ps) == 0 {
		return PlayerSession{}, fmt.Errorf("get player session %s: %w", id, ErrNotFound)
	}
	return ps[0], nil
}

// ListPlayerSessions implements GameSessions.
func (r *Redis) ListPlayerSessions(ctx context.Context, f PlayerSessionFilter, p Page) ([]PlayerSession, string, error) {
	if err := checkPlayerFilter(f); err != nil {
		return nil, "", err
	}
	offset, err := pageOffset(p)
	if err != nil {
		return nil, "", fmt.Errorf("list player sessions: %w", err)
	}
	var all []PlayerSession
	if f.GameSessionID != "" {
		all, err = r.sessionPlayers(ctx, f.GameSessionID)
	} else {
		all, err = r.playerSessionsOf(ctx, f.PlayerID)
	}
	if err != nil {
		return nil, "", fmt.Errorf("list player sessions: %w", err)
	}
	kept := all[:0]
	for _, ps := range all {
		if f.Status == "" || ps.Status == f.Status {
			kept = append(kept, ps)
		}
	}
	sortPlayerSessions(kept)
	page, next := cutPage(kept, offset, p.Limit)
	return page, next, nil
}

func (r *Redis) sessionPlayers(ctx context.Context, gameSessionID string) ([]PlayerSession, error) {
	fleet := GameSessionFleet(gameSessionID)
	if fleet == "" {
		return nil, nil
	}
	ids, err := r.c.ZRange(ctx, r.sessionPlayersKey(fleet, gameSessionID), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = r.playerSessionPrefix(fleet) + id
	}
	ps, _, err := r.readPlayerSessions(ctx, keys, ids)
	return ps, err
}

// playerSessionsOf reads a player's player sessions and drops the index
// entries of those that expired or were never stored.
func (r *Redis) playerSessionsOf(ctx context.Context, player string) ([]PlayerSession, error) {
	members, err := r.c.ZRange(ctx, r.playerKey(player), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	keys, err := r.playerEntryKeys(ctx, members)
	if err != nil {
		return nil, err
	}
	var read, readIDs, readMembers []string
	var stale []any
	for i, k := range keys {
		if k == "" {
			stale = append(stale, members[i])
			continue
		}
		id := members[i]
		if _, bare, legacy := strings.Cut(id, " "); legacy {
			id = bare
		}
		read, readIDs, readMembers = append(read, k), append(readIDs, id), append(readMembers, members[i])
	}
	ps, found, err := r.readPlayerSessions(ctx, read, readIDs)
	if err != nil {
		return nil, err
	}
	for i, ok := range found {
		if !ok {
			stale = append(stale, readMembers[i])
		}
	}
	if len(stale) > 0 {
		if err := r.c.ZRem(ctx, r.playerKey(player), stale...).Err(); err != nil {
			return nil, fmt.Errorf("drop stale entries of player %s: %w", player, err)
		}
	}
	return ps, nil
}

// playerEntryKeys answers the record key of each entry of a player's index:
// an entry written before 2026-12-06 names its fleet ("<fleet> <id>"), a
// bare id's fleet is read from the id's fleet key; "" when that is gone.
func (r *Redis) playerEntryKeys(ctx context.Context, members []string) ([]string, error) {
	keys := make([]string, len(members))
	fleets := make([]*redis.StringCmd, len(members))
	pipe := r.c.Pipeline()
	for i, m := range members {
		if fleet, id, legacy := strings.Cut(m, " "); legacy {
			keys[i] = r.playerSessionPrefix(fleet) + id
		} else {
			fleets[i] = pipe.Get(ctx, r.psFleetKey(m))
		}
	}
	if pipe.Len() == 0 {
		return keys, nil
	}
	_, _ = pipe.Exec(ctx)
	for i, cmd := range fleets {
		switch {
		case cmd == nil || isNil(cmd.Err()):
		case cmd.Err() != nil:
			return nil, cmd.Err()
		default:
			keys[i] = r.playerSessionPrefix(cmd.Val()) + members[i]
		}
	}
	return keys, nil
}

// UpdatePlayerSession implements GameSessions.
func (r *Redis) UpdatePlayerSession(ctx context.Context, ps PlayerSession) (int64, error) {
	fleet, err := r.c.Get(ctx, r.psFleetKey(ps.PlayerSessionId)).Result()
	if isNil(err) {
		return 0, fmt.Errorf("update player session %s: %w", ps.PlayerSessionId, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("update player session %s: %w", ps.PlayerSessionId, err)
	}
	b, err := playerSessionBody(&ps)
	if err != nil {
		return 0, fmt.Errorf("update player session %s: %w", ps.PlayerSessionId, err)
	}
	keys := []string{r.playerSessionPrefix(fleet) + ps.PlayerSessionId, r.gameSessionKey(fleet, ps.GameSessionId)}
	reply, err := r.writeStrings(ctx, gsScripts.updatePlayerSession, keys,
		ps.Version, b, string(ps.Status), nsString(ps.TerminationTime), ps.PlayerId, ps.GameSessionId)
	if err != nil {
		return 0, fmt.Errorf("update player session %s: %w", ps.PlayerSessionId, err)
	}
	switch reply[0] {
	case "ok":
		v, err := strconv.ParseInt(reply[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("update player session %s: %w", ps.PlayerSessionId, err)
		}
		return v, nil
	case "notfound":
		return 0, fmt.Errorf("update player session %s: %w", ps.PlayerSessionId, ErrNotFound)
	case "conflict":
		return 0, fmt.Errorf("update player session %s: at version %s, not %d: %w", ps.PlayerSessionId, reply[1], ps.Version, ErrConflict)
	default:
		return 0, fmt.Errorf("update player session %s: player and game session cannot change: %w", ps.PlayerSessionId, ErrConflict)
	}
}

// TimeOutReservations implements GameSessions: one script per fleet, then
// the moved ones' entries dropped from the index of reservations (best
// effort: DueReservations drops what is left).
func (r *Redis) TimeOutReservations(ctx context.Context, due []Reservation) ([]Reservation, error) {
	var fleets []string
	byFleet := map[string][]int{}
	for i, p := range due {
		fleet := GameSessionFleet(p.GameSessionId)
		if fleet == "" {
			continue // no such player session: its game session id names no fleet
		}
		if _, ok := byFleet[fleet]; !ok {
			fleets = append(fleets, fleet)
		}
		byFleet[fleet] = append(byFleet[fleet], i)
	}
	versions := make([]int64, len(due))
	for _, fleet := range fleets {
		idx := byFleet[fleet]
		keys := make([]string, 0, 2*len(idx))
		args := make([]any, 0, 3*len(idx))
		for _, i := range idx {
			p := &due[i]
			keys = append(keys, r.playerSessionPrefix(fleet)+p.PlayerSessionId, r.gameSessionKey(fleet, p.GameSessionId))
			args = append(args, p.Version, nsString(p.TerminationTime), p.GameSessionId)
		}
		reply, err := r.writeStrings(ctx, gsScripts.timeOutReservations, keys, args...)
		if err == nil {
			err = movedVersions(reply, idx, versions)
		}
		if err != nil {
			return timedOut(due, versions), fmt.Errorf("time out %d reservations of fleet %s: %w", len(idx), fleet, err)
		}
	}
	// In the order of due, which is the index's for what DueReservations
	// read: the head it drops in one LTRIM.
	var entries []string
	for i, v := range versions {
		if v == 0 {
			continue
		}
		e := due[i].entry
		if e == "" {
			e = reservationEntry(due[i].CreationTime.UnixMilli(), due[i].GameSessionId, due[i].PlayerSessionId)
		}
		entries = append(entries, e)
	}
	_ = r.dropReserved(ctx, entries)
	return timedOut(due, versions), nil
}

// dropReserved removes entries from the index of reservations, each once,
// in one step (dropReservations): a sweep drops the head it read.
func (r *Redis) dropReserved(ctx context.Context, entries []string) error {
	if len(entries) == 0 {
		return nil
	}
	args := make([]any, len(entries))
	for i, e := range entries {
		args[i] = e
	}
	return gsScripts.dropReservations.Run(ctx, r.c, []string{r.reservedKey()}, args...).Err()
}

// movedVersions reads the reply of timeOutReservations ({'ok', i, version,
// ...}, i counting from 1 in idx) into versions, by index of due.
func movedVersions(reply []string, idx []int, versions []int64) error {
	for j := 1; j+1 < len(reply); j += 2 {
		k, kerr := strconv.Atoi(reply[j])
		v, verr := strconv.ParseInt(reply[j+1], 10, 64)
		if kerr != nil || verr != nil || k < 1 || k > len(idx) {
			return fmt.Errorf("unexpected reply %q", reply[j:j+2])
		}
		versions[idx[k-1]] = v
	}
	return nil
}

// timedOut returns the reservations of due with a new version in
// versions, at that version, in the order of due.
func timedOut(due []Reservation, versions []int64) []Reservation {
	var moved []Reservation
	for i, v := range versions {
		if v != 0 {
			p := due[i]
			p.Version = v
			moved = append(moved, p)
		}
	}
	return moved
}

// DueReservations implements GameSessions: the first limit entries of the
// index of reservations (after moving in those of the index written before
// 2026-12-06, moveOldReservations), up to the first not due. Of each player
// session it reads the status and version (and, for an entry in the form
// written until 2026-12-06, its record for the game session id), not the
// record: the sweep times out thousands a second.
func (r *Redis) DueReservations(ctx context.Context, before time.Time, limit int) ([]Reservation, bool, error) {
	if limit <= 0 {
		return nil, false, fmt.Errorf("due reservations: limit %d is not positive", limit)
	}
	if err := r.moveOldReservations(ctx); err != nil {
		return nil, false, fmt.Errorf("due reservations: %w", err)
	}
	head, err := r.c.LRange(ctx, r.reservedKey(), 0, int64(limit)-1).Result()
	if err != nil {
		return nil, false, fmt.Errorf("due reservations: %w", err)
	}
	cut := before.UnixMilli()
	var read []Reservation
	var stale []string
	more := len(head) == limit
	pipe := r.c.Pipeline()
	var cmds []*redis.SliceCmd
	for _, e := range head {
		ms, gs, fleet, id, ok := parseReservationEntry(e)
		if !ok {
			stale = append(stale, e)
			continue
		}
		if ms > cut {
			more = false
			break
		}
		read = append(read, Reservation{PlayerSessionId: id, GameSessionId: gs,
			CreationTime: time.UnixMilli(ms).UTC(), entry: e})
		fields := dueFields
		if gs == "" {
			fields = dueFieldsWithRecord
		}
		cmds = append(cmds, pipe.HMGet(ctx, r.playerSessionPrefix(fleet)+id, fields...))
	}
	if len(cmds) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, false, fmt.Errorf("due reservations: %w", err)
		}
	}
	due := read[:0]
	var unreadable []error
	for i, cmd := range cmds {
		p := read[i]
		ok, err := readDue(&p, cmd.Val())
		if err != nil {
			unreadable = append(unreadable, err)
		}
		if ok {
			due = append(due, p)
		} else {
			stale = append(stale, p.entry)
		}
	}
	if err := r.dropReserved(ctx, stale); err != nil {
		return nil, false, fmt.Errorf("due reservations: drop %d entries: %w", len(stale), err)
	}
	if len(unreadable) > 0 {
		return due, more, fmt.Errorf("due reservations: %d index entries dropped: %w: %w", len(unreadable), ErrUnreadable, errors.Join(unreadable...))
	}
	return due, more, nil
}

// dueFields are the player session HASH fields DueReservations reads of a
// reservation whose entry names its game session; dueFieldsWithRecord,
// of one whose entry does not: its game session is field g, or the body's
// (in records written before 2026-12-07).
var (
	dueFields           = []string{"s", "v"}
	dueFieldsWithRecord = []string{"s", "v", "g", "b"}
)

// readDue completes p from its player session's fields (the values of
// dueFields or dueFieldsWithRecord, nil where absent) and reports whether
// it is still RESERVED; an error says the fields cannot be read (and ok
// is false).
func readDue(p *Reservation, f []any) (bool, error) {
	if len(f) < 2 || f[0] != string(PlayerSessionReserved) {
		return false, nil
	}
	version, _ := f[1].(string)
	v, err := strconv.ParseInt(version, 10, 64)
	if err != nil {
		return false, fmt.Errorf("player session %s version %q: %w", p.PlayerSessionId, version, err)
	}
	p.Version = v
	if p.GameSessionId == "" && len(f) == len(dueFieldsWithRecord) {
		p.GameSessionId, _ = f[2].(string)
		if p.GameSessionId == "" {
			var rec struct{ GameSessionId string }
			body, _ := f[3].(string)
			if json.Unmarshal([]byte(body), &rec) == nil {
				p.GameSessionId = rec.GameSessionId
			}
		}
	}
	if p.GameSessionId == "" {
		return false, fmt.Errorf("player session %s: no game session id in its record", p.PlayerSessionId)
	}
	return true, nil
}

// moveOldReservations moves the entries of the index of reservations
// written before 2026-12-06 (oldReservedKey) to the head of today's, oldest
// first, in steps of a thousand, once per process: they are older than any
// entry written since.
func (r *Redis) moveOldReservations(ctx context.Context) error {
	if r.oldReservedMoved.Load() {
		return nil
	}
	for {
		n, err := gsScripts.moveOldReservations.Run(ctx, r.c, []string{r.oldReservedKey(), r.reservedKey()}, 1000).Int()
		if err != nil {
			return fmt.Errorf("move the reservations of %s: %w", r.oldReservedKey(), err)
		}
		if n == 0 {
			r.oldReservedMoved.Store(true)
			return nil
		}
	}
}
