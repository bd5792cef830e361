package relay

import (
	"math/rand/v2"
	"testing"
	"time"
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
