package relay

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// narrowHash narrows psidHash to mask for the test, so that player session
// ids collide; the test must not run in parallel with others.
func narrowHash(t *testing.T, mask uint64) {
	psidHashMask = mask
	t.Cleanup(func() { psidHashMask = ^uint64(0) })
}

// TestReservationHoldsNoPointer: a reservation, of which a relay holds
// millions, stays 32 bytes of plain numbers, which the collector never
// scans.
func TestReservationHoldsNoPointer(t *testing.T) {
	typ := reflect.TypeFor[reservation]()
	for i := range typ.NumField() {
		switch f := typ.Field(i); f.Type.Kind() {
		case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint8, reflect.Uint32:
		default:
			t.Errorf("field %s is a %s", f.Name, f.Type)
		}
	}
	if typ.Size() != 32 {
		t.Errorf("a reservation is %d bytes, want 32", typ.Size())
	}
}

// modelReservation is a reservation as TestReservationsAgainstModel
// expects it, kept the plain way: one record each, nothing moved.
type modelReservation struct {
	psid, playerID, data       string
	expires                    time.Time
	late, used, replaced, gone bool
}

// TestReservationsAgainstModel drives a table through random reservations
// (some reserving an id again), logins, time passing and stale
// reservations forgotten, and checks every answer it gives against a plain
// model: the lookup of each id, the live count, what is forgotten, the
// matched players in order, the ids held (and, all recorded in the ledger,
// whether another of the same hash is), joined and the backfill's live
// players. With every hash bit, and with 2 bits, where most ids collide.
func TestReservationsAgainstModel(t *testing.T) {
	for _, c := range []struct {
		name string
		mask uint64
		dups int // in 100: how often a reservation takes an id reserved before
	}{
		{"distinct ids", ^uint64(0), 0},
		{"ids reserved again", ^uint64(0), 10},
		{"colliding hashes", 0x3, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			narrowHash(t, c.mask)
			const ttl = time.Minute
			rng := rand.New(rand.NewPCG(11, c.mask))
			var tb reservations
			var model []*modelReservation
			newest := map[string]*modelReservation{}
			now := time.Unix(1000, 0)
			forgotten, compactions := 0, 0
			for step := range 1500 {
				switch op := rng.IntN(20); {
				case op < 9:
					late := step > 0
					for k := range 1 + rng.IntN(4) {
						psid := fmt.Sprintf("psess-%d-%d", step, k)
						if len(model) > 0 && rng.IntN(100) < c.dups {
							psid = model[rng.IntN(len(model))].psid
						}
						m := &modelReservation{psid: psid, playerID: "p" + strconv.Itoa(step*10+k), expires: now.Add(ttl), late: late}
						if rng.IntN(3) == 0 {
							m.data = "data " + psid
						}
						old := newest[psid]
						if old != nil {
							old.replaced = true
						}
						newest[psid] = m
						model = append(model, m)
						tb.add(bus.Player{PlayerID: m.playerID, PlayerData: m.data}, psid, m.expires, late)
						// The ledger records the session as the id's from
						// its first reservation on.
						if tb.recorded(psid) != (old != nil) {
							t.Fatalf("step %d: %s reserved again: recorded %v, want %v", step, psid, old == nil, old != nil)
						}
						tb.setRecorded(psid, true)
					}
				case op < 13:
					for psid, m := range newest {
						if !m.used && now.Before(m.expires) {
							m.used = true
							tb.use(tb.find(psid))
							break
						}
					}
				case op < 18:
					now = now.Add(time.Duration(rng.Int64N(int64(ttl / 4))))
				default:
					var want []string
					for _, m := range model {
						if m.late && !m.used && !m.replaced && !m.gone && now.Sub(m.expires) >= ttl {
							want = append(want, m.psid)
							delete(newest, m.psid)
							for _, o := range model {
								if o.psid == m.psid {
									o.gone = true
								}
							}
						}
					}
					before := len(tb.all)
					gone := tb.forgetStale(now, ttl)
					if len(tb.all) < before {
						compactions++
					}
					slices.Sort(want)
					slices.Sort(gone)
					if !slices.Equal(gone, want) {
						t.Fatalf("step %d: forgot %v, want %v", step, gone, want)
					}
					forgotten += len(gone)
				}
				checkAgainstModel(t, step, &tb, model, newest, now)
			}
			if forgotten == 0 || compactions == 0 || tb.held() == 0 {
				t.Fatalf("%d forgotten in %d compactions, %d held: the steps did not forget, compact and keep", forgotten, compactions, tb.held())
			}
		})
	}
}

