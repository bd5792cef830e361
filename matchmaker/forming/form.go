package forming

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// Form runs one matchmaking pass: it forms the matches FlexMatch would form
// from the pool and backfill requests of in, under the compiled rule set, at
// time in.Now. A ticket appears in at most one match. Form reads its
// arguments only; the same arguments (and Options.Seed) give the same
// result. An error reports invalid input: a nil or duplicate ticket, or a
// backfill request that does not fit the rule set's teams.
func Form(rs *rules.RuleSet, in Input, opts Options) (Result, error) {
	if rs == nil {
		return Result{}, errors.New("forming: nil rule set")
	}
	if err := validate(rs, in); err != nil {
		return Result{}, err
	}
	f := newFormer(rs, in, opts)
	if f.def.Algorithm.Strategy == rules.StrategyBalanced {
		f.balanced()
	} else {
		f.exhaustive()
	}
	return f.result(), nil
}

func validate(rs *rules.RuleSet, in Input) error {
	if in.AdditionalPlayerCount < 0 {
		return fmt.Errorf("forming: additional player count is %d, must be 0 or more", in.AdditionalPlayerCount)
	}
	seen := make(map[string]bool, len(in.Tickets))
	for i, t := range in.Tickets {
		if t == nil || t.Ticket == nil {
			return fmt.Errorf("forming: tickets[%d] is nil", i)
		}
		if seen[t.ID] {
			return fmt.Errorf("forming: tickets[%d]: duplicate ticket id %q", i, t.ID)
		}
		seen[t.ID] = true
	}
	n := len(rs.Teams())
	for i, b := range in.Backfill {
		if len(b.Teams) != n {
			return fmt.Errorf("forming: backfill[%d] (%s): %d teams, the rule set has %d", i, b.ID, len(b.Teams), n)
		}
		if b.Open != nil && len(b.Open) != n {
			return fmt.Errorf("forming: backfill[%d] (%s): open slots for %d teams, the rule set has %d", i, b.ID, len(b.Open), n)
		}
		tickets := 0
		for ti, team := range b.Teams {
			for _, t := range team {
				if t == nil || t.Ticket == nil {
					return fmt.Errorf("forming: backfill[%d] (%s): teams[%d] holds a nil ticket", i, b.ID, ti)
				}
				tickets++
			}
			if b.Open != nil && b.Open[ti] < 0 {
				return fmt.Errorf("forming: backfill[%d] (%s): open[%d] is %d, must be 0 or more", i, b.ID, ti, b.Open[ti])
			}
		}
		if tickets == 0 {
			return fmt.Errorf("forming: backfill[%d] (%s): no current players", i, b.ID)
		}
	}
	return nil
}

// placed is a ticket of the candidate being built and its team. pool is the
// ticket's index in Input.Tickets, -1 for a backfill session's own tickets.
type placed struct {
	t    *Ticket
	team int
	pool int
}

// former holds the state of one Form call.
type former struct {
	rs   *rules.RuleSet
	def  *rules.Definition
	in   Input
	opts Options
	ev   *rules.Evaluator
	c    *rules.Candidate

	nTeams     int
	hasSort    bool
	hasLatency bool
	reserve    []int // slots kept open per team (AdditionalPlayerCount)
	used       []bool

	// The candidate being built around the current anchor.
	assign   []placed
	keep     int   // leading entries of assign never removed (anchor, session tickets)
	swapFrom int   // first entry of assign that may change team
	caps     []int // backfill: the most players per team; nil for a new match
	limits   []rules.Team
	budget   int
	order    []int
	saved    []int

	ruleSlot   []int // rule index -> metrics slot, -1 for sort rules
	metrics    []RuleMetric
	anchor     []RuleMetric
	anchorPool int                  // pool index of the current anchor, -1 for a backfill request
	kept       map[int][]RuleMetric // pool index -> its failed searches' outcomes
	evals      int
	population map[string]int // balanced largestPopulation: tickets accepting each region
	matches    []Match
}

