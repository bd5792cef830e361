package matchmaker

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// secondMatchmaker starts another Service on e's store, relays and clock,
// running (its former sweeps placements) until the test ends.
func (e *sessionEnv) secondMatchmaker(events *queueEvents) *Service {
	e.t.Helper()
	svc, err := New(Options{
		Store: e.st, Publisher: events, Now: e.clk.Now, Logger: quiet,
		Region: "eu-west-1", AccountID: "123456789012", GameSessionBus: e.relays,
		ScriptExists: func(_ context.Context, name string) (bool, error) { return name == "game", nil },
		Relays: func() []Relay {
			e.fleetEnv.mu.Lock()
			defer e.fleetEnv.mu.Unlock()
			return append([]Relay(nil), e.fleetEnv.relays...)
		},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = svc.Close() })
	runService(e.t, svc)
	return svc
}

// storedPlacement reads a placement from the store, as no reader of the
// API would (a read past its deadline would time it out).
func (e *sessionEnv) storedPlacement(id string) store.GameSessionPlacement {
	e.t.Helper()
	p, err := e.st.GetPlacement(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// storePending stores, as a matchmaker left it, a PENDING placement of queue
// q owned by owner ("": released) that times out after deadline and
// records the game session gsID ("": none).
func (e *sessionEnv) storePending(id, owner string, deadline time.Duration, gsID string) {
	e.t.Helper()
	now := e.clk.Now()
	if err := e.st.CreatePlacement(e.ctx, store.GameSessionPlacement{PlacementId: id, GameSessionQueueName: "q", Status: store.PlacementPending,
		MaximumPlayerSessionCount: 2, StartTime: now, Deadline: now.Add(deadline), GameSessionId: gsID, GameSessionArn: gsID, Owner: owner}); err != nil {
		e.t.Fatal(err)
	}
}

// TestClosedMatchmakersPlacementIsTakenOver: a matchmaker that closes while
// a placement waits for capacity releases it (and one started while it
// closes), and another matchmaker's sweep takes them over and fulfils them
// once there is room, with their events.
func TestClosedMatchmakersPlacementIsTakenOver(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, events := newPlacementEnv(t, open)
		e.queue("q", 60, "eu-west-1")
		e.setRelays()
		if _, err := e.svc.StartGameSessionPlacement(e.ctx, &StartGameSessionPlacementInput{PlacementId: "pl-move", GameSessionQueueName: "q",
			MaximumPlayerSessionCount: ptr(2), DesiredPlayerSessions: []DesiredPlayerSession{{PlayerId: "ana"}}}); err != nil {
			t.Fatal(err)
		}
		if p := e.storedPlacement("pl-move"); p.Owner != e.svc.owner() || p.Status != store.PlacementPending {
			t.Fatalf("started placement %+v, want PENDING owned by %s", p, e.svc.owner())
		}
		if err := e.svc.Close(); err != nil {
			t.Fatal(err)
		}
		// One started while it closes is released at once.
		out, err := e.svc.StartGameSessionPlacement(e.ctx, &StartGameSessionPlacementInput{PlacementId: "pl-closing", GameSessionQueueName: "q", MaximumPlayerSessionCount: ptr(2)})
		if err != nil || out.GameSessionPlacement.Status != "PENDING" {
			t.Fatalf("placement started on a closed matchmaker: %+v, %v; want PENDING", out, err)
		}
		for _, id := range []string{"pl-move", "pl-closing"} {
			if p := e.storedPlacement(id); p.Owner != "" || p.Status != store.PlacementPending {
				t.Fatalf("placement after its matchmaker closed %+v, want PENDING without an owner", p)
			}
		}
		other := e.secondMatchmaker(events)
		e.setRelays(Relay{ID: "relay-1", Region: "eu-west-1", MaxSessions: 10})
		for _, id := range []string{"pl-move", "pl-closing"} {
			if !waitFor(t, 10*time.Second, func() bool { return e.storedPlacement(id).Status == store.PlacementFulfilled }) {
				t.Fatalf("placement %+v, want FULFILLED by the second matchmaker", e.storedPlacement(id))
			}
		}
		if p := e.storedPlacement("pl-move"); p.Owner != other.owner() || len(p.PlacedPlayerSessions) != 1 {
			t.Fatalf("fulfilled placement %+v, want owned by %s with one player session", p, other.owner())
		}
		if !waitFor(t, 10*time.Second, func() bool { return len(events.types()) == 2 }) ||
			slices.ContainsFunc(events.types(), func(typ string) bool { return typ != EventPlacementFulfilled }) {
			t.Fatalf("queue events %v, want two PlacementFulfilled", events.types())
		}
	})
}

// TestSweepEndsOrphanPlacements: with no reader, the sweep times out a
// placement whose matchmaker died (past its deadline and the grace), ending
// the game session it recorded, and a released one past its deadline; each
// ends with PlacementTimedOut. One within its grace is left to its owner.
func TestSweepEndsOrphanPlacements(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, events := newPlacementEnv(t, open)
		e.queue("q", 60, "eu-west-1")
		gs := e.session(2, nil)
		e.storePending("pl-dead", "gone", time.Second, gs.GameSessionId)
		e.storePending("pl-released", "", time.Second, "")
		e.storePending("pl-late", "gone", time.Second+placementOrphanGrace, "")
		e.clk.Advance(time.Second + placementOrphanGrace + time.Millisecond)
		n, err := e.svc.sweepPlacements(e.ctx)
		if err != nil || n != 2 {
			t.Fatalf("sweep: %d, %v; want 2 placements ended", n, err)
		}
		for id, want := range map[string]store.PlacementStatus{"pl-dead": store.PlacementTimedOut, "pl-released": store.PlacementTimedOut, "pl-late": store.PlacementPending} {
			if got := e.storedPlacement(id).Status; got != want {
				t.Fatalf("%s is %s, want %s", id, got, want)
			}
		}
		e.sessionIs(gs.GameSessionId, "TERMINATING", "the dead matchmaker's game session")
		if got := events.types(); len(got) != 2 || got[0] != EventPlacementTimedOut || got[1] != EventPlacementTimedOut {
			t.Fatalf("queue events %v, want two PlacementTimedOut", got)
		}
	})
}

