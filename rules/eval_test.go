package rules

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func mustCompileFile(t testing.TB, name string) *RuleSet {
	t.Helper()
	src, err := os.ReadFile("testdata/examples/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return mustCompile(t, string(src))
}

func mustCompile(t testing.TB, src string) *RuleSet {
	t.Helper()
	rs, err := CompileJSON([]byte(src))
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return rs
}

// attrs builds an attribute map from alternating names and values: a
// float64 is N, a string S, a []string SL, a map SDM.
func attrs(kv ...any) map[string]Value {
	m := map[string]Value{}
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case float64:
			m[kv[i].(string)] = NumberValue(v)
		case int:
			m[kv[i].(string)] = NumberValue(float64(v))
		case string:
			m[kv[i].(string)] = StringValue(v)
		case []string:
			m[kv[i].(string)] = StringListValue(v...)
		case map[string]float64:
			m[kv[i].(string)] = StringNumberMapValue(v)
		}
	}
	return m
}

func prep(t testing.TB, rs *RuleSet, id string, age time.Duration, players ...Player) *Ticket {
	t.Helper()
	if len(players) == 0 {
		players = []Player{{ID: id + "-p"}}
	}
	tk, err := rs.PrepareTicket(TicketSpec{ID: id, Start: t0.Add(-age), Players: players})
	if err != nil {
		t.Fatalf("prepare %s: %v", id, err)
	}
	return tk
}

// fill builds a candidate with one single-player ticket per attribute map,
// team by team.
func fill(t testing.TB, rs *RuleSet, teams ...[]map[string]Value) *Candidate {
	t.Helper()
	c := rs.NewCandidate()
	n := 0
	for ti, team := range teams {
		for _, a := range team {
			n++
			id := "t" + string(rune('a'+n))
			c.Add(ti, prep(t, rs, id, 0, Player{ID: id, Attributes: a}))
		}
	}
	return c
}

func skills(vals ...float64) []map[string]Value {
	out := make([]map[string]Value, len(vals))
	for i, v := range vals {
		out[i] = attrs("skill", v)
	}
	return out
}

func outcome(t testing.TB, rs *RuleSet, r *Result, rule string) Outcome {
	t.Helper()
	for i, rd := range rs.Definition().Rules {
		if rd.Name == rule {
			return r.Rules[i]
		}
	}
	t.Fatalf("no rule %q", rule)
	return 0
}

func TestExample1FairTeamsAndExpansion(t *testing.T) {
	rs := mustCompileFile(t, "example-01-two-teams-evenly-matched.json")
	ev := rs.NewEvaluator()

	c := fill(t, rs, skills(10, 10, 10, 10), skills(10, 12, 8, 10))
	if r := ev.Evaluate(c, t0, FinalCheck); !r.Pass {
		t.Fatalf("even 4v4 should pass: %+v", r.Rules)
	}

	// Team averages 10 and 40, overall 25: 15 away from the overall average.
	c = fill(t, rs, skills(10, 10, 10, 10), skills(40, 40, 40, 40))
	r := ev.Evaluate(c, t0, ExplainAll)
	if r.Pass || outcome(t, rs, r, "FairTeamSkill") != Failed || outcome(t, rs, r, "EqualTeamSizes") != Passed {
		t.Fatalf("uneven skill: pass=%v rules=%v", r.Pass, r.Rules)
	}
	// After 5 s the expansion relaxes maxDistance to 50.
	if r := ev.Evaluate(c, t0.Add(6*time.Second), FinalCheck); !r.Pass || r.Expansions[0] != 0 {
		t.Fatalf("expanded: pass=%v expansions=%v rules=%v", r.Pass, r.Expansions, r.Rules)
	}

	c = fill(t, rs, skills(10, 10, 10, 10), skills(10, 10, 10, 10, 10))
	r = ev.Evaluate(c, t0, ExplainAll)
	if r.Pass || outcome(t, rs, r, "EqualTeamSizes") != Failed {
		t.Fatalf("4v5 should fail EqualTeamSizes: %v", r.Rules)
	}

	c = fill(t, rs, skills(10, 10, 10), skills(10, 10, 10))
	if r := ev.Evaluate(c, t0, FinalCheck); r.Pass || r.TeamsOK {
		t.Fatalf("3v3 is below minPlayers 4: pass=%v teamsOK=%v", r.Pass, r.TeamsOK)
	}
	if r := ev.Evaluate(c, t0, PartialCheck); !r.Pass {
		t.Fatalf("3v3 is a fine partial match: %+v", r)
	}
}

