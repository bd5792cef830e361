package forming

import (
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func readExample(name string) ([]byte, error) {
	return os.ReadFile("../../rules/testdata/examples/" + name)
}

func compileFile(tb testing.TB, name string) *rules.RuleSet {
	tb.Helper()
	src, err := readExample(name)
	if err != nil {
		tb.Fatal(err)
	}
	return compile(tb, string(src))
}

func compile(tb testing.TB, src string) *rules.RuleSet {
	tb.Helper()
	rs, err := rules.CompileJSON([]byte(src))
	if err != nil {
		tb.Fatalf("compile: %v", err)
	}
	return rs
}

// player describes one player of a test ticket.
type player struct {
	attrs   map[string]rules.Value
	latency map[string]float64
}

func num(kv ...any) map[string]rules.Value {
	m := map[string]rules.Value{}
	for i := 0; i < len(kv); i += 2 {
		switch v := kv[i+1].(type) {
		case float64:
			m[kv[i].(string)] = rules.NumberValue(v)
		case int:
			m[kv[i].(string)] = rules.NumberValue(float64(v))
		case string:
			m[kv[i].(string)] = rules.StringValue(v)
		case []string:
			m[kv[i].(string)] = rules.StringListValue(v...)
		}
	}
	return m
}

// ticket prepares a ticket that started age ago with the given players.
func ticket(tb testing.TB, rs *rules.RuleSet, id string, age time.Duration, players ...player) *Ticket {
	tb.Helper()
	return prepare(tb, rs, id, age, false, players...)
}

func prepare(tb testing.TB, rs *rules.RuleSet, id string, age time.Duration, backfill bool, players ...player) *Ticket {
	tb.Helper()
	t, err := Prepare(rs, spec(id, age, backfill, players))
	if err != nil {
		tb.Fatalf("prepare %s: %v", id, err)
	}
	return t
}

// spec is the rules input for a test ticket.
func spec(id string, age time.Duration, backfill bool, players []player) rules.TicketSpec {
	out := rules.TicketSpec{ID: id, Start: t0.Add(-age), Backfill: backfill}
	for i, p := range players {
		out.Players = append(out.Players, rules.Player{ID: fmt.Sprintf("%s-%d", id, i), Attributes: p.attrs, Latencies: p.latency})
	}
	return out
}

// prepareMatchable is ticket, but reports false for a ticket that can
// never match.
func prepareMatchable(tb testing.TB, rs *rules.RuleSet, id string, age time.Duration, players ...player) (*Ticket, bool) {
	tb.Helper()
	t, err := Prepare(rs, spec(id, age, false, players))
	if u := (*Unmatchable)(nil); errors.As(err, &u) {
		return nil, false
	}
	if err != nil {
		tb.Fatalf("prepare %s: %v", id, err)
	}
	return t, true
}

// skillTicket is a one-player ticket with a skill.
func skillTicket(tb testing.TB, rs *rules.RuleSet, id string, age time.Duration, skill float64) *Ticket {
	tb.Helper()
	return ticket(tb, rs, id, age, player{attrs: num("skill", skill)})
}

func mustForm(tb testing.TB, rs *rules.RuleSet, in Input, opts Options) Result {
	tb.Helper()
	if in.Now.IsZero() {
		in.Now = t0
	}
	res, err := Form(rs, in, opts)
	if err != nil {
		tb.Fatalf("form: %v", err)
	}
	return res
}

// ids lists a match's ticket ids team by team: "a,b|c,d".
func ids(m Match) string {
	s := ""
	for i, team := range m.Teams {
		if i > 0 {
			s += "|"
		}
		for j, t := range team {
			if j > 0 {
				s += ","
			}
			s += t.ID
		}
	}
	return s
}

func teamPlayers(team []*Ticket) int {
	n := 0
	for _, t := range team {
		n += t.Players()
	}
	return n
}

// checkMatches checks the invariants of every result: no ticket in two
// matches, every match passes the final check at the pass's time, and
// team sizes within the limits in force.
func checkMatches(tb testing.TB, rs *rules.RuleSet, in Input, res Result) {
	tb.Helper()
	if in.Now.IsZero() {
		in.Now = t0
	}
	seen := map[string]bool{}
	ev := rs.NewEvaluator()
	matched := 0
	for mi, m := range res.Matches {
		c := rs.NewCandidate()
		for ti, team := range m.Teams {
			for _, t := range team {
				c.Add(ti, t.Ticket)
				if t.Backfill {
					continue
				}
				if seen[t.ID] {
					tb.Fatalf("match %d: ticket %s is in two matches", mi, t.ID)
				}
				seen[t.ID] = true
				matched++
			}
		}
		r := ev.Evaluate(c, in.Now, rules.FinalCheck)
		if !r.Pass {
			tb.Fatalf("match %d (%s) fails the final check: %v %v", mi, ids(m), r.Rules, r.Err)
		}
	}
	if got := len(in.Tickets) - matched; got != res.Unmatched {
		tb.Fatalf("Unmatched = %d, want %d", res.Unmatched, got)
	}
}