func checkAgainstModel(t *testing.T, step int, tb *reservations, model []*modelReservation, newest map[string]*modelReservation, now time.Time) {
	t.Helper()
	live, joined := 0, false
	for _, m := range model {
		if i := tb.find(m.psid); newest[m.psid] == nil {
			if i >= 0 {
				t.Fatalf("step %d: %s found (%d), want it forgotten", step, m.psid, i)
			}
		} else if n := newest[m.psid]; i < 0 || tb.player(i, "").PlayerID != n.playerID || tb.player(i, "").PlayerData != n.data ||
			tb.used(i) != n.used || tb.expired(i, now) == now.Before(n.expires) {
			t.Fatalf("step %d: %s finds reservation %d, want the one of %s", step, m.psid, i, n.playerID)
		}
		if !m.used && now.Before(m.expires) {
			live++
		}
	}
	ofHash := map[uint64]int{}
	for psid, n := range newest {
		joined = joined || n.used
		ofHash[psidHash(psid)]++
	}
	checked := 0
	for psid := range newest {
		if checked++; checked > 8 {
			break
		}
		if other := ofHash[psidHash(psid)] > 1; tb.recordsOther(psidHash(psid), psid) != other || !tb.recorded(psid) {
			t.Fatalf("step %d: records an id other than %s of its hash: %v, want %v; records %s: %v", step, psid, !other, other, psid, tb.recorded(psid))
		}
	}
	if got := tb.live(now); got != live {
		t.Fatalf("step %d: %d live, want %d", step, got, live)
	}
	if tb.held() != len(newest) || tb.joined() != joined {
		t.Fatalf("step %d: %d ids held, joined %v; want %d, %v", step, tb.held(), tb.joined(), len(newest), joined)
	}
	var want, got []string
	var wantLive []string
	seen := map[string]bool{}
	for _, m := range model {
		if m.gone {
			continue
		}
		want = append(want, m.psid+"/"+m.playerID+"/"+m.data)
		if n := newest[m.psid]; !n.used && now.Before(n.expires) && !seen[m.playerID] {
			wantLive = append(wantLive, m.playerID)
			seen[m.playerID] = true
		}
	}
	for _, mp := range tb.matched() {
		got = append(got, mp.PlayerSessionID+"/"+mp.PlayerID+"/"+mp.PlayerData)
	}
	if !slices.Equal(got, want) || tb.matchedCount() != len(want) {
		t.Fatalf("step %d: matched players %v, want %v", step, got, want)
	}
	var gotLive []string
	for _, p := range tb.livePlayers(now, nil, map[string]bool{}) {
		gotLive = append(gotLive, p.PlayerID)
	}
	if !slices.Equal(gotLive, wantLive) {
		t.Fatalf("step %d: live players %v, want %v", step, gotLive, wantLive)
	}
}

// loginCounts counts the answers to logins in TestReservationsRace.
type loginCounts struct {
	mu       sync.Mutex
	admitted map[string]int
	refused  map[protocol.Refusal]int
}