func TestExample2TeamExpansionAndReference(t *testing.T) {
	rs := mustCompileFile(t, "example-02-uneven-teams-hunters-vs-monster.json")
	ev := rs.NewEvaluator()
	hunters := func(n int) []map[string]Value {
		out := make([]map[string]Value, n)
		for i := range out {
			out[i] = attrs("skill", 10, "desiredSkillOfMonster", 15)
		}
		return out
	}
	monster := []map[string]Value{attrs("skill", 20, "wantsToBeMonster", 1)}
	if r := ev.Evaluate(fill(t, rs, hunters(5), monster), t0, FinalCheck); !r.Pass {
		t.Fatalf("5 vs monster: %v", r.Rules)
	}
	weak := []map[string]Value{attrs("skill", 12, "wantsToBeMonster", 1)}
	if r := ev.Evaluate(fill(t, rs, hunters(5), weak), t0, ExplainAll); r.Pass || outcome(t, rs, r, "MonsterSkill") != Failed {
		t.Fatalf("monster below desired skill must fail MonsterSkill: %v", r.Rules)
	}
	c := fill(t, rs, hunters(3), monster)
	if r := ev.Evaluate(c, t0.Add(59*time.Second), FinalCheck); r.Pass {
		t.Fatal("3 hunters before 60 s must fail minPlayers")
	}
	if r := ev.Evaluate(c, t0.Add(61*time.Second), FinalCheck); !r.Pass {
		t.Fatalf("3 hunters after 60 s: %+v", r)
	}
	limits := rs.TeamLimits(31*time.Second, nil)
	if limits[0].MinPlayers != 4 || limits[1].MinPlayers != 1 {
		t.Fatalf("TeamLimits at 31s = %+v", limits)
	}
}

func TestExample3QuantityCollectionAndLatency(t *testing.T) {
	rs := mustCompileFile(t, "example-03-team-level-requirements-and-latency.json")
	if got := rs.Teams(); len(got) != 3 || got[0].Name != "trio_1" || got[2].Name != "trio_3" {
		t.Fatalf("teams = %+v", got)
	}
	ev := rs.NewEvaluator()
	lat := map[string]float64{"us-east-1": 40, "eu-west-1": 45}
	team := func(n int, character string) []Player {
		out := make([]Player, n)
		for i := range out {
			out[i] = Player{ID: character + string(rune('a'+i)), Attributes: attrs("skill", 10, "character", []string{character}), Latencies: lat}
		}
		return out
	}
	build := func(sizes [3]int, medics int) *Candidate {
		c := rs.NewCandidate()
		n := 0
		for ti, size := range sizes {
			for _, p := range team(size, "peasant") {
				if n < medics {
					p.Attributes = attrs("skill", 10, "character", []string{"medic", "peasant"})
				}
				n++
				p.ID = p.ID + string(rune('0'+ti))
				c.Add(ti, prep(t, rs, p.ID, 0, p))
			}
		}
		return c
	}
	r := ev.Evaluate(build([3]int{3, 3, 4}, 5), t0, ExplainAll)
	if !r.Pass {
		t.Fatalf("3v3v4 with 5 medics: %v %v", r.Rules, r.Err)
	}
	if len(r.Regions) != 2 || r.Regions[0].Region != "us-east-1" || r.Regions[0].MaxMs != 40 {
		t.Fatalf("regions = %+v", r.Regions)
	}
	if r := ev.Evaluate(build([3]int{3, 3, 5}, 0), t0, ExplainAll); outcome(t, rs, r, "CloseTeamSizes") != Failed {
		t.Fatalf("3v3v5 must fail CloseTeamSizes: %v", r.Rules)
	}
	if r := ev.Evaluate(build([3]int{3, 3, 4}, 6), t0, ExplainAll); outcome(t, rs, r, "OverallMedicLimit") != Failed {
		t.Fatalf("6 medics must fail OverallMedicLimit: %v", r.Rules)
	}
}

func TestLatencyRule(t *testing.T) {
	rs := mustCompile(t, `{"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":1,"maxPlayers":4}],
		"rules":[{"name":"Fast","type":"latency","maxLatency":100,"maxDistance":30,"distanceReference":"min"}],
		"expansions":[{"target":"rules[Fast].maxLatency","steps":[{"waitTimeSeconds":10,"value":200}]}]}`)
	ev := rs.NewEvaluator()
	cand := func(lats ...map[string]float64) *Candidate {
		c := rs.NewCandidate()
		for i, l := range lats {
			id := string(rune('a' + i))
			c.Add(0, prep(t, rs, id, 0, Player{ID: id, Latencies: l}))
		}
		return c
	}
	tests := []struct {
		name    string
		lats    []map[string]float64
		at      time.Duration
		regions []string
	}{
		{"both regions", []map[string]float64{{"x": 20, "y": 50}, {"x": 40, "y": 60}}, 0, []string{"x", "y"}},
		{"one too slow", []map[string]float64{{"x": 20, "y": 150}, {"x": 40, "y": 60}}, 0, []string{"x"}},
		{"spread beyond maxDistance", []map[string]float64{{"x": 10}, {"x": 50}}, 0, nil},
		{"expanded maxLatency", []map[string]float64{{"x": 150}, {"x": 160}}, 11 * time.Second, []string{"x"}},
		{"no common region", []map[string]float64{{"x": 10}, {"y": 10}}, 0, nil},
		{"no latency data", []map[string]float64{nil}, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ev.Evaluate(cand(tc.lats...), t0.Add(tc.at), FinalCheck)
			var got []string
			for _, rl := range r.Regions {
				got = append(got, rl.Region)
			}
			if r.Pass != (len(tc.regions) > 0) || strings.Join(got, ",") != strings.Join(tc.regions, ",") {
				t.Fatalf("pass=%v regions=%v, want %v", r.Pass, got, tc.regions)
			}
		})
	}
}