// TestTakeOverEndsARecordedGameSession: a released placement that records a
// game session (its matchmaker, of a version before owners, died while
// making its player sessions) is taken over without it: that session, given
// to no caller, ends, and the placement gets a session of its own.
func TestTakeOverEndsARecordedGameSession(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, _ := newPlacementEnv(t, open)
		e.queue("q", 60, "eu-west-1")
		left := e.session(2, nil)
		e.storePending("pl-left", "", time.Minute, left.GameSessionId)
		e.setRelays()
		if n, err := e.svc.sweepPlacements(e.ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d, %v; want 1 placement taken over", n, err)
		}
		e.sessionIs(left.GameSessionId, "TERMINATING", "the recorded game session")
		if p := e.storedPlacement("pl-left"); p.GameSessionId != "" || p.Owner != e.svc.owner() {
			t.Fatalf("placement taken over %+v, want owned by %s without a game session", p, e.svc.owner())
		}
		e.setRelays(Relay{ID: "relay-1", Region: "eu-west-1", MaxSessions: 10})
		p := e.placementStatus("pl-left", "FULFILLED")
		if p.GameSessionArn == "" || p.GameSessionArn == left.GameSessionId {
			t.Fatalf("fulfilled %+v, want a game session other than %s", p, left.GameSessionId)
		}
	})
}

// TestSweepLeasesHandedBack: a matchmaker whose Run ends hands back the
// leases of its sweeps, so that another one sweeps at once rather than after
// the lease lapses.
func TestSweepLeasesHandedBack(t *testing.T) {
	e := newEnv(t, memOpen, func(o *Options) { o.LeaseTTL = time.Hour })
	stop := runService(t, e.svc)
	// Held by the matchmaker once another owner is refused both.
	if !waitFor(t, 10*time.Second, func() bool {
		for _, lease := range []string{reservationsLease, gameSessionsLease} {
			err := e.st.AcquireLease(e.ctx, lease, "probe", time.Millisecond)
			if err == nil {
				_ = e.st.ReleaseLease(e.ctx, lease, "probe")
			}
			if !errors.Is(err, store.ErrConflict) {
				return false
			}
		}
		return true
	}) {
		t.Fatal("the running matchmaker never took its sweep leases")
	}
	stop()
	for _, lease := range []string{reservationsLease, gameSessionsLease} {
		if err := e.st.AcquireLease(e.ctx, lease, "other", time.Hour); err != nil {
			t.Fatalf("lease %s after the matchmaker stopped: %v", lease, err)
		}
	}
}

// TestRunningMatchmakerSweepsActivations: a running matchmaker ends an
// orphan activation that nobody reads.
func TestRunningMatchmakerSweepsActivations(t *testing.T) {
	e := newSessionEnv(t, memOpen)
	gs := store.GameSession{GameSessionId: "arn:aws:gamelift:eu-west-1::gamesession/" + e.fleet.FleetId + "/stuck",
		FleetId: e.fleet.FleetId, FleetArn: e.fleet.FleetArn, Location: "eu-west-1", MaximumPlayerSessionCount: 2,
		Status: store.GameSessionActivating, PlayerSessionCreationPolicy: store.AcceptAll, CreationTime: e.clk.Now()}
	if _, _, err := e.st.CreateGameSession(e.ctx, gs, store.CreatorLimit{}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(activationOrphanAfter + time.Second)
	runService(t, e.svc)
	if !waitFor(t, 10*time.Second, func() bool {
		got, err := e.st.GetGameSession(e.ctx, gs.GameSessionId)
		return err == nil && got.Status == store.GameSessionError
	}) {
		t.Fatal("the orphan activation was never swept")
	}
}

// TestSweepGoesOnPastAnUnreadablePlacement: a placement record the store
// cannot read does not stop the sweep: the others are swept.
func TestSweepGoesOnPastAnUnreadablePlacement(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	e, events := newPlacementEnv(t, func(t *testing.T, now func() time.Time) store.Store {
		return store.NewRedis(c, store.Options{Prefix: "mm-unreadable:", Now: now})
	})
	e.queue("q", 60, "eu-west-1")
	e.storePending("pl-bad", "gone", time.Second, "")
	e.storePending("pl-dead", "gone", time.Second, "")
	if err := c.Set(e.ctx, "mm-unreadable:gsp:pl-bad", "{not json", 0).Err(); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Second + placementOrphanGrace + time.Millisecond)
	if n, err := e.svc.sweepPlacements(e.ctx); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want pl-dead ended and no error", n, err)
	}
	if got := e.storedPlacement("pl-dead").Status; got != store.PlacementTimedOut || len(events.types()) != 1 {
		t.Fatalf("pl-dead is %s with events %v, want TIMED_OUT and its event", got, events.types())
	}
}
