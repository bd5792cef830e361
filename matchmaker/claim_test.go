package matchmaker

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// countingStore counts the store steps UpdateTicketsWithEvents (steps) and
// TimeOutReservations (timeOuts) make.
type countingStore struct {
	store.Store
	steps    atomic.Int64
	timeOuts atomic.Int64
}

func (s *countingStore) TimeOutReservations(ctx context.Context, due []store.Reservation) ([]store.Reservation, error) {
	s.timeOuts.Add(1)
	return s.Store.TimeOutReservations(ctx, due)
}

func (s *countingStore) UpdateTicketsWithEvents(ctx context.Context, configuration string, tickets []store.Ticket, events []store.NewEvent) ([]int64, []uint64, error) {
	s.steps.Add(1)
	return s.Store.UpdateTicketsWithEvents(ctx, configuration, tickets, events)
}

// TestClaimAllBatches: the matches of one pass are claimed in one store step;
// when a ticket of one of them changed since the pass read it, that step is
// refused and the matches go again one at a time, so that only the match of
// the changed ticket is lost (one claim conflict, the pool listed again). A
// pass of more than claimBatchTickets tickets takes more steps.
func TestClaimAllBatches(t *testing.T) {
	cases := []struct {
		matches   int
		stale     bool
		wantSteps int64
	}{
		{3, false, 1},
		{3, true, 4}, // the refused step, then one per match
		{claimBatchTickets/2 + 1, false, 2},
	}
	eachStore(t, func(t *testing.T, open opener) {
		for _, tc := range cases {
			stale := tc.stale
			t.Run(fmt.Sprintf("matches=%d/stale=%v", tc.matches, stale), func(t *testing.T) {
				ctx := context.Background()
				st := &countingStore{Store: open(t, nil)}
				e := newFormEnvWith(t, Options{Store: st, Logger: quiet}, ModeStandalone, false)
				reg := prometheus.NewRegistry()
				w, err := newFormer(formerOptions{Store: st, Service: e.svc, Logger: quiet, Registerer: reg})
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := st.GetConfiguration(ctx, "duel")
				if err != nil {
					t.Fatal(err)
				}
				doc, err := st.GetRuleSet(ctx, "duel")
				if err != nil {
					t.Fatal(err)
				}
				rs, err := rules.CompileJSON([]byte(doc.Body))
				if err != nil {
					t.Fatal(err)
				}
				byID := map[string]*store.Ticket{}
				var matches []forming.Match
				for m := range tc.matches {
					match := forming.Match{Teams: make([][]*forming.Ticket, 2)}
					for side := range 2 {
						id := fmt.Sprintf("t%d", 2*m+side)
						e.start(id, float64(1000*m+side))
						tk, err := st.GetTicket(ctx, id)
						if err != nil {
							t.Fatal(err)
						}
						byID[id] = &tk
						match.Teams[side] = []*forming.Ticket{{Ticket: &rules.Ticket{ID: id, Start: tk.StartTime}}}
					}
					matches = append(matches, match)
				}
				if stale {
					// t2 (the second match's) changes behind the pass.
					tk := *byID["t2"]
					if _, err := st.UpdateTicket(ctx, tk); err != nil {
						t.Fatal(err)
					}
				}
				c := &configLoop{w: w, name: "duel", relist: new(atomic.Bool), reread: new(atomic.Bool)}
				before := st.steps.Load()
				n := c.claimAll(ctx, cfg, rs, matches, byID)
				steps := st.steps.Load() - before
				conflicts := counterValue(t, reg, "matchpoint_claim_conflicts_total", "configuration", "duel")
				wantN, wantSteps, wantConflicts, searching := tc.matches, tc.wantSteps, 0.0, map[string]bool{}
				if stale {
					wantN, wantConflicts, searching = tc.matches-1, 1, map[string]bool{"t2": true, "t3": true}
				}
				if n != wantN || steps != wantSteps || conflicts != wantConflicts || c.relist.Load() != stale {
					t.Fatalf("claimed %d in %d store steps, %v conflicts, relist %v; want %d in %d, %v, %v",
						n, steps, conflicts, c.relist.Load(), wantN, wantSteps, wantConflicts, stale)
				}
				for id := range byID {
					want := store.StatusCompleted
					if searching[id] {
						want = store.StatusSearching
					}
					if tk, err := st.GetTicket(ctx, id); err != nil || tk.Status != want {
						t.Fatalf("%s: %s, %v; want %s", id, tk.Status, err, want)
					}
				}
			})
		}
	})
}