func TestExample4SortKeys(t *testing.T) {
	rs := mustCompileFile(t, "example-04-explicit-sorting.json")
	mk := func(id string, exp float64, maps map[string]float64) *Ticket {
		return prep(t, rs, id, 0, Player{ID: id, Attributes: attrs("experience", exp, "mapPreference", maps)})
	}
	anchor := mk("anchor", 50, map[string]float64{"dust": 10, "ice": 90})
	near := mk("near", 55, map[string]float64{"ice": 80})
	far := mk("far", 10, map[string]float64{"ice": 95})
	noIce := mk("noIce", 50, map[string]float64{"dust": 100})
	k := func(tk *Ticket) []float64 { return rs.SortKeys(anchor, tk, nil) }
	// MapPreference sorts descending on the anchor's favourite map ("ice").
	if got := k(near); got[0] != -80 || got[1] != 5 {
		t.Fatalf("near keys = %v", got)
	}
	if got := k(far); got[0] != -95 || got[1] != 40 {
		t.Fatalf("far keys = %v", got)
	}
	if got := k(noIce); got[0] <= 0 {
		t.Fatalf("a ticket without the anchor's map key must sort last, got %v", got)
	}
}

func TestExample4Intersection(t *testing.T) {
	rs := mustCompileFile(t, "example-04-explicit-sorting.json")
	ev := rs.NewEvaluator()
	p := func(modes ...string) map[string]Value { return attrs("gameMode", modes) }
	c := fill(t, rs, []map[string]Value{p("coop", "ctf"), p("ctf"), p("ctf", "dm")}, []map[string]Value{p("ctf"), p("ctf"), p("ctf")})
	if r := ev.Evaluate(c, t0, FinalCheck); !r.Pass {
		t.Fatalf("shared ctf: %v", r.Rules)
	}
	c = fill(t, rs, []map[string]Value{p("coop"), p("ctf"), p("ctf")}, []map[string]Value{p("ctf"), p("ctf"), p("ctf")})
	if r := ev.Evaluate(c, t0, ExplainAll); outcome(t, rs, r, "SharedMode") != Failed {
		t.Fatalf("no common mode must fail SharedMode: %v", r.Rules)
	}
}

func TestExample5ReferenceIntersection(t *testing.T) {
	rs := mustCompileFile(t, "example-05-intersections-across-attributes.json")
	ev := rs.NewEvaluator()
	p := func(char string, opp ...string) map[string]Value {
		return attrs("myCharacter", []string{char}, "preferredOpponents", opp)
	}
	good := []map[string]Value{p("elf", "elf", "orc"), p("orc", "elf", "orc"), p("elf", "orc", "elf"), p("orc", "orc", "elf", "dwarf"), p("elf", "elf", "orc")}
	if r := ev.Evaluate(fill(t, rs, good), t0, FinalCheck); !r.Pass {
		t.Fatalf("everyone plays a preferred opponent: %v", r.Rules)
	}
	bad := append(good[:4:4], p("dwarf", "elf", "orc"))
	if r := ev.Evaluate(fill(t, rs, bad), t0, FinalCheck); r.Pass {
		t.Fatal("a dwarf nobody wants must fail")
	}
	if r := ev.Evaluate(fill(t, rs, bad), t0.Add(16*time.Second), FinalCheck); !r.Pass {
		t.Fatalf("minCount expands to 0 after 15 s: %v", r.Rules)
	}
}

func TestExample6CompareAcrossPlayers(t *testing.T) {
	rs := mustCompileFile(t, "example-06-compare-attributes-all-players.json")
	ev := rs.NewEvaluator()
	tests := []struct {
		a, b  map[string]Value
		fails string
	}{
		{attrs("character", 1), attrs("character", 2), ""},
		{attrs("character", 1), attrs("character", 1), "DifferentCharacter"},
		{attrs("character", 1, "gameMode", "real-time"), attrs("character", 2), "SameGameMode"},
		{attrs("character", 1, "gameMap", 3), attrs("character", 2), "SameGameMap"},
	}
	for _, tc := range tests {
		r := ev.Evaluate(fill(t, rs, []map[string]Value{tc.a}, []map[string]Value{tc.b}), t0, ExplainAll)
		if tc.fails == "" {
			if !r.Pass {
				t.Errorf("%v vs %v: want pass, got %v", tc.a, tc.b, r.Rules)
			}
			continue
		}
		if r.Pass || outcome(t, rs, r, tc.fails) != Failed {
			t.Errorf("%v vs %v: want %s to fail, got %v", tc.a, tc.b, tc.fails, r.Rules)
		}
	}
	if _, err := rs.PrepareTicket(TicketSpec{ID: "x", Players: []Player{{ID: "p", Attributes: attrs("gameMode", "x")}}}); err == nil || !strings.Contains(err.Error(), `"character" is missing`) {
		t.Fatalf("character has no default: want a clear error, got %v", err)
	}
	if _, err := rs.PrepareTicket(TicketSpec{ID: "x", Players: []Player{{ID: "p", Attributes: attrs("character", "elf")}}}); err == nil || !strings.Contains(err.Error(), `"character" is a string value; the rule set declares number`) {
		t.Fatalf("wrong type: want a clear error, got %v", err)
	}
}