func newFormer(rs *rules.RuleSet, in Input, opts Options) *former {
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.RepairBudget == 0 {
		opts.RepairBudget = DefaultRepairBudget
	}
	def := rs.Definition()
	f := &former{
		rs: rs, def: def, in: in, opts: opts,
		ev: rs.NewEvaluator(), c: rs.NewCandidate(),
		nTeams: len(rs.Teams()),
		used:   make([]bool, len(in.Tickets)),
	}
	f.reserve = reserveSlots(rs.Teams(), in.AdditionalPlayerCount)
	f.ruleSlot = make([]int, len(def.Rules))
	for i, r := range def.Rules {
		switch r.Type {
		case rules.RuleAbsoluteSort, rules.RuleDistanceSort:
			f.hasSort = true
			f.ruleSlot[i] = -1
			continue
		case rules.RuleLatency:
			f.hasLatency = true
		}
		f.ruleSlot[i] = len(f.metrics)
		f.metrics = append(f.metrics, RuleMetric{RuleName: r.Name})
	}
	f.anchor = slices.Clone(f.metrics)
	return f
}

// reserveSlots spreads n kept-open slots over the teams, one at a time to
// the team with the most slots left (the first such team on a tie).
func reserveSlots(teams []rules.Team, n int) []int {
	r := make([]int, len(teams))
	for ; n > 0; n-- {
		best := -1
		for i, t := range teams {
			if room := t.MaxPlayers - r[i]; room > 0 && (best < 0 || room > teams[best].MaxPlayers-r[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		r[best]++
	}
	return r
}

func (f *former) result() Result {
	unmatched := 0
	var kept []KeptOut
	for i, u := range f.used {
		if u {
			continue
		}
		unmatched++
		if m, ok := f.kept[i]; ok {
			kept = append(kept, KeptOut{Ticket: f.in.Tickets[i], Metrics: m})
		}
	}
	return Result{Matches: f.matches, Metrics: f.metrics, Unmatched: unmatched, Kept: kept, Evaluations: f.evals}
}

// done reports whether the pass has formed as many matches as allowed.
func (f *former) done() bool {
	return f.opts.MaxMatches > 0 && len(f.matches) >= f.opts.MaxMatches
}

// eval evaluates the candidate and counts the rule outcomes for the anchor.
func (f *former) eval(mode rules.Mode) *rules.Result {
	r := f.ev.Evaluate(f.c, f.in.Now, mode)
	f.evals++
	for i, o := range r.Rules {
		s := f.ruleSlot[i]
		switch {
		case s < 0:
		case o == rules.Passed:
			f.anchor[s].PassedCount++
		case o == rules.Failed:
			f.anchor[s].FailedCount++
		}
	}
	return r
}

// start empties the candidate for a new anchor, the pool ticket at index
// anchor (or a backfill request, anchor -1).
func (f *former) start(caps []int, anchor int) {
	f.anchorPool = anchor
	f.c.Reset()
	clear(f.assign)
	f.assign = f.assign[:0]
	f.caps = caps
	f.budget = f.opts.RepairBudget
	for i := range f.anchor {
		f.anchor[i].PassedCount, f.anchor[i].FailedCount = 0, 0
	}
	f.refresh()
}

// finish records the anchor's metrics and, when r is a passing final
// result, the match built.
func (f *former) finish(r *rules.Result, req *BackfillRequest) {
	for i, m := range f.anchor {
		f.metrics[i].PassedCount += m.PassedCount
		f.metrics[i].FailedCount += m.FailedCount
	}
	if r == nil {
		if f.anchorPool >= 0 {
			if f.kept == nil {
				f.kept = map[int][]RuleMetric{}
			}
			f.kept[f.anchorPool] = slices.Clone(f.anchor)
		}
		return
	}
	m := Match{Teams: make([][]*Ticket, f.nTeams), Backfill: req, Expansions: slices.Clone(r.Expansions), Metrics: slices.Clone(f.anchor)}
	for _, p := range f.assign {
		m.Teams[p.team] = append(m.Teams[p.team], p.t)
		if p.pool >= 0 {
			f.used[p.pool] = true
		}
	}
	m.Region, m.Regions = f.region(r, f.assign)
	f.matches = append(f.matches, m)
}

// refresh sets the team limits in force at the candidate's age, computed
// as rules.Evaluate does (newest or oldest ticket per expansionAgeSelection).
func (f *former) refresh() {
	oldest := f.def.Algorithm.ExpansionAgeSelection == rules.AgeOldest
	var pick time.Time
	for _, p := range f.assign {
		s := p.t.Start
		if pick.IsZero() || (oldest && s.Before(pick)) || (!oldest && s.After(pick)) {
			pick = s
		}
	}
	var age time.Duration
	if !pick.IsZero() && !f.in.Now.Before(pick) {
		age = f.in.Now.Sub(pick)
	}
	f.limits = f.rs.TeamLimits(age, f.limits)
}
