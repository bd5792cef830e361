// Package simulate answers the rule designer's question "which matches would
// this rule set form from these tickets, and why not the others?" offline:
// the tickets go through the same preparation and forming code as the
// matchmaker, without a store, a clock or a network. `matchpoint rules
// simulate` and the dashboard's playground use it.
package simulate

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/player"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// Ticket is one ticket of a simulation: GameLift's StartMatchmaking fields
// plus how long it has been waiting, which drives the expansions.
type Ticket struct {
	TicketId   string          `json:"TicketId"`
	Players    []player.Player `json:"Players"`
	AgeSeconds float64         `json:"AgeSeconds,omitempty"`
}

// Report is what a simulation found.
type Report struct {
	Matches   []Match              `json:"matches"`
	Unmatched []Unmatched          `json:"unmatched"`
	Metrics   []forming.RuleMetric `json:"ruleEvaluationMetrics"`
}

// Match is one formed match.
type Match struct {
	Teams []Team `json:"teams"`
	// Region is where the match would be placed ("" without latency data).
	Region string `json:"region,omitempty"`
	// Expanded lists the expansions in force, as "target = value".
	Expanded []string             `json:"expanded,omitempty"`
	Metrics  []forming.RuleMetric `json:"ruleEvaluationMetrics"`
}

// Team is one team of a match and its tickets.
type Team struct {
	Name    string   `json:"name"`
	Tickets []string `json:"tickets"`
	Players []string `json:"players"`
}

// Unmatched is a ticket no match took, and why when it can never match.
type Unmatched struct {
	TicketId string `json:"ticketId"`
	Reason   string `json:"reason"`
}

// MaxTickets bounds one simulation.
const MaxTickets = 10000

// Run forms the matches the rule set would form from the tickets at one
// instant, with the given seed for random batching.
func Run(rs *rules.RuleSet, tickets []Ticket, seed uint64) (Report, error) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rep := Report{Matches: []Match{}, Unmatched: []Unmatched{}}
	var pool []*forming.Ticket
	// Prepare's errors are *forming.Unmatchable, whose message ("can never
	// match: ...") is the reason.
	for _, t := range tickets {
		start := now.Add(-time.Duration(t.AgeSeconds * float64(time.Second)))
		ft, err := forming.Prepare(rs, forming.TicketSpec(t.TicketId, start, false, t.Players))
		if err != nil {
			rep.Unmatched = append(rep.Unmatched, Unmatched{TicketId: t.TicketId, Reason: err.Error()})
			continue
		}
		pool = append(pool, ft)
	}
	res, err := forming.Form(rs, forming.Input{Tickets: pool, Now: now}, forming.Options{Seed: seed})
	if err != nil {
		return Report{}, fmt.Errorf("simulate: %w", err)
	}
	matched := map[string]bool{}
	teams := rs.Teams()
	def := rs.Definition()
	for _, m := range res.Matches {
		out := Match{Region: m.Region, Metrics: m.Metrics}
		for ti, team := range m.Teams {
			tm := Team{Name: teams[ti].Name, Tickets: []string{}, Players: []string{}}
			for _, t := range team {
				matched[t.ID] = true
				tm.Tickets = append(tm.Tickets, t.ID)
			}
			for _, src := range tickets {
				if slices.Contains(tm.Tickets, src.TicketId) {
					for _, p := range src.Players {
						tm.Players = append(tm.Players, p.PlayerId)
					}
				}
			}
			out.Teams = append(out.Teams, tm)
		}
		for ei, step := range m.Expansions {
			if step >= 0 {
				out.Expanded = append(out.Expanded, forming.ExpansionStep(def.Expansions[ei], step))
			}
		}
		rep.Matches = append(rep.Matches, out)
	}
	var left []*forming.Ticket
	for _, t := range pool {
		if !matched[t.ID] {
			left = append(left, t)
		}
	}
	for _, t := range left {
		rep.Unmatched = append(rep.Unmatched, Unmatched{TicketId: t.ID, Reason: keptOut(rs, t, pool, now)})
	}
	sort.SliceStable(rep.Unmatched, func(i, j int) bool { return rep.Unmatched[i].TicketId < rep.Unmatched[j].TicketId })
	rep.Metrics = res.Metrics
	return rep, nil
}

// maxPairings bounds the pairings tried to explain one unmatched ticket.
const maxPairings = 1000

// keptOut explains why a ticket found no match: it pairs the ticket with
// each other ticket of the pool on different teams (or the same team when
// there is one) and names the rule that failed most often, with the
// expansion steps the ticket has reached.
func keptOut(rs *rules.RuleSet, t *forming.Ticket, pool []*forming.Ticket, now time.Time) string {
	def := rs.Definition()
	ev := rs.NewEvaluator()
	c := rs.NewCandidate()
	failed := make([]int, len(def.Rules))
	pairings, teamsFull := 0, 0
	other := 0
	if len(rs.Teams()) > 1 {
		other = 1
	}
	for _, u := range pool {
		if u == t || pairings == maxPairings {
			continue
		}
		c.Reset()
		c.Add(0, t.Ticket)
		c.Add(other, u.Ticket)
		r := ev.Evaluate(c, now, rules.ExplainAll)
		pairings++
		if !r.TeamsOK {
			teamsFull++
		}
		for i, o := range r.Rules {
			if o == rules.Failed {
				failed[i]++
			}
		}
	}
	reached := forming.ExpansionsInForce(rs, t, now)
	expansion := "no expansion step reached yet"
	if len(reached) > 0 {
		expansion = "expansions reached: " + strings.Join(reached, ", ")
	}
	worst := -1
	for i, n := range failed {
		if n > 0 && (worst < 0 || n > failed[worst]) {
			worst = i
		}
	}
	switch {
	case pairings == 0:
		return "no other ticket to match with; " + expansion
	case worst >= 0:
		return fmt.Sprintf("kept out most often by rule %s (failed in %d of %d pairings with other tickets); %s", def.Rules[worst].Name, failed[worst], pairings, expansion)
	case teamsFull == pairings:
		return "its party does not fit the teams; " + expansion
	}
	return "the teams could not be filled to their minimum with the tickets left; " + expansion
}
