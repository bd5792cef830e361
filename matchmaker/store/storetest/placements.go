package storetest

import (
	"context"
	"errors"
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
