package store

import (
	"slices"
	"strconv"
	"sync"
	"testing"
)

// TestFleetKeySets: a fleet's keys are the same whether its key set is
// kept or made for the use, the store keeps at most maxFleetKeySets of
// them, and concurrent callers share them safely.
func TestFleetKeySets(t *testing.T) {
	r := &Redis{opts: Options{Prefix: "mp:"}.WithDefaults()}
	want := func(fleet string) []string {
		tag := "mp:{f:" + fleet + "}:"
		return []string{tag + "gss", tag + "ended", tag + "gss:ACTIVATING", tag + "gss:ACTIVE", tag + "gss:TERMINATING",
			tag + "gss:TERMINATED", tag + "gss:ERROR", tag + "fleet"}
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range maxFleetKeySets + 100 {
				fleet := "fleet-" + strconv.Itoa((i*7+w)%(maxFleetKeySets+100))
				keys := r.fleetKeys(fleet, 2)
				if !slices.Equal(keys, want(fleet)) || cap(keys) != len(keys)+2 {
					t.Errorf("fleetKeys(%s, 2) = %q (cap %d), want %q with room for 2", fleet, keys, cap(keys), want(fleet))
					return
				}
				if got := r.playerSessionPrefix(fleet); got != "mp:{f:"+fleet+"}:ps:" {
					t.Errorf("playerSessionPrefix(%s) = %q", fleet, got)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := len(r.fleetSets); n != maxFleetKeySets {
		t.Fatalf("the store keeps %d fleets' key sets, want %d", n, maxFleetKeySets)
	}
	// A caller appending to its keys does not change the kept set's.
	keys := r.fleetKeys("fleet-1", 1)
	_ = append(keys, "extra")
	if got := r.fleetKeys("fleet-1", 0); !slices.Equal(got, want("fleet-1")) {
		t.Fatalf("after an append, fleetKeys = %q", got)
	}
}
