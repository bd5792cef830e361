package matchmaker

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestSweepReservationsInBatches: one sweep times out every reservation
// due, reservationSweepBatch at a time in one store step each, counts them
// TIMEDOUT in the metrics and frees their slots; reservations not yet due
// are left RESERVED.
func TestSweepReservationsInBatches(t *testing.T) {
	const due = 2*reservationSweepBatch + 25
	eachStore(t, func(t *testing.T, open opener) {
		reg := prometheus.NewRegistry()
		var st *countingStore
		e := newSessionEnv(t, func(t *testing.T, now func() time.Time) store.Store {
			st = &countingStore{Store: open(t, now)}
			return st
		}, func(o *Options) { o.Registerer = reg })
		gs := e.session(due+25, nil)
		for call := range due / 25 {
			ids := make([]string, 25)
			for i := range ids {
				ids[i] = fmt.Sprintf("p-%d-%d", call, i)
			}
			e.players(gs.GameSessionId, ids...)
		}
		e.clk.Advance(time.Second)
		late := e.players(gs.GameSessionId, "late")
		e.clk.Advance(PlayerSessionTimeout - time.Second)
		n, err := e.svc.sweepReservations(e.ctx)
		if err != nil || n != due {
			t.Fatalf("sweep: %d reservations, %v; want %d", n, err, due)
		}
		if got := st.timeOuts.Load(); got != 3 {
			t.Fatalf("%d store steps to time out %d reservations, want 3", got, due)
		}
		if got := e.describe(gs.GameSessionId).CurrentPlayerSessionCount; got != 1 {
			t.Fatalf("%d player sessions hold a slot after the sweep, want 1 (the late one)", got)
		}
		if got := e.playerSession(late[0].PlayerSessionId).Status; got != "RESERVED" {
			t.Fatalf("the reservation not yet due is %s, want RESERVED", got)
		}
		if got := counterValue(t, reg, "matchpoint_player_sessions_total", "fleet", e.fleet.FleetId, "status", "TIMEDOUT"); got != due {
			t.Fatalf("matchpoint_player_sessions_total{status=TIMEDOUT} = %v, want %d", got, due)
		}
		if n, err := e.svc.sweepReservations(e.ctx); err != nil || n != 0 {
			t.Fatalf("a second sweep: %d reservations, %v; want none", n, err)
		}
	})
}
