package relay_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// TestRelayFleets: a relay naming fleets refuses (FULL, so that the
// matchmaker tries another relay) a CreateGameSession placement of another
// fleet, takes one of its fleets and FlexMatch placements (no fleet), and
// its heartbeats carry its fleets.
func TestRelayFleets(t *testing.T) {
	opts := testOptions()
	opts.Fleets = []string{"fleet-1", "fleet-3"}
	h := newHarness(t, opts)
	var mu sync.Mutex
	var fleets []string
	stop, err := h.mm.SubscribeHeartbeats(context.Background(), "", func(hb bus.Heartbeat) {
		mu.Lock()
		defer mu.Unlock()
		fleets = hb.Fleets
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	other := gameSessionRequest(2)
	other.FleetID = "fleet-2"
	if code := h.placeErr(other); code != bus.CodeFull {
		t.Fatalf("a placement of fleet-2: %s, want FULL", code)
	}
	h.place(gameSessionRequest(2))
	h.place(request(2))
	relaytest.Eventually(t, "a heartbeat with the fleets", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(fleets, []string{"fleet-1", "fleet-3"})
	})
}
