package forming

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

const wideLarge = `{"ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number"}],
  "algorithm": {"strategy": "balanced", "balancedAttribute": "skill", "batchingPreference": "%s"},
  "teams": [{"name": "red", "minPlayers": 50, "maxPlayers": 50}, {"name": "blue", "minPlayers": 50, "maxPlayers": 50}],
  "rules": [{"name": "Ping", "type": "latency", "maxLatency": 100}]}`

// largePool makes n tickets with parties of 1 to maxParty, the rule set's
// balanced attribute from lo to lo+span, and the given latencies.
func largePool(tb testing.TB, rs *rules.RuleSet, n, maxParty int, lo, span float64, lat func(i int) map[string]float64, extra map[string]rules.Value) Input {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	var in Input
	for i := range n {
		var ps []player
		for range 1 + rng.IntN(maxParty) {
			a := map[string]rules.Value{rs.Definition().Algorithm.BalancedAttribute: rules.NumberValue(lo + math.Round(rng.Float64()*span*10)/10)}
			for k, v := range extra {
				a[k] = v
			}
			ps = append(ps, player{attrs: a, latency: lat(i)})
		}
		in.Tickets = append(in.Tickets, ticket(tb, rs, fmt.Sprintf("t%04d", i), time.Duration(n-i)*time.Millisecond, ps...))
	}
	return in
}

func TestLargeMatches(t *testing.T) {
	everywhere := func(int) map[string]float64 { return map[string]float64{"us-east-1": 50, "eu-west-1": 80} }
	tests := []struct {
		name      string
		rs        *rules.RuleSet
		in        func(rs *rules.RuleSet) Input
		matches   int
		teamSizes []int
		maxSpread float64 // largest relative difference of team skill averages
	}{
		{"example 7: one team of 200", compileFile(t, "example-07-large-match.json"),
			func(rs *rules.RuleSet) Input { return largePool(t, rs, 450, 1, 1000, 2000, everywhere, nil) },
			2, []int{200}, 0},
		{"example 9: 100 v 100 in a narrow band", compileFile(t, "example-09-large-match-batchdistance.json"),
			func(rs *rules.RuleSet) Input {
				return largePool(t, rs, 420, 1, 1000, 10, everywhere, map[string]rules.Value{
					"league": rules.NumberValue(3), "map": rules.StringValue("m"), "mode": rules.StringValue("ffa")})
			}, 2, []int{100, 100}, 0.0005},
		{"example 8: 5 monsters and 10 teams of 15 hunters", compileFile(t, "example-08-multi-team-large-match.json"),
			func(rs *rules.RuleSet) Input { return largePool(t, rs, 320, 1, 0, 100, everywhere, nil) },
			2, []int{5, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15}, 0.02},
		{"50 v 50, wide skill, parties", compile(t, fmt.Sprintf(wideLarge, "largestPopulation")),
			func(rs *rules.RuleSet) Input { return largePool(t, rs, 150, 3, 0, 3000, everywhere, nil) },
			3, []int{50, 50}, 0.01},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in(tc.rs)
			res := mustForm(t, tc.rs, in, Options{})
			checkMatches(t, tc.rs, in, res)
			if len(res.Matches) != tc.matches {
				t.Fatalf("%d matches, want %d", len(res.Matches), tc.matches)
			}
			for _, m := range res.Matches {
				for i, team := range m.Teams {
					if got := teamPlayers(team); got != tc.teamSizes[i] {
						t.Fatalf("team %d has %d players, want %d", i, got, tc.teamSizes[i])
					}
				}
				if m.Region != "us-east-1" {
					t.Errorf("region %q, want us-east-1", m.Region)
				}
				if e := evenness(m); e > tc.maxSpread {
					t.Errorf("team averages differ by %.4f of the mean, want at most %.4f", e, tc.maxSpread)
				}
			}
		})
	}
}

func TestBalancedRegions(t *testing.T) {
	// 30 tickets accept only eu (fast), 60 accept eu and us (us faster for
	// them): largestPopulation forms in eu, fastestRegion in us for the 60.
	lat := func(i int) map[string]float64 {
		if i%3 == 0 {
			return map[string]float64{"eu": 20}
		}
		return map[string]float64{"eu": 90, "us": 30}
	}
	tests := []struct{ pref, first string }{{"largestPopulation", "eu"}, {"fastestRegion", "us"}}
	for _, tc := range tests {
		t.Run(tc.pref, func(t *testing.T) {
			rs := compile(t, `{"ruleLanguageVersion": "1.0", "playerAttributes": [{"name": "skill", "type": "number"}],
			  "algorithm": {"strategy": "balanced", "balancedAttribute": "skill", "batchingPreference": "`+tc.pref+`"},
			  "teams": [{"name": "all", "minPlayers": 45, "maxPlayers": 45}],
			  "rules": [{"name": "Ping", "type": "latency", "maxLatency": 100}]}`)
			in := largePool(t, rs, 90, 1, 1000, 100, lat, nil)
			res := mustForm(t, rs, in, Options{})
			checkMatches(t, rs, in, res)
			if len(res.Matches) == 0 {
				t.Fatal("no match")
			}
			if got := res.Matches[0].Region; got != tc.first {
				t.Fatalf("first match in %q, want %q", got, tc.first)
			}
		})
	}
}

func TestBalanceTeamsEvenSums(t *testing.T) {
	rs := compile(t, fmt.Sprintf(wideLarge, "fastestRegion"))
	f := newFormer(rs, Input{Now: t0}, Options{})
	f.start(nil, -1)
	rng := rand.New(rand.NewPCG(3, 3))
	// Worst case for the fill order: all the best players land on red.
	for i := range 100 {
		tk := ticket(t, rs, fmt.Sprintf("t%d", i), 0, player{attrs: num("skill", rng.Float64()*3000), latency: map[string]float64{"us-east-1": 50}})
		f.c.Add(i%2, tk.Ticket)
		f.assign = append(f.assign, placed{t: tk, team: i % 2, pool: i})
	}
	f.balanceTeams()
	var sum [2]float64
	for _, p := range f.assign {
		sum[p.team] += p.t.balance
	}
	if f.c.TeamPlayers(0) != 50 || f.c.TeamPlayers(1) != 50 {
		t.Fatalf("team sizes %d and %d, want 50 each", f.c.TeamPlayers(0), f.c.TeamPlayers(1))
	}
	if d := math.Abs(sum[0] - sum[1]); d > 30 {
		t.Fatalf("team sums %.1f and %.1f differ by %.1f", sum[0], sum[1], d)
	}
}
