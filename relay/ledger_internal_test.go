package relay

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
	"unsafe"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// TestLedgerPrunesReserveRecordsByDeadline: prune drops the reserve
// records past their deadline, in deadline order, up to the first one past
// it that is still being settled (it and those after it wait for the next
// prune); a record dropped by its placement's failure, or replaced by a
// retry of the same id, is not dropped twice. Checked against a sorted list
// of the same records, over random (distinct) deadlines.
func TestLedgerPrunesReserveRecordsByDeadline(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	base := time.Unix(1_000_000, 0)
	for round := range 50 {
		l := newLedger()
		type rec struct {
			id string
			pl *placed
		}
		var all []rec
		for i, ms := range r.Perm(200) {
			pl := &placed{done: make(chan struct{}), until: base.Add(time.Duration(ms) * time.Millisecond)}
			if r.IntN(10) > 0 {
				close(pl.done)
			}
			id := reservePrefix + strconv.Itoa(i)
			l.mu.Lock()
			l.addLocked(id, pl)
			l.mu.Unlock()
			all = append(all, rec{id, pl})
		}
		// A failed placement forgets its record; a retry records it again.
		failed := all[r.IntN(len(all))]
		l.mu.Lock()
		l.dropLocked(failed.id, failed.pl)
		retry := &placed{done: make(chan struct{}), until: base.Add(time.Hour)}
		close(retry.done)
		l.addLocked(failed.id, retry)
		l.mu.Unlock()

		now := base.Add(time.Duration(r.IntN(200)) * time.Millisecond)
		l.prune(now, time.Minute)

		slices.SortStableFunc(all, func(a, b rec) int { return a.pl.until.Compare(b.pl.until) })
		want := map[string]bool{failed.id: true}
		blocked := false
		for _, e := range all {
			if e.pl == failed.pl {
				continue
			}
			if blocked || !now.After(e.pl.until) || !settled(e.pl) {
				blocked = blocked || now.After(e.pl.until)
				want[e.id] = true
			}
		}
		got := map[string]bool{}
		for id := range l.reserves {
			got[id] = true
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: %d records kept, want %d", round, len(got), len(want))
		}
		for id := range want {
			if !got[id] {
				t.Fatalf("round %d: record %s dropped, want it kept", round, id)
			}
		}
		if l.reserves[failed.id] != retry {
			t.Fatalf("round %d: the retry's record of %s was dropped with the failed one", round, failed.id)
		}
		if len(l.placements) != 0 {
			t.Fatalf("round %d: reserve records among the placements: %d", round, len(l.placements))
		}
	}
}

// BenchmarkLedgerPrune: one prune of a ledger holding 15,000 reserve records
// (3,000 CreatePlayerSessions a second with a 5 s deadline) of which 3,000
// are past their deadline, in steps of pruneStep.
func BenchmarkLedgerPrune(b *testing.B) {
	base := time.Unix(1_000_000, 0)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		l := newLedger()
		for i := range 15_000 {
			pl := &placed{done: make(chan struct{}), until: base.Add(time.Duration(i) * time.Millisecond / 3)}
			close(pl.done)
			l.addLocked(reservePrefix+strconv.Itoa(i), pl)
		}
		b.StartTimer()
		l.prune(base.Add(time.Second), time.Minute)
	}
}

// TestLedgerPrunesInSteps: pruneReserves drops at most its step of records
// past their deadline and says when more are left; prune takes them all.
func TestLedgerPrunesInSteps(t *testing.T) {
	base := time.Unix(1_000_000, 0)
	l := newLedger()
	for i := range 600 {
		pl := &placed{done: make(chan struct{}), until: base.Add(time.Duration(i) * time.Millisecond)}
		close(pl.done)
		l.mu.Lock()
		l.addLocked(reservePrefix+strconv.Itoa(i), pl)
		l.mu.Unlock()
	}
	now := base.Add(500 * time.Millisecond) // 500 past their deadline
	if more := l.pruneReserves(now, 256); !more || len(l.reserves) != 344 {
		t.Fatalf("one step: more %v, %d records left; want more and 344", more, len(l.reserves))
	}
	if more := l.pruneReserves(now, 256); more || len(l.reserves) != 100 {
		t.Fatalf("second step: more %v, %d records left; want no more and 100", more, len(l.reserves))
	}
	l.prune(base.Add(time.Second), time.Minute)
	if len(l.reserves) != 0 || len(l.byDeadline) != 0 {
		t.Fatalf("after prune: %d records, %d in the heap; want none", len(l.reserves), len(l.byDeadline))
	}
}

