package forming

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

const duelRules = `{
  "name": "duel", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "player", "minPlayers": 1, "maxPlayers": 1, "quantity": 2}],
  "rules": [{"name": "CloseSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 100}],
  "expansions": [{"target": "rules[CloseSkill].maxDistance", "steps": [{"waitTimeSeconds": 30, "value": 300}]}]
}`

// fiveRules is the rule set of the benchmarks: batchDistance, a distance
// rule on team averages, latency and a compound rule.
const fiveRules = `{
  "name": "bench_5v5", "ruleLanguageVersion": "1.0",
  "playerAttributes": [
    {"name": "skill", "type": "number", "default": 1000},
    {"name": "mode", "type": "string", "default": "ranked"},
    {"name": "level", "type": "number", "default": 10}
  ],
  "teams": [{"name": "red", "minPlayers": 5, "maxPlayers": 5}, {"name": "blue", "minPlayers": 5, "maxPlayers": 5}],
  "rules": [
    {"name": "SkillBand", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 300},
    {"name": "FairTeams", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill])"],
     "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))", "maxDistance": 50},
    {"name": "Ping", "type": "latency", "maxLatency": 120},
    {"name": "SameMode", "type": "comparison", "operation": "=", "measurements": ["flatten(teams[*].players.attributes[mode])"]},
    {"name": "CloseLevel", "type": "distance", "measurements": ["max(flatten(teams[*].players.attributes[level]))"],
     "referenceValue": "min(flatten(teams[*].players.attributes[level]))", "maxDistance": 5},
    {"name": "ModeOrLevel", "type": "compound", "statement": "or(SameMode, CloseLevel)"}
  ],
  "expansions": [{"target": "rules[FairTeams].maxDistance", "steps": [{"waitTimeSeconds": 10, "value": 100}]}]
}`

const duoRules = `{
  "name": "duos", "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}]
}`

var usEast = map[string]float64{"us-east-1": 40, "eu-west-1": 110}

func TestOneVsOne(t *testing.T) {
	rs := compile(t, duelRules)
	in := Input{Tickets: []*Ticket{
		skillTicket(t, rs, "a", 5*time.Second, 1000),
		skillTicket(t, rs, "b", 4*time.Second, 2000),
		skillTicket(t, rs, "c", 3*time.Second, 1050),
		skillTicket(t, rs, "d", 2*time.Second, 3000),
		skillTicket(t, rs, "e", 1*time.Second, 2080),
	}}
	res := mustForm(t, rs, in, Options{})
	checkMatches(t, rs, in, res)
	var got []string
	for _, m := range res.Matches {
		got = append(got, ids(m))
		if m.Expanded() {
			t.Errorf("match %s formed under expansions %v", ids(m), m.Expansions)
		}
	}
	if want := []string{"a|c", "b|e"}; !slices.Equal(got, want) {
		t.Fatalf("matches %v, want %v", got, want)
	}
	if res.Unmatched != 1 {
		t.Fatalf("Unmatched = %d, want 1", res.Unmatched)
	}
}

func TestFiveVsFive(t *testing.T) {
	rs := compile(t, fiveRules)
	var pool []*Ticket
	skills := []float64{1000, 1200, 1100, 1050, 1150, 1020, 1180, 1080, 1120, 1060, 1900}
	for i, s := range skills {
		pool = append(pool, ticket(t, rs, string(rune('a'+i)), time.Duration(len(skills)-i)*time.Second,
			player{attrs: num("skill", s), latency: usEast}))
	}
	in := Input{Tickets: pool}
	res := mustForm(t, rs, in, Options{})
	checkMatches(t, rs, in, res)
	if len(res.Matches) != 1 {
		t.Fatalf("got %d matches, want 1", len(res.Matches))
	}
	m := res.Matches[0]
	for i, team := range m.Teams {
		if len(team) != 5 {
			t.Errorf("team %d has %d players, want 5", i, len(team))
		}
	}
	if strings.Contains(ids(m), "k") {
		t.Errorf("match %s holds the 1900 player, outside the skill band", ids(m))
	}
	if m.Region != "us-east-1" || len(m.Regions) != 2 {
		t.Errorf("region %q %v, want us-east-1 of two", m.Region, m.Regions)
	}
	if len(m.Metrics) != 6 || m.Metrics[0].RuleName != "SkillBand" || m.Metrics[0].PassedCount == 0 {
		t.Errorf("metrics %+v", m.Metrics)
	}
}

