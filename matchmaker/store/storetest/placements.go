package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// placementTests are the suite's tests of store.GameSessionPlacements.
var placementTests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"Placements", testPlacements},
	{"PlacementRace", testPlacementRace},
	{"PlacementRetention", testPlacementRetention},
	{"PlacementLists", testPlacementLists},
}

func placement(id string) store.GameSessionPlacement {
	start := base()
	return store.GameSessionPlacement{
		PlacementId: id, GameSessionQueueName: "q", Status: store.PlacementPending, MaximumPlayerSessionCount: 4,
		GameSessionName: "lobby", GameProperties: []store.GameProperty{{Key: "mode", Value: "duel"}},
		DesiredPlayerSessions: []store.DesiredPlayerSession{{PlayerId: "ana", PlayerData: "d"}},
		PlayerLatencies:       []store.PlayerLatency{{PlayerId: "ana", RegionIdentifier: "eu", LatencyInMilliseconds: 12.5}},
		StartTime:             start, Deadline: start.Add(time.Minute),
	}
}

func normPlacement(p store.GameSessionPlacement) store.GameSessionPlacement {
	p.StartTime, p.EndTime, p.Deadline = utc(p.StartTime), utc(p.EndTime), utc(p.Deadline)
	return p
}

func testPlacements(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	p := placement("pl-1")
	must(t, s.CreatePlacement(ctx, p))
	if err := s.CreatePlacement(ctx, p); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second create: got %v, want ErrExists", err)
	}
	if _, err := s.GetPlacement(ctx, "pl-none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get unknown: got %v, want ErrNotFound", err)
	}
	if _, err := s.UpdatePlacement(ctx, placement("pl-none")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update unknown: got %v, want ErrNotFound", err)
	}
	got, err := s.GetPlacement(ctx, "pl-1")
	must(t, err)
	want := p
	want.Version = 1
	same(t, "created placement", normPlacement(got), normPlacement(want))

	stale := got
	got.Status, got.EndTime = store.PlacementFulfilled, base().Add(time.Second)
	got.GameSessionArn, got.GameSessionId, got.GameSessionRegion = "arn:aws:gamelift:eu::gamesession/fleet-a/x", "arn:aws:gamelift:eu::gamesession/fleet-a/x", "eu"
	got.IpAddress, got.DnsName, got.Port = "10.0.0.1", "relay.eu", 7777
	got.PlacedPlayerSessions = []store.PlacedPlayerSession{{PlayerId: "ana", PlayerSessionId: "psess-1"}}
	v, err := s.UpdatePlacement(ctx, got)
	must(t, err)
	if v != 2 {
		t.Fatalf("version after update = %d, want 2", v)
	}
	if _, err := s.UpdatePlacement(ctx, stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("update at a stale version: got %v, want ErrConflict", err)
	}
	ended, err := s.GetPlacement(ctx, "pl-1")
	must(t, err)
	got.Version = 2
	same(t, "fulfilled placement", normPlacement(ended), normPlacement(got))
	ended.Status = store.PlacementCancelled
	if _, err := s.UpdatePlacement(ctx, ended); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("update of an ended placement: got %v, want ErrConflict", err)
	}
}

// testPlacementRace ends one placement from many goroutines at once, each
// with the version it read: exactly one wins.
func testPlacementRace(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	const rounds, racers = 5, 8
	for round := range rounds {
		id := "pl-race-" + string(rune('a'+round))
		must(t, s.CreatePlacement(ctx, placement(id)))
		var wins, conflicts atomic.Int32
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				p, err := s.GetPlacement(ctx, id)
				if err != nil {
					t.Errorf("get: %v", err)
					return
				}
				p.Status = store.PlacementCancelled
				if i%2 == 0 {
					p.Status = store.PlacementFulfilled
				}
				_, err = s.UpdatePlacement(ctx, p)
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, store.ErrConflict):
					conflicts.Add(1)
				default:
					t.Errorf("update: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != racers-1 {
			t.Fatalf("round %d: %d wins and %d conflicts, want 1 and %d", round, wins.Load(), conflicts.Load(), racers-1)
		}
	}
}

