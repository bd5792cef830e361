package forming

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// item is an entry of the pool's order: a ticket (pool >= 0) or a backfill
// request (req >= 0).
type item struct {
	pool, req int
	start     time.Time
	id        string
	first     *Ticket // the ticket that stands for the item in sorts
}

// items lists the pool's tickets and the backfill requests.
func (f *former) items() []item {
	out := make([]item, 0, len(f.in.Tickets)+len(f.in.Backfill))
	for i, t := range f.in.Tickets {
		out = append(out, item{pool: i, req: -1, start: t.Start, id: t.ID, first: t})
	}
	for j := range f.in.Backfill {
		b := &f.in.Backfill[j]
		it := item{pool: -1, req: j, id: b.ID}
		for _, team := range b.Teams {
			for _, t := range team {
				if it.first == nil {
					it.first = t
				}
				if it.start.IsZero() || t.Start.Before(it.start) {
					it.start = t.Start
				}
			}
		}
		out = append(out, it)
	}
	return out
}

// priority is the item's class under backfillPriority: lower goes first.
func (f *former) priority(it item) int {
	switch f.def.Algorithm.BackfillPriority {
	case rules.BackfillHigh:
		if it.req >= 0 {
			return 0
		}
		return 1
	case rules.BackfillLow:
		if it.req >= 0 {
			return 1
		}
	}
	return 0
}

// byAge orders items by backfill priority, then age (oldest first), then id.
func (f *former) byAge(a, b item) int {
	if c := cmp.Compare(f.priority(a), f.priority(b)); c != 0 {
		return c
	}
	if c := a.start.Compare(b.start); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// batches splits the items into batches of at most BatchSize, as even as
// possible: shuffled for the random preference, in sortByAttributes order
// for sorted. Each batch is then ordered by priority and age.
func (f *former) batches(items []item) [][]item {
	slices.SortFunc(items, f.byAge)
	if f.def.Algorithm.BatchingPreference == rules.BatchSorted {
		slices.SortStableFunc(items, func(a, b item) int { return compareSortKeys(a.first.sortKey, b.first.sortKey) })
	} else if len(items) > f.opts.BatchSize {
		rng := rand.New(rand.NewPCG(f.opts.Seed, f.opts.Seed^0x9e3779b97f4a7c15))
		rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	}
	n := (len(items) + f.opts.BatchSize - 1) / f.opts.BatchSize
	var out [][]item
	for i := range n {
		b := items[i*len(items)/n : (i+1)*len(items)/n]
		slices.SortFunc(b, f.byAge)
		out = append(out, b)
	}
	return out
}

// exhaustive runs the exhaustiveSearch strategy: in each batch, every
// unmatched ticket or backfill request in turn anchors a match built from
// the batch's other unmatched tickets.
func (f *former) exhaustive() {
	var cands []int
	var keys []float64
	for _, batch := range f.batches(f.items()) {
		for _, it := range batch {
			if f.done() {
				return
			}
			if it.pool >= 0 && f.used[it.pool] {
				continue
			}
			cands = cands[:0]
			for _, c := range batch {
				if c.pool >= 0 && c.pool != it.pool && !f.used[c.pool] {
					cands = append(cands, c.pool)
				}
			}
			if f.hasSort {
				cands, keys = f.sortCandidates(it.first, cands, keys)
			}
			if it.req >= 0 {
				f.backfill(&f.in.Backfill[it.req], cands)
				continue
			}
			f.start(nil, it.pool)
			f.keep, f.swapFrom = 1, 0
			if !f.tryAdd(f.in.Tickets[it.pool], it.pool, true) {
				f.finish(nil, nil)
				continue
			}
			f.finish(f.grow(cands, true, f.completeSearch), nil)
		}
	}
}

// sortCandidates orders the candidates by the rule set's sort rules
// relative to the anchor (keys compared lexicographically), keeping age
// order among equal keys.
func (f *former) sortCandidates(anchor *Ticket, cands []int, keys []float64) ([]int, []float64) {
	if len(cands) == 0 {
		return cands, keys
	}
	keys = keys[:0]
	for _, pi := range cands {
		keys = f.rs.SortKeys(anchor.Ticket, f.in.Tickets[pi].Ticket, keys)
	}
	k := len(keys) / len(cands)
	perm := make([]int, len(cands))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(a, b int) int {
		return slices.Compare(keys[a*k:a*k+k], keys[b*k:b*k+k])
	})
	sorted := make([]int, len(cands))
	for i, p := range perm {
		sorted[i] = cands[p]
	}
	copy(cands, sorted)
	return cands, keys
}

// backfill builds a match for a backfill request: the session's tickets
// stay on their teams, and candidates fill the open slots.
func (f *former) backfill(req *BackfillRequest, cands []int) {
	caps := make([]int, f.nTeams)
	for i, team := range req.Teams {
		caps[i] = math.MaxInt
		if req.Open != nil {
			caps[i] = req.Open[i]
			for _, t := range team {
				caps[i] += t.Players()
			}
		}
	}
	f.start(caps, -1)
	for i, team := range req.Teams {
		for _, t := range team {
			f.c.Add(i, t.Ticket)
			f.assign = append(f.assign, placed{t: t, team: i, pool: -1})
		}
	}
	f.refresh()
	f.keep, f.swapFrom = len(f.assign), len(f.assign)
	f.finish(f.grow(cands, true, f.completeSearch), req)
}