// login looks psid up as a login does (the ledger, then its session's
// reservation under the session's turn, as on the session goroutine) and
// uses the reservation when it may.
func (c *loginCounts) login(srv *Server, psid string, now time.Time) {
	refusal := protocol.RefusalUnknownPlayerSession
	if sess := srv.ledger.sessionOf(psid); sess != nil {
		sess.turn.Lock()
		var i int32
		if i, _, refusal = sess.reserved(psid, now); refusal == protocol.RefusalNone {
			sess.mu.Lock()
			sess.res.use(i)
			sess.mu.Unlock()
		}
		sess.turn.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if refusal == protocol.RefusalNone {
		c.admitted[psid]++
	} else {
		c.refused[refusal]++
	}
}

// TestReservationsRace runs reservations, logins and stale reservations
// forgotten at once, as the bus goroutines and the session goroutines do,
// and counts: first, reservations in two sessions with a quarter of them
// logged in twice each (one admitted, one refused as used) while being
// made; then new reservations, their logins, logins with the old ids never
// used (refused as expired, or as not reserved once forgotten) and the
// sessions forgetting the old unused ones (which compacts their tables), all
// at once. Then each id is where it should be, in its session and in the
// ledger. With every hash bit, and with 4 bits, where ids collide.
func TestReservationsRace(t *testing.T) {
	for _, c := range []struct {
		name string
		mask uint64
	}{{"distinct hashes", ^uint64(0)}, {"colliding hashes", 0xf}} {
		t.Run(c.name, func(t *testing.T) {
			narrowHash(t, c.mask)
			const ttl = time.Minute
			const reservers, oldPerReserver, newPerReserver = 4, 300, 100
			srv := bareServer()
			srv.opts.PlayerSessionTTL = ttl
			sessions := []*session{
				newSession(srv, GameSessionInfo{GameSessionID: "gs-0"}, 1<<20),
				newSession(srv, GameSessionInfo{GameSessionID: "gs-1"}, 1<<20),
			}
			t0 := time.Unix(1000, 0)
			counts := &loginCounts{admitted: map[string]int{}, refused: map[protocol.Refusal]int{}}
			sessionOf := map[string]*session{}
			var sessionOfMu sync.Mutex
			// reserve makes n reserve requests of 2 players per reserver at
			// now, sending every fourth id to logins twice and the others
			// to unused.
			reserve := func(phase string, n int, now time.Time, logins, unused chan<- string) *sync.WaitGroup {
				var wg sync.WaitGroup
				for r := range reservers {
					wg.Go(func() {
						for k := range n {
							id := fmt.Sprintf("%s-%d-%d", phase, r, k)
							players := []bus.Player{{PlayerID: "a" + id, PlayerSessionID: "psess-a" + id}, {PlayerID: "b" + id, PlayerSessionID: "psess-b" + id}}
							sess := sessions[(r+k)%len(sessions)]
							reserveAt(t, srv, sess, id, players, now)
							for j, p := range players {
								sessionOfMu.Lock()
								sessionOf[p.PlayerSessionID] = sess
								sessionOfMu.Unlock()
								if (k*2+j)%4 == 0 {
									logins <- p.PlayerSessionID
									logins <- p.PlayerSessionID
								} else if unused != nil {
									unused <- p.PlayerSessionID
								}
							}
						}
					})
				}
				return &wg
			}
			loginAll := func(psids <-chan string, now time.Time) *sync.WaitGroup {
				var wg sync.WaitGroup
				for range 4 {
					wg.Go(func() {
						for psid := range psids {
							counts.login(srv, psid, now)
						}
					})
				}
				return &wg
			}

			oldLogins, oldUnused := make(chan string, 64), make(chan string, 4*reservers*oldPerReserver)
			logging := loginAll(oldLogins, t0.Add(ttl/2))
			reserve("old", oldPerReserver, t0, oldLogins, oldUnused).Wait()
			close(oldLogins)
			close(oldUnused)
			logging.Wait()

			newLogins, late := make(chan string, 64), make(chan string, 64)
			now := t0.Add(2*ttl + time.Second)
			logging = loginAll(newLogins, now)
			lateLogging := loginAll(late, now)
			var forgetting sync.WaitGroup
			forgotten := 0
			var forgottenMu sync.Mutex
			forget := func(sess *session) {
				sess.turn.Lock()
				defer sess.turn.Unlock()
				gone := sess.forgetStaleReservations(now)
				srv.ledger.forgetPlayerSessions(sess, gone)
				forgottenMu.Lock()
				forgotten += len(gone)
				forgottenMu.Unlock()
			}
			for _, sess := range sessions {
				forgetting.Go(func() {
					for range 50 {
						forget(sess)
						runtime.Gosched()
					}
				})
			}
			reserving := reserve("new", newPerReserver, now, newLogins, nil)
			oldUnusedCount := 0
			for psid := range oldUnused {
				late <- psid
				oldUnusedCount++
			}
			close(late)
			reserving.Wait()
			close(newLogins)
			logging.Wait()
			lateLogging.Wait()
			forgetting.Wait()
			for _, sess := range sessions {
				forget(sess)
			}

			loggedIn := 2 * reservers * (oldPerReserver + newPerReserver) / 4
			if len(counts.admitted) != loggedIn || counts.refused[protocol.RefusalPlayerSessionUsed] != loggedIn {
				t.Fatalf("%d ids admitted, %d logins refused as used; want %d of each", len(counts.admitted), counts.refused[protocol.RefusalPlayerSessionUsed], loggedIn)
			}
			for psid, n := range counts.admitted {
				if n != 1 {
					t.Fatalf("%s admitted %d times", psid, n)
				}
			}
			if expired, unknown := counts.refused[protocol.RefusalPlayerSessionExpired], counts.refused[protocol.RefusalUnknownPlayerSession]; expired+unknown != oldUnusedCount || forgotten != oldUnusedCount {
				t.Fatalf("old unused ids: %d refused as expired, %d as unknown, %d forgotten; want %d in all", expired, unknown, forgotten, oldUnusedCount)
			}
			held := 0
			for psid, want := range sessionOf {
				_, used := counts.admitted[psid]
				kept := used || strings.HasPrefix(psid, "psess-anew") || strings.HasPrefix(psid, "psess-bnew")
				if got := srv.ledger.sessionOf(psid); (got == want) != kept || (got != nil) != kept {
					t.Fatalf("%s: the ledger finds session %v, kept %v", psid, got, kept)
				}
				if found := want.res.find(psid) >= 0; found != kept {
					t.Fatalf("%s: found in its session %v, kept %v", psid, found, kept)
				}
				if kept {
					held++
				}
			}
			for _, sess := range sessions {
				held -= sess.res.held()
				if sess.res.matchedCount() != sess.res.held() || len(sess.res.all) != sess.res.held() {
					t.Fatalf("%s: %d matched players, %d reservations, %d ids held; want all alike (compacted)",
						sess.id, sess.res.matchedCount(), len(sess.res.all), sess.res.held())
				}
			}
			if held != 0 {
				t.Fatalf("the sessions hold %d ids more than kept", -held)
			}
		})
	}
}