func TestExample10Compound(t *testing.T) {
	rs := mustCompileFile(t, "example-10-compound-rule.json")
	ev := rs.NewEvaluator()
	team := func(n int, mapName string, skill float64, league float64) []map[string]Value {
		out := make([]map[string]Value, n)
		for i := range out {
			out[i] = attrs("map", mapName, "mode", "ctf", "skill", skill+float64(i), "league", league)
		}
		return out
	}
	// Same map and mode, wildly different skill: the first branch passes.
	c := fill(t, rs, team(10, "dust", 10, 1), team(10, "dust", 90, 9))
	if r := ev.Evaluate(c, t0, FinalCheck); !r.Pass {
		t.Fatalf("same map and mode: %v", r.Rules)
	}
	// Different maps, close skill and league: the second branch passes.
	c = fill(t, rs, team(10, "dust", 10, 1), team(10, "ice", 10, 2))
	if r := ev.Evaluate(c, t0, FinalCheck); !r.Pass {
		t.Fatalf("close skill: %v", r.Rules)
	}
	// Neither.
	c = fill(t, rs, team(10, "dust", 10, 1), team(10, "ice", 90, 9))
	r := ev.Evaluate(c, t0, ExplainAll)
	if r.Pass || outcome(t, rs, r, "CompoundRuleMatchmaker") != Failed || outcome(t, rs, r, "SameMapComparison") != Failed {
		t.Fatalf("neither branch: pass=%v %v", r.Pass, r.Rules)
	}
}

func TestExample11BlockList(t *testing.T) {
	rs := mustCompileFile(t, "example-11-player-block-list.json")
	ev := rs.NewEvaluator()
	build := func(block string) *Candidate {
		c := rs.NewCandidate()
		for i := 0; i < 10; i++ {
			id := "p" + string(rune('0'+i))
			a := attrs()
			if i == 0 && block != "" {
				a = attrs("BlockList", []string{block})
			}
			c.Add(i/5, prep(t, rs, id, 0, Player{ID: id, Attributes: a}))
		}
		return c
	}
	if r := ev.Evaluate(build("someone-else"), t0, FinalCheck); !r.Pass {
		t.Fatalf("nobody blocked: %v", r.Rules)
	}
	if r := ev.Evaluate(build("p7"), t0, FinalCheck); r.Pass {
		t.Fatal("p0 blocks p7, who is in the match: must fail")
	}
}

func TestPartyAggregation(t *testing.T) {
	rs := mustCompile(t, `{"ruleLanguageVersion":"1.0",
		"playerAttributes":[{"name":"skill","type":"number"}],
		"teams":[{"name":"a","minPlayers":1,"maxPlayers":4}],
		"rules":[{"name":"Batch","type":"batchDistance","batchAttribute":"skill","maxDistance":5,"partyAggregation":"max"}]}`)
	ev := rs.NewEvaluator()
	party := prep(t, rs, "party", 0, Player{ID: "a", Attributes: attrs("skill", 10)}, Player{ID: "b", Attributes: attrs("skill", 30)})
	solo := prep(t, rs, "solo", 0, Player{ID: "c", Attributes: attrs("skill", 28)})
	c := rs.NewCandidate()
	c.Add(0, party)
	c.Add(0, solo)
	if r := ev.Evaluate(c, t0, FinalCheck); !r.Pass {
		t.Fatal("party max 30 is within 5 of 28")
	}
	low := prep(t, rs, "low", 0, Player{ID: "d", Attributes: attrs("skill", 12)})
	c.Add(0, low)
	if r := ev.Evaluate(c, t0, PartialCheck); r.Pass {
		t.Fatal("12 is 18 from the party's max 30: batchDistance must fail even on a partial match")
	}
	c.RemoveLast(0)
	if c.TeamPlayers(0) != 3 || len(c.Team(0)) != 2 {
		t.Fatalf("RemoveLast: %d players, %d tickets", c.TeamPlayers(0), len(c.Team(0)))
	}
}

