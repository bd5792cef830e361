package rules

import (
	"errors"
	"strings"
	"testing"
)

// fairExpansion is base's expansion, which table cases replace.
const fairExpansion = `{"target": "rules[Fair].maxDistance", "steps": [{"waitTimeSeconds": 5, "value": 20}]}`

// base is a valid rule set that the table below breaks one field at a time.
const base = `{
  "name": "base",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}, {"name": "modes", "type": "string_list"}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 4}, {"name": "blue", "minPlayers": 2, "maxPlayers": 4}],
  "rules": [
    {"name": "Fair", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill])"], "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))", "maxDistance": 10},
    {"name": "Ping", "type": "latency", "maxLatency": 100}
  ],
  "expansions": [{"target": "rules[Fair].maxDistance", "steps": [{"waitTimeSeconds": 5, "value": 20}]}]
}`

func TestBaseIsValid(t *testing.T) {
	if _, err := CompileJSON([]byte(base)); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidRuleSets(t *testing.T) {
	tests := []struct {
		name, from, to string
		path, message  string
	}{
		{"version missing", `"ruleLanguageVersion": "1.0",`, ``, "ruleLanguageVersion", `is required`},
		{"version wrong", `"ruleLanguageVersion": "1.0"`, `"ruleLanguageVersion": "2.0"`, "ruleLanguageVersion", `must be "1.0"`},
		{"unknown top-level field", `"name": "base",`, `"name": "base", "colour": 1,`, "colour", `unknown field "colour"`},
		{"wrong type", `"name": "base"`, `"name": 7`, "name", "must be a string, not the number 7"},
		{"no teams", `"teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 4}, {"name": "blue", "minPlayers": 2, "maxPlayers": 4}]`, `"teams": []`, "teams", "at least one team"},
		{"min above max", `"name": "red", "minPlayers": 2`, `"name": "red", "minPlayers": 5`, "teams[0].minPlayers", "more than maxPlayers 4"},
		{"maxPlayers missing", `"name": "blue", "minPlayers": 2, "maxPlayers": 4`, `"name": "blue", "minPlayers": 2`, "teams[1].maxPlayers", "is required"},
		{"fractional players", `"maxPlayers": 4}, {"name": "blue"`, `"maxPlayers": 4.5}, {"name": "blue"`, "teams[0].maxPlayers", "whole number"},
		{"duplicate team", `"name": "blue"`, `"name": "red"`, "teams[1].name", `team "red" is defined twice`},
		{"quantity zero", `"name": "red", "minPlayers": 2, "maxPlayers": 4`, `"name": "red", "minPlayers": 2, "maxPlayers": 4, "quantity": 0`, "teams[0].quantity", "at least 1"},
		{"too many players", `"name": "red", "minPlayers": 2, "maxPlayers": 4`, `"name": "red", "minPlayers": 2, "maxPlayers": 199`, "teams", "at most 200"},
		{"large needs balanced", `"name": "red", "minPlayers": 2, "maxPlayers": 4`, `"name": "red", "minPlayers": 2, "maxPlayers": 40`, "algorithm.strategy", `must be "balanced"`},
		{"unknown attribute type", `"type": "string_list"`, `"type": "list"`, "playerAttributes[1].type", `unknown attribute type "list"`},
		{"bad default", `"default": 10`, `"default": "ten"`, "playerAttributes[0].default", `must be a number for an attribute of type number, not the string "ten"`},
		{"bad list default", `"type": "string_list"`, `"type": "string_list", "default": "ctf"`, "playerAttributes[1].default", `must be an array of strings for an attribute of type string_list, not the string "ctf"`},
		{"bad map default", `"type": "string_list"`, `"type": "string_number_map", "default": ["ctf"]`, "playerAttributes[1].default", "must be an object of numbers for an attribute of type string_number_map, not an array"},
		{"duplicate attribute", `{"name": "modes"`, `{"name": "skill"`, "playerAttributes[1].name", "declared twice"},
		{"unknown rule type", `"type": "latency"`, `"type": "ping"`, "rules[1].type", `unknown rule type "ping"`},
		{"field of another type", `"maxLatency": 100`, `"maxLatency": 100, "minCount": 1`, "rules[1].minCount", `"minCount" is not a property of a latency rule`},
		{"maxDistance wrong type", `"maxDistance": 10}`, `"maxDistance": true}`, "rules[0].maxDistance", "must be a number, not a boolean"},
		{"negative maxDistance", `"maxDistance": 10}`, `"maxDistance": -1}`, "rules[0].maxDistance", "must be 0 or more"},
		{"undefined attribute", `avg(teams[*].players.attributes[skill])"]`, `avg(teams[*].players.attributes[skil])"]`, "rules[0].measurements", `attribute "skil" is not declared`},
		{"undefined team", `avg(teams[*].players.attributes[skill])"]`, `avg(teams[green].players.attributes[skill])"]`, "rules[0].measurements", `team "green" is not defined`},
		{"bad expression", `avg(teams[*].players.attributes[skill])"]`, `avg(teams[*].players.attributes[skill]"]`, "rules[0].measurements", "invalid property expression"},
		{"unknown function", `avg(teams[*].players.attributes[skill])"]`, `mean2(teams[*].players.attributes[skill])"]`, "rules[0].measurements", "invalid property expression"},
		{"type mismatch", `"referenceValue": "avg(flatten(teams[*].players.attributes[skill]))"`, `"referenceValue": "flatten(teams[*].players.attributes[skill])"`, "rules[0].referenceValue", "must be a single number"},
		{"distance needs numbers", `avg(teams[*].players.attributes[skill])"]`, `flatten(teams[*].players.attributes[modes])"]`, "rules[0].measurements", "between numbers"},
		{"duplicate rule", `"name": "Ping"`, `"name": "Fair"`, "rules[1].name", `rule "Fair" is defined twice`},
		{"rule name missing", `"name": "Ping", `, ``, "rules[1].name", "is required"},
		{"dangling expansion rule", `"target": "rules[Fair].maxDistance"`, `"target": "rules[Unfair].maxDistance"`, "expansions[0].target", `rule "Unfair" is not defined`},
		{"not expandable", `"target": "rules[Fair].maxDistance"`, `"target": "rules[Fair].measurements"`, "expansions[0].target", "not an expandable property"},
		{"bad target", `"target": "rules[Fair].maxDistance"`, `"target": "Fair.maxDistance"`, "expansions[0].target", "is not a target"},
		{"dangling expansion team", `"target": "rules[Fair].maxDistance"`, `"target": "teams[green].minPlayers"`, "expansions[0].target", `team "green" is not defined`},
		{"steps not increasing", `"steps": [{"waitTimeSeconds": 5, "value": 20}]`, `"steps": [{"waitTimeSeconds": 5, "value": 20}, {"waitTimeSeconds": 5, "value": 30}]`, "expansions[0].steps[1].waitTimeSeconds", "must wait longer"},
		{"step value missing", `{"waitTimeSeconds": 5, "value": 20}`, `{"waitTimeSeconds": 5}`, "expansions[0].steps[0].value", "is required"},
		{"no steps", `"steps": [{"waitTimeSeconds": 5, "value": 20}]`, `"steps": []`, "expansions[0].steps", "at least one step"},
		{"team expansion beyond max", `"target": "rules[Fair].maxDistance", "steps": [{"waitTimeSeconds": 5, "value": 20}]`, `"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 9}]`, "expansions[0].steps[0].value", "more than team \"red\"'s maxPlayers 4"},
		{"team expansion min above max at a later step", fairExpansion, `{"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 3}, {"waitTimeSeconds": 10, "value": 5}]}`, "expansions[0].steps[1].value", `minPlayers 5 is more than team "red"'s maxPlayers 4 at 10s`},
		{"team expansion max below min", fairExpansion, `{"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 5, "value": 3}, {"waitTimeSeconds": 10, "value": 1}]}`, "expansions[0].steps[1].value", `maxPlayers 1 is less than team "red"'s minPlayers 2 at 10s`},
		{"team expansion max below an expanded min", fairExpansion, `{"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 4}]}, {"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 10, "value": 3}]}`, "expansions[1].steps[0].value", `maxPlayers 3 is less than team "red"'s minPlayers 4 at 10s`},
		{"team expansion min above max before max grows", fairExpansion, `{"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 6}]}, {"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 10, "value": 8}]}`, "expansions[0].steps[0].value", `minPlayers 6 is more than team "red"'s maxPlayers 4 at 5s`},
		{"team expansion not a count", fairExpansion, `{"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 1.5}]}`, "expansions[0].steps[0].value", "must be a whole number of players"},
		{"team expansion makes a large match without balanced", fairExpansion, `{"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 5, "value": 20}, {"waitTimeSeconds": 10, "value": 40}]}`, "expansions[0].steps[1].value", `makes the teams hold up to 44 players at 10s: matches of more than 40 players (large matches) are formed only by strategy "balanced"`},
		{"team expansion makes a large match with small-match rules", `"expansions": [` + fairExpansion, `"algorithm": {"strategy": "balanced", "balancedAttribute": "skill"}, "expansions": [{"target": "teams[blue].maxPlayers", "steps": [{"waitTimeSeconds": 30, "value": 37}]}`, "expansions[0].steps[0].value", `makes the teams hold up to 41 players at 30s, a large match, which honours only batchDistance rules and latency rules with maxLatency alone; rules[0] "Fair" is a distance rule`},
		{"team expansion beyond 200 players", fairExpansion, `{"target": "teams[red, blue].maxPlayers", "steps": [{"waitTimeSeconds": 5, "value": 101}]}`, "expansions[0].steps[0].value", "makes the teams hold up to 202 players at 5s; a match may have at most 200"},
		{"unknown strategy", `"name": "base",`, `"name": "base", "algorithm": {"strategy": "greedy"},`, "algorithm.strategy", `not "greedy"`},
		{"sorted needs attributes", `"name": "base",`, `"name": "base", "algorithm": {"batchingPreference": "sorted"},`, "algorithm.sortByAttributes", "is required"},
		{"sortbyAttributes spelling", `"name": "base",`, `"name": "base", "algorithm": {"batchingPreference": "sorted", "sortbyAttributes": ["skill"]},`, "algorithm.sortbyAttributes", `unknown field "sortbyAttributes": did you mean "sortByAttributes"? (field names are case-sensitive)`},
		{"sort by undeclared", `"name": "base",`, `"name": "base", "algorithm": {"batchingPreference": "sorted", "sortByAttributes": ["rank"]},`, "algorithm.sortByAttributes[0]", `"rank" is not declared`},
		{"balanced needs attribute", `"name": "base",`, `"name": "base", "algorithm": {"strategy": "balanced"},`, "algorithm.balancedAttribute", "is required"},
		{"balanced attribute not number", `"name": "base",`, `"name": "base", "algorithm": {"strategy": "balanced", "balancedAttribute": "modes"},`, "algorithm.balancedAttribute", "must be a number"},
		{"largestPopulation with exhaustive", `"name": "base",`, `"name": "base", "algorithm": {"batchingPreference": "largestPopulation"},`, "algorithm.batchingPreference", "works with the balanced strategy"},
		{"compound dangling", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "compound", "statement": "and(Fair, Missing)"}`, "rules[1].statement", `rule "Missing" is not defined`},
		{"compound forward reference", `{"name": "Fair", "type": "distance"`, `{"name": "C", "type": "compound", "statement": "and(Fair, Ping)"}, {"name": "Fair", "type": "distance"`, "rules[0].statement", "defined after this compound rule"},
		{"compound bad operator", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "compound", "statement": "nand(Fair, Fair)"}`, "rules[1].statement", `unknown operator "nand"`},
		{"compound not arity", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "compound", "statement": "not(Fair, Fair)"}`, "rules[1].statement", "exactly one operand"},
		{"compound batchDistance", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "B", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 5}, {"name": "C", "type": "compound", "statement": "or(Fair, B)"}`, "rules[2].statement", "batchDistance rule"},
		{"expand compound", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "C", "type": "compound", "statement": "not(Fair)"}`, "expansions[0].target", "cannot be expanded"},
		{"comparison operator", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "operation": "~"}`, "rules[1].operation", `not "~"`},
		{"comparison without reference", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "operation": "<"}`, "rules[1].operation", "only = (all measured values equal)"},
		{"collection operation", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "collection", "measurements": "flatten(teams[*].players.attributes[modes])", "operation": "union", "minCount": 1}`, "rules[1].operation", `not "union"`},
		{"collection counts", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "collection", "measurements": "flatten(teams[*].players.attributes[modes])", "operation": "intersection"}`, "rules[1].maxCount", "needs minCount, maxCount or both"},
		{"party aggregation", `"maxLatency": 100`, `"maxLatency": 100, "partyAggregation": "union"`, "rules[1].partyAggregation", "must be avg, min, max"},
		{"undeclared batchAttribute", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "batchDistance", "batchAttribute": "rank", "maxDistance": 5}`, "rules[1].batchAttribute", `attribute "rank" is not declared in playerAttributes`},
		{"batchAttribute of a list type", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "batchDistance", "batchAttribute": "modes"}`, "rules[1].batchAttribute", `attribute "modes" is a string_list; this rule needs a number or string attribute`},
		{"undeclared sortAttribute", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "distanceSort", "sortAttribute": "rank"}`, "rules[1].sortAttribute", `attribute "rank" is not declared in playerAttributes`},
		{"sortAttribute missing", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "absoluteSort", "sortDirection": "descending"}`, "rules[1].sortAttribute", "is required"},
		{"sort needs map key", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "absoluteSort", "sortAttribute": "skill", "mapKey": "minValue"}`, "rules[1].mapKey", "only to string_number_map"},
		{"expression rule not bool", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "expression", "expression": "len(players)"}`, "rules[1].expression", "bool"},
		{"expression rule undeclared attribute", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "expression", "expression": "all(players, .attributes.skil > 5)"}`, "rules[1].expression", `attribute "skil" is not declared in playerAttributes (at character 26 of "all(players, .attributes.skil > 5)")`},
		{"expression rule undeclared attribute by index", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "expression", "expression": "let p = players[0]; p.attributes['rank'] > 5"}`, "rules[1].expression", `attribute "rank" is not declared`},
		{"expr measurement undeclared attribute", `avg(teams[*].players.attributes[skill])"]`, `max(map(players, .attributes?.skil))"]`, "rules[0].measurements", `attribute "skil" is not declared`},
		{"expr reference undeclared attribute", `"referenceValue": "avg(flatten(teams[*].players.attributes[skill]))"`, `"referenceValue": "min(map(players, .attributes.skil))"`, "rules[0].referenceValue", `attribute "skil" is not declared`},
		{"expression rule unknown name", `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Ping", "type": "expression", "expression": "playerz == nil"}`, "rules[1].expression", "unknown name playerz"},
		{"large match rule type", `"name": "red", "minPlayers": 2, "maxPlayers": 4`, `"name": "red", "minPlayers": 2, "maxPlayers": 40`, "rules[0].type", "not available in large matches"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(base, tc.from) {
				t.Fatalf("test bug: %q not in base", tc.from)
			}
			src := strings.Replace(base, tc.from, tc.to, 1)
			if tc.name == "expand compound" {
				src = strings.Replace(src, "rules[Fair].maxDistance", "rules[C].maxDistance", 1)
			}
			_, err := Parse([]byte(src))
			if err == nil {
				t.Fatalf("want an error at %s", tc.path)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not an ErrorList", err)
			}
			for _, fe := range list {
				if fe.Path == tc.path && strings.Contains(fe.Message, tc.message) {
					if fe.Line == 0 {
						t.Errorf("%s: no line number", fe)
					}
					return
				}
			}
			t.Fatalf("want %s: ...%s..., got:\n%v", tc.path, tc.message, err)
		})
	}
}

