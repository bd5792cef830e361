package forming

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// randomPool builds n tickets of 1 to maxParty players with random skill,
// level, mode, latencies and ages (up to 40 s).
func randomPool(tb testing.TB, rs *rules.RuleSet, seed uint64, n, maxParty int) Input {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	var in Input
	for i := range n {
		var ps []player
		for range 1 + rng.IntN(maxParty) {
			lat := map[string]float64{}
			for _, r := range regions {
				if rng.IntN(4) > 0 {
					lat[r] = float64(10 + rng.IntN(200))
				}
			}
			ps = append(ps, player{attrs: randomAttributes(rng, rs), latency: lat})
		}
		age := time.Duration(rng.IntN(40_000)) * time.Millisecond
		// A party without a region in common can never match a rule set
		// with a latency rule: the matchmaker keeps it out of the pool.
		if t, ok := prepareMatchable(tb, rs, fmt.Sprintf("t%04d", i), age, ps...); ok {
			in.Tickets = append(in.Tickets, t)
		}
	}
	return in
}

// randomAttributes gives a player a value for each declared number and
// string attribute, in ranges that let the test rule sets match; other
// attributes take their defaults.
func randomAttributes(rng *rand.Rand, rs *rules.RuleSet) map[string]rules.Value {
	attrs := map[string]rules.Value{}
	for _, a := range rs.Definition().PlayerAttributes {
		switch a.Type {
		case rules.TypeNumber:
			lo, span := 0, 10
			switch a.Name {
			case "skill":
				lo, span = 800, 800
			case "level":
				lo, span = 8, 5
			case "league":
				span = 3
			case "wantsToBeMonster":
				span = 2
			case "experience":
				span = 100
			}
			attrs[a.Name] = rules.NumberValue(float64(lo + rng.IntN(span)))
		case rules.TypeString:
			v := "ranked"
			if a.Name == "gameMode" {
				v = []string{"turn-based", "real-time"}[rng.IntN(2)]
			}
			attrs[a.Name] = rules.StringValue(v)
		}
	}
	return attrs
}

// TestProperties forms matches from random pools under many rule sets and
// checks that no ticket is in two matches and that every match passes the
// final check with team sizes in bounds.
func TestProperties(t *testing.T) {
	sets := []struct {
		name     string
		rs       *rules.RuleSet
		maxParty int
	}{
		{"bench 5v5", compile(t, fiveRules), 3},
		{"duel", compile(t, duelRules), 1},
		{"duos", compile(t, duoRules), 2},
		{"example 1", compileFile(t, "example-01-two-teams-evenly-matched.json"), 2},
		{"example 2", compileFile(t, "example-02-uneven-teams-hunters-vs-monster.json"), 2},
		{"example 3", compileFile(t, "example-03-team-level-requirements-and-latency.json"), 2},
		{"example 4", compileFile(t, "example-04-explicit-sorting.json"), 2},
		{"example 6", compileFile(t, "example-06-compare-attributes-all-players.json"), 1},
		{"example 10", compileFile(t, "example-10-compound-rule.json"), 3},
		{"example 11", compileFile(t, "example-11-player-block-list.json"), 3},
		{"minimal", compileFile(t, "cli-minimal-single-team.json"), 4},
	}
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			total := 0
			for seed := range uint64(6) {
				in := randomPool(t, s.rs, seed, 120, s.maxParty)
				res := mustForm(t, s.rs, in, Options{Seed: seed, BatchSize: 50})
				checkMatches(t, s.rs, in, res)
				total += len(res.Matches)
			}
			if total == 0 {
				t.Fatal("no match formed from any pool")
			}
		})
	}
}

// TestCompleteSolutions checks that pools a known solution matches
// completely are matched completely: 1v1 on skill with tickets in close
// pairs far from the others, and 2v2 of parties of two.
func TestCompleteSolutions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	t.Run("1v1 pairs", func(t *testing.T) {
		rs := compile(t, duelRules)
		var in Input
		for i, p := range rng.Perm(100) {
			skill := float64(p/2*1000 + p%2*50)
			in.Tickets = append(in.Tickets, skillTicket(t, rs, fmt.Sprintf("t%d", i), time.Duration(i)*time.Millisecond, skill))
		}
		res := mustForm(t, rs, in, Options{})
		checkMatches(t, rs, in, res)
		if res.Unmatched != 0 {
			t.Fatalf("%d tickets unmatched", res.Unmatched)
		}
	})
	t.Run("2v2 of pairs", func(t *testing.T) {
		rs := compile(t, duoRules)
		var in Input
		one := player{}
		for i := range 40 {
			in.Tickets = append(in.Tickets, ticket(t, rs, fmt.Sprintf("p%d", i), time.Duration(rng.IntN(1000))*time.Millisecond, one, one))
		}
		res := mustForm(t, rs, in, Options{})
		checkMatches(t, rs, in, res)
		if res.Unmatched != 0 {
			t.Fatalf("%d tickets unmatched", res.Unmatched)
		}
	})
}