func TestExpressionRuleAndExprOperand(t *testing.T) {
	rs := mustCompile(t, `{"ruleLanguageVersion":"1.0",
		"playerAttributes":[{"name":"skill","type":"number","default":0},{"name":"role","type":"string","default":"dps"}],
		"teams":[{"name":"red","minPlayers":1,"maxPlayers":3},{"name":"blue","minPlayers":1,"maxPlayers":3}],
		"rules":[
		  {"name":"OneHealerPerTeam","type":"expression","expression":"all(teams, one(.players, .attributes.role == 'healer'))"},
		  {"name":"Spread","type":"distance","measurements":"max(map(players, .attributes.skill))","referenceValue":"min(map(players, .attributes.skill))","maxDistance":10}]}`)
	ev := rs.NewEvaluator()
	healer := func(skill float64) map[string]Value { return attrs("role", "healer", "skill", skill) }
	dps := func(skill float64) map[string]Value { return attrs("skill", skill) }
	c := fill(t, rs, []map[string]Value{healer(10), dps(12)}, []map[string]Value{healer(15), dps(11)})
	if r := ev.Evaluate(c, t0, FinalCheck); !r.Pass || r.Err != nil {
		t.Fatalf("one healer each, spread 5: %v %v", r.Rules, r.Err)
	}
	c = fill(t, rs, []map[string]Value{healer(10), healer(12)}, []map[string]Value{dps(15), dps(11)})
	if r := ev.Evaluate(c, t0, ExplainAll); outcome(t, rs, r, "OneHealerPerTeam") != Failed || outcome(t, rs, r, "Spread") != Passed {
		t.Fatalf("two healers on red: %v", r.Rules)
	}
	c = fill(t, rs, []map[string]Value{healer(10)}, []map[string]Value{healer(30)})
	if r := ev.Evaluate(c, t0, ExplainAll); outcome(t, rs, r, "Spread") != Failed {
		t.Fatalf("spread 20: %v", r.Rules)
	}
}

func TestEvaluateAllocations(t *testing.T) {
	rs, c := benchmarkCandidate(t)
	ev := rs.NewEvaluator()
	ev.Evaluate(c, t0, FinalCheck)
	allocs := testing.AllocsPerRun(200, func() { ev.Evaluate(c, t0, FinalCheck) })
	if allocs > 2 {
		t.Fatalf("Evaluate allocates %v times per candidate; the budget is 2", allocs)
	}
	if r := ev.Evaluate(c, t0, FinalCheck); !r.Pass {
		t.Fatalf("benchmark candidate must pass: %v %v", r.Rules, r.Err)
	}
}

// TestDocsExprExamples runs the expr examples of docs/rules.md.
func TestDocsExprExamples(t *testing.T) {
	rs := mustCompile(t, `{"ruleLanguageVersion":"1.0",
	"playerAttributes":[{"name":"skill","type":"number","default":0},{"name":"role","type":"string","default":"dps"}],
	"teams":[{"name":"red","minPlayers":1,"maxPlayers":3},{"name":"blue","minPlayers":1,"maxPlayers":3}],
	"rules":[
	 {"name": "OneHealerPerTeam", "type": "expression", "expression": "all(teams, one(.players, .attributes.role == 'healer'))"},
	 {"name": "NoVeteranStacking", "type": "expression", "expression": "all(teams, count(.players, .attributes.skill > 2000) <= 2)"},
	 {"name": "PartiesWaitLess", "type": "expression", "expression": "len(tickets) == len(players) || any(tickets, .age > 30)"},
	 {"name": "SkillSpread", "type": "distance", "measurements": "max(map(players, .attributes.skill))", "referenceValue": "min(map(players, .attributes.skill))", "maxDistance": 300}]}`)
	ev := rs.NewEvaluator()
	h := func(skill float64) Player {
		return Player{ID: "h", Attributes: attrs("role", "healer", "skill", skill)}
	}
	d := func(id string, skill float64) Player { return Player{ID: id, Attributes: attrs("skill", skill)} }
	c := rs.NewCandidate()
	c.Add(0, prep(t, rs, "a", 0, h(2100)))
	c.Add(0, prep(t, rs, "b", 0, d("b", 2050)))
	c.Add(1, prep(t, rs, "c", 0, h(2200)))
	c.Add(1, prep(t, rs, "d", 0, d("d", 2150)))
	if r := ev.Evaluate(c, t0, ExplainAll); !r.Pass || r.Err != nil {
		t.Fatalf("valid match: %v %v", r.Rules, r.Err)
	}
	c.Add(0, prep(t, rs, "e", 10*time.Second, d("e1", 2300), d("e2", 2010)))
	r := ev.Evaluate(c, t0, ExplainAll)
	for rule, want := range map[string]Outcome{"NoVeteranStacking": Failed, "PartiesWaitLess": Failed, "SkillSpread": Passed, "OneHealerPerTeam": Passed} {
		if got := outcome(t, rs, r, rule); got != want {
			t.Errorf("%s = %v, want %v", rule, got, want)
		}
	}
	if r := ev.Evaluate(c, t0.Add(25*time.Second), ExplainAll); outcome(t, rs, r, "PartiesWaitLess") != Passed {
		t.Errorf("a party older than 30 s: %v", r.Rules)
	}
}

// population builds a candidate of one single-player ticket per team slot:
// sizes[i] players on team i, each with the attributes and latencies that
// player gives for its running number n.
func population(t testing.TB, rs *RuleSet, sizes []int, player func(n int) (map[string]Value, map[string]float64)) *Candidate {
	t.Helper()
	c := rs.NewCandidate()
	n := 0
	for ti, size := range sizes {
		for range size {
			a, lat := player(n)
			id := "p" + strconv.Itoa(n)
			c.Add(ti, prep(t, rs, id, 0, Player{ID: id, Attributes: a, Latencies: lat}))
			n++
		}
	}
	return c
}

