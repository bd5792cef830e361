package forming

import (
	"fmt"
	"time"

	// Named stored: this package has a test helper named player.
	stored "github.com/matchpoint-dev/matchpoint/matchmaker/store/player"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// TicketSpec converts a stored ticket (its id, start time, backfill flag and
// players) into the rules package's input for Prepare: the GameLift
// AttributeValue encodings become typed values and latencies become
// milliseconds as float64.
func TicketSpec(id string, start time.Time, backfill bool, players []stored.Player) rules.TicketSpec {
	spec := rules.TicketSpec{ID: id, Start: start, Backfill: backfill, Players: make([]rules.Player, len(players))}
	for i, p := range players {
		rp := rules.Player{ID: p.PlayerId, Attributes: make(map[string]rules.Value, len(p.PlayerAttributes))}
		for name, v := range p.PlayerAttributes {
			rp.Attributes[name] = attributeValue(v)
		}
		if len(p.LatencyInMs) > 0 {
			rp.Latencies = make(map[string]float64, len(p.LatencyInMs))
			for region, ms := range p.LatencyInMs {
				rp.Latencies[region] = float64(ms)
			}
		}
		spec.Players[i] = rp
	}
	return spec
}

// attributeValue converts one GameLift AttributeValue. The API validated that
// exactly one of S, N, SL and SDM is set; an empty value converts to an
// empty string list.
func attributeValue(v stored.AttributeValue) rules.Value {
	switch {
	case v.S != nil:
		return rules.StringValue(*v.S)
	case v.N != nil:
		return rules.NumberValue(*v.N)
	case v.SDM != nil:
		return rules.StringNumberMapValue(v.SDM)
	default:
		return rules.StringListValue(v.SL...)
	}
}

// ExpansionsInForce lists the expansion steps in force for ticket t alone
// at time now, as "target = value (after Ns)", in the rule set's order.
func ExpansionsInForce(rs *rules.RuleSet, t *Ticket, now time.Time) []string {
	c := rs.NewCandidate()
	c.Add(0, t.Ticket)
	var out []string
	for ei, step := range rs.NewEvaluator().Evaluate(c, now, rules.ExplainAll).Expansions {
		if step >= 0 {
			out = append(out, ExpansionStep(rs.Definition().Expansions[ei], step))
		}
	}
	return out
}

// ExpansionStep describes step of expansion e: "target = value (after Ns)".
func ExpansionStep(e rules.ExpansionDef, step int) string {
	s := e.Steps[step]
	value := "?"
	switch {
	case s.Number != nil:
		value = fmt.Sprintf("%g", *s.Number)
	case s.String != nil:
		value = fmt.Sprintf("%q", *s.String)
	}
	return fmt.Sprintf("%s = %s (after %gs)", e.Target, value, s.WaitTimeSeconds)
}