func testPlacementRetention(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	must(t, s.CreatePlacement(ctx, placement("pl-live")))
	must(t, s.CreatePlacement(ctx, placement("pl-ends")))
	p, err := s.GetPlacement(ctx, "pl-ends")
	must(t, err)
	p.Status = store.PlacementTimedOut
	_, err = s.UpdatePlacement(ctx, p)
	must(t, err)
	Eventually(t, 20*Retention, func() string { return "an ended placement outlived its retention" }, func() bool {
		_, err := s.GetPlacement(ctx, "pl-ends")
		return errors.Is(err, store.ErrNotFound)
	})
	_, err = s.GetPlacement(ctx, "pl-live")
	must(t, err)
	must(t, s.CreatePlacement(ctx, placement("pl-ends")))
}

// placementIDs lists the ids of ps, or the error.
func placementIDs(ps []store.GameSessionPlacement, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.PlacementId
	}
	return strings.Join(ids, " ")
}

// testPlacementLists: DuePlacements lists the PENDING placements by
// deadline and ReleasedPlacements those without an Owner, each following
// the writes that release, take over and end them; a refused create
// changes neither.
func testPlacementLists(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	create := func(id, owner string, deadline time.Duration, status store.PlacementStatus) {
		t.Helper()
		p := placement(id)
		p.Owner, p.Deadline, p.Status = owner, p.StartTime.Add(deadline), status
		must(t, s.CreatePlacement(ctx, p))
	}
	update := func(id string, change func(*store.GameSessionPlacement)) {
		t.Helper()
		p, err := s.GetPlacement(ctx, id)
		must(t, err)
		change(&p)
		_, err = s.UpdatePlacement(ctx, p)
		must(t, err)
	}
	lists := func(step string, before time.Duration, wantDue, wantReleased string) {
		t.Helper()
		if got := placementIDs(s.DuePlacements(ctx, base().Add(before), 10)); got != wantDue {
			t.Fatalf("%s: due by %v: %q, want %q", step, before, got, wantDue)
		}
		got, err := s.ReleasedPlacements(ctx, 10)
		ids := strings.Fields(placementIDs(got, err))
		slices.Sort(ids)
		if strings.Join(ids, " ") != wantReleased {
			t.Fatalf("%s: released %q, want %q", step, ids, wantReleased)
		}
	}
	create("pl-a", "mm-1", time.Minute, store.PlacementPending)
	create("pl-b", "mm-1", 30*time.Second, store.PlacementPending)
	create("pl-c", "", 2*time.Minute, store.PlacementPending)
	create("pl-done", "", 0, store.PlacementFulfilled)
	lists("created", time.Minute, "pl-b pl-a", "pl-c")
	lists("created", 3*time.Minute, "pl-b pl-a pl-c", "pl-c")
	if got := placementIDs(s.DuePlacements(ctx, base().Add(3*time.Minute), 1)); got != "pl-b" {
		t.Fatalf("due, limit 1: %q, want pl-b", got)
	}
	taken := placement("pl-b")
	taken.Deadline = taken.StartTime
	if err := s.CreatePlacement(ctx, taken); !errors.Is(err, store.ErrExists) {
		t.Fatalf("create of a taken id: %v, want ErrExists", err)
	}
	lists("refused create", time.Minute, "pl-b pl-a", "pl-c")
	update("pl-a", func(p *store.GameSessionPlacement) { p.Owner = "" })
	lists("pl-a released", time.Minute, "pl-b pl-a", "pl-a pl-c")
	update("pl-c", func(p *store.GameSessionPlacement) { p.Owner = "mm-2" })
	lists("pl-c taken over", 3*time.Minute, "pl-b pl-a pl-c", "pl-a")
	update("pl-b", func(p *store.GameSessionPlacement) { p.Status = store.PlacementTimedOut })
	update("pl-a", func(p *store.GameSessionPlacement) { p.Status = store.PlacementFulfilled })
	lists("pl-a and pl-b ended", 3*time.Minute, "pl-c", "")
}
