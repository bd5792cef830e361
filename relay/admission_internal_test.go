package relay

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// testSession is a session with what reservations use: a maximum of
// players and a Server with PlayerSessionTTL ttl.
func testSession(maxPlayers int, ttl time.Duration) *session {
	s := &session{maxPlayers: maxPlayers, srv: &Server{opts: Options{PlayerSessionTTL: ttl}}}
	s.routes.Store(newRoutes())
	return s
}

// TestLiveReservations checks reservations.live against a count of every
// reservation through random reservations, logins and time passing: equal
// when reservations are made in expiry order, never lower (so never
// admitting more) when two are made a little out of it.
func TestLiveReservations(t *testing.T) {
	for _, jitter := range []time.Duration{0, 3 * time.Millisecond} {
		rng := rand.New(rand.NewPCG(7, uint64(jitter)))
		var tb reservations
		now := time.Unix(0, 0)
		const ttl = 100 * time.Millisecond
		checks := 0
		for step := range 5000 {
			switch op := rng.IntN(10); {
			case op < 4:
				expires := now.Add(ttl)
				if jitter > 0 {
					expires = expires.Add(-time.Duration(rng.Int64N(int64(jitter))))
				}
				tb.add(bus.Player{PlayerID: "p"}, "psess-"+strconv.Itoa(step), expires, true)
			case op < 6 && len(tb.all) > 0:
				if i := int32(rng.IntN(len(tb.all))); !tb.used(i) && !tb.expired(i, now) {
					tb.use(i)
				}
			default:
				now = now.Add(time.Duration(rng.Int64N(int64(20 * time.Millisecond))))
			}
			want := 0
			for i := range tb.all {
				if !tb.used(int32(i)) && !tb.expired(int32(i), now) {
					want++
				}
			}
			got := tb.live(now)
			if got < want || (jitter == 0 && got != want) {
				t.Fatalf("jitter %v, step %d: %d live reservations counted, %d by looking at each", jitter, step, got, want)
			}
			checks++
		}
		if len(tb.all)-tb.waitHead >= len(tb.all)/2 || checks != 5000 {
			t.Fatalf("jitter %v: %d of %d reservations still queued: the queue does not drain", jitter, len(tb.all)-tb.waitHead, len(tb.all))
		}
	}
}

// TestInfoPlayersNeverModified: Info hands out the session's matched players
// without copying them, so neither a later reservation nor forgetting stale
// ones may change a slice handed out before, and a caller's append may not
// change the session's.
func TestInfoPlayersNeverModified(t *testing.T) {
	s := testSession(100, time.Minute)
	now := time.Unix(0, 0)
	reserve := func(ids ...string) {
		t.Helper()
		players := make([]bus.Player, len(ids))
		for i, id := range ids {
			players[i] = bus.Player{PlayerID: id, PlayerSessionID: "psess-" + id}
		}
		if _, err := s.reserve(players, now, true); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(info GameSessionInfo) string {
		var out []string
		for _, mp := range info.Players {
			out = append(out, mp.PlayerID)
		}
		return strings.Join(out, ",")
	}
	reserve("a", "b")
	first := s.Info()
	reserve("c")
	second := s.Info()
	// a and b expire unused and are forgotten a TTL later; c is used.
	s.mu.Lock()
	s.res.use(s.res.find("psess-c"))
	s.mu.Unlock()
	if gone := s.forgetStaleReservations(now.Add(3 * time.Minute)); len(gone) != 3-1 {
		t.Fatalf("forgot %v, want a's and b's", gone)
	}
	reserve("d")
	reserve("e")
	third := s.Info()
	reserve("f")
	// A caller's append lands in a new array, not in the session's.
	_ = append(third.Players, MatchedPlayer{PlayerID: "x"})
	for _, c := range []struct {
		info GameSessionInfo
		want string
	}{{first, "a,b"}, {second, "a,b,c"}, {third, "c,d,e"}, {s.Info(), "c,d,e,f"}} {
		if got := ids(c.info); got != c.want {
			t.Errorf("matched players %s, want %s", got, c.want)
		}
	}
}

// TestInfoPlayersKept: Info hands out the same matched players until a
// reservation is made, and the session does not keep them past a
// collection that finds no caller holding them; made again, they are the
// same players.
func TestInfoPlayersKept(t *testing.T) {
	s := testSession(100, time.Minute)
	now := time.Unix(0, 0)
	reserve := func(id string) {
		t.Helper()
		if _, err := s.reserve([]bus.Player{{PlayerID: id, PlayerSessionID: "psess-" + id, Team: "red"}}, now, true); err != nil {
			t.Fatal(err)
		}
	}
	reserve("a")
	reserve("b")
	first := s.Info().Players
	if again := s.Info().Players; &again[0] != &first[0] {
		t.Fatal("Info made the matched players again with no reservation made")
	}
	reserve("c")
	third := s.Info().Players
	if &third[0] == &first[0] || len(third) != 3 {
		t.Fatalf("after a reservation, Info handed out %d players, the same slice: %v", len(third), &third[0] == &first[0])
	}
	want := slices.Clone(third)
	first, third = nil, nil
	runtime.GC()
	s.mu.Lock()
	kept := s.res.players.Value() != nil
	s.mu.Unlock()
	if kept {
		t.Fatal("the session kept its matched players through a collection with no caller holding them")
	}
	if got := s.Info().Players; !slices.EqualFunc(got, want, func(a, b MatchedPlayer) bool {
		return a.PlayerID == b.PlayerID && a.PlayerSessionID == b.PlayerSessionID && a.Team == b.Team
	}) {
		t.Fatalf("made again, the matched players are %+v, want %+v", got, want)
	}
}

// BenchmarkInfo is Info of a session that has reserved 10,000 player
// sessions over its life, as a script's getGameSessionData reads it.
func BenchmarkInfo(b *testing.B) {
	s := testSession(1<<20, time.Minute)
	for i := range 10000 {
		id := strconv.Itoa(i)
		if _, err := s.reserve([]bus.Player{{PlayerID: id, PlayerSessionID: "psess-" + id}}, time.Unix(0, 0), true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(s.Info().Players) != 10000 {
			b.Fatal("players lost")
		}
	}
}

// TestStaleReservationReservedAgain: a player session id reserved twice in
// a session keeps its newer reservation when the older one is forgotten.
func TestStaleReservationReservedAgain(t *testing.T) {
	const ttl = time.Minute
	s := testSession(100, ttl)
	t0 := time.Unix(0, 0)
	for _, at := range []time.Time{t0, t0.Add(ttl)} {
		if _, err := s.reserve([]bus.Player{{PlayerID: "p", PlayerSessionID: "psess-1"}}, at, true); err != nil {
			t.Fatal(err)
		}
	}
	// The first expired at t0+ttl and is stale a ttl later; the second is not.
	if gone := s.forgetStaleReservations(t0.Add(2*ttl + time.Second)); len(gone) != 0 {
		t.Fatalf("forgot %v: the newer reservation of psess-1 went with the older", gone)
	}
	if i := s.res.find("psess-1"); i != 1 || s.res.player(i, "psess-1").PlayerID != "p" {
		t.Fatalf("psess-1's reservation %d lost", i)
	}
	if gone := s.forgetStaleReservations(t0.Add(3*ttl + time.Second)); len(gone) != 1 || s.res.find("psess-1") >= 0 {
		t.Fatalf("forgot %v at the newer one's time, %d reservations left; want psess-1 gone", gone, s.res.held())
	}
	if n := s.res.matchedCount(); n != 0 {
		t.Fatalf("%d matched players left, want the older and the newer psess-1 gone", n)
	}
}
