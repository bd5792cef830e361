package store

import (
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/matchpoint-dev/matchpoint/internal/memo"
)

// TestKeySets: a fleet's and a configuration's keys are the same whether
// their key set is kept or made for the use, the store keeps at most
// memo.Max of each kind, and concurrent callers share them safely.
func TestKeySets(t *testing.T) {
	for _, tc := range []struct {
		kind string
		// keys returns the keys of name as the store gives them, with room
		// for 2 more, and as they must be.
		keys func(r *Redis, name string) (got, want []string)
		kept func(r *Redis) int
		// script returns the KEYS a script starts with, as the store
		// hands them out with room for 2 more.
		script func(r *Redis, name string) []string
	}{
		{"fleet", func(r *Redis, fleet string) ([]string, []string) {
			tag := "mp:{f:" + fleet + "}:"
			return append(r.fleetKeys(fleet, 2), r.playerSessionPrefix(fleet)), []string{tag + "gss", tag + "ended",
				tag + "gss:ACTIVATING", tag + "gss:ACTIVE", tag + "gss:TERMINATING", tag + "gss:TERMINATED", tag + "gss:ERROR",
				tag + "fleet", tag + "ps:"}
		}, func(r *Redis) int { return r.fleetSets.Len() }, func(r *Redis, fleet string) []string { return r.fleetKeys(fleet, 2) }},
		{"configuration", func(r *Redis, cfg string) ([]string, []string) {
			tag := "mp:{" + cfg + "}:"
			k := r.cfgKeys(cfg)
			return append(k.scriptKeys(2), k.ticket("x"), k.eventSeq, k.events, r.waitKey(cfg), k.searching, k.deadlines, k.versions),
				[]string{tag + "searching", tag + "deadlines", tag + "players", tag + "searching:v", tag + "t:x",
					tag + "events:seq", tag + "events", tag + "wait", tag + "searching", tag + "deadlines", tag + "searching:v"}
		}, func(r *Redis) int { return r.cfgSets.Len() }, func(r *Redis, cfg string) []string { return r.cfgKeys(cfg).scriptKeys(2) }},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			r := &Redis{opts: Options{Prefix: "mp:"}.WithDefaults()}
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Go(func() {
					for i := range memo.Max + 100 {
						name := "n-" + strconv.Itoa((i*7+w)%(memo.Max+100))
						if got, want := tc.keys(r, name); !slices.Equal(got, want) {
							t.Errorf("keys of %s %s = %q, want %q", tc.kind, name, got, want)
							return
						}
					}
				})
			}
			wg.Wait()
			if n := tc.kept(r); n < 1 || n > memo.Max {
				t.Fatalf("the store keeps %d key sets, want 1 to %d", n, memo.Max)
			}
			// A caller's KEYS are its own: room for its keys, and what it
			// writes there does not change the kept set's.
			keys := tc.script(r, "n-1")
			if cap(keys) != len(keys)+2 {
				t.Fatalf("KEYS %q have capacity %d, want room for 2 more", keys, cap(keys))
			}
			_ = append(keys, "extra")
			keys[0] = "changed"
			if got, want := tc.keys(r, "n-1"); !slices.Equal(got, want) {
				t.Fatalf("after a caller's writes, keys = %q, want %q", got, want)
			}
		})
	}
}
