package matchmaker

import (
	"context"
	"fmt"
	"sync"
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

// unreadableStore is a store whose DueReservations, the first time,
// reports an unreadable record beside its results, as Redis does for a
// damaged player session record.
type unreadableStore struct {
	store.Store
	once sync.Once
}

func (s *unreadableStore) DueReservations(ctx context.Context, before time.Time, limit int) ([]store.Reservation, bool, error) {
	due, more, err := s.Store.DueReservations(ctx, before, limit)
	if err == nil {
		s.once.Do(func() {
			err = fmt.Errorf("due reservations: 1 index entries dropped: %w: player session psess-x", store.ErrUnreadable)
		})
	}
	return due, more, err
}

// TestSweepGoesOnPastUnreadable: a sweep whose store reports an unreadable
// record (ErrUnreadable, its entry dropped) times out the due reservations
// returned beside it and succeeds.
func TestSweepGoesOnPastUnreadable(t *testing.T) {
	e := newSessionEnv(t, func(t *testing.T, now func() time.Time) store.Store {
		return &unreadableStore{Store: store.NewMemory(store.Options{Now: now})}
	})
	gs := e.session(4, nil)
	ps := e.players(gs.GameSessionId, "a", "b")
	e.clk.Advance(PlayerSessionTimeout)
	if n, err := e.svc.sweepReservations(e.ctx); err != nil || n != 2 {
		t.Fatalf("sweep: %d reservations, %v; want 2 and no error", n, err)
	}
	for _, p := range ps {
		if got := e.playerSession(p.PlayerSessionId).Status; got != "TIMEDOUT" {
			t.Fatalf("%s is %s after the sweep, want TIMEDOUT", p.PlayerSessionId, got)
		}
	}
}

// stuckSweepStore is a store whose DueReservations does not return until
// its context ends: a sweep that takes as long as the test.
type stuckSweepStore struct {
	store.Store
	entered chan struct{}
	once    sync.Once
}

func (s *stuckSweepStore) DueReservations(ctx context.Context, _ time.Time, _ int) ([]store.Reservation, bool, error) {
	s.once.Do(func() { close(s.entered) })
	<-ctx.Done()
	return nil, false, ctx.Err()
}

// TestSweepDoesNotHoldDiscovery: while a sweep of reservations runs, the
// former still discovers a new configuration and forms its matches (the
// sweep has a loop of its own).
func TestSweepDoesNotHoldDiscovery(t *testing.T) {
	st := &stuckSweepStore{Store: store.NewMemory(store.Options{}), entered: make(chan struct{})}
	e := newFormEnvWith(t, formingOptions(Options{Store: st}), ModeStandalone, false)
	runService(t, e.svc)
	select {
	case <-st.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no sweep of reservations started")
	}
	ctx := context.Background()
	mode, no, timeout := ModeStandalone, false, 60
	if _, err := e.svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "late", RuleSetName: "duel",
		RequestTimeoutSeconds: &timeout, AcceptanceRequired: &no, FlexMatchMode: &mode}); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"a", "b"} {
		skill := 1000 + float64(i)
		if _, err := e.svc.StartMatchmaking(ctx, &StartMatchmakingInput{TicketId: id, ConfigurationName: "late",
			Players: []store.Player{{PlayerId: "player-" + id, PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &skill}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	e.waitStatus("a", store.StatusCompleted)
}