// TestLedgerPlayerSessionsAgainstModel drives the ledger's player session
// ids through random placements (which create sessions), reservations in
// running sessions (some with ids reserved before, in this session or
// another), stale reservations forgotten, placements cancelled and sessions
// ended and pruned, and checks sessionOf for every id against a plain map
// of id to session, the ledger as it was, on every step. With every
// hash bit, and with 3 bits, where most ids collide. At the end, with every
// session ended and pruned, the ledger holds nothing.
func TestLedgerPlayerSessionsAgainstModel(t *testing.T) {
	for _, c := range []struct {
		name string
		mask uint64
	}{{"distinct hashes", ^uint64(0)}, {"colliding hashes", 0x7}} {
		t.Run(c.name, func(t *testing.T) {
			narrowHash(t, c.mask)
			const ttl = time.Minute
			rng := rand.New(rand.NewPCG(5, c.mask))
			srv := bareServer()
			srv.opts.PlayerSessionTTL = ttl
			l := srv.ledger
			model := map[string]*session{}
			var running []*session
			var psids []string
			type placement struct {
				id string
				pl *placed
			}
			var placements []placement
			now := time.Unix(1000, 0)
			players := func(step int) []bus.Player {
				out := make([]bus.Player, 1+rng.IntN(3))
				for i := range out {
					psid := fmt.Sprintf("psess-%d-%d", step, i)
					if len(psids) > 0 && rng.IntN(10) == 0 {
						psid = psids[rng.IntN(len(psids))]
					}
					out[i] = bus.Player{PlayerID: "p", PlayerSessionID: psid}
				}
				return out
			}
			settle := func(id string, pl *placed, sess *session, out []bus.PlayerSession) {
				l.mu.Lock()
				l.addLocked(id, pl)
				l.mu.Unlock()
				l.settle(id, pl, sess, bus.PlacementReply{PlayerSessions: out}, nil)
				close(pl.done)
				for _, ps := range out {
					model[ps.PlayerSessionID] = sess
					psids = append(psids, ps.PlayerSessionID)
				}
			}
			for step := range 1500 {
				switch op := rng.IntN(20); {
				case op < 3 || len(running) == 0:
					id := "match-" + strconv.Itoa(step)
					sess := newSession(srv, GameSessionInfo{GameSessionID: "gs-" + strconv.Itoa(step)}, 1<<20)
					out, err := sess.reserve(players(step), now, false)
					if err != nil {
						t.Fatal(err)
					}
					pl := &placed{done: make(chan struct{}), created: true}
					settle(id, pl, sess, out)
					running = append(running, sess)
					placements = append(placements, placement{id, pl})
				case op < 12:
					sess := running[rng.IntN(len(running))]
					out, err := sess.reserve(players(step), now, true)
					if err != nil {
						t.Fatal(err)
					}
					settle(reservePrefix+strconv.Itoa(step), &placed{done: make(chan struct{}), until: now.Add(time.Second)}, sess, out)
				case op < 14:
					sess := running[rng.IntN(len(running))]
					gone := sess.forgetStaleReservations(now)
					l.forgetPlayerSessions(sess, gone)
					for _, psid := range gone {
						if model[psid] == sess {
							delete(model, psid)
						}
					}
				case op < 15 && len(placements) > 0:
					k := rng.IntN(len(placements))
					p := placements[k]
					placements = slices.Delete(placements, k, k+1)
					l.mu.Lock()
					if l.placements[p.id] == p.pl {
						l.forgetLocked(p.id, p.pl)
						for _, psid := range p.pl.psids {
							delete(model, psid)
						}
					}
					l.mu.Unlock()
				case op < 16:
					k := rng.IntN(len(running))
					sess := running[k]
					running = slices.Delete(running, k, k+1)
					sess.ended.Store(true)
					l.sessionEnded(sess, now)
				default:
					now = now.Add(time.Duration(rng.Int64N(int64(ttl / 2))))
					pruneModel(l, model, now, ttl)
					l.prune(now, ttl)
				}
				for _, psid := range psids {
					want := model[psid]
					if got := l.sessionOf(psid); got != want {
						t.Fatalf("step %d: %s finds session %s, want %s", step, psid, sessionName(got), sessionName(want))
					}
				}
			}
			for _, sess := range running {
				sess.ended.Store(true)
				l.sessionEnded(sess, now)
			}
			l.prune(now.Add(2*ttl), ttl)
			if len(l.byHash)+len(l.collided)+len(l.sessions)+len(l.ended)+len(l.placements) != 0 {
				t.Fatalf("all ended and pruned: %d hashes, %d collided ids, %d sessions, %d ended sessions, %d placements left",
					len(l.byHash), len(l.collided), len(l.sessions), len(l.ended), len(l.placements))
			}
		})
	}
}

