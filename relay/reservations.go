// Reservations: how a session stores the player sessions reserved in it.

package relay

import (
	"encoding/json"
	"hash/maphash"
	"maps"
	"slices"
	"time"
	"weak"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// psidSeed seeds psidHash: one seed for the process, so that the ledger and
// every session hash a player session id alike, and the ledger can ask a
// session whether it records another id of the same hash
// (ledger.addPSIDLocked).
var psidSeed = maphash.MakeSeed()

// psidHashMask is applied to every psidHash: all bits, except in the tests
// that narrow it to make collisions, which a 64-bit hash never makes.
var psidHashMask = ^uint64(0)

// psidHash is the hash by which the sessions and the ledger index player
// session ids.
func psidHash(psid string) uint64 { return maphash.String(psidSeed, psid) & psidHashMask }

// Reservation flags.
const (
	// resUsed: a player logged in with it.
	resUsed uint8 = 1 << iota
	// resLate: made after the session was created (a backfill,
	// CreatePlayerSessions); forgetStale looks only at those.
	resLate
	// resReplaced: its player session id was reserved again in the
	// session; the newer reservation is the one looked up.
	resReplaced
	// resForgotten: forgotten by forgetStale, with its matched player.
	resForgotten
	// resRecorded: the ledger records the session as its player session
	// id's (ledger.addPSIDLocked); a newer reservation of the id in the
	// session takes it over.
	resRecorded
)

// reservation is a player session reserved by a placement, stored by value
// in its session's table and holding no pointer, so that the garbage
// collector neither marks nor scans it: its ids are in the table's arena and
// the rest of its player, which few have, in the table's extras.
type reservation struct {
	// expires is when it expires unused, in nanoseconds since the table's
	// epoch.
	expires int64
	// off is where its player session id starts in the arena; its player
	// id follows it. The ids come in bus messages, far shorter than 4 GiB.
	off            int
	psidLen, idLen uint32
	// extra is 1 + the index of the rest of its player in the extras, 0
	// when its player has only ids.
	extra int32
	flags uint8
}

// playerExtra is what a matched player has besides its ids.
type playerExtra struct {
	team        string
	attributes  json.RawMessage
	latencyInMs map[string]int
	playerData  string
}

// reservations is a session's table of reservations: each reservation and
// the session's matched player it made, in the order made, which is their
// expiry order (two made at once may enter a little out of it: see live).
// Its zero value is an empty table. The session's mu guards it.
type reservations struct {
	// epoch is the time of the first reservation, from which expiries
	// count; now.Sub(epoch) reads the monotonic clock.
	epoch  time.Time
	all    []reservation
	arena  []byte
	extras []playerExtra
	// index finds the newest reservation of a player session id by its
	// psidHash; collided those of the ids whose hash index holds for
	// another id of the table (none but in a test: see psidHashMask). Both
	// hold indices in all.
	index    map[uint64]int32
	collided map[string]int32
	// all[waitHead:] is the waiting queue (live), in which usedWaiting
	// are used.
	waitHead    int
	usedWaiting int
	// all[lateHead:] holds the late reservations forgetStale has not yet
	// looked at.
	lateHead int
	// forgotten and replaced count the reservations so flagged (a
	// replaced one forgotten counting as forgotten only).
	forgotten, replaced int
	// players are the matched players Info hands out, made on first use
	// after a change. The table holds them weakly: the collector frees
	// them once no caller holds the slice header kept here (every
	// caller gets a copy), so that the matched players, 96 bytes each
	// with pointers, are not kept and scanned while no script reads
	// them. Zero: none kept.
	players weak.Pointer[[]MatchedPlayer]
}

// at is now in the table's nanoseconds, since its epoch.
func (t *reservations) at(now time.Time) int64 { return int64(now.Sub(t.epoch)) }

// psidBytes is r's player session id, in the arena.
func (t *reservations) psidBytes(r *reservation) []byte {
	return t.arena[r.off : r.off+int(r.psidLen)]
}

// playerIDBytes is r's player id, in the arena.
func (t *reservations) playerIDBytes(r *reservation) []byte {
	start := r.off + int(r.psidLen)
	return t.arena[start : start+int(r.idLen)]
}

// isPSID reports whether reservation i is of player session psid.
func (t *reservations) isPSID(i int32, psid string) bool {
	return string(t.psidBytes(&t.all[i])) == psid
}

// add reserves player session psid for p until expires.
func (t *reservations) add(p bus.Player, psid string, expires time.Time, late bool) {
	if t.epoch.IsZero() {
		t.epoch = expires
	}
	r := reservation{expires: t.at(expires), off: len(t.arena), psidLen: uint32(len(psid)), idLen: uint32(len(p.PlayerID))}
	if late {
		r.flags |= resLate
	}
	t.arena = append(append(t.arena, psid...), p.PlayerID...)
	if p.Team != "" || len(p.Attributes) > 0 || len(p.LatencyInMs) > 0 || p.PlayerData != "" {
		t.extras = append(t.extras, playerExtra{team: p.Team, attributes: p.Attributes,
			latencyInMs: maps.Clone(p.LatencyInMs), playerData: p.PlayerData})
		r.extra = int32(len(t.extras))
	}
	i := int32(len(t.all))
	t.all = append(t.all, r)
	t.link(psid, psidHash(psid), i)
	t.players = weak.Pointer[[]MatchedPlayer]{}
}

// link makes reservation i the newest of player session psid, of hash h,
// flagging the one it replaces.
func (t *reservations) link(psid string, h uint64, i int32) {
	if j, ok := t.collided[psid]; ok {
		t.replace(j, i)
		t.collided[psid] = i
		return
	}
	if t.index == nil {
		t.index = make(map[uint64]int32)
	}
	if j, ok := t.index[h]; ok {
		if !t.isPSID(j, psid) {
			if t.collided == nil {
				t.collided = make(map[string]int32)
			}
			t.collided[psid] = i
			return
		}
		t.replace(j, i)
	}
	t.index[h] = i
}

// replace flags reservation j replaced by i, which takes over its
// resRecorded.
func (t *reservations) replace(j, i int32) {
	t.all[i].flags |= t.all[j].flags & resRecorded
	t.all[j].flags = t.all[j].flags&^resRecorded | resReplaced
	t.replaced++
}

// unlink forgets the newest reservation of player session psid, of hash h,
// from the index. An id of the same hash in collided takes its place in
// index, so that index holds every hash the table holds.
func (t *reservations) unlink(psid string, h uint64) {
	if _, ok := t.collided[psid]; ok {
		delete(t.collided, psid)
		return
	}
	delete(t.index, h)
	for q, j := range t.collided {
		if psidHash(q) == h {
			t.index[h] = j
			delete(t.collided, q)
			return
		}
	}
}

// find returns the index of the newest reservation of player session psid,
// -1 if none.
func (t *reservations) find(psid string) int32 {
	if len(t.collided) > 0 {
		if i, ok := t.collided[psid]; ok {
			return i
		}
	}
	if i, ok := t.index[psidHash(psid)]; ok && t.isPSID(i, psid) {
		return i
	}
	return -1
}

// recorded reports whether the ledger records the session as player
// session psid's.
func (t *reservations) recorded(psid string) bool {
	i := t.find(psid)
	return i >= 0 && t.all[i].flags&resRecorded != 0
}

// setRecorded records, or not, that the ledger records the session as
// player session psid's (when the session holds it).
func (t *reservations) setRecorded(psid string, on bool) {
	i := t.find(psid)
	switch {
	case i < 0:
	case on:
		t.all[i].flags |= resRecorded
	default:
		t.all[i].flags &^= resRecorded
	}
}

// recordsOther reports whether the ledger records the session as the
// session of a player session id other than psid whose hash is h.
func (t *reservations) recordsOther(h uint64, psid string) bool {
	if j, ok := t.index[h]; ok && t.all[j].flags&resRecorded != 0 && !t.isPSID(j, psid) {
		return true
	}
	for q, j := range t.collided {
		if t.all[j].flags&resRecorded != 0 && q != psid && psidHash(q) == h {
			return true
		}
	}
	return false
}

// hashes returns the hashes of the player session ids the table holds
// (those of collided being in index too).
func (t *reservations) hashes() []uint64 {
	return slices.Collect(maps.Keys(t.index))
}

// held counts the player session ids the table holds.
func (t *reservations) held() int { return len(t.index) + len(t.collided) }

// use marks reservation i used.
func (t *reservations) use(i int32) {
	t.all[i].flags |= resUsed
	if int(i) >= t.waitHead {
		t.usedWaiting++
	}
}

// live counts the reservations not used and not expired at now.
// Reservations wait in all[waitHead:] in the order they were made, which is
// the order of their expiry: the expired and used ones at its front leave
// it, and the used ones behind them are counted apart (usedWaiting), so a
// count costs what left the queue, not every reservation the session holds.
// Two reservations made at once can enter it a little out of expiry order;
// one then stays counted live a moment past its expiry, which only refuses
// sooner.
func (t *reservations) live(now time.Time) int {
	at := t.at(now)
	for ; t.waitHead < len(t.all); t.waitHead++ {
		r := &t.all[t.waitHead]
		used := r.flags&resUsed != 0
		if !used && at < r.expires {
			break
		}
		if used {
			t.usedWaiting--
		}
	}
	return len(t.all) - t.waitHead - t.usedWaiting
}

// expired reports whether reservation i expired at now.
func (t *reservations) expired(i int32, now time.Time) bool {
	return t.at(now) >= t.all[i].expires
}

// used reports whether reservation i is used.
func (t *reservations) used(i int32) bool { return t.all[i].flags&resUsed != 0 }

// joined reports whether a player has logged in with one of the player
// session ids the table holds (with its newest reservation).
func (t *reservations) joined() bool {
	for i := range t.all {
		if t.all[i].flags&(resUsed|resReplaced|resForgotten) == resUsed {
			return true
		}
	}
	return false
}

// player returns the matched player of reservation i, with psid, the
// caller's copy of its player session id (which saves making one).
func (t *reservations) player(i int32, psid string) MatchedPlayer {
	r := &t.all[i]
	mp := MatchedPlayer{PlayerSessionID: psid, PlayerID: string(t.playerIDBytes(r))}
	t.setExtra(&mp, r)
	return mp
}

func (t *reservations) setExtra(mp *MatchedPlayer, r *reservation) {
	if r.extra > 0 {
		x := &t.extras[r.extra-1]
		mp.Team, mp.Attributes, mp.LatencyInMs, mp.PlayerData = x.team, x.attributes, x.latencyInMs, x.playerData
	}
}

// matched returns the session's matched players: one for each reservation
// not forgotten, in the order made. The slice is kept (players) until the
// table changes or the collector frees it, and made anew then, so that
// what it handed out never changes; its ids share one string.
func (t *reservations) matched() []MatchedPlayer {
	if kept := t.players.Value(); kept != nil {
		return *kept
	}
	if len(t.all) == t.forgotten {
		return nil
	}
	ids := string(t.arena)
	players := make([]MatchedPlayer, 0, len(t.all)-t.forgotten)
	for i := range t.all {
		r := &t.all[i]
		if r.flags&resForgotten != 0 {
			continue
		}
		start := r.off + int(r.psidLen)
		mp := MatchedPlayer{PlayerSessionID: ids[r.off:start], PlayerID: ids[start : start+int(r.idLen)]}
		t.setExtra(&mp, r)
		players = append(players, mp)
	}
	t.players = weak.Make(&players)
	return players
}

// matchedCount counts the session's matched players.
func (t *reservations) matchedCount() int { return len(t.all) - t.forgotten }

// livePlayers appends to players those of the live reservations, in the
// order made, with the ids seen left out (and added to seen): for each
// matched player, the newest reservation of its player session id decides.
func (t *reservations) livePlayers(now time.Time, players []bus.Player, seen map[string]bool) []bus.Player {
	at := t.at(now)
	for i := range t.all {
		r := &t.all[i]
		if r.flags&resForgotten != 0 {
			continue
		}
		newest := r
		if r.flags&resReplaced != 0 {
			newest = &t.all[t.find(string(t.psidBytes(r)))]
		}
		if newest.flags&resUsed != 0 || at >= newest.expires || seen[string(t.playerIDBytes(r))] {
			continue
		}
		mp := t.player(int32(i), "")
		players = append(players, bus.Player{PlayerID: mp.PlayerID, Team: mp.Team, Attributes: mp.Attributes, LatencyInMs: mp.LatencyInMs})
		seen[mp.PlayerID] = true
	}
	return players
}

// forgetStale forgets the late reservations that expired unused at least
// ttl before now, with their matched players, and returns their player
// session ids. The late reservations are looked at in the order made (their
// expiry order) from lateHead, which those whose time has come pass, so a
// call costs what it forgets, not every reservation the session holds. One
// that expires a little before a reservation made just ahead of it leaves
// with that one. A player session id reserved again in the session (which
// the matchmaker's store refuses, but the bus does not) has a newer
// reservation: that one stays, and the older ones go with it when it goes.
// The table is compacted when more than half of it is forgotten; only the
// session goroutine calls forgetStale, so an index its admission holds
// stays valid.
func (t *reservations) forgetStale(now time.Time, ttl time.Duration) []string {
	var gone []string
	at := t.at(now)
	for ; t.lateHead < len(t.all); t.lateHead++ {
		r := &t.all[t.lateHead]
		if r.flags&resLate == 0 {
			continue
		}
		if at-r.expires < int64(ttl) {
			break
		}
		if r.flags&(resUsed|resReplaced|resForgotten) == 0 {
			psid := string(t.psidBytes(r))
			t.forget(psid, int32(t.lateHead))
			gone = append(gone, psid)
		}
	}
	if t.forgotten > len(t.all)/2 {
		t.compact()
	}
	return gone
}

// forget forgets reservation i, the newest of player session psid, and the
// older ones it replaced.
func (t *reservations) forget(psid string, i int32) {
	t.unlink(psid, psidHash(psid))
	t.drop(i)
	for j := range t.all {
		if t.replaced == 0 {
			break
		}
		if r := &t.all[j]; r.flags&(resReplaced|resForgotten) == resReplaced && string(t.psidBytes(r)) == psid {
			t.replaced--
			t.drop(int32(j))
		}
	}
	t.players = weak.Pointer[[]MatchedPlayer]{}
}

// drop flags reservation i forgotten and lets go of its player's extras.
func (t *reservations) drop(i int32) {
	r := &t.all[i]
	r.flags |= resForgotten
	if r.extra > 0 {
		t.extras[r.extra-1] = playerExtra{}
	}
	t.forgotten++
}

// compact moves the reservations not forgotten, their ids and extras, to
// new slices, and their indices in index, collided and the queues' heads
// with them. The forgotten ones left in the waiting queue expired long ago:
// they leave it with no change to the count.
func (t *reservations) compact() {
	moved := make([]int32, len(t.all))
	all := make([]reservation, 0, len(t.all)-t.forgotten)
	size := 0
	for i := range t.all {
		if r := &t.all[i]; r.flags&resForgotten == 0 {
			size += int(r.psidLen) + int(r.idLen)
		}
	}
	arena := make([]byte, 0, size)
	var extras []playerExtra
	waitHead, lateHead := 0, 0
	for i, r := range t.all {
		if r.flags&resForgotten != 0 {
			continue
		}
		if i < t.waitHead {
			waitHead++
		}
		if i < t.lateHead {
			lateHead++
		}
		moved[i] = int32(len(all))
		n := int(r.psidLen) + int(r.idLen)
		arena = append(arena, t.arena[r.off:r.off+n]...)
		r.off = len(arena) - n
		if r.extra > 0 {
			extras = append(extras, t.extras[r.extra-1])
			r.extra = int32(len(extras))
		}
		all = append(all, r)
	}
	for h, i := range t.index {
		t.index[h] = moved[i]
	}
	for psid, i := range t.collided {
		t.collided[psid] = moved[i]
	}
	t.all, t.arena, t.extras = all, arena, extras
	t.waitHead, t.lateHead, t.forgotten = waitHead, lateHead, 0
}
