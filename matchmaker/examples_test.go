package matchmaker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
	"github.com/matchpoint-dev/matchpoint/rules"
)

func num(v float64) store.AttributeValue    { return store.AttributeValue{N: &v} }
func str(v string) store.AttributeValue     { return store.AttributeValue{S: &v} }
func list(v ...string) store.AttributeValue { return store.AttributeValue{SL: v} }

var nearby = map[string]int{"us-east-1": 30, "us-west-2": 90}

// examplePools generates, for each FlexMatch documentation example, players
// that can form its matches: player i of n.
var examplePools = map[string]struct {
	players int
	player  func(i int) store.Player
}{
	"example-01-two-teams-evenly-matched.json": {24, func(i int) store.Player {
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"skill": num(float64(10 + i%5))}}
	}},
	"example-02-uneven-teams-hunters-vs-monster.json": {24, func(i int) store.Player {
		if i%6 == 0 {
			return store.Player{PlayerAttributes: map[string]store.AttributeValue{"skill": num(20), "wantsToBeMonster": num(1)}}
		}
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"skill": num(10), "desiredSkillOfMonster": num(15)}}
	}},
	"example-03-team-level-requirements-and-latency.json": {30, func(i int) store.Player {
		character := list("peasant")
		if i%7 == 0 {
			character = list("medic")
		}
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"skill": num(float64(10 + i%3)), "character": character}, LatencyInMs: map[string]int{"us-east-1": 20 + i%20}}
	}},
	"example-04-explicit-sorting.json": {12, func(i int) store.Player {
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"experience": num(float64(40 + i)), "gameMode": list("deathmatch"),
			"mapPreference": {SDM: map[string]float64{"dust": float64(i), "ice": 50}}, "acceptableMaps": list("dust", "ice")}}
	}},
	"example-05-intersections-across-attributes.json": {10, func(i int) store.Player {
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"myCharacter": list([]string{"elf", "orc"}[i%2]), "preferredOpponents": list("elf", "orc")}}
	}},
	"example-06-compare-attributes-all-players.json": {8, func(i int) store.Player {
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"character": num(float64(i))}}
	}},
	"example-07-large-match.json": {200, func(i int) store.Player {
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"skill": num(float64(1000 + i%50))}, LatencyInMs: nearby}
	}},
	"example-08-multi-team-large-match.json": {160, func(i int) store.Player {
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"monster-kills": num(float64(i % 9))}, LatencyInMs: nearby}
	}},
	"example-09-large-match-batchdistance.json": {200, func(i int) store.Player {
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"league": num(3), "skill": num(float64(100 + i%8)), "map": str("dust"), "mode": str("ctf")}, LatencyInMs: nearby}
	}},
	"example-10-compound-rule.json": {40, func(i int) store.Player {
		return store.Player{PlayerAttributes: map[string]store.AttributeValue{"league": num(float64(1 + i%2)), "skill": num(float64(20 + i%5)), "map": str("dust"), "mode": str("ctf")}}
	}},
	"example-11-player-block-list.json": {20, func(i int) store.Player {
		if i == 3 {
			return store.Player{PlayerAttributes: map[string]store.AttributeValue{"BlockList": list("p-nobody")}}
		}
		return store.Player{}
	}},
}

