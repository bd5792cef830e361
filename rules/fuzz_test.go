package rules

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary documents to the rule set parser. Whatever the
// input, Parse must not panic and each error it returns is short; a document
// it accepts must compile, and its compiled rule set must evaluate a
// candidate without panicking.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/examples/*.json")
	for _, file := range files {
		if src, err := os.ReadFile(file); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte(base))
	f.Add([]byte(benchmarkRuleSet))
	f.Fuzz(func(t *testing.T, src []byte) {
		def, err := Parse(src)
		if err != nil {
			var list ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					if len(e.Path) > maxMessage+len("…") || len(e.Message) > maxMessage+len("…") {
						t.Fatalf("error of %d+%d bytes: %.200s", len(e.Path), len(e.Message), e.Error())
					}
				}
			}
			return
		}
		rs, err := Compile(def)
		if err != nil {
			t.Fatalf("Parse accepted a rule set that Compile rejects: %v", err)
		}
		c := rs.NewCandidate()
		ev := rs.NewEvaluator()
		ev.Evaluate(c, time.Time{}, ExplainAll)
		players := make([]Player, 1)
		players[0] = Player{ID: "p", Latencies: map[string]float64{"r": 10}}
		tk, err := rs.PrepareTicket(TicketSpec{ID: "t", Players: players})
		if err != nil {
			return // attributes without defaults: such a ticket never matches
		}
		for i := range rs.Teams() {
			c.Add(i, tk)
		}
		for _, mode := range []Mode{PartialCheck, FinalCheck, ExplainAll} {
			ev.Evaluate(c, time.Unix(100, 0), mode)
		}
		rs.SortKeys(tk, tk, nil)
	})
}

// FuzzPropExpr feeds arbitrary property expressions to the parser and the
// type checker.
func FuzzPropExpr(f *testing.F) {
	for _, s := range []string{
		"avg(teams[*].players.attributes[skill])",
		"avg(flatten(teams[*].players.attributes[skill]))",
		"max(count(teams[*].players))",
		"count(teams[red].players)",
		"set_intersection(flatten(teams[*].players.attributes[modes]))",
		"flatten(teams[red, blue].players[playerId])",
		"players.attributes[skill]",
		"12.5",
	} {
		f.Add(s)
	}
	scope := &propScope{
		teams: map[string][]int{"red": {0}, "blue": {1}},
		attrs: map[string]AttributeType{"skill": TypeNumber, "modes": TypeStringList},
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := parsePropExpr(src)
		if err != nil {
			return
		}
		_, _ = scope.typeOf(e)
	})
}

// FuzzStatement feeds arbitrary compound statements to their parser; a
// statement it accepts prints back to one that parses to the same text.
func FuzzStatement(f *testing.F) {
	for _, s := range []string{"and(A, B)", "or(and(A, B), not(C))", "xor(A,B,C)", "A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := parseStatement(src)
		if err != nil {
			return
		}
		again, err := parseStatement(e.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", e.String(), src, err)
		}
		if again.String() != e.String() {
			t.Fatalf("round trip changed %q to %q", e.String(), again.String())
		}
	})
}
