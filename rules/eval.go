package rules

import (
	"fmt"
	"math"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Mode says how much of a rule set Evaluate checks.
type Mode int

const (
	// FinalCheck checks a complete candidate: every team within its
	// (expanded) minPlayers and maxPlayers, and every rule, stopping at the
	// first failure.
	FinalCheck Mode = iota
	// PartialCheck checks a candidate that is still being built: team sizes
	// against maxPlayers, and only the rules that no further ticket could
	// make pass once they fail (batchDistance, latency with maxLatency only,
	// comparisons of player values with a fixed reference, and collection
	// limits that only tighten). A pass says nothing about the other rules.
	PartialCheck
	// ExplainAll evaluates every rule whatever the outcome, for
	// ruleEvaluationMetrics and `rules simulate`.
	ExplainAll
)

// Outcome is the result of one rule on a candidate.
type Outcome uint8

// The outcomes. Sort rules are never evaluated: they order candidates.
const (
	NotEvaluated Outcome = iota
	Passed
	Failed
)

func (o Outcome) String() string {
	return [...]string{"not evaluated", "passed", "failed"}[o]
}

// Result is the outcome of one evaluation. It belongs to the Evaluator and is
// valid until its next call.
type Result struct {
	// Pass reports whether the candidate satisfies what the mode checks.
	Pass bool
	// TeamsOK reports whether every team's size is within its limits.
	TeamsOK bool
	// Rules holds the outcome of each rule, by index in the rule set.
	Rules []Outcome
	// Regions lists the regions where every latency rule passes, lowest
	// worst-player latency first. It is nil when the rule set has no latency
	// rule (every region is acceptable).
	Regions []RegionLatency
	// Age is the match age that drove the expansions (per the algorithm's
	// expansionAgeSelection), and Expansions the step in force for each
	// expansion, -1 where none has been reached yet.
	Age        time.Duration
	Expansions []int
	// Err is the first error an expr expression raised; its rule failed.
	Err error
}

// RegionLatency is a region acceptable to a match and the highest latency of
// its tickets there.
type RegionLatency struct {
	Region string
	MaxMs  float64
}

// Candidate is a match being built: tickets placed on teams. Adding and
// removing a ticket costs a slice append; evaluation reads the tickets'
// prepared values. A Candidate is not safe for concurrent use.
type Candidate struct {
	teams   [][]*Ticket
	players []int
}

// NewCandidate returns an empty candidate for the rule set's teams.
func (rs *RuleSet) NewCandidate() *Candidate {
	return &Candidate{teams: make([][]*Ticket, len(rs.teams)), players: make([]int, len(rs.teams))}
}

// Add places a ticket (all its players) on team i.
func (c *Candidate) Add(team int, t *Ticket) {
	c.teams[team] = append(c.teams[team], t)
	c.players[team] += len(t.players)
}

// RemoveLast takes the ticket added last to team i off it again.
func (c *Candidate) RemoveLast(team int) {
	n := len(c.teams[team])
	if n == 0 {
		return
	}
	c.players[team] -= len(c.teams[team][n-1].players)
	c.teams[team][n-1] = nil
	c.teams[team] = c.teams[team][:n-1]
}

// Reset empties the candidate, keeping its memory.
func (c *Candidate) Reset() {
	for i := range c.teams {
		clear(c.teams[i])
		c.teams[i] = c.teams[i][:0]
		c.players[i] = 0
	}
}

// Team returns the tickets on team i. The slice belongs to the candidate.
func (c *Candidate) Team(i int) []*Ticket { return c.teams[i] }

// TeamPlayers returns the number of players on team i.
func (c *Candidate) TeamPlayers(i int) int { return c.players[i] }

// Evaluator evaluates candidates against one RuleSet. It owns the scratch
// memory that makes evaluation allocation-free, so it is not safe for
// concurrent use: take one per goroutine.
type Evaluator struct {
	rs       *RuleSet
	machine  vm.VM
	sub      vm.VM
	arena    arena
	cand     *Candidate
	now      time.Time
	params   []ruleParams
	limits   []Team
	result   Result
	regions  []RegionLatency
	scratch  []RegionLatency
	view     View
	viewOK   bool
	selected []selectMemo
	vplayers []ViewPlayer
}

// NewEvaluator returns an Evaluator for the rule set.
func (rs *RuleSet) NewEvaluator() *Evaluator {
	e := &Evaluator{rs: rs, params: make([]ruleParams, len(rs.base)), limits: make([]Team, len(rs.teams))}
	e.result.Rules = make([]Outcome, len(rs.base))
	e.result.Expansions = make([]int, len(rs.plan.expansions))
	return e
}

// Evaluate checks candidate c at time now (which sets the tickets' ages, and
// so the expansions in force) in the given mode.
func (e *Evaluator) Evaluate(c *Candidate, now time.Time, mode Mode) *Result {
	rs := e.rs
	e.cand, e.now = c, now
	e.arena.reset()
	e.viewOK = false
	e.selected = e.selected[:0]
	r := &e.result
	clear(r.Rules)
	r.Err, r.Regions = nil, nil
	e.regions = e.regions[:0]
	r.Age = e.age(c, now)
	e.expand(r.Age)

	r.TeamsOK = true
	for i, t := range e.limits {
		n := c.players[i]
		if n > t.MaxPlayers || (mode == FinalCheck && n < t.MinPlayers) {
			r.TeamsOK = false
		}
	}
	if !r.TeamsOK && mode != ExplainAll {
		r.Pass = false
		return r
	}
	prog := rs.final
	switch mode {
	case PartialCheck:
		prog = rs.partial
	case ExplainAll:
		prog = rs.explain
	}
	out, err := e.machine.Run(prog, e)
	if err != nil {
		r.Pass = false
		if r.Err == nil {
			r.Err = fmt.Errorf("evaluate rule set %q: %w", rs.def.Name, err)
		}
		return r
	}
	r.Pass = out.(bool) && r.TeamsOK
	if len(rs.latencyRules) > 0 {
		r.Regions = e.regions
	}
	return r
}

// age is the candidate's age for expansions: that of its newest ticket, or
// of its oldest with expansionAgeSelection "oldest".
func (e *Evaluator) age(c *Candidate, now time.Time) time.Duration {
	oldest := e.rs.def.Algorithm.ExpansionAgeSelection == AgeOldest
	var pick time.Time
	for _, team := range c.teams {
		for _, t := range team {
			if pick.IsZero() || (oldest && t.Start.Before(pick)) || (!oldest && t.Start.After(pick)) {
				pick = t.Start
			}
		}
	}
	if pick.IsZero() || now.Before(pick) {
		return 0
	}
	return now.Sub(pick)
}

// expand sets the rule parameters and team limits in force at age.
func (e *Evaluator) expand(age time.Duration) {
	rs := e.rs
	copy(e.params, rs.base)
	copy(e.limits, rs.teams)
	secs := age.Seconds()
	for ei, x := range rs.plan.expansions {
		step := -1
		for si, s := range x.steps {
			if s.WaitTimeSeconds <= secs {
				step = si
			}
		}
		e.result.Expansions[ei] = step
		if step < 0 {
			continue
		}
		s := x.steps[step]
		if x.rule < 0 {
			for _, ti := range x.teams {
				if x.prop == "minPlayers" {
					e.limits[ti].MinPlayers = int(*s.Number)
				} else {
					e.limits[ti].MaxPlayers = int(*s.Number)
				}
			}
			continue
		}
		p := &e.params[x.rule]
		if x.prop == "referenceValue" {
			p.ref = rs.stepValues[ei][step]
			continue
		}
		v := *s.Number
		switch x.prop {
		case "minDistance":
			p.minDistance, p.hasMinDist = v, true
		case "maxDistance":
			p.maxDistance, p.hasMaxDist = v, true
		case "minCount":
			p.minCount, p.hasMinCount = v, true
		case "maxCount":
			p.maxCount, p.hasMaxCount = v, true
		case "maxLatency":
			p.maxLatency, p.hasMaxLatency = v, true
		}
	}
}

// TeamLimits returns the team sizes in force for a match of the given age,
// after team expansions.
func (rs *RuleSet) TeamLimits(age time.Duration, dst []Team) []Team {
	dst = append(dst[:0], rs.teams...)
	secs := age.Seconds()
	for _, x := range rs.plan.expansions {
		if x.rule >= 0 {
			continue
		}
		for _, s := range x.steps {
			if s.WaitTimeSeconds > secs {
				break
			}
			for _, ti := range x.teams {
				if x.prop == "minPlayers" {
					dst[ti].MinPlayers = int(*s.Number)
				} else {
					dst[ti].MaxPlayers = int(*s.Number)
				}
			}
		}
	}
	return dst
}

// SortKeys appends to dst the keys by which the rule set's sort rules
// (absoluteSort, distanceSort, in rule order) place ticket t relative to the
// anchor ticket of a match: compare keys lexicographically, lower first.
// Descending sorts negate their key; a ticket lacking a map key sorts last.
func (rs *RuleSet) SortKeys(anchor, t *Ticket, dst []float64) []float64 {
	for _, i := range rs.sortRules {
		rp := &rs.plan.rules[i]
		r := rp.def
		var av, tv float64
		if rp.attrType == TypeStringNumberMap {
			key := mapKeyOf(anchor.party[rp.attr][aggAvg], r.MapKey == "maxValue")
			var ok bool
			av, _ = partyMapValue(anchor, rp.attr, key, rp.agg)
			if tv, ok = partyMapValue(t, rp.attr, key, rp.agg); !ok {
				dst = append(dst, math.Inf(1))
				continue
			}
		} else {
			av, tv = anchor.party[rp.attr][rp.agg].num, t.party[rp.attr][rp.agg].num
		}
		k := tv
		if r.Type == RuleDistanceSort {
			k = math.Abs(tv - av)
		}
		if r.SortDirection == "descending" {
			k = -k
		}
		dst = append(dst, k)
	}
	return dst
}

// mapKeyOf picks the key of a map with the lowest (or highest) value; ties go
// to the alphabetically first key so that the choice is stable.
func mapKeyOf(v *val, highest bool) string {
	var best string
	bestV, found := 0.0, false
	for k, x := range v.m {
		if !found || (highest && x > bestV) || (!highest && x < bestV) || (x == bestV && k < best) {
			best, bestV, found = k, x, true
		}
	}
	return best
}

// partyMapValue aggregates the players' values of one key of a map attribute.
func partyMapValue(t *Ticket, attr int, key string, agg aggKind) (float64, bool) {
	sum, lo, hi, n := 0.0, math.Inf(1), math.Inf(-1), 0
	for _, p := range t.players {
		x, ok := p.attrs[attr].m[key]
		if !ok {
			continue
		}
		n++
		sum += x
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if n == 0 {
		return 0, false
	}
	switch agg {
	case aggMin:
		return lo, true
	case aggMax:
		return hi, true
	}
	return sum / float64(n), true
}
