package forming

import (
	"slices"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// target is the number of players team i is filled to: its maxPlayers in
// force, less the slots AdditionalPlayerCount keeps open, or a backfill
// request's cap.
func (f *former) target(i int) int {
	max := f.limits[i].MaxPlayers
	if f.caps != nil {
		return min(max, f.caps[i])
	}
	return max - f.reserve[i]
}

// open is the number of players team i can still take.
func (f *former) open(i int) int { return f.target(i) - f.c.TeamPlayers(i) }

// full reports whether every team has reached its target.
func (f *former) full() bool {
	for i := range f.nTeams {
		if f.open(i) > 0 {
			return false
		}
	}
	return true
}

// maxOpen is the largest party any team can still take.
func (f *former) maxOpen() int {
	m := 0
	for i := range f.nTeams {
		m = max(m, f.open(i))
	}
	return m
}

// lowersMin reports whether kept-open slots bring a team's target below
// its minPlayers, in which case the target is the team's minimum.
func (f *former) lowersMin() bool {
	if f.caps != nil {
		return false
	}
	for i := range f.nTeams {
		if f.reserve[i] > 0 && f.limits[i].MinPlayers > f.target(i) {
			return true
		}
	}
	return false
}

// minOK reports whether every team has its minimum players.
func (f *former) minOK() bool {
	lower := f.lowersMin()
	for i := range f.nTeams {
		need := f.limits[i].MinPlayers
		if lower {
			need = min(need, max(f.target(i), 0))
		}
		if f.c.TeamPlayers(i) < need {
			return false
		}
	}
	return true
}

// finalCheck runs the final check on the candidate and returns the result
// when it passes. Where kept-open slots lower a team's minimum, every rule
// is checked (ExplainAll) and the minimums by minOK instead.
func (f *former) finalCheck() *rules.Result {
	if !f.minOK() {
		return nil
	}
	mode := rules.FinalCheck
	if f.lowersMin() {
		mode = rules.ExplainAll
	}
	if r := f.eval(mode); r.Pass {
		return r
	}
	return nil
}

// teams returns the teams that can take n more players, in the order to
// try them: the most open slots first (with fillMin, teams still below
// minPlayers before the others), then by index.
func (f *former) teams(n int, fillMin bool) []int {
	f.order = f.order[:0]
	for i := range f.nTeams {
		if f.open(i) >= n {
			f.order = append(f.order, i)
		}
	}
	below := func(i int) bool { return fillMin && f.c.TeamPlayers(i) < f.limits[i].MinPlayers }
	slices.SortStableFunc(f.order, func(a, b int) int {
		if ba, bb := below(a), below(b); ba != bb {
			if ba {
				return -1
			}
			return 1
		}
		return f.open(b) - f.open(a)
	})
	return f.order
}

// tryAdd adds ticket t (pool index pi) to the candidate if some team has
// room for its whole party and the partial check passes there. With
// prefer, when several teams would do, it takes the first where every rule
// already passes (ExplainAll), else the first that passes the partial
// check; without, it tries only the first team of the fill order.
func (f *former) tryAdd(t *Ticket, pi int, prefer bool) bool {
	order := f.teams(t.Players(), !prefer)
	if !prefer && len(order) > 1 {
		order = order[:1]
	}
	fallback := -1
	for k, team := range order {
		f.c.Add(team, t.Ticket)
		if f.eval(rules.PartialCheck).Pass {
			last := k == len(order)-1
			if len(order) == 1 || (last && fallback < 0) || f.eval(rules.ExplainAll).Pass {
				f.placed(t, team, pi)
				return true
			}
			if fallback < 0 {
				fallback = team
			}
		}
		f.c.RemoveLast(team)
	}
	if fallback < 0 {
		return false
	}
	f.c.Add(fallback, t.Ticket)
	f.placed(t, fallback, pi)
	return true
}

// placed records a ticket the candidate has taken.
func (f *former) placed(t *Ticket, team, pi int) {
	f.assign = append(f.assign, placed{t: t, team: team, pool: pi})
	f.refresh()
}

// popLast removes the ticket added last.
func (f *former) popLast() {
	last := f.assign[len(f.assign)-1]
	f.c.RemoveLast(last.team)
	f.assign[len(f.assign)-1] = placed{}
	f.assign = f.assign[:len(f.assign)-1]
	f.refresh()
}

// rebuild places the candidate's tickets again after teams changed, in the
// order they were added (so popLast stays valid).
func (f *former) rebuild() {
	f.c.Reset()
	for _, p := range f.assign {
		f.c.Add(p.team, p.t.Ticket)
	}
}

// grow adds the candidates in order until the teams are full and complete
// accepts the result; a full candidate that complete rejects loses its last
// ticket and the search goes on. When the candidates run out, the largest
// prefix of the tickets taken that complete accepts wins. It returns the
// passing final result, or nil.
func (f *former) grow(cands []int, prefer bool, complete func() *rules.Result) *rules.Result {
	for _, pi := range cands {
		t := f.in.Tickets[pi]
		if t.Players() > f.maxOpen() || !f.tryAdd(t, pi, prefer) {
			continue
		}
		if !f.full() {
			continue
		}
		if r := complete(); r != nil {
			return r
		}
		f.popLast()
	}
	for {
		if r := complete(); r != nil {
			return r
		}
		if len(f.assign) <= f.keep {
			return nil
		}
		f.popLast()
	}
}

// completeSearch is the exhaustive search's completion: the final check,
// then, if it fails, swaps of equal-sized tickets between teams within the
// repair budget. A backfill match needs at least one new ticket.
func (f *former) completeSearch() *rules.Result {
	if len(f.assign) <= f.keep && f.caps != nil {
		return nil
	}
	if !f.minOK() {
		return nil
	}
	if r := f.finalCheck(); r != nil {
		return r
	}
	return f.repair()
}

// repair swaps pairs of tickets with the same number of players between
// teams, keeping the first swap that makes the final check pass.
func (f *former) repair() *rules.Result {
	for i := f.swapFrom; i < len(f.assign); i++ {
		for j := i + 1; j < len(f.assign); j++ {
			a, b := &f.assign[i], &f.assign[j]
			if a.team == b.team || a.t.Players() != b.t.Players() {
				continue
			}
			if f.budget <= 0 {
				return nil
			}
			f.budget--
			a.team, b.team = b.team, a.team
			f.rebuild()
			if r := f.finalCheck(); r != nil {
				return r
			}
			a.team, b.team = b.team, a.team
			f.rebuild()
		}
	}
	return nil
}
