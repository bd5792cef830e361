package matchmaker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

const pingRules = `{"ruleLanguageVersion":"1.0",
 "teams":[{"name":"a","minPlayers":1,"maxPlayers":1},{"name":"b","minPlayers":1,"maxPlayers":1}],
 "rules":[{"name":"FastConnection","type":"latency","maxLatency":100}]}`

// TestStandaloneMatchCarriesItsLocation: the region the latency rule picks
// for a STANDALONE match is on its tickets (MatchpointLocation) and on its
// MatchmakingSucceeded event (matchpointLocation), with and without
// acceptance.
func TestStandaloneMatchCarriesItsLocation(t *testing.T) {
	for _, acceptance := range []bool{false, true} {
		t.Run(map[bool]string{false: "no acceptance", true: "acceptance"}[acceptance], func(t *testing.T) {
			st := store.NewMemory(store.Options{})
			e := newFormEnvWith(t, formingOptions(Options{Store: st}), ModeStandalone, false)
			ctx := context.Background()
			if _, err := e.svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "ping", RuleSetBody: pingRules}); err != nil {
				t.Fatal(err)
			}
			timeout, acceptTimeout, mode := 60, 30, ModeStandalone
			if _, err := e.svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "ping", RuleSetName: "ping",
				RequestTimeoutSeconds: &timeout, AcceptanceRequired: &acceptance, AcceptanceTimeoutSeconds: &acceptTimeout, FlexMatchMode: &mode}); err != nil {
				t.Fatal(err)
			}
			runService(t, e.svc)
			// Only eu-west-1 is under 100 ms for both players.
			latencies := map[string]map[string]int{
				"t1": {"eu-west-1": 40, "us-east-1": 90, "ap-south-1": 300},
				"t2": {"eu-west-1": 60, "us-east-1": 180},
			}
			for _, id := range []string{"t1", "t2"} {
				if _, err := e.svc.StartMatchmaking(ctx, &StartMatchmakingInput{TicketId: id, ConfigurationName: "ping",
					Players: []store.Player{{PlayerId: "player-" + id, LatencyInMs: latencies[id]}}}); err != nil {
					t.Fatal(err)
				}
			}
			if acceptance {
				e.waitStatus("t1", store.StatusRequiresAcceptance)
				e.accept("t1")
				e.accept("t2")
			}
			e.waitStatus("t1", store.StatusCompleted)
			e.waitStatus("t2", store.StatusCompleted)
			out, err := e.svc.DescribeMatchmaking(ctx, &DescribeMatchmakingInput{TicketIds: []string{"t1", "t2"}})
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range out.TicketList {
				if tk.MatchpointLocation != "eu-west-1" {
					t.Fatalf("ticket %s: MatchpointLocation %q, want eu-west-1", tk.TicketId, tk.MatchpointLocation)
				}
			}
			var succeeded []EventDetail
			if !waitFor(t, 10*time.Second, func() bool {
				succeeded = eventsOf(t, st, "ping", EventMatchmakingSucceeded)
				return len(succeeded) == 1
			}) {
				t.Fatalf("%d MatchmakingSucceeded events, want 1", len(succeeded))
			}
			if got := succeeded[0].MatchpointLocation; got != "eu-west-1" {
				t.Fatalf("MatchmakingSucceeded matchpointLocation %q, want eu-west-1", got)
			}
		})
	}
}

// TestRejectedMatchForgetsItsLocation: a ticket back in the pool after a
// rejected STANDALONE match no longer names the match's location.
func TestRejectedMatchForgetsItsLocation(t *testing.T) {
	st := store.NewMemory(store.Options{})
	e := newFormEnvWith(t, formingOptions(Options{Store: st}), ModeStandalone, false)
	ctx := context.Background()
	if _, err := e.svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "ping", RuleSetBody: pingRules}); err != nil {
		t.Fatal(err)
	}
	timeout, acceptTimeout, mode, yes := 60, 30, ModeStandalone, true
	if _, err := e.svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "ping", RuleSetName: "ping",
		RequestTimeoutSeconds: &timeout, AcceptanceRequired: &yes, AcceptanceTimeoutSeconds: &acceptTimeout, FlexMatchMode: &mode}); err != nil {
		t.Fatal(err)
	}
	runService(t, e.svc)
	for _, id := range []string{"t1", "t2"} {
		if _, err := e.svc.StartMatchmaking(ctx, &StartMatchmakingInput{TicketId: id, ConfigurationName: "ping",
			Players: []store.Player{{PlayerId: "player-" + id, LatencyInMs: map[string]int{"eu-west-1": 40}}}}); err != nil {
			t.Fatal(err)
		}
	}
	// The claim makes the tickets REQUIRES_ACCEPTANCE a moment before the
	// proposal records the location: wait for the proposal.
	var tk store.Ticket
	if !waitFor(t, 10*time.Second, func() bool {
		tk, _ = st.GetTicket(ctx, "t1")
		return tk.Status == store.StatusRequiresAcceptance && tk.MatchpointLocation != ""
	}) || tk.MatchpointLocation != "eu-west-1" {
		t.Fatalf("proposed ticket: %s, MatchpointLocation %q, want eu-west-1", tk.Status, tk.MatchpointLocation)
	}
	var err error
	waitFor(t, 10*time.Second, func() bool {
		_, err = e.svc.AcceptMatch(ctx, &AcceptMatchInput{TicketId: "t2", PlayerIds: []string{"player-t2"}, AcceptanceType: "REJECT"})
		return err == nil || !strings.Contains(err.Error(), "not ready for acceptance")
	})
	if err != nil {
		t.Fatal(err)
	}
	tk, err = st.GetTicket(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if tk.Status != store.StatusSearching || tk.MatchpointLocation != "" {
		t.Fatalf("t1 after the rejection: %s with MatchpointLocation %q; want SEARCHING without", tk.Status, tk.MatchpointLocation)
	}
}

// eventsOf returns the details of the configuration's logged events of type typ.
func eventsOf(t *testing.T, st store.Store, configuration, typ string) []EventDetail {
	t.Helper()
	raw, err := st.EventsAfter(context.Background(), configuration, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []EventDetail
	for _, r := range raw {
		ev, err := DecodeEvent(r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Detail.Type == typ {
			out = append(out, ev.Detail)
		}
	}
	return out
}