func TestExample7LargeMatchExpansions(t *testing.T) {
	rs := mustCompileFile(t, "example-07-large-match.json")
	if !rs.Large() || rs.MaxPlayers() != 200 {
		t.Fatalf("large=%v maxPlayers=%d", rs.Large(), rs.MaxPlayers())
	}
	for _, tc := range []struct {
		age     time.Duration
		minimum int
	}{{0, 175}, {9 * time.Second, 175}, {10 * time.Second, 150}, {15 * time.Second, 100}} {
		if got := rs.TeamLimits(tc.age, nil)[0]; got.MinPlayers != tc.minimum || got.MaxPlayers != 200 {
			t.Errorf("TeamLimits(%v) = %+v, want minPlayers %d", tc.age, got, tc.minimum)
		}
	}
	ev := rs.NewEvaluator()
	lat := func(ms float64) func(int) (map[string]Value, map[string]float64) {
		return func(n int) (map[string]Value, map[string]float64) {
			return attrs("skill", n), map[string]float64{"us-east-1": ms}
		}
	}
	c := population(t, rs, []int{100}, lat(100))
	if r := ev.Evaluate(c, t0, FinalCheck); r.Pass || r.TeamsOK {
		t.Fatalf("100 players before 15 s: pass=%v teamsOK=%v", r.Pass, r.TeamsOK)
	}
	if r := ev.Evaluate(c, t0.Add(16*time.Second), FinalCheck); !r.Pass {
		t.Fatalf("100 players after 15 s: %+v", r)
	}
	slow := population(t, rs, []int{180}, lat(180))
	if r := ev.Evaluate(slow, t0.Add(11*time.Second), ExplainAll); !r.TeamsOK || outcome(t, rs, r, "low-latency") != Failed {
		t.Fatalf("180 ms before the latency expansion: teamsOK=%v %v", r.TeamsOK, r.Rules)
	}
	if r := ev.Evaluate(slow, t0.Add(12*time.Second), FinalCheck); !r.Pass {
		t.Fatalf("180 ms once maxLatency is 200: %+v", r)
	}
}

func TestExample8QuantityTeamsExpansion(t *testing.T) {
	rs := mustCompileFile(t, "example-08-multi-team-large-match.json")
	teams := rs.Teams()
	if len(teams) != 11 || teams[0].Name != "Monsters" || teams[1].Name != "Hunters_1" || teams[10].Name != "Hunters_10" || teams[10].Definition != "Hunters" {
		t.Fatalf("teams = %+v", teams)
	}
	if !rs.Large() || rs.MaxPlayers() != 155 {
		t.Fatalf("large=%v maxPlayers=%d", rs.Large(), rs.MaxPlayers())
	}
	for _, tc := range []struct {
		age     time.Duration
		hunters int
	}{{0, 12}, {15 * time.Second, 10}, {20 * time.Second, 8}} {
		limits := rs.TeamLimits(tc.age, nil)
		if limits[0].MinPlayers != 5 {
			t.Errorf("TeamLimits(%v): Monsters = %+v", tc.age, limits[0])
		}
		for _, l := range limits[1:] {
			if l.MinPlayers != tc.hunters || l.MaxPlayers != 15 {
				t.Errorf("TeamLimits(%v): %s = %+v, want minPlayers %d", tc.age, l.Name, l, tc.hunters)
			}
		}
	}
	sizes := []int{5}
	for range 10 {
		sizes = append(sizes, 8)
	}
	c := population(t, rs, sizes, func(int) (map[string]Value, map[string]float64) {
		return nil, map[string]float64{"eu-west-1": 60}
	})
	ev := rs.NewEvaluator()
	for _, tc := range []struct {
		age  time.Duration
		pass bool
	}{{0, false}, {16 * time.Second, false}, {21 * time.Second, true}} {
		if r := ev.Evaluate(c, t0.Add(tc.age), FinalCheck); r.Pass != tc.pass {
			t.Errorf("5 monsters and 8 hunters per team at %v: pass=%v, want %v", tc.age, r.Pass, tc.pass)
		}
	}
}