func TestParties(t *testing.T) {
	rs := compile(t, duoRules)
	one := player{attrs: num("skill", 1000)}
	tests := []struct {
		name    string
		tickets []*Ticket
		want    []string
	}{
		{"two pairs", []*Ticket{
			ticket(t, rs, "p1", 4*time.Second, one, one),
			ticket(t, rs, "s1", 3*time.Second, one),
			ticket(t, rs, "p2", 2*time.Second, one, one),
		}, []string{"p1,p2"}},
		{"pair and singles", []*Ticket{
			ticket(t, rs, "s1", 4*time.Second, one),
			ticket(t, rs, "p1", 3*time.Second, one, one),
			ticket(t, rs, "s2", 2*time.Second, one),
		}, []string{"p1,s1,s2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Tickets: tc.tickets}
			res := mustForm(t, rs, in, Options{})
			checkMatches(t, rs, in, res)
			var got []string
			for _, m := range res.Matches {
				got = append(got, ticketIDs(m))
				for _, team := range m.Teams {
					if teamPlayers(team) != 2 {
						t.Errorf("match %s: a team of %d players", ids(m), teamPlayers(team))
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("matches %v, want %v", got, tc.want)
			}
		})
	}
}

func TestExpansions(t *testing.T) {
	rs := compile(t, duelRules)
	tests := []struct {
		name     string
		age      time.Duration
		selected string
		want     int // matches
		expanded bool
	}{
		{"too young", 10 * time.Second, "", 0, false},
		{"after the wait", 31 * time.Second, "", 1, true},
		{"newest ticket restarts the clock", 0, "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Tickets: []*Ticket{
				skillTicket(t, rs, "old", 40*time.Second, 1000),
				skillTicket(t, rs, "new", tc.age, 1250),
			}}
			res := mustForm(t, rs, in, Options{})
			checkMatches(t, rs, in, res)
			if len(res.Matches) != tc.want {
				t.Fatalf("got %d matches, want %d", len(res.Matches), tc.want)
			}
			if tc.want > 0 {
				m := res.Matches[0]
				if m.Expanded() != tc.expanded || m.Expansions[0] != 0 {
					t.Fatalf("Expansions = %v, want step 0 in force", m.Expansions)
				}
			}
		})
	}
}

func TestExpandedTeamSize(t *testing.T) {
	rs := compileFile(t, "example-02-uneven-teams-hunters-vs-monster.json")
	hunter := player{attrs: num("skill", 20)}
	monster := player{attrs: num("skill", 30, "wantsToBeMonster", 1)}
	for _, tc := range []struct {
		age     time.Duration
		matches int
	}{{10 * time.Second, 0}, {35 * time.Second, 1}} {
		in := Input{Tickets: []*Ticket{
			ticket(t, rs, "h1", tc.age, hunter), ticket(t, rs, "m", tc.age, monster),
			ticket(t, rs, "h2", tc.age, hunter), ticket(t, rs, "h3", tc.age, hunter, hunter),
		}}
		res := mustForm(t, rs, in, Options{})
		checkMatches(t, rs, in, res)
		if len(res.Matches) != tc.matches {
			t.Fatalf("age %v: %d matches, want %d", tc.age, len(res.Matches), tc.matches)
		}
		if tc.matches > 0 {
			if got := ids(res.Matches[0]); got != "h1,h2,h3|m" {
				t.Fatalf("match %s, want h1,h2,h3|m", got)
			}
			if !res.Matches[0].Expanded() {
				t.Fatal("the match formed at minPlayers 4 must report the expansion")
			}
		}
	}
}