// TestTeamExpansionsThatFit checks team expansions that are valid because
// of the limits in force at each step's time.
func TestTeamExpansionsThatFit(t *testing.T) {
	tests := []struct{ name, expansions string }{
		{"min raised once max has grown", `{"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 5, "value": 8}]}, {"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 10, "value": 6}]}`},
		{"min and max raised at the same time", `{"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 6}]}, {"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 5, "value": 8}]}`},
		{"max lowered after min", `{"target": "teams[red, blue].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 1}]}, {"target": "teams[red, blue].maxPlayers", "steps": [{"waitTimeSeconds": 10, "value": 1}]}`},
		{"grown to exactly 40 players", `{"target": "teams[red, blue].maxPlayers", "steps": [{"waitTimeSeconds": 5, "value": 20}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, fairExpansion, tc.expansions, 1)
			if _, err := CompileJSON([]byte(src)); err != nil {
				t.Fatal(err)
			}
		})
	}
	large := `{"ruleLanguageVersion": "1.0", "playerAttributes": [{"name": "skill", "type": "number"}],
	  "algorithm": {"strategy": "balanced", "balancedAttribute": "skill"},
	  "teams": [{"name": "all", "minPlayers": 10, "maxPlayers": 40}],
	  "rules": [{"name": "Ping", "type": "latency", "maxLatency": 100}],
	  "expansions": [{"target": "teams[all].maxPlayers", "steps": [{"waitTimeSeconds": 5, "value": 200}]}]}`
	if _, err := CompileJSON([]byte(large)); err != nil {
		t.Fatalf("a balanced match with large-match rules may grow to 200 players: %v", err)
	}
}

func TestErrorsAreAllReportedWithPositions(t *testing.T) {
	src := `{
  "ruleLanguageVersion": "1.0",
  "teams": [{"name": "red", "minPlayers": 5, "maxPlayers": 4, "size": 3}],
  "rules": [{"name": "R", "type": "distance", "measurements": "avg(teams[*].players.attributes[x])", "referenceValue": 1, "maxDistance": "far"}]
}`
	_, err := Parse([]byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("want an ErrorList, got %v", err)
	}
	want := []string{
		`teams[0].minPlayers: is 5, more than maxPlayers 4: the team can never be filled (line 3, column 43)`,
		`teams[0].size: unknown field "size" (known fields: maxPlayers, minPlayers, name, quantity) (line 3, column 63)`,
		`rules[0].measurements: attribute "x" is not declared in playerAttributes (at character 5 of "avg(teams[*].players.attributes[x])") (line 4, column 63)`,
		`rules[0].maxDistance: must be a number, not the string "far" (line 4, column 138)`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

// TestUndecodedValuesCauseNoFollowOnErrors checks that a value that does not
// decode is reported once, and that validation skips what depends on it
// rather than reporting it again in other words.
func TestUndecodedValuesCauseNoFollowOnErrors(t *testing.T) {
	const attrs = `"playerAttributes": [{"name": "skill", "type": "number"}]`
	const teams = `"teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 4}]`
	doc := func(parts ...string) string {
		return `{"ruleLanguageVersion": "1.0", ` + strings.Join(parts, ", ") + `}`
	}
	tests := []struct {
		name string
		src  string
		want []string // one entry per error, in order
	}{
		{"attribute type of the wrong JSON type",
			doc(`"playerAttributes": [{"name": "skill", "type": 5}]`, teams,
				`"rules": [{"name": "B", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 1},
				 {"name": "D", "type": "distance", "measurements": "avg(teams[red].players.attributes[skill])", "referenceValue": 1, "maxDistance": 1}]`),
			[]string{"playerAttributes[0].type: must be a string"}},
		{"attribute type unknown",
			doc(`"playerAttributes": [{"name": "skill", "type": "integer"}]`, teams,
				`"rules": [{"name": "D", "type": "distance", "measurements": "avg(teams[red].players.attributes[skill])", "referenceValue": 1, "maxDistance": 1}]`),
			[]string{`playerAttributes[0].type: unknown attribute type "integer"`}},
		{"attribute name of the wrong JSON type",
			doc(`"playerAttributes": [{"name": ["skill"], "type": "number"}]`, teams,
				`"algorithm": {"batchingPreference": "sorted", "sortByAttributes": ["skill"]}`,
				`"rules": [{"name": "S", "type": "absoluteSort", "sortAttribute": "skill"}]`),
			[]string{"playerAttributes[0].name: must be a string"}},
		{"playerAttributes not an array",
			doc(`"playerAttributes": {"skill": "number"}`, `"algorithm": {"strategy": "balanced", "balancedAttribute": "skill"}`, teams),
			[]string{"playerAttributes: must be an array, not an object"}},
		{"team name of the wrong JSON type",
			doc(attrs, `"teams": [{"name": 1, "minPlayers": 1, "maxPlayers": 4}]`,
				`"rules": [{"name": "C", "type": "comparison", "measurements": "count(teams[red].players)", "referenceValue": 2, "operation": ">="}]`,
				`"expansions": [{"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 0}]}]`),
			[]string{"teams[0].name: must be a string"}},
		{"team quantity of the wrong JSON type",
			doc(`"teams": [{"name": "trio", "minPlayers": 1, "maxPlayers": 4, "quantity": "three"}]`,
				`"rules": [{"name": "C", "type": "comparison", "measurements": "count(teams[trio_2].players)", "referenceValue": 2, "operation": ">="}]`),
			[]string{"teams[0].quantity: must be a number"}},
		{"maxPlayers of the wrong JSON type",
			doc(`"teams": [{"name": "red", "minPlayers": 2, "maxPlayers": "four"}]`,
				`"expansions": [{"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 1}]}]`),
			[]string{"teams[0].maxPlayers: must be a number"}},
		{"rule name of the wrong JSON type",
			doc(attrs, teams, `"rules": [{"name": null, "type": "latency", "maxLatency": 50}, {"name": "C", "type": "compound", "statement": "not(Fast)"}]`,
				`"expansions": [{"target": "rules[Fast].maxLatency", "steps": [{"waitTimeSeconds": 5, "value": 100.5}]}]`),
			[]string{"rules[0].name: must be a string, not null"}},
		{"rule type of the wrong JSON type",
			doc(attrs, teams, `"rules": [{"name": "Fast", "type": ["latency"], "maxLatency": 50}]`,
				`"expansions": [{"target": "rules[Fast].maxLatency", "steps": [{"waitTimeSeconds": 5, "value": 100}]}]`),
			[]string{"rules[0].type: must be a string, not an array"}},
		{"unknown rule type in a large match",
			doc(attrs, `"algorithm": {"strategy": "balanced", "balancedAttribute": "skill"}`, `"teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 100}]`,
				`"rules": [{"name": "Fast", "type": "ping", "maxLatency": 50}]`,
				`"expansions": [{"target": "rules[Fast].maxLatency", "steps": [{"waitTimeSeconds": 5, "value": 100}]}]`),
			[]string{`rules[0].type: unknown rule type "ping"`}},
		{"rules not an array",
			doc(attrs, teams, `"rules": {"name": "Fast"}`,
				`"expansions": [{"target": "rules[Fast].maxLatency", "steps": [{"waitTimeSeconds": 5, "value": 100}]}]`),
			[]string{"rules: must be an array, not an object"}},
		{"strategy of the wrong JSON type",
			doc(attrs, `"algorithm": {"strategy": 2, "batchingPreference": "fastestRegion", "balancedAttribute": "skill"}`, teams),
			[]string{"algorithm.strategy: must be a string"}},
		{"batchingPreference of the wrong JSON type",
			doc(attrs, `"algorithm": {"batchingPreference": true, "sortByAttributes": ["skill"]}`, teams),
			[]string{"algorithm.batchingPreference: must be a string, not a boolean"}},
		{"sortByAttributes misspelt",
			doc(attrs, `"algorithm": {"batchingPreference": "sorted", "sortbyAttributes": ["skill"]}`, teams),
			[]string{`algorithm.sortbyAttributes: unknown field "sortbyAttributes": did you mean "sortByAttributes"?`}},
		{"maxPlayers misspelt",
			doc(`"teams": [{"name": "red", "minPlayers": 1, "maxplayers": 4}]`),
			[]string{`teams[0].maxplayers: unknown field "maxplayers": did you mean "maxPlayers"?`}},
		{"a sortByAttributes element of the wrong JSON type",
			doc(attrs, `"algorithm": {"batchingPreference": "sorted", "sortByAttributes": [1]}`, teams),
			[]string{"algorithm.sortByAttributes[0]: must be a string"}},
		{"minDistance of the wrong JSON type",
			doc(attrs, teams, `"rules": [{"name": "D", "type": "distance", "measurements": "avg(teams[red].players.attributes[skill])", "referenceValue": 1, "minDistance": "near"}]`),
			[]string{"rules[0].minDistance: must be a number"}},
		{"minCount of the wrong JSON type",
			doc(`"playerAttributes": [{"name": "modes", "type": "string_list"}]`, teams,
				`"rules": [{"name": "M", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[modes])", "minCount": "one"}]`),
			[]string{"rules[0].minCount: must be a number"}},
		{"latency maxDistance of the wrong JSON type",
			doc(teams, `"rules": [{"name": "L", "type": "latency", "maxDistance": "far", "distanceReference": "avg"}]`),
			[]string{"rules[0].maxDistance: must be a number"}},
		{"referenceValue of the wrong JSON type",
			doc(attrs, teams, `"rules": [{"name": "C", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": true, "operation": "<"}]`),
			[]string{"rules[0].referenceValue: must be a number, a string"}},
		{"a measurement of the wrong JSON type",
			doc(attrs, teams, `"rules": [{"name": "C", "type": "comparison", "measurements": [5], "operation": "="}]`),
			[]string{"rules[0].measurements[0]: must be a string"}},
		{"waitTimeSeconds of the wrong JSON type",
			doc(teams, `"expansions": [{"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": "soon", "value": 0}]}]`),
			[]string{"expansions[0].steps[0].waitTimeSeconds: must be a number"}},
		{"algorithm not an object",
			doc(attrs, `"algorithm": "balanced"`, `"teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 100}]`),
			[]string{`algorithm: must be an object, not the string "balanced"`}},
		{"a rule not an object",
			doc(teams, `"rules": ["Fast"]`, `"expansions": [{"target": "rules[Fast].maxLatency", "steps": [{"waitTimeSeconds": 5, "value": 100}]}]`),
			[]string{`rules[0]: must be an object, not the string "Fast"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.src))
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("want an ErrorList, got %v", err)
			}
			if len(list) != len(tc.want) {
				t.Fatalf("want %d error(s), got %d:\n%v", len(tc.want), len(list), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(list[i].Error(), w) || list[i].Line == 0 {
					t.Errorf("error %d = %q, want %q... with a position", i, list[i], w)
				}
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{``, "empty"},
		{`{`, "unexpected end of input"},
		{`{"a": 1 "b": 2}`, `expected ',' or '}'`},
		{`{"a": 1, "a": 2}`, `duplicate key "a"`},
		{`{"a": tru}`, "expected a value"},
		{`{"a": 01}`, `invalid number "01"`},
		{`{"a": "x\q"}`, `invalid escape`},
		{`{"a": 1} x`, "after the end of the document"},
		{`/* open`, "unterminated /* comment"},
		{strings.Repeat("[", 100), "nesting deeper than 64"},
		{"{\"a\": \"\x01\"}", "control character"},
		{strings.Repeat(" ", MaxBodyBytes+1), "the limit is 65535"},
	}
	for _, tc := range tests {
		_, err := Parse([]byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%.30q) = %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestLenientSyntaxIsAccepted(t *testing.T) {
	src := `// a rule set
{
  "ruleLanguageVersion": "1.0", /* block */
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2,},],
}`
	if _, err := Parse([]byte(src)); err != nil {
		t.Fatalf("comments and trailing commas: %v", err)
	}
}

func TestDefaults(t *testing.T) {
	def, err := Parse([]byte(`{"ruleLanguageVersion":"1.0","teams":[{"name":"a","minPlayers":1,"maxPlayers":2}]}`))
	if err != nil {
		t.Fatal(err)
	}
	a := def.Algorithm
	if a.Strategy != StrategyExhaustive || a.BatchingPreference != BatchRandom || a.BackfillPriority != BackfillNormal || a.ExpansionAgeSelection != AgeNewest {
		t.Fatalf("algorithm defaults = %+v", a)
	}
	if def.Teams[0].Quantity != 1 {
		t.Fatalf("quantity default = %d", def.Teams[0].Quantity)
	}
	def, err = Parse([]byte(`{"ruleLanguageVersion":"1.0","algorithm":{"strategy":"balanced","balancedAttribute":"s"},
		"playerAttributes":[{"name":"s","type":"number"}],"teams":[{"name":"a","minPlayers":1,"maxPlayers":100}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if def.Algorithm.BatchingPreference != BatchLargestPopulation {
		t.Fatalf("balanced batching default = %q", def.Algorithm.BatchingPreference)
	}
}

// TestTeamIsAnAliasOfTeams checks that the singular team[...] of FlexMatch's
// property expression reference compiles to what teams[...] compiles to.
func TestTeamIsAnAliasOfTeams(t *testing.T) {
	compile := func(measurement string) string {
		rs, err := CompileJSON([]byte(`{"ruleLanguageVersion": "1.0", "playerAttributes": [{"name": "skill", "type": "number"}],
		  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 4}, {"name": "blue", "minPlayers": 1, "maxPlayers": 4}],
		  "rules": [{"name": "R", "type": "comparison", "measurements": "` + measurement + `", "referenceValue": 3, "operation": "<="}]}`))
		if err != nil {
			t.Fatalf("%s: %v", measurement, err)
		}
		return rs.ExprSource()
	}
	for _, src := range []string{"count(team[red].players)", "max(count(team[red, blue].players))", "avg(flatten(team[*].players.attributes[skill]))"} {
		if got, want := compile(src), compile(strings.ReplaceAll(src, "team[", "teams[")); got != want {
			t.Errorf("%s compiles to %s, want %s", src, got, want)
		}
	}
}

// TestBackfillPriorityWithBalanced checks that backfillPriority is accepted
// with the balanced strategy, as FlexMatch's large-match schema lists it.
func TestBackfillPriorityWithBalanced(t *testing.T) {
	def, err := Parse([]byte(`{"ruleLanguageVersion": "1.0", "playerAttributes": [{"name": "skill", "type": "number"}],
	  "algorithm": {"strategy": "balanced", "balancedAttribute": "skill", "backfillPriority": "high"},
	  "teams": [{"name": "all", "minPlayers": 50, "maxPlayers": 100}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if def.Algorithm.BackfillPriority != BackfillHigh {
		t.Fatalf("backfillPriority = %q", def.Algorithm.BackfillPriority)
	}
}

func TestPropertyExpressionTypes(t *testing.T) {
	scope := &propScope{
		teams: map[string][]int{"red": {0}, "blue": {1}, "trio": {2, 3, 4}, "trio_1": {2}},
		attrs: map[string]AttributeType{"skill": TypeNumber, "modes": TypeStringList, "name": TypeString, "maps": TypeStringNumberMap},
	}
	tests := []struct{ src, want string }{
		{"teams[red].players.attributes[skill]", "list of number"},
		{"teams[*].players.attributes[skill]", "list of list of number"},
		{"teams[red, blue].players.attributes[skill]", "list of list of number"},
		{"teams[trio].players.attributes[skill]", "list of list of number"},
		{"teams[trio_1].players.attributes[skill]", "list of number"},
		{"avg(teams[*].players.attributes[skill])", "list of number"},
		{"avg(flatten(teams[*].players.attributes[skill]))", "number"},
		{"max(count(teams[*].players))", "number"},
		{"count (teams[red].players)", "number"},
		{"count(teams[*])", "number"},
		{"teams[red].players[playerId]", "list of string"},
		{"teams[red].players[playerid]", "list of string"},
		{"set_intersection(flatten(teams[*].players.attributes[modes]))", "string list"},
		{"players.attributes[skill]", "list of number"},
		{"stddev(players.attributes[skill])", "number"},
		{"42", "number"},
		{"avg(teams[red].players.attributes[name])", "error: avg needs a list of numbers"},
		{"flatten(teams[red].players.attributes[skill])", "error: flatten needs a list of lists"},
		{"avg(teams[*].players.attributes[skill], 1)", "error: avg takes one argument"},
		{"team[red].players", "list of player"},
		{"count(team[red].players)", "number"},
		{"teams[].players", "error: empty team selection"},
		{"teams[red].players.attributes[skill].x", "error: unexpected"},
		{"teams[red].players[name]", `error: unknown player property "name"`},
		{"avg(avg(avg(avg(avg(avg(avg(avg(avg(avg(avg(avg(avg(avg(avg(avg(avg(1)))))))))))))))))", "error: nested deeper"},
	}
	for _, tc := range tests {
		e, err := parsePropExpr(tc.src)
		var got string
		if err == nil {
			var typ propType
			typ, err = scope.typeOf(e)
			got = typ.String()
		}
		if err != nil {
			got = "error: " + err.Error()
		}
		if !strings.HasPrefix(got, tc.want) && !strings.Contains(got, strings.TrimPrefix(tc.want, "error: ")) {
			t.Errorf("%s: got %q, want %q", tc.src, got, tc.want)
		}
	}
}
