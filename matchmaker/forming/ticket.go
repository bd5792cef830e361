package forming

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// Ticket is a pool ticket: the ticket prepared for the rule set, plus the
// values forming reads that rules.Ticket keeps to itself: the values of
// sortByAttributes, the party's sum of the balanced attribute and its
// latencies. Like rules.Ticket it is immutable once prepared.
type Ticket struct {
	*rules.Ticket

	sortKey []sortValue
	balance float64
	latency []rules.RegionLatency // regions every player reported, worst latency, by region name
}

// sortValue is one sortByAttributes value: a number, or a string (a list is
// its strings joined).
type sortValue struct {
	num float64
	str string
}

// Unmatchable is Prepare's error for a ticket that can never match the rule
// set, whatever else is in the pool: a declared attribute missing without a
// default or of another type, a party larger than any team, or no latency
// data where a latency rule needs it. FlexMatch accepts such a ticket, which
// then searches until it times out. Its message, "can never match: " and
// the reason, is what the explanation, the MatchmakingTimedOut event and
// `rules simulate` say.
type Unmatchable struct {
	Reason string
}

func (e *Unmatchable) Error() string { return "can never match: " + e.Reason }

// Prepare prepares a ticket for the rule set (rs.PrepareTicket) and records
// what forming needs besides. Its errors are *Unmatchable.
func Prepare(rs *rules.RuleSet, spec rules.TicketSpec) (*Ticket, error) {
	rt, err := rs.PrepareTicket(spec)
	if err != nil {
		return nil, &Unmatchable{Reason: strings.TrimPrefix(err.Error(), "ticket "+spec.ID+": ")}
	}
	if most := largestTeam(rs); len(spec.Players) > most {
		return nil, &Unmatchable{Reason: fmt.Sprintf("the party of %d players is larger than any team (at most %d)", len(spec.Players), most)}
	}
	def := rs.Definition()
	t := &Ticket{Ticket: rt}
	t.latency = worstLatencies(spec.Players)
	if rule := latencyRule(def); rule != "" && len(t.latency) == 0 {
		return nil, &Unmatchable{Reason: noLatency(spec.Players, rule)}
	}
	if def.Algorithm.BatchingPreference == rules.BatchSorted {
		for _, name := range def.Algorithm.SortByAttributes {
			t.sortKey = append(t.sortKey, sortValueOf(def, spec.Players, name))
		}
	}
	if name := def.Algorithm.BalancedAttribute; name != "" {
		for _, p := range spec.Players {
			if v, ok := attribute(def, p, name); ok {
				t.balance += v.N
			}
		}
	}
	return t, nil
}

// largestTeam is the most players any team takes at any age, after the
// expansions of team sizes.
func largestTeam(rs *rules.RuleSet) int {
	most := 0
	var teams []rules.Team
	measure := func(age time.Duration) {
		teams = rs.TeamLimits(age, teams)
		for _, tm := range teams {
			most = max(most, tm.MaxPlayers)
		}
	}
	measure(0)
	for _, e := range rs.Definition().Expansions {
		for _, s := range e.Steps {
			measure(time.Duration(s.WaitTimeSeconds * float64(time.Second)))
		}
	}
	return most
}

// latencyRule is the name of the rule set's first latency rule, "" when it
// has none.
func latencyRule(def *rules.Definition) string {
	for _, r := range def.Rules {
		if r.Type == rules.RuleLatency {
			return r.Name
		}
	}
	return ""
}

// noLatency says why players without a region in common cannot pass
// latency rule rule.
func noLatency(players []rules.Player, rule string) string {
	for _, p := range players {
		if len(p.Latencies) > 0 {
			return fmt.Sprintf("no region where all %d players reported a latency, which the latency rule %s needs", len(players), rule)
		}
	}
	return "no latency data, which the latency rule " + rule + " needs"
}

// attribute returns a player's value of a declared attribute, or its default.
func attribute(def *rules.Definition, p rules.Player, name string) (rules.Value, bool) {
	if v, ok := p.Attributes[name]; ok {
		return v, true
	}
	for _, a := range def.PlayerAttributes {
		if a.Name == name && a.Default != nil {
			return *a.Default, true
		}
	}
	return rules.Value{}, false
}

// sortValueOf is the value a party sorts by: the players' average for a
// number, the first player's value for a string or string list. Maps do not
// sort (every ticket compares equal).
func sortValueOf(def *rules.Definition, players []rules.Player, name string) sortValue {
	first, _ := attribute(def, players[0], name)
	switch first.Type {
	case rules.TypeNumber:
		sum := 0.0
		for _, p := range players {
			v, _ := attribute(def, p, name)
			sum += v.N
		}
		return sortValue{num: sum / float64(len(players))}
	case rules.TypeString:
		return sortValue{str: first.S}
	case rules.TypeStringList:
		return sortValue{str: strings.Join(first.SL, "\x00")}
	}
	return sortValue{}
}

// compareSortKeys orders two tickets by sortByAttributes, in list order.
func compareSortKeys(a, b []sortValue) int {
	for i := range a {
		if c := cmp.Compare(a[i].num, b[i].num); c != 0 {
			return c
		}
		if c := strings.Compare(a[i].str, b[i].str); c != 0 {
			return c
		}
	}
	return 0
}

// worstLatencies returns, for each region every player reported, the
// highest latency among the players, sorted by region name.
func worstLatencies(players []rules.Player) []rules.RegionLatency {
	var out []rules.RegionLatency
	for region, ms := range players[0].Latencies {
		worst, everyone := ms, true
		for _, p := range players[1:] {
			v, ok := p.Latencies[region]
			if !ok {
				everyone = false
				break
			}
			worst = math.Max(worst, v)
		}
		if everyone {
			out = append(out, rules.RegionLatency{Region: region, MaxMs: worst})
		}
	}
	slices.SortFunc(out, func(a, b rules.RegionLatency) int { return strings.Compare(a.Region, b.Region) })
	return out
}