func TestSortRules(t *testing.T) {
	rs := compileFile(t, "example-04-explicit-sorting.json")
	noSort := compile(t, strings.Replace(string(must(t, "example-04-explicit-sorting.json")), `"type": "distanceSort"`, `"type": "absoluteSort"`, 1))
	// The oldest candidates have experience far from the anchor's.
	exp := []float64{50, 10, 90, 12, 88, 49, 51, 48, 52, 47}
	build := func(rs *rules.RuleSet) Input {
		var in Input
		for i, e := range exp {
			in.Tickets = append(in.Tickets, ticket(t, rs, string(rune('a'+i)), time.Duration(20-i)*time.Second, player{attrs: num("experience", e)}))
		}
		return in
	}
	in := build(rs)
	res := mustForm(t, rs, in, Options{})
	checkMatches(t, rs, in, res)
	if len(res.Matches) == 0 {
		t.Fatal("no match")
	}
	got := ticketIDs(res.Matches[0])
	if want := "a,f,g,h,i,j"; got != want {
		t.Errorf("with distanceSort the anchor gets %s, want %s", got, want)
	}
	in = build(noSort)
	res = mustForm(t, noSort, in, Options{})
	if got := ticketIDs(res.Matches[0]); got != "a,b,d,f,h,j" {
		t.Errorf("sorted by absolute experience the anchor gets %s, want the lowest: a,b,d,f,h,j", got)
	}
}