// TestDocumentationExamplesOnTwoMatchmakers runs two matchmakers on one
// Redis, one STANDALONE configuration per FlexMatch documentation example
// rule set, with generated tickets. Every example forms at least one match,
// every match passes its rule set's final check (teams within their limits,
// every rule) at the time it formed, and no ticket is in two matches.
func TestDocumentationExamplesOnTwoMatchmakers(t *testing.T) {
	if testing.Short() {
		t.Skip("forms 900 tickets on Redis")
	}
	srv := redistest.Start(t)
	open := func() (store.Store, *Service) {
		c := srv.Client(t)
		st := store.NewRedis(c, store.Options{})
		svc, err := New(Options{Store: st, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		return st, svc
	}
	st1, svc1 := open()
	st2, svc2 := open()
	ctx := context.Background()
	compiled := map[string]*rules.RuleSet{}
	files := map[string]string{} // configuration name -> example file
	for file, pool := range examplePools {
		src, err := os.ReadFile(filepath.Join("../rules/testdata/examples", file))
		if err != nil {
			t.Fatal(err)
		}
		name := file[:len("example-01")]
		files[name] = file
		if compiled[name], err = rules.CompileJSON(src); err != nil {
			t.Fatal(err)
		}
		if _, err := svc1.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: name, RuleSetBody: string(src)}); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		timeout, no, mode := 300, false, ModeStandalone
		if _, err := svc1.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: name, RuleSetName: name, RequestTimeoutSeconds: &timeout, AcceptanceRequired: &no, FlexMatchMode: &mode}); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for i := 0; i < pool.players; i++ {
			p := pool.player(i)
			p.PlayerId = fmt.Sprintf("p-%s-%d", name, i)
			if _, err := svc2.StartMatchmaking(ctx, &StartMatchmakingInput{TicketId: fmt.Sprintf("%s-%d", name, i), ConfigurationName: name, Players: []store.Player{p}}); err != nil {
				t.Fatalf("%s: ticket %d: %v", file, i, err)
			}
		}
	}
	runWorker(t, formerOptions{Store: st1, Service: svc1, Owner: "one"})
	runWorker(t, formerOptions{Store: st2, Service: svc2, Owner: "two"})

	for name, rs := range compiled {
		pool := examplePools[files[name]]
		ids := make([]string, pool.players)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s-%d", name, i)
		}
		var tickets []store.Ticket
		completed := func() int {
			var err error
			if tickets, err = st1.GetTickets(ctx, ids...); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, tk := range tickets {
				if tk.Status == store.StatusCompleted {
					n++
				}
			}
			return n
		}
		// Every ticket completes, or at least one within 30s once 5s have
		// passed (some pools leave tickets no match can take).
		if !waitFor(t, 5*time.Second, func() bool { return completed() == len(tickets) }) &&
			!waitFor(t, 25*time.Second, func() bool { return completed() > 0 }) {
			t.Fatalf("%s: no match formed", name)
		}
		checkMatches(t, name, rs, tickets)
	}
}

// checkMatches groups COMPLETED tickets by match and checks each match
// against the rule set at the time it completed (the expansions in force
// then are at least those the match formed under).
func checkMatches(t *testing.T, name string, rs *rules.RuleSet, tickets []store.Ticket) {
	t.Helper()
	byMatch := map[string][]store.Ticket{}
	for _, tk := range tickets {
		if tk.Status == store.StatusCompleted {
			byMatch[tk.MatchId] = append(byMatch[tk.MatchId], tk)
		}
	}
	teamIndex := map[string]int{}
	for i, tm := range rs.Teams() {
		teamIndex[tm.Name] = i
	}
	ev := rs.NewEvaluator()
	for matchID, members := range byMatch {
		c := rs.NewCandidate()
		var end time.Time
		for i := range members {
			tk := &members[i]
			team, ok := teamIndex[tk.Players[0].Team]
			if !ok {
				t.Fatalf("%s: match %s: ticket %s on unknown team %q", name, matchID, tk.TicketId, tk.Players[0].Team)
			}
			prepared, err := rs.PrepareTicket(forming.TicketSpec(tk.TicketId, tk.StartTime, tk.Backfill, tk.Players))
			if err != nil {
				t.Fatal(err)
			}
			c.Add(team, prepared)
			if tk.EndTime.After(end) {
				end = tk.EndTime
			}
		}
		if r := ev.Evaluate(c, end, rules.FinalCheck); !r.Pass {
			r = ev.Evaluate(c, end, rules.ExplainAll)
			t.Errorf("%s: match %s (%d tickets) fails its rule set: teamsOK=%v rules=%v err=%v", name, matchID, len(members), r.TeamsOK, r.Rules, r.Err)
		}
	}
	t.Logf("%s: %d match(es) from %d tickets", name, len(byMatch), len(tickets))
}