func TestExample9BatchDistance(t *testing.T) {
	rs := mustCompileFile(t, "example-09-large-match-batchdistance.json")
	ev := rs.NewEvaluator()
	// A player of league 3 with skill 50 to 59, on map dust in ctf mode,
	// changed by edit for player 0.
	match := func(edit func(a map[string]Value)) *Candidate {
		return population(t, rs, []int{100, 100}, func(n int) (map[string]Value, map[string]float64) {
			a := attrs("league", 3, "skill", 50+n%10, "map", "dust", "mode", "ctf")
			if n == 0 {
				edit(a)
			}
			return a, nil
		})
	}
	if r := ev.Evaluate(match(func(map[string]Value) {}), t0, FinalCheck); !r.Pass {
		t.Fatalf("similar players: %v", r.Rules)
	}
	tests := []struct {
		name  string
		edit  func(a map[string]Value)
		age   time.Duration
		rule  string
		wants Outcome
	}{
		{"another map", func(a map[string]Value) { a["map"] = StringValue("ice") }, 0, "SameMap", Failed},
		{"another mode", func(a map[string]Value) { a["mode"] = StringValue("dm") }, 30 * time.Second, "SameMode", Failed},
		{"league 2 away", func(a map[string]Value) { a["league"] = NumberValue(5) }, 0, "SimilarLeague", Passed},
		{"league 3 away", func(a map[string]Value) { a["league"] = NumberValue(6) }, 0, "SimilarLeague", Failed},
		{"skill 15 apart", func(a map[string]Value) { a["skill"] = NumberValue(44) }, 0, "SimilarSkill", Failed},
		{"skill 15 apart after 10 s", func(a map[string]Value) { a["skill"] = NumberValue(44) }, 10 * time.Second, "SimilarSkill", Passed},
		{"skill 30 apart after 10 s", func(a map[string]Value) { a["skill"] = NumberValue(29) }, 10 * time.Second, "SimilarSkill", Failed},
		{"skill 30 apart after 20 s", func(a map[string]Value) { a["skill"] = NumberValue(29) }, 20 * time.Second, "SimilarSkill", Passed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ev.Evaluate(match(tc.edit), t0.Add(tc.age), ExplainAll)
			if got := outcome(t, rs, r, tc.rule); got != tc.wants {
				t.Fatalf("%s = %v, want %v (%v)", tc.rule, got, tc.wants, r.Rules)
			}
			if r.Pass != (tc.wants == Passed) {
				t.Fatalf("pass=%v with every other rule passing", r.Pass)
			}
		})
	}
}

// TestFunctionValues checks the value of each property expression function
// with a comparison rule: the value equals the reference, and differs from
// the reference plus a quarter.
func TestFunctionValues(t *testing.T) {
	tests := []struct {
		expr      string
		red, blue []float64
		want      float64
	}{
		{"median(flatten(teams[*].players.attributes[skill]))", []float64{8, 1}, []float64{3}, 3},
		{"median(flatten(teams[*].players.attributes[skill]))", []float64{10, 1}, []float64{3, 8}, 5.5},
		{"sum(flatten(teams[*].players.attributes[skill]))", []float64{10, 1}, []float64{3, 8}, 22},
		{"max(sum(teams[*].players.attributes[skill]))", []float64{10, 1}, []float64{3, 9}, 12},
		{"stddev(flatten(teams[*].players.attributes[skill]))", []float64{2, 4, 4, 4}, []float64{5, 5, 7, 9}, 2},
		{"stddev(teams[red].players.attributes[skill])", []float64{7, 7}, []float64{1, 9}, 0},
		{"min(flatten(teams[*].players.attributes[skill]))", []float64{10, -1}, []float64{3, 8}, -1},
		{"min(avg(teams[*].players.attributes[skill]))", []float64{10, 2}, []float64{3, 8}, 5.5},
		{"count(teams[*])", []float64{1}, []float64{2}, 2},
		{"count(teams[red, blue])", []float64{1}, []float64{2}, 2},
		{"max(count(teams[*].players))", []float64{1, 2, 3}, []float64{4}, 3},
		{"min(count(teams[*].players))", []float64{1, 2, 3}, []float64{4}, 1},
		{"count(players.attributes[skill])", []float64{1, 2, 3}, []float64{4}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.expr+fmt.Sprint(tc.red, tc.blue), func(t *testing.T) {
			for _, ref := range []float64{tc.want, tc.want + 0.25} {
				rs := mustCompile(t, fmt.Sprintf(`{"ruleLanguageVersion":"1.0",
					"playerAttributes":[{"name":"skill","type":"number"}],
					"teams":[{"name":"red","minPlayers":1,"maxPlayers":4},{"name":"blue","minPlayers":1,"maxPlayers":4}],
					"rules":[{"name":"Value","type":"comparison","measurements":%q,"referenceValue":%g,"operation":"="}]}`, tc.expr, ref))
				r := rs.NewEvaluator().Evaluate(fill(t, rs, skills(tc.red...), skills(tc.blue...)), t0, FinalCheck)
				if r.Pass != (ref == tc.want) {
					t.Fatalf("%s = %g: pass=%v, want %v", tc.expr, ref, r.Pass, ref == tc.want)
				}
			}
		})
	}
}