func must(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readExample(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ticketIDs lists a match's ticket ids sorted.
func ticketIDs(m Match) string {
	var out []string
	for _, tk := range m.Tickets() {
		out = append(out, tk.ID)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func TestLatencyRegion(t *testing.T) {
	src := `{"ruleLanguageVersion": "1.0", "teams": [{"name": "p", "minPlayers": 1, "maxPlayers": 1, "quantity": 2}],
	  "rules": [{"name": "Ping", "type": "latency", "maxLatency": 100}]}`
	rs := compile(t, src)
	tests := []struct {
		name   string
		a, b   map[string]float64
		region string
		n      int
	}{
		{"lowest worst latency", map[string]float64{"us": 40, "eu": 90}, map[string]float64{"us": 60, "eu": 30}, "us", 2},
		{"only one region qualifies", map[string]float64{"us": 40, "eu": 90}, map[string]float64{"us": 150, "eu": 30}, "eu", 1},
		{"no common region", map[string]float64{"us": 40}, map[string]float64{"eu": 30}, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := Input{Tickets: []*Ticket{ticket(t, rs, "a", 2*time.Second, player{latency: tc.a}), ticket(t, rs, "b", time.Second, player{latency: tc.b})}}
			res := mustForm(t, rs, in, Options{})
			checkMatches(t, rs, in, res)
			if tc.n == 0 {
				if len(res.Matches) != 0 {
					t.Fatalf("got a match in %q", res.Matches[0].Region)
				}
				return
			}
			if len(res.Matches) != 1 {
				t.Fatal("no match")
			}
			m := res.Matches[0]
			if m.Region != tc.region || len(m.Regions) != tc.n {
				t.Fatalf("region %q among %v, want %q among %d", m.Region, m.Regions, tc.region, tc.n)
			}
		})
	}
	t.Run("without latency rules", func(t *testing.T) {
		rs := compile(t, duoRules)
		lat := map[string]float64{"us": 50, "eu": 20}
		in := Input{}
		for _, id := range []string{"a", "b", "c", "d"} {
			in.Tickets = append(in.Tickets, ticket(t, rs, id, time.Second, player{latency: lat}))
		}
		res := mustForm(t, rs, in, Options{})
		if len(res.Matches) != 1 || res.Matches[0].Region != "eu" || res.Matches[0].Regions != nil {
			t.Fatalf("matches %+v, want one in eu", res.Matches)
		}
	})
}

func TestAdditionalPlayerCount(t *testing.T) {
	rs := compileFile(t, "cli-minimal-single-team.json")
	tests := []struct{ extra, want int }{{0, 8}, {2, 6}, {5, 3}, {6, 2}, {8, 0}}
	for _, tc := range tests {
		var in Input
		for i := range 10 {
			in.Tickets = append(in.Tickets, ticket(t, rs, string(rune('a'+i)), time.Second, player{}))
		}
		in.AdditionalPlayerCount = tc.extra
		res := mustForm(t, rs, in, Options{})
		got := 0
		if len(res.Matches) > 0 {
			got = teamPlayers(res.Matches[0].Teams[0])
		}
		if got != tc.want {
			t.Errorf("additional %d: first match has %d players, want %d", tc.extra, got, tc.want)
		}
	}
}

func TestBackfill(t *testing.T) {
	rs := compile(t, fiveRules)
	p := func(skill float64) player { return player{attrs: num("skill", skill), latency: usEast} }
	var red, blue []*Ticket
	for i := range 5 {
		red = append(red, prepare(t, rs, "r"+string(rune('0'+i)), 20*time.Second, true, p(1000)))
	}
	for i := range 3 {
		blue = append(blue, prepare(t, rs, "b"+string(rune('0'+i)), 20*time.Second, true, p(1000)))
	}
	req := BackfillRequest{ID: "bf", Teams: [][]*Ticket{red, blue}}
	in := Input{Backfill: []BackfillRequest{req}}
	for i, s := range []float64{1010, 990, 1005, 1500} {
		in.Tickets = append(in.Tickets, ticket(t, rs, "n"+string(rune('0'+i)), time.Duration(10-i)*time.Second, p(s)))
	}
	res := mustForm(t, rs, in, Options{})
	checkMatches(t, rs, in, res)
	if len(res.Matches) != 1 {
		t.Fatalf("got %d matches, want the backfill", len(res.Matches))
	}
	m := res.Matches[0]
	if m.Backfill == nil || m.Backfill.ID != "bf" {
		t.Fatalf("match is not the backfill: %+v", m.Backfill)
	}
	if got := ids(m); got != "r0,r1,r2,r3,r4|b0,b1,b2,n0,n1" {
		t.Fatalf("backfill match %s: the two open blue slots take the two oldest", got)
	}
	if res.Unmatched != 2 {
		t.Fatalf("Unmatched = %d, want 2", res.Unmatched)
	}
}

func TestBackfillOpenAndPriority(t *testing.T) {
	src := `{"ruleLanguageVersion": "1.0", "algorithm": {"backfillPriority": "%s"},
	  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}, {"name": "blue", "minPlayers": 1, "maxPlayers": 2}]}`
	for _, tc := range []struct {
		priority string
		open     []int
		want     []string
	}{
		{"high", nil, []string{"bf:s1,s2|s3,a", "other:o1,c|b"}},
		{"high", []int{0, 1}, []string{"bf:s1,s2|s3,a", "other:o1,c|b"}},
		{"high", []int{0, 0}, []string{"other:o1,b|a,c"}},
		{"low", nil, []string{"a,c|b"}},
		{"normal", nil, []string{"a,c|b"}},
	} {
		t.Run(tc.priority, func(t *testing.T) {
			rs := compile(t, strings.Replace(src, "%s", tc.priority, 1))
			req := BackfillRequest{ID: "bf", Open: tc.open, Teams: [][]*Ticket{
				{prepare(t, rs, "s1", time.Second, true, player{}), prepare(t, rs, "s2", time.Second, true, player{})},
				{prepare(t, rs, "s3", time.Second, true, player{})},
			}}
			in := Input{Backfill: []BackfillRequest{req, {ID: "other", Teams: [][]*Ticket{{prepare(t, rs, "o1", time.Second, true, player{})}, nil}}}}
			for i, id := range []string{"a", "b", "c"} {
				in.Tickets = append(in.Tickets, ticket(t, rs, id, time.Duration(10-i)*time.Second, player{}))
			}
			res := mustForm(t, rs, in, Options{})
			checkMatches(t, rs, in, res)
			var got []string
			for _, m := range res.Matches {
				s := ids(m)
				if m.Backfill != nil {
					s = m.Backfill.ID + ":" + s
				}
				got = append(got, s)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("matches %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	rs := compile(t, fiveRules)
	in := randomPool(t, rs, 7, 600, 1)
	opts := Options{BatchSize: 100, Seed: 42}
	a := mustForm(t, rs, in, opts)
	b := mustForm(t, rs, in, opts)
	if len(a.Matches) == 0 || len(a.Matches) != len(b.Matches) {
		t.Fatalf("%d and %d matches", len(a.Matches), len(b.Matches))
	}
	for i := range a.Matches {
		if ids(a.Matches[i]) != ids(b.Matches[i]) {
			t.Fatalf("match %d differs: %s vs %s", i, ids(a.Matches[i]), ids(b.Matches[i]))
		}
	}
	checkMatches(t, rs, in, a)
}

func TestSortedBatching(t *testing.T) {
	src := `{"ruleLanguageVersion": "1.0", "playerAttributes": [{"name": "skill", "type": "number", "default": 0}],
	  "algorithm": {"batchingPreference": "sorted", "sortByAttributes": ["skill"]},
	  "teams": [{"name": "p", "minPlayers": 1, "maxPlayers": 1, "quantity": 2}]}`
	rs := compile(t, src)
	var in Input
	for i, s := range []float64{5, 1, 6, 2, 7, 3, 8, 4} {
		in.Tickets = append(in.Tickets, skillTicket(t, rs, string(rune('a'+i)), time.Duration(10-i)*time.Second, s))
	}
	res := mustForm(t, rs, in, Options{BatchSize: 2})
	var got []string
	for _, m := range res.Matches {
		got = append(got, ticketIDs(m))
	}
	// Batches of two by skill: (1,2) (3,4) (5,6) (7,8).
	if want := []string{"b,d", "f,h", "a,c", "e,g"}; !slices.Equal(got, want) {
		t.Fatalf("matches %v, want %v", got, want)
	}
}

func TestMaxMatchesAndMetrics(t *testing.T) {
	rs := compile(t, duelRules)
	var in Input
	for i := range 10 {
		in.Tickets = append(in.Tickets, skillTicket(t, rs, string(rune('a'+i)), time.Second, float64(1000+i*10)))
	}
	res := mustForm(t, rs, in, Options{MaxMatches: 2})
	if len(res.Matches) != 2 || res.Unmatched != 6 {
		t.Fatalf("%d matches, %d unmatched; want 2 and 6", len(res.Matches), res.Unmatched)
	}
	if len(res.Metrics) != 1 || res.Metrics[0].RuleName != "CloseSkill" || res.Metrics[0].PassedCount < 4 || res.Evaluations == 0 {
		t.Fatalf("metrics %+v, %d evaluations", res.Metrics, res.Evaluations)
	}
}

// TestKeptOut: a ticket no match takes is reported with the outcomes of the
// search it anchored (the rule that kept it out failing), under both
// strategies; matched tickets are not.
func TestKeptOut(t *testing.T) {
	for _, src := range []string{duelRules, strings.Replace(duelRules, `"teams"`, `"algorithm": {"strategy": "balanced", "balancedAttribute": "skill"}, "teams"`, 1)} {
		rs := compile(t, src)
		in := Input{Now: t0, Tickets: []*Ticket{
			skillTicket(t, rs, "a", time.Second, 1000), skillTicket(t, rs, "b", time.Second, 1050),
			skillTicket(t, rs, "far", 2*time.Second, 5000)}}
		res := mustForm(t, rs, in, Options{})
		if len(res.Matches) != 1 || len(res.Kept) != 1 || res.Kept[0].Ticket.ID != "far" {
			t.Fatalf("%s: %d matches, kept %+v; want 1 match and far kept out", rs.Definition().Algorithm.Strategy, len(res.Matches), res.Kept)
		}
		if m := res.Kept[0].Metrics; len(m) != 1 || m[0].RuleName != "CloseSkill" || m[0].FailedCount == 0 {
			t.Fatalf("%s: far's metrics %+v; want CloseSkill failing", rs.Definition().Algorithm.Strategy, m)
		}
	}
}

func TestInvalidInput(t *testing.T) {
	rs := compile(t, duoRules)
	a := ticket(t, rs, "a", 0, player{})
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"nil ticket", Input{Tickets: []*Ticket{a, nil}}, "tickets[1] is nil"},
		{"duplicate", Input{Tickets: []*Ticket{a, a}}, `duplicate ticket id "a"`},
		{"negative additional", Input{AdditionalPlayerCount: -1}, "additional player count"},
		{"backfill teams", Input{Backfill: []BackfillRequest{{ID: "x", Teams: [][]*Ticket{{a}}}}}, "1 teams, the rule set has 2"},
		{"backfill open", Input{Backfill: []BackfillRequest{{ID: "x", Teams: [][]*Ticket{{a}, nil}, Open: []int{1}}}}, "open slots for 1 teams"},
		{"backfill negative open", Input{Backfill: []BackfillRequest{{ID: "x", Teams: [][]*Ticket{{a}, nil}, Open: []int{1, -1}}}}, "open[1] is -1"},
		{"backfill empty", Input{Backfill: []BackfillRequest{{ID: "x", Teams: [][]*Ticket{nil, nil}}}}, "no current players"},
		{"backfill nil ticket", Input{Backfill: []BackfillRequest{{ID: "x", Teams: [][]*Ticket{{nil}, nil}}}}, "nil ticket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Form(rs, tc.in, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	if _, err := Form(nil, Input{}, Options{}); err == nil {
		t.Fatal("nil rule set accepted")
	}
	if _, err := Prepare(rs, rules.TicketSpec{ID: "empty"}); err == nil || err.Error() != "can never match: players: at least one player is required" {
		t.Fatalf("Prepare error %v", err)
	}
}

// evenness is the largest difference between two teams' averages of attr,
// relative to the match average.
func evenness(m Match) float64 {
	lo, hi, total, n := math.Inf(1), math.Inf(-1), 0.0, 0
	for _, team := range m.Teams {
		s := 0.0
		for _, t := range team {
			s += t.balance
		}
		avg := s / float64(teamPlayers(team))
		lo, hi = math.Min(lo, avg), math.Max(hi, avg)
		total += s
		n += teamPlayers(team)
	}
	return (hi - lo) / (total / float64(n))
}

// TestPrepareUnmatchable: a ticket that no pool could ever match is refused
// by Prepare with an *Unmatchable saying why, in the words the explanation,
// the timeout event and `rules simulate` repeat; a ticket that only needs
// an expansion is prepared.
func TestPrepareUnmatchable(t *testing.T) {
	rs := compile(t, `{"ruleLanguageVersion": "1.0",
	  "playerAttributes": [{"name": "skill", "type": "number"}, {"name": "mode", "type": "string", "default": "ranked"}],
	  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 3}, {"name": "blue", "minPlayers": 2, "maxPlayers": 3}],
	  "rules": [{"name": "FastConnection", "type": "latency", "maxLatency": 100}],
	  "expansions": [{"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 30, "value": 4}]}]}`)
	eu := map[string]float64{"eu-west-1": 40}
	us := map[string]float64{"us-east-1": 40}
	skilled := num("skill", 10)
	p := func(attrs map[string]rules.Value, lat map[string]float64) player {
		return player{attrs: attrs, latency: lat}
	}
	tests := []struct {
		name    string
		players []player
		want    string // "" for a ticket that can match
	}{
		{"fits an expanded team", []player{p(skilled, eu), p(skilled, eu), p(skilled, eu), p(skilled, eu)}, ""},
		{"party larger than any team", []player{p(skilled, eu), p(skilled, eu), p(skilled, eu), p(skilled, eu), p(skilled, eu)},
			"can never match: the party of 5 players is larger than any team (at most 4)"},
		{"no latency data", []player{p(skilled, nil)},
			"can never match: no latency data, which the latency rule FastConnection needs"},
		{"no region in common", []player{p(skilled, eu), p(skilled, us)},
			"can never match: no region where all 2 players reported a latency, which the latency rule FastConnection needs"},
		{"missing attribute without default", []player{p(num("mode", "casual"), eu)},
			`can never match: players[0] (x-0): attribute "skill" is missing and the rule set declares no default`},
		{"mistyped attribute", []player{p(num("skill", "high"), eu)},
			`can never match: players[0] (x-0): attribute "skill" is a string value; the rule set declares number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Prepare(rs, spec("x", 0, false, tc.players))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Prepare: %v", err)
				}
				return
			}
			var u *Unmatchable
			if !errors.As(err, &u) || err.Error() != tc.want {
				t.Fatalf("Prepare error %v (%T), want *Unmatchable %q", err, err, tc.want)
			}
		})
	}
}
