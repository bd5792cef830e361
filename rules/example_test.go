package rules_test

import (
	"fmt"
	"os"
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// A rule set compiles once; an Evaluator then checks candidate matches.
func Example() {
	rs, err := rules.CompileJSON([]byte(`{
	  "name": "duel",
	  "ruleLanguageVersion": "1.0",
	  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
	  "teams": [{"name": "player", "minPlayers": 1, "maxPlayers": 1, "quantity": 2}],
	  "rules": [{"name": "CloseSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 100}],
	  "expansions": [{"target": "rules[CloseSkill].maxDistance", "steps": [{"waitTimeSeconds": 30, "value": 300}]}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ticket := func(id string, skill float64) *rules.Ticket {
		t, err := rs.PrepareTicket(rules.TicketSpec{ID: id, Start: start, Players: []rules.Player{
			{ID: id, Attributes: map[string]rules.Value{"skill": rules.NumberValue(skill)}},
		}})
		if err != nil {
			panic(err)
		}
		return t
	}
	c := rs.NewCandidate()
	c.Add(0, ticket("ana", 1000))
	c.Add(1, ticket("bo", 1250))
	ev := rs.NewEvaluator()
	fmt.Println("at once:", ev.Evaluate(c, start, rules.FinalCheck).Pass)
	fmt.Println("after 31s:", ev.Evaluate(c, start.Add(31*time.Second), rules.FinalCheck).Pass)
	// Output:
	// at once: false
	// after 31s: true
}

// Validation reports every problem with its JSON path, line and column.
func ExampleParse() {
	_, err := rules.Parse([]byte(`{
  "ruleLanguageVersion": "1.0",
  "teams": [{"name": "red", "minPlayers": 6, "maxPlayers": 5}],
  "rules": [{"name": "Fair", "type": "distance", "maxDistance": 10}]
}`))
	fmt.Println(err)
	// Output:
	// teams[0].minPlayers: is 6, more than maxPlayers 5: the team can never be filled (line 3, column 43)
	// rules[0].measurements: is required (line 4, column 13)
	// rules[0].referenceValue: is required (line 4, column 13)
}

func ExampleRuleSet_Explain() {
	src, _ := os.ReadFile("testdata/examples/example-01-two-teams-evenly-matched.json")
	rs, err := rules.CompileJSON(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	rs.Explain(os.Stdout)
	// Output:
	// Rule set aliens_vs_cowboys, rule language 1.0.
	// A match has 2 team(s) and 8 to 16 players (small match), formed by the exhaustiveSearch strategy with random batching; backfill priority normal; expansions follow the newest ticket's age.
	//
	// Teams:
	//   cowboys: 4 to 8 players
	//   aliens: 4 to 8 players
	//
	// Player attributes:
	//   skill: number, default 10
	//
	// Rules (every rule must pass, except those that only a compound rule uses):
	//   1. FairTeamSkill (distance): every value of avg(teams[*].players.attributes[skill]) has a distance at most 10 from avg(flatten(teams[*].players.attributes[skill]))
	//   2. EqualTeamSizes (comparison): every value of count(teams[cowboys].players) is = count(teams[aliens].players)
	//
	// Expansions:
	//   rules[FairTeamSkill].maxDistance becomes 50 after 5s, then 100 after 15s
}

// Rules that a compound rule uses count only through it (documentation
// example 10).
func ExampleRuleSet_Explain_compound() {
	src, _ := os.ReadFile("testdata/examples/example-10-compound-rule.json")
	rs, err := rules.CompileJSON(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	rs.Explain(os.Stdout)
	// Output:
	// Rule set (unnamed), rule language 1.0.
	// A match has 2 team(s) and 20 to 40 players (small match), formed by the balanced strategy with fastestRegion batching, balancing teams on skill; backfill priority normal; expansions follow the newest ticket's age.
	//
	// Teams:
	//   red: 10 to 20 players
	//   blue: 10 to 20 players
	//
	// Player attributes:
	//   league: number, required on every ticket (no default)
	//   skill: number, required on every ticket (no default)
	//   map: string, required on every ticket (no default)
	//   mode: string, required on every ticket (no default)
	//
	// Rules (every rule must pass, except those that only a compound rule uses):
	//   1. SimilarLeagueDistance (distance): every value of max(flatten(teams[*].players.attributes[league])) has a distance at most 2 from min(flatten(teams[*].players.attributes[league])); counts only through compound rule CompoundRuleMatchmaker, not on its own
	//   2. SimilarSkillDistance (distance): every value of max(flatten(teams[*].players.attributes[skill])) has a distance at most 10 from min(flatten(teams[*].players.attributes[skill])); counts only through compound rule CompoundRuleMatchmaker, not on its own
	//   3. SameMapComparison (comparison): all values of flatten(teams[*].players.attributes[map]) are equal; counts only through compound rule CompoundRuleMatchmaker, not on its own
	//   4. SameModeComparison (comparison): all values of flatten(teams[*].players.attributes[mode]) are equal; counts only through compound rule CompoundRuleMatchmaker, not on its own
	//   5. CompoundRuleMatchmaker (compound): or(and(SameMapComparison, SameModeComparison), and(SimilarSkillDistance, SimilarLeagueDistance)) must hold
	//
	// Expansions:
	//   rules[SimilarSkillDistance].maxDistance becomes 20 after 10s, then 40 after 20s
}

// WriteExprListing shows what each rule compiles to (documentation example 4,
// whose sort rules reject nothing).
func ExampleRuleSet_WriteExprListing() {
	src, _ := os.ReadFile("testdata/examples/example-04-explicit-sorting.json")
	rs, err := rules.CompileJSON(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	rs.WriteExprListing(os.Stdout)
	// Output:
	// rule set "multi_map_game" compiles to one expr program: a candidate match passes when every check below is true.
	// $env is the candidate match; mp_* are Matchpoint's functions; the number after $env is the rule's index in "rules".
	//
	// rules[2] SharedMode (collection):
	//     as written: measurements flatten(teams[*].players.attributes[gameMode]); operation intersection; minCount 1
	//     expr: mp_collection($env, 2, mp_attr($env, 0, 1, 3), nil)
	//
	// rules[3] MapOverlap (collection):
	//     as written: measurements flatten(teams[*].players.attributes[acceptableMaps]); operation intersection; minCount 1
	//     expr: mp_collection($env, 3, mp_attr($env, 0, 3, 3), nil)
	//
	// sort rules (they order the candidates and never reject a match):
	//     rules[0] MapPreference (absoluteSort)
	//     rules[1] ExperienceAffinity (distanceSort)
	//
	// the whole program:
	//     mp_collection($env, 2, mp_attr($env, 0, 1, 3), nil) && mp_collection($env, 3, mp_attr($env, 0, 3, 3), nil)
}
