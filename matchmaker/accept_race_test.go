package matchmaker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// placements records the placements of accepted matches: the ticket ids of
// each, by match id.
type placements struct {
	mu    sync.Mutex
	calls map[string][][]string
}

func (p *placements) record(_ context.Context, _, matchID string, ids []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[matchID] = append(p.calls[matchID], slices.Sorted(slices.Values(ids)))
}

// TestLastAcceptsAtOnceMakeOnePlacement: the last players of many matches
// accept at the same moment, through one service or through two services
// sharing the store (two matchmaker processes). Every match is placed
// exactly once, with all its tickets, and emits one AcceptMatchCompleted;
// no ticket is left behind in PLACING without a placement.
func TestLastAcceptsAtOnceMakeOnePlacement(t *testing.T) {
	const matches, perMatch = 40, 3
	for _, two := range []bool{false, true} {
		name := "one service"
		if two {
			name = "two services"
		}
		t.Run(name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, open opener) {
				placed := &placements{calls: map[string][][]string{}}
				e := newEnv(t, open)
				e.svc.placer = placerFunc(placed.record)
				other := e.svc
				if two {
					svc, err := New(Options{Store: e.st, Now: e.clk.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
					if err != nil {
						t.Fatal(err)
					}
					svc.placer = placerFunc(placed.record)
					t.Cleanup(func() { _ = svc.Close() })
					other = svc
				}
				e.ruleSet("rs")
				e.config("c", func(c *CreateMatchmakingConfigurationInput) { c.AcceptanceRequired = ptr(true) })
				want := map[string][]string{}
				for m := range matches {
					matchID := fmt.Sprint("m", m)
					teams := map[string]string{}
					for i := range perMatch {
						id := fmt.Sprintf("%s-t%d", matchID, i)
						e.start("c", id, "p-"+id)
						teams[id] = []string{"red", "blue"}[i%2]
						want[matchID] = append(want[matchID], id)
					}
					e.claim("c", matchID, teams)
					// Every player but the last two has accepted.
					for _, id := range want[matchID][:perMatch-2] {
						if _, err := e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: id, PlayerIds: []string{"p-" + id}, AcceptanceType: "ACCEPT"}); err != nil {
							t.Fatal(err)
						}
					}
				}
				seq := e.lastSeq("c")
				start := make(chan struct{})
				var wg sync.WaitGroup
				for m := range matches {
					last := want[fmt.Sprint("m", m)][perMatch-2:]
					for i, id := range last {
						svc := e.svc
						if i == 1 {
							svc = other
						}
						wg.Go(func() {
							<-start
							if _, err := svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: id, PlayerIds: []string{"p-" + id}, AcceptanceType: "ACCEPT"}); err != nil {
								t.Error(err)
							}
						})
					}
				}
				close(start)
				wg.Wait()

				completed := map[string]int{}
				for _, ev := range e.events("c", seq) {
					if ev.Detail.Type == EventAcceptMatchCompleted {
						completed[ev.Detail.MatchID]++
						if n := len(ev.Detail.Tickets); n != perMatch {
							t.Errorf("AcceptMatchCompleted of %s lists %d tickets, want %d", ev.Detail.MatchID, n, perMatch)
						}
					}
				}
				split := 0
				for matchID, ids := range want {
					calls := placed.calls[matchID]
					if len(calls) != 1 || !slices.Equal(calls[0], ids) {
						split++
						t.Errorf("match %s: placements %v, want exactly one of %v", matchID, calls, ids)
					}
					if completed[matchID] != 1 {
						t.Errorf("match %s: %d AcceptMatchCompleted events, want 1", matchID, completed[matchID])
					}
					for _, id := range ids {
						e.wantStatus(id, store.StatusPlacing)
					}
				}
				if split > 0 {
					t.Errorf("%d of %d matches were not placed exactly once whole", split, matches)
				}
			})
		})
	}
}
