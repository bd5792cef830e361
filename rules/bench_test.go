package rules

import (
	"fmt"
	"strings"
	"testing"
)

// benchmarkRuleSet has the rules named in the performance target: a
// batchDistance, a distance rule on team skill averages, a latency rule and a
// compound rule.
const benchmarkRuleSet = `{
  "name": "bench_5v5",
  "ruleLanguageVersion": "1.0",
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

func benchmarkCandidate(tb testing.TB) (*RuleSet, *Candidate) {
	rs := mustCompile(tb, benchmarkRuleSet)
	c := rs.NewCandidate()
	for i := 0; i < 10; i++ {
		id := fmt.Sprintf("p%d", i)
		c.Add(i%2, prep(tb, rs, id, 0, Player{ID: id,
			Attributes: attrs("skill", 1000+float64(i*10), "level", 10+float64(i%3)),
			Latencies:  map[string]float64{"us-east-1": 40 + float64(i), "us-west-2": 90, "eu-west-1": 150}}))
	}
	return rs, c
}

func BenchmarkEvaluate5v5(b *testing.B) {
	rs, c := benchmarkCandidate(b)
	ev := rs.NewEvaluator()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if !ev.Evaluate(c, t0, FinalCheck).Pass {
			b.Fatal("candidate must pass")
		}
	}
}

func BenchmarkEvaluate5v5Explain(b *testing.B) {
	rs, c := benchmarkCandidate(b)
	ev := rs.NewEvaluator()
	b.ReportAllocs()
	for b.Loop() {
		ev.Evaluate(c, t0, ExplainAll)
	}
}

func BenchmarkAddTicketPartialCheck(b *testing.B) {
	rs, full := benchmarkCandidate(b)
	ev := rs.NewEvaluator()
	c := rs.NewCandidate()
	for _, tk := range full.Team(0)[:4] {
		c.Add(0, tk)
	}
	next := full.Team(1)[0]
	b.ReportAllocs()
	for b.Loop() {
		c.Add(0, next)
		ev.Evaluate(c, t0, PartialCheck)
		c.RemoveLast(0)
	}
}

// largeRuleSet is a rule set of many rules, attributes and expansions.
func largeRuleSet() string {
	var attrs, rules, exps []string
	for i := 0; i < 10; i++ {
		attrs = append(attrs, fmt.Sprintf(`{"name":"a%d","type":"number","default":%d}`, i, i))
	}
	attrs = append(attrs, `{"name":"modes","type":"string_list","default":["x"]}`)
	for i := 0; i < 40; i++ {
		a := i % 10
		switch i % 4 {
		case 0:
			rules = append(rules, fmt.Sprintf(`{"name":"r%d","type":"distance","measurements":["avg(teams[*].players.attributes[a%d])"],"referenceValue":"avg(flatten(teams[*].players.attributes[a%d]))","maxDistance":10}`, i, a, a))
		case 1:
			rules = append(rules, fmt.Sprintf(`{"name":"r%d","type":"comparison","measurements":["flatten(teams[*].players.attributes[a%d])"],"referenceValue":0,"operation":">="}`, i, a))
		case 2:
			rules = append(rules, fmt.Sprintf(`{"name":"r%d","type":"collection","operation":"intersection","measurements":["flatten(teams[*].players.attributes[modes])"],"minCount":1}`, i))
		default:
			rules = append(rules, fmt.Sprintf(`{"name":"r%d","type":"compound","statement":"or(r%d, not(r%d))"}`, i, i-1, i-2))
		}
		if i%4 == 0 {
			exps = append(exps, fmt.Sprintf(`{"target":"rules[r%d].maxDistance","steps":[{"waitTimeSeconds":5,"value":20},{"waitTimeSeconds":15,"value":40}]}`, i))
		}
	}
	return `{"name":"large","ruleLanguageVersion":"1.0","playerAttributes":[` + strings.Join(attrs, ",") +
		`],"teams":[{"name":"t","minPlayers":2,"maxPlayers":4,"quantity":8}],"rules":[` + strings.Join(rules, ",") +
		`],"expansions":[` + strings.Join(exps, ",") + `]}`
}

func BenchmarkCompileLarge(b *testing.B) {
	src := []byte(largeRuleSet())
	b.ReportAllocs()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, err := CompileJSON(src); err != nil {
			b.Fatal(err)
		}
	}
}