// pruneModel is what the ledger's prune did to the model, a map of player
// session id to session: the ids of the placements whose session ended more
// than ttl before now, and those of the sessions that ended then that are
// still theirs.
func pruneModel(l *ledger, model map[string]*session, now time.Time, ttl time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, pl := range l.placements {
		if !pl.endedAt.IsZero() && now.Sub(pl.endedAt) > ttl {
			for _, psid := range pl.psids {
				delete(model, psid)
			}
		}
	}
	for sess, at := range l.ended {
		if now.Sub(at) > ttl {
			for psid, s := range model {
				if s == sess && sess.recorded(psid) {
					delete(model, psid)
				}
			}
		}
	}
}

func sessionName(s *session) string {
	if s == nil {
		return "none"
	}
	return s.id
}

// TestLedgerShrinksItsMapsAfterASpike: once a map that grew with the load
// has lost seven eighths of its peak, prune copies it into a smaller one
// (Go's maps keep the room of their largest size), keeping what it held;
// a small map, or one that has not emptied, stays as it is.
func TestLedgerShrinksItsMapsAfterASpike(t *testing.T) {
	const ttl = time.Minute
	srv := bareServer()
	srv.opts.PlayerSessionTTL = ttl
	l := srv.ledger
	now := time.Unix(1000, 0)
	place := func(name string, n int) (*session, []string) {
		sess := newSession(srv, GameSessionInfo{GameSessionID: name}, 1<<20)
		players := make([]bus.Player, n)
		for i := range players {
			players[i] = bus.Player{PlayerID: "p", PlayerSessionID: fmt.Sprintf("psess-%s-%d", name, i)}
		}
		out, err := sess.reserve(players, now, false)
		if err != nil {
			t.Fatal(err)
		}
		pl := &placed{done: make(chan struct{}), created: true}
		l.mu.Lock()
		l.addLocked("match-"+name, pl)
		l.mu.Unlock()
		l.settle("match-"+name, pl, sess, bus.PlacementReply{PlayerSessions: out}, nil)
		close(pl.done)
		ids := make([]string, n)
		for i, ps := range out {
			ids[i] = ps.PlayerSessionID
		}
		return sess, ids
	}
	big, bigIDs := place("big", 3*shrinkFrom)
	small, smallIDs := place("small", 10)
	for i := range 3 * shrinkFrom {
		pl := &placed{done: make(chan struct{}), until: now}
		close(pl.done)
		l.mu.Lock()
		l.addLocked(reservePrefix+strconv.Itoa(i), pl)
		l.mu.Unlock()
	}
	mapOf := func(m any) unsafe.Pointer { return reflect.ValueOf(m).UnsafePointer() }
	byHash, reserves, placements := mapOf(l.byHash), mapOf(l.reserves), mapOf(l.placements)

	big.ended.Store(true)
	l.sessionEnded(big, now)
	l.prune(now.Add(2*ttl), ttl)
	if mapOf(l.byHash) == byHash || mapOf(l.reserves) == reserves {
		t.Fatal("byHash or reserves kept the room of their peak once emptied")
	}
	if mapOf(l.placements) != placements {
		t.Fatal("placements, never larger than 2, was copied")
	}
	if len(l.byHash) != 10 || len(l.reserves) != 0 || l.peaks.byHash != 10 || l.peaks.reserves != 0 {
		t.Fatalf("after the prune: %d hashes (peak %d), %d reserve records (peak %d); want 10 (10), 0 (0)",
			len(l.byHash), l.peaks.byHash, len(l.reserves), l.peaks.reserves)
	}
	for _, psid := range smallIDs {
		if got := l.sessionOf(psid); got != small {
			t.Fatalf("%s finds session %s after the copy, want small", psid, sessionName(got))
		}
	}
	if got := l.sessionOf(bigIDs[0]); got != nil {
		t.Fatalf("%s of the pruned session finds %s", bigIDs[0], sessionName(got))
	}
	byHash = mapOf(l.byHash)
	l.prune(now.Add(3*ttl), ttl)
	if mapOf(l.byHash) != byHash {
		t.Fatal("a map below the size worth shrinking was copied again")
	}
}
