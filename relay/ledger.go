// The ledger: what the relay placed, what the matchmaker cancelled, and which
// session reserved each player session id.

package relay

import (
	"crypto/sha256"
	"maps"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// ledger is the relay's record of its placements: the answer to each match id
// (kept for repeats while its session lives and PlayerSessionTTL after), the
// tries the matchmaker cancelled, and the session that reserved each player
// session id. Its mutex is taken alone or inside Server.mu (see doc.go).
type ledger struct {
	mu         sync.Mutex
	placements map[string]*placed // by match id, but for reserve requests'
	// reserves are the records of reserve requests, by their match id
	// (reservePrefix and the request id), and byDeadline the same records
	// as a heap by deadline, from which prune takes those past it a step at
	// a time (pruneReserves): a relay at 3,000 CreatePlayerSessions a second
	// holds some 15,000, whose walk every second held the ledger (and the
	// Server's lock, taken with it by claim) for 2-3 ms.
	reserves   map[string]*placed
	byDeadline deadlineHeap
	cancelled  map[string]withdrawn // by match id: tries the matchmaker cancelled
	// byHash and collided lead to the session of each player session id
	// (addPSIDLocked) with no string per id: byHash by its psidHash,
	// collided by the id itself when byHash holds its hash for another
	// id of another session (none but in a test: see psidHashMask). The
	// session found says whether it is the id's (ownerLocked), so that an
	// id of the same hash never finds it. byHash holds the session's
	// number in sessions, not a pointer, so that the collector does not
	// scan it: it is the one map of the ledger as large as the
	// reservations.
	byHash   map[uint64]uint64
	collided map[string]*session
	// sessions are the sessions byHash leads to, by their ledgerNum
	// (from 1, given by addPSIDLocked), until prune forgets them.
	sessions map[uint64]*session
	lastNum  uint64
	ended    map[*session]time.Time
	// peaks are the largest sizes prune saw of the maps that grow with the
	// load (see shrunk).
	peaks struct{ placements, reserves, byHash int }
}

func newLedger() *ledger {
	return &ledger{placements: make(map[string]*placed), reserves: make(map[string]*placed), cancelled: make(map[string]withdrawn),
		byHash: make(map[uint64]uint64), sessions: make(map[uint64]*session), ended: make(map[*session]time.Time)}
}

// byHashLocked returns the session byHash has for hash h, nil if none;
// l.mu is held.
func (l *ledger) byHashLocked(h uint64) *session {
	if num, ok := l.byHash[h]; ok {
		return l.sessions[num]
	}
	return nil
}

// ownerLocked returns the session the ledger records for player session
// psid, nil if none; l.mu is held. Its route (collided, else byHash) leads
// to it, and it says so itself (session.recorded), so that an id of the
// same hash never finds it.
func (l *ledger) ownerLocked(psid string) *session {
	sess, ok := l.collided[psid]
	if !ok {
		sess = l.byHashLocked(psidHash(psid))
	}
	if sess != nil && sess.recorded(psid) {
		return sess
	}
	return nil
}

// addPSIDLocked records sess as the session of player session psid, which
// sess holds, in place of any other; l.mu is held. The id's route is its
// hash in byHash, unless the session byHash has for that hash records
// another id of that hash: then the id itself, in collided.
func (l *ledger) addPSIDLocked(psid string, sess *session) {
	if old := l.ownerLocked(psid); old != nil && old != sess {
		old.setRecorded(psid, false)
	}
	h := psidHash(psid)
	if s := l.byHashLocked(h); s != nil && s != sess && s.recordsOther(h, psid) {
		if l.collided == nil {
			l.collided = make(map[string]*session)
		}
		l.collided[psid] = sess
	} else {
		if sess.ledgerNum == 0 {
			l.lastNum++
			sess.ledgerNum = l.lastNum
			l.sessions[sess.ledgerNum] = sess
		}
		l.byHash[h] = sess.ledgerNum
		delete(l.collided, psid)
	}
	sess.setRecorded(psid, true)
}

// dropPSIDLocked forgets the session of player session psid if it is sess,
// or whichever it is when sess is nil, and the routes to sess (or to any)
// that no recorded id takes any longer; l.mu is held. sess may already have
// forgotten the id (forgetPlayerSessions).
func (l *ledger) dropPSIDLocked(psid string, sess *session) {
	if owner := l.ownerLocked(psid); owner != nil && (sess == nil || owner == sess) {
		owner.setRecorded(psid, false)
	}
	if s, ok := l.collided[psid]; ok && (sess == nil || s == sess) {
		delete(l.collided, psid)
	}
	h := psidHash(psid)
	if s := l.byHashLocked(h); s != nil && (sess == nil || s == sess) && !s.recordsOther(h, psid) {
		delete(l.byHash, h)
	}
}

// recordLocked returns the record of match id, nil if none; l.mu is held.
func (l *ledger) recordLocked(id string) *placed {
	if strings.HasPrefix(id, reservePrefix) {
		return l.reserves[id]
	}
	return l.placements[id]
}

// addLocked records pl for match id, a reserve request's (reservePrefix,
// pl.until its deadline) or a placement's; l.mu is held.
func (l *ledger) addLocked(id string, pl *placed) {
	if !strings.HasPrefix(id, reservePrefix) {
		l.placements[id] = pl
		return
	}
	l.reserves[id] = pl
	l.byDeadline.push(deadlineEntry{until: pl.until, id: id, pl: pl})
}

// dropLocked forgets the record pl of match id, if it is still that id's;
// l.mu is held.
func (l *ledger) dropLocked(id string, pl *placed) {
	if l.placements[id] == pl {
		delete(l.placements, id)
	}
	if l.reserves[id] == pl {
		delete(l.reserves, id)
	}
}

// deadlineEntry is a reserve request's record in ledger.byDeadline, with
// its deadline beside it, so that the heap's comparisons read the heap only.
type deadlineEntry struct {
	until time.Time
	id    string
	pl    *placed
}

// deadlineHeap is a min-heap of reserve records by deadline.
type deadlineHeap []deadlineEntry

func (h *deadlineHeap) push(e deadlineEntry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s[i].until.Before(s[parent].until) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *deadlineHeap) pop() deadlineEntry {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s[last] = deadlineEntry{}
	s = s[:last]
	for i := 0; ; {
		least, l, r := i, 2*i+1, 2*i+2
		if l < len(s) && s[l].until.Before(s[least].until) {
			least = l
		}
		if r < len(s) && s[r].until.Before(s[least].until) {
			least = r
		}
		if least == i {
			break
		}
		s[i], s[least] = s[least], s[i]
		i = least
	}
	*h = s
	return top
}

// placed is the record of one placement, kept for idempotency while its session
// lives and for PlayerSessionTTL after; the record of a reserve request
// (CreatePlayerSessions), only until its deadline, after which the bus
// refuses a repeat anyway.
type placed struct {
	done        chan struct{}
	reply       bus.PlacementReply
	fingerprint [sha256.Size]byte
	sess        *session
	psids       []string // a placement's player session ids (not a reserve request's: settle)
	endedAt     time.Time
	// until is a reserve request's deadline.
	until time.Time
	// attempt is the latest try of the match id this record answered;
	// created is set when the placement created its session (not a backfill).
	attempt int
	created bool
}

// withdrawn records the tries of a match id that the matchmaker cancelled
// (bus.PlacementCancel): requests of those tries are refused until their
// deadline, after which the bus refuses them anyway.
type withdrawn struct {
	attempt int
	until   time.Time
}

// prune forgets placements whose session ended more than ttl ago (with
// their player session ids), the records of settled reserve requests past
// their deadline (not their player session ids: those go with their session,
// or with forgetPlayerSessions), and cancellations whose requests are past
// their deadline.
func (l *ledger) prune(now time.Time, ttl time.Duration) {
	l.mu.Lock()
	notePeak(&l.peaks.reserves, len(l.reserves))
	l.mu.Unlock()
	for l.pruneReserves(now, pruneStep) {
		// Let the reservations waiting for the ledger go first.
		runtime.Gosched()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	notePeak(&l.peaks.placements, len(l.placements))
	notePeak(&l.peaks.byHash, len(l.byHash))
	defer func() {
		l.placements = shrunk(l.placements, &l.peaks.placements)
		l.reserves = shrunk(l.reserves, &l.peaks.reserves)
		l.byHash = shrunk(l.byHash, &l.peaks.byHash)
	}()
	for id, w := range l.cancelled {
		if now.After(w.until) {
			delete(l.cancelled, id)
		}
	}
	for id, pl := range l.placements {
		if !pl.endedAt.IsZero() && now.Sub(pl.endedAt) > ttl {
			l.forgetLocked(id, pl)
		}
	}
	for sess, at := range l.ended {
		if now.Sub(at) <= ttl {
			continue
		}
		// Every id the ledger gives sess is one sess holds (a reservation
		// it forgets leaves the ledger with forgetPlayerSessions), so the
		// walk is over its ids' hashes, not every session's.
		for _, h := range sess.psidHashes() {
			if num, ok := l.byHash[h]; ok && num == sess.ledgerNum {
				delete(l.byHash, h)
			}
		}
		delete(l.sessions, sess.ledgerNum)
		for psid, s := range l.collided {
			if s == sess {
				delete(l.collided, psid)
			}
		}
		delete(l.ended, sess)
	}
}

// notePeak raises *peak to n.
func notePeak(peak *int, n int) { *peak = max(*peak, n) }

// shrinkFrom is the size from which a map that has emptied is copied into
// a smaller one: below it the room kept is a few hundred kilobytes at most.
const shrinkFrom = 1 << 14

// shrunk returns m, or a copy of it when it holds an eighth or less of the
// peak it has had (*peak, which then becomes its size): Go's maps keep the
// room of their largest size, so that after a spike (at 3,000
// CreatePlayerSessions a second a relay holds some 1.4 million player
// session ids) the process would keep that memory for good. A copy walks
// what is left, and comes only once the map has lost seven eighths of its
// peak.
func shrunk[K comparable, V any](m map[K]V, peak *int) map[K]V {
	if *peak < shrinkFrom || len(m) > *peak/8 {
		return m
	}
	c := make(map[K]V, len(m))
	maps.Copy(c, m)
	*peak = len(c)
	return c
}

// pruneStep is how many reserve records pruneReserves drops at most while
// it holds the ledger: at 3,000 CreatePlayerSessions a second, a prune
// every second drops some 3,000, a few milliseconds in one step.
const pruneStep = 256

// pruneReserves drops up to max records of settled reserve requests past
// their deadline, earliest first, and reports whether it stopped at max. A
// record past its deadline still being settled waits for the next prune,
// and those behind it with it.
func (l *ledger) pruneReserves(now time.Time, max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for range max {
		if len(l.byDeadline) == 0 || !now.After(l.byDeadline[0].until) || !settled(l.byDeadline[0].pl) {
			return false
		}
		e := l.byDeadline.pop()
		l.dropLocked(e.id, e.pl)
	}
	return true
}

func settled(pl *placed) bool {
	select {
	case <-pl.done:
		return true
	default:
		return false
	}
}

// forgetPlayerSessions forgets the player session ids sess no longer holds.
func (l *ledger) forgetPlayerSessions(sess *session, psids []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, psid := range psids {
		l.dropPSIDLocked(psid, sess)
	}
}

// forgetLocked removes the placement record pl of match id and its player
// session ids; l.mu is held.
func (l *ledger) forgetLocked(id string, pl *placed) {
	delete(l.placements, id)
	for _, psid := range pl.psids {
		l.dropPSIDLocked(psid, nil)
	}
}

// claimLocked answers the first question about a placement request: refused
// (a cancelled try), or a repeat of the record it returns (whose attempt it
// raises), or new (nil, nil). l.mu is held.
func (l *ledger) claimLocked(req bus.PlacementRequest) (*placed, *bus.PlacementReply) {
	if w, ok := l.cancelled[req.MatchID]; ok && req.Attempt <= w.attempt {
		r := refusal(bus.CodeExpired, "try %d of match %q was cancelled by the matchmaker", req.Attempt, req.MatchID)
		return nil, &r
	}
	if pl := l.recordLocked(req.MatchID); pl != nil {
		pl.attempt = max(pl.attempt, req.Attempt)
		return pl, nil
	}
	return nil, nil
}

// settle records the outcome of placement pl of match id: on success its
// session and player session ids, on failure it forgets the record.
func (l *ledger) settle(id string, pl *placed, sess *session, reply bus.PlacementReply, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.dropLocked(id, pl)
		return
	}
	if pl.until.IsZero() && pl.sess != sess {
		sess.placements = append(sess.placements, pl)
	}
	pl.sess = sess
	for _, ps := range reply.PlayerSessions {
		l.addPSIDLocked(ps.PlayerSessionID, sess)
	}
	if pl.until.IsZero() {
		// A placement's ids go with its record (forgetLocked); a reserve
		// request's record goes at its deadline, and its ids with their
		// session or with forgetPlayerSessions, as its other ids do.
		pl.psids = make([]string, len(reply.PlayerSessions))
		for i, ps := range reply.PlayerSessions {
			pl.psids[i] = ps.PlayerSessionID
		}
	}
	if !pl.created && sess.ended.Load() {
		pl.endedAt = time.Now()
	}
}

// withdraw records that the matchmaker cancelled the tries of match pc.MatchID
// up to pc.Attempt, and returns the match's placement record, if any.
func (l *ledger) withdraw(pc bus.PlacementCancel) *placed {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.cancelled[pc.MatchID]
	l.cancelled[pc.MatchID] = withdrawn{attempt: max(w.attempt, pc.Attempt), until: maxTime(w.until, pc.Deadline)}
	return l.placements[pc.MatchID]
}

// cancel forgets placement pl of match pc.MatchID, which created its session,
// and reports true, unless it was replaced, answered a later try than
// pc.Attempt, or its session has had a player.
func (l *ledger) cancel(pc bus.PlacementCancel, pl *placed) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.placements[pc.MatchID] != pl || pl.attempt > pc.Attempt || pl.sess == nil || pl.sess.joined() {
		return false
	}
	l.forgetLocked(pc.MatchID, pl)
	return true
}

// sessionEnded stamps the placements of sess with its end, from which they and
// its player session ids are kept PlayerSessionTTL. It reads them from sess
// (settle lists them there), not from every placement the relay holds: a
// relay of 20,000 sessions walked 20,000 records for each that ended.
func (l *ledger) sessionEnded(sess *session, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, pl := range sess.placements {
		if pl.sess == sess {
			pl.endedAt = now
		}
	}
	l.ended[sess] = now
}

// sessionOf returns the session that reserved player session psid, nil if
// none does.
func (l *ledger) sessionOf(psid string) *session {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ownerLocked(psid)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