func TestCollectionPartyAggregation(t *testing.T) {
	tests := []struct {
		name, rule string
		union      bool // want pass with union; intersection is the opposite
	}{
		// The party {ctf, dm} + {ctf, koth} counts as {ctf, dm, koth} per
		// player under union, {ctf} under intersection; the solo player has
		// {dm, koth}.
		{"intersection of everyone's modes", `"operation":"intersection","measurements":"flatten(teams[*].players.attributes[modes])","minCount":2`, true},
		{"players who want dm", `"operation":"contains","measurements":"flatten(teams[*].players.attributes[modes])","referenceValue":"dm","minCount":3`, true},
		{"modes shared with a list", `"operation":"reference_intersection_count","measurements":"flatten(teams[*].players.attributes[modes])","referenceValue":["koth","dm"],"minCount":1`, true},
		{"no more than one koth player", `"operation":"contains","measurements":"flatten(teams[*].players.attributes[modes])","referenceValue":"koth","maxCount":1`, false},
	}
	for _, tc := range tests {
		for _, agg := range []string{"union", "intersection"} {
			t.Run(tc.name+"/"+agg, func(t *testing.T) {
				rs := mustCompile(t, `{"ruleLanguageVersion":"1.0",
					"playerAttributes":[{"name":"modes","type":"string_list"}],
					"teams":[{"name":"red","minPlayers":1,"maxPlayers":4}],
					"rules":[{"name":"Modes","type":"collection","partyAggregation":"`+agg+`",`+tc.rule+`}]}`)
				c := rs.NewCandidate()
				c.Add(0, prep(t, rs, "party", 0,
					Player{ID: "a", Attributes: attrs("modes", []string{"ctf", "dm"})},
					Player{ID: "b", Attributes: attrs("modes", []string{"ctf", "koth"})}))
				c.Add(0, prep(t, rs, "solo", 0, Player{ID: "c", Attributes: attrs("modes", []string{"dm", "koth"})}))
				want := tc.union == (agg == "union")
				if r := rs.NewEvaluator().Evaluate(c, t0, FinalCheck); r.Pass != want {
					t.Fatalf("pass=%v, want %v", r.Pass, want)
				}
			})
		}
	}
}

func TestLatencyDistanceReference(t *testing.T) {
	tests := []struct {
		reference   string
		maxDistance float64
		pass        bool
	}{
		// Latencies 10, 20 and 60 ms: the lowest is 10, the average 30.
		{"min", 49, false},
		{"min", 50, true},
		{"avg", 29, false},
		{"avg", 30, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %g", tc.reference, tc.maxDistance), func(t *testing.T) {
			rs := mustCompile(t, fmt.Sprintf(`{"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":1,"maxPlayers":4}],
				"rules":[{"name":"Close","type":"latency","maxDistance":%g,"distanceReference":%q}]}`, tc.maxDistance, tc.reference))
			c := rs.NewCandidate()
			for i, ms := range []float64{10, 20, 60} {
				id := strconv.Itoa(i)
				c.Add(0, prep(t, rs, id, 0, Player{ID: id, Latencies: map[string]float64{"x": ms}}))
			}
			if r := rs.NewEvaluator().Evaluate(c, t0, FinalCheck); r.Pass != tc.pass {
				t.Fatalf("pass=%v, want %v", r.Pass, tc.pass)
			}
		})
	}
}

func TestCompoundXorAndNot(t *testing.T) {
	rs := mustCompile(t, `{"ruleLanguageVersion":"1.0",
		"playerAttributes":[{"name":"a","type":"number","default":0},{"name":"b","type":"number","default":0},{"name":"c","type":"number","default":0}],
		"teams":[{"name":"red","minPlayers":1,"maxPlayers":4}],
		"rules":[
		  {"name":"A","type":"comparison","measurements":"flatten(teams[*].players.attributes[a])","referenceValue":1,"operation":"="},
		  {"name":"B","type":"comparison","measurements":"flatten(teams[*].players.attributes[b])","referenceValue":1,"operation":"="},
		  {"name":"C","type":"comparison","measurements":"flatten(teams[*].players.attributes[c])","referenceValue":1,"operation":"="},
		  {"name":"OneOfTwo","type":"compound","statement":"xor(A, B)"},
		  {"name":"OneOfThree","type":"compound","statement":"xor(A, B, C)"},
		  {"name":"NotA","type":"compound","statement":"not(A)"}]}`)
	var explained strings.Builder
	rs.Explain(&explained)
	if !strings.Contains(explained.String(), "; counts only through compound rules OneOfTwo, OneOfThree and NotA, not on its own\n") {
		t.Errorf("explanation of A:\n%s", explained.String())
	}
	ev := rs.NewEvaluator()
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	tests := []struct {
		a, b, c                    bool
		oneOfTwo, oneOfThree, notA bool
	}{
		{false, false, false, false, false, true},
		{true, false, false, true, true, false},
		{false, true, false, true, true, true},
		{true, true, false, false, false, false},
		{false, false, true, false, true, true},
		{true, true, true, false, false, false},
		{false, true, true, true, false, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("A=%v B=%v C=%v", tc.a, tc.b, tc.c), func(t *testing.T) {
			c := fill(t, rs, []map[string]Value{attrs("a", b(tc.a), "b", b(tc.b), "c", b(tc.c))})
			r := ev.Evaluate(c, t0, ExplainAll)
			for rule, want := range map[string]bool{"OneOfTwo": tc.oneOfTwo, "OneOfThree": tc.oneOfThree, "NotA": tc.notA} {
				if got := outcome(t, rs, r, rule) == Passed; got != want {
					t.Errorf("%s passed=%v, want %v", rule, got, want)
				}
			}
			want := tc.oneOfTwo && tc.oneOfThree && tc.notA
			if r := ev.Evaluate(c, t0, FinalCheck); r.Pass != want {
				t.Errorf("final pass=%v, want %v (the operands count only through the compound rules)", r.Pass, want)
			}
		})
	}
}
