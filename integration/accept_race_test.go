package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	shared "github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestLastAcceptsOnTwoMatchmakers: two matchmakers share one Redis; the
// configuration requires acceptance. The two players of each match accept
// at the same moment, one through each matchmaker. Every match is placed
// once, whole: both tickets COMPLETED on one game session, none FAILED
// alone after "Placement timed out." (issue 14: one of twenty matches
// split).
func TestLastAcceptsOnTwoMatchmakers(t *testing.T) {
	const tickets = 40
	c := newCluster(t, clusterOptions{matchmakers: 2, relays: 1})
	mm := c.matchmakers[0]
	mm.must(t, "POST", "/v1/rulesets", map[string]any{"Name": "duel", "RuleSetBody": duelRules}, nil)
	mm.must(t, "POST", "/v1/configurations", map[string]any{"Name": "accept", "RuleSetName": "duel", "RequestTimeoutSeconds": 60,
		"AcceptanceRequired": true, "AcceptanceTimeoutSeconds": 60, "FlexMatchMode": "WITH_QUEUE"}, nil)
	ids := make([]string, tickets)
	for i := range ids {
		ids[i] = fmt.Sprintf("acc-%02d", i)
		mm.mustStart(t, "accept", ids[i], 1000)
	}
	mm.waitTickets(t, ids, 30*time.Second, "REQUIRES_ACCEPTANCE", func(tk matchmaker.MatchmakingTicket) bool {
		return tk.Status == store.StatusRequiresAcceptance
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stored, err := c.store.GetTickets(ctx, ids...)
	if err != nil {
		t.Fatalf("read tickets from Redis: %v", err)
	}
	byMatch := map[string][]string{}
	for _, tk := range stored {
		byMatch[tk.MatchId] = append(byMatch[tk.MatchId], tk.TicketId)
	}
	accept := func(m *matchmakerProc, id string) error {
		// The claim makes a ticket REQUIRES_ACCEPTANCE a moment before the
		// match is proposed; until then the answer is refused as not ready.
		// This runs off the test goroutine: shared.Until, which cannot fail
		// the test, retries it until ctx's deadline.
		var err error
		deadline, _ := ctx.Deadline()
		shared.Until(time.Until(deadline), func() bool {
			_, err = m.call(ctx, "POST", "/v1/tickets/"+id+"/accept", map[string]any{"PlayerIds": []string{"p-" + id}, "AcceptanceType": "ACCEPT"}, nil)
			return err == nil || !strings.Contains(err.Error(), "not ready for acceptance")
		})
		return err
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for matchID, pair := range byMatch {
		if len(pair) != 2 {
			t.Fatalf("match %s has tickets %v, want 2", matchID, pair)
		}
		for i, id := range pair {
			wg.Go(func() {
				<-start
				if err := accept(c.matchmakers[i], id); err != nil {
					t.Errorf("accept %s through matchmaker-%d: %v", id, i, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	got := mm.waitTickets(t, ids, 30*time.Second, "ended", terminal)
	c.checkMatches(t, "accept", got)
	c.stop()
}
