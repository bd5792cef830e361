package relay

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// TestLiveReservations checks liveReservations against a count of every
// reservation through random reservations, logins and time passing: equal
// when reservations are made in expiry order, never lower (so never
// admitting more) when two are made a little out of it.
func TestLiveReservations(t *testing.T) {
	for _, jitter := range []time.Duration{0, 3 * time.Millisecond} {
		rng := rand.New(rand.NewPCG(7, uint64(jitter)))
		s := &session{reservations: make(map[string]*reservation)}
		now := time.Unix(0, 0)
		const ttl = 100 * time.Millisecond
		var all []*reservation
		checks := 0
		for step := range 5000 {
			switch op := rng.IntN(10); {
			case op < 4:
				expires := now.Add(ttl)
				if jitter > 0 {
					expires = expires.Add(-time.Duration(rng.Int64N(int64(jitter))))
				}
				r := &reservation{expires: expires, waiting: true}
				s.waiting = append(s.waiting, r)
				all = append(all, r)
			case op < 6 && len(all) > 0:
				if r := all[rng.IntN(len(all))]; !r.used && now.Before(r.expires) {
					s.use(r)
				}
			default:
				now = now.Add(time.Duration(rng.Int64N(int64(20 * time.Millisecond))))
			}
			want := 0
			for _, r := range all {
				if !r.used && now.Before(r.expires) {
					want++
				}
			}
			got := s.liveReservations(now)
			if got < want || (jitter == 0 && got != want) {
				t.Fatalf("jitter %v, step %d: %d live reservations counted, %d by looking at each", jitter, step, got, want)
			}
			checks++
		}
		if len(s.waiting) >= len(all)/2 || checks != 5000 {
			t.Fatalf("jitter %v: %d of %d reservations still queued: the queue does not drain", jitter, len(s.waiting), len(all))
		}
	}
}

// TestInfoPlayersNeverModified: Info hands out the session's matched players
// without copying them, so neither a later reservation nor forgetting stale
// ones may change a slice handed out before, and a caller's append may not
// change the session's.
func TestInfoPlayersNeverModified(t *testing.T) {
	s := &session{reservations: make(map[string]*reservation), maxPlayers: 100,
		srv: &Server{opts: Options{PlayerSessionTTL: time.Minute}}}
	s.routes.Store(newRoutes())
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
	s.use(s.reservations["psess-c"])
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

// BenchmarkInfo is Info of a session that has reserved 10,000 player
// sessions over its life, as a script's getGameSessionData reads it.
func BenchmarkInfo(b *testing.B) {
	s := &session{reservations: make(map[string]*reservation), maxPlayers: 1 << 20,
		srv: &Server{opts: Options{PlayerSessionTTL: time.Minute}}}
	s.routes.Store(newRoutes())
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

// TestReservationsIndexTheirPlayers: each reservation finds its player in
// the session's matched players by index, through reservations, logins and
// stale ones forgotten (which moves the players after them); and what
// forgetStaleReservations forgets, from its queue, is every late
// reservation unused a TTL past its expiry.
func TestReservationsIndexTheirPlayers(t *testing.T) {
	const ttl = time.Minute
	s := &session{reservations: make(map[string]*reservation), maxPlayers: 1 << 20,
		srv: &Server{opts: Options{PlayerSessionTTL: ttl}}}
	s.routes.Store(newRoutes())
	rng := rand.New(rand.NewPCG(3, 4))
	now := time.Unix(0, 0)
	forgotten := 0
	late := map[string]bool{}
	for step := range 400 {
		switch op := rng.IntN(10); {
		case op < 6:
			players := make([]bus.Player, 1+rng.IntN(4))
			for i := range players {
				id := strconv.Itoa(step) + "-" + strconv.Itoa(i)
				players[i] = bus.Player{PlayerID: "p" + id, PlayerSessionID: "psess-" + id, PlayerData: "data " + id}
			}
			isLate := rng.IntN(4) > 0
			if _, err := s.reserve(players, now, isLate); err != nil {
				t.Fatal(err)
			}
			for _, p := range players {
				late[p.PlayerSessionID] = isLate
			}
		case op < 8:
			for _, r := range s.reservations {
				if !r.used {
					s.use(r)
					break
				}
			}
		default:
			now = now.Add(time.Duration(rng.Int64N(int64(ttl))))
			var want []string
			for psid, r := range s.reservations {
				if late[psid] && !r.used && now.Sub(r.expires) >= ttl {
					want = append(want, psid)
				}
			}
			gone := s.forgetStaleReservations(now)
			slices.Sort(want)
			slices.Sort(gone)
			if !slices.Equal(gone, want) {
				t.Fatalf("step %d: forgot %v, want %v", step, gone, want)
			}
			forgotten += len(gone)
		}
		if len(s.info.Players) != len(s.reservations) {
			t.Fatalf("step %d: %d matched players for %d reservations", step, len(s.info.Players), len(s.reservations))
		}
		for psid, r := range s.reservations {
			mp := s.info.Players[r.idx]
			if mp.PlayerSessionID != psid || mp.PlayerData != "data "+strings.TrimPrefix(psid, "psess-") {
				t.Fatalf("step %d: reservation %s finds player %+v", step, psid, mp)
			}
		}
	}
	if forgotten == 0 || len(s.reservations) == 0 {
		t.Fatalf("%d forgotten, %d left: the steps did not forget some and keep others", forgotten, len(s.reservations))
	}
}

// TestStaleReservationReservedAgain: a player session id reserved twice in
// a session keeps its newer reservation when the older one is forgotten.
func TestStaleReservationReservedAgain(t *testing.T) {
	const ttl = time.Minute
	s := &session{reservations: make(map[string]*reservation), maxPlayers: 100,
		srv: &Server{opts: Options{PlayerSessionTTL: ttl}}}
	s.routes.Store(newRoutes())
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
	if r := s.reservations["psess-1"]; r == nil || s.info.Players[r.idx].PlayerSessionID != "psess-1" {
		t.Fatalf("psess-1's reservation %+v lost", r)
	}
	if gone := s.forgetStaleReservations(t0.Add(3*ttl + time.Second)); len(gone) != 1 || s.reservations["psess-1"] != nil {
		t.Fatalf("forgot %v at the newer one's time, %d reservations left; want psess-1 gone", gone, len(s.reservations))
	}
}
