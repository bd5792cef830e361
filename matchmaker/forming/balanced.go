package forming

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// maxSwapPasses bounds the swap-improvement passes of balanceTeams.
const maxSwapPasses = 32

// balanced runs the balanced strategy: the pool is pre-sorted by region,
// each unmatched ticket in that order anchors a potential match filled
// from the tickets that follow (its own region first), teams are filled in
// FlexMatch's order and then rebalanced on the balanced attribute.
// Backfill requests go first unless backfillPriority is low.
func (f *former) balanced() {
	home := f.homes()
	order := f.regionOrder(home)
	var reqs []item
	for _, it := range f.items() {
		if it.req >= 0 {
			reqs = append(reqs, it)
		}
	}
	slices.SortFunc(reqs, f.byAge)
	low := f.def.Algorithm.BackfillPriority == rules.BackfillLow
	if !low {
		f.backfills(reqs, order)
	}
	var cands []int
	for _, ai := range order {
		if f.done() {
			return
		}
		if f.used[ai] {
			continue
		}
		cands = cands[:0]
		for pass := range 2 {
			for _, pi := range order {
				if pi != ai && !f.used[pi] && (home[pi] == home[ai]) == (pass == 0) && len(cands) < f.opts.BatchSize {
					cands = append(cands, pi)
				}
			}
		}
		f.start(nil, ai)
		f.keep, f.swapFrom = 1, 0
		if !f.tryAdd(f.in.Tickets[ai], ai, false) {
			f.finish(nil, nil)
			continue
		}
		f.finish(f.grow(cands, false, f.completeBalanced), nil)
	}
	if low {
		f.backfills(reqs, order)
	}
}

// backfills serves backfill requests from the unmatched tickets, in order.
func (f *former) backfills(reqs []item, order []int) {
	var cands []int
	for _, it := range reqs {
		if f.done() {
			return
		}
		cands = cands[:0]
		for _, pi := range order {
			if !f.used[pi] && len(cands) < f.opts.BatchSize {
				cands = append(cands, pi)
			}
		}
		f.backfill(&f.in.Backfill[it.req], cands)
	}
}

// homes returns each pool ticket's home region, "" for none: its fastest
// acceptable region under fastestRegion, or under largestPopulation the
// acceptable region most tickets accept. A region is acceptable when the
// ticket alone passes the latency rules there; without latency rules,
// every region the ticket's players all reported is.
func (f *former) homes() []string {
	acc := make([][]rules.RegionLatency, len(f.in.Tickets))
	for i, t := range f.in.Tickets {
		acc[i] = f.acceptable(t)
	}
	largest := f.def.Algorithm.BatchingPreference != rules.BatchFastestRegion
	if largest {
		f.population = map[string]int{}
		for _, regs := range acc {
			for _, r := range regs {
				f.population[r.Region]++
			}
		}
	}
	home := make([]string, len(acc))
	for i, regs := range acc {
		for _, r := range regs {
			if home[i] == "" || (largest && f.population[r.Region] > f.population[home[i]]) {
				home[i] = r.Region
			}
		}
	}
	return home
}

// acceptable lists the regions acceptable to the ticket alone, fastest
// first.
func (f *former) acceptable(t *Ticket) []rules.RegionLatency {
	if !f.hasLatency {
		out := slices.Clone(t.latency)
		slices.SortFunc(out, byLatency)
		return out
	}
	f.c.Reset()
	for i, team := range f.rs.Teams() {
		if team.MaxPlayers >= t.Players() {
			f.c.Add(i, t.Ticket)
			r := f.ev.Evaluate(f.c, f.in.Now, rules.PartialCheck)
			f.evals++
			f.c.Reset()
			if r.Pass {
				return slices.Clone(r.Regions)
			}
			return nil
		}
	}
	return nil
}

// regionOrder sorts the pool by home region (the regions with the most
// tickets first, tickets without a region last), then by age.
func (f *former) regionOrder(home []string) []int {
	size := map[string]int{}
	for _, h := range home {
		if f.population != nil {
			size[h] = f.population[h]
		} else {
			size[h]++
		}
	}
	size[""] = -1
	order := make([]int, len(home))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		ha, hb := home[a], home[b]
		if c := cmp.Compare(size[hb], size[ha]); c != 0 {
			return c
		}
		if c := strings.Compare(ha, hb); c != 0 {
			return c
		}
		ta, tb := f.in.Tickets[a], f.in.Tickets[b]
		if c := ta.Start.Compare(tb.Start); c != 0 {
			return c
		}
		return strings.Compare(ta.ID, tb.ID)
	})
	return order
}

// completeBalanced is the balanced strategy's completion: the teams as
// filled are rebalanced on the balanced attribute and final-checked; if
// that fails, the teams as filled are.
func (f *former) completeBalanced() *rules.Result {
	if !f.minOK() {
		return nil
	}
	f.saved = f.saved[:0]
	for _, p := range f.assign {
		f.saved = append(f.saved, p.team)
	}
	f.balanceTeams()
	if r := f.finalCheck(); r != nil {
		return r
	}
	changed := false
	for i, team := range f.saved {
		changed = changed || f.assign[i].team != team
		f.assign[i].team = team
	}
	if !changed {
		return nil
	}
	f.rebuild()
	return f.finalCheck()
}

// balanceTeams reassigns the candidate's tickets so that the teams'
// averages of the balanced attribute are as even as possible, keeping each
// team's number of players: parties whole, largest parties and values
// first, each to the team with the lowest sum per final size that has
// room, then swaps of equal-sized tickets between teams while a swap
// brings the teams' averages closer to the match average.
func (f *former) balanceTeams() {
	n := f.nTeams
	size := make([]int, n)
	total, players := 0.0, 0
	for _, p := range f.assign {
		size[p.team] += p.t.Players()
		total += p.t.balance
		players += p.t.Players()
	}
	idx := make([]int, len(f.assign))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		ta, tb := f.assign[a].t, f.assign[b].t
		if c := cmp.Compare(tb.Players(), ta.Players()); c != 0 {
			return c
		}
		return cmp.Compare(tb.balance, ta.balance)
	})
	cnt := make([]int, n)
	sum := make([]float64, n)
	for _, i := range idx {
		p := &f.assign[i]
		k := p.t.Players()
		best := -1
		for pass := 0; pass < 2 && best < 0; pass++ {
			for t := range n {
				room := size[t] - cnt[t]
				if pass == 1 {
					room = f.limits[t].MaxPlayers - cnt[t]
				}
				if room < k {
					continue
				}
				if best < 0 || sum[t]/float64(max(size[t], 1)) < sum[best]/float64(max(size[best], 1)) {
					best = t
				}
			}
		}
		if best < 0 {
			best = p.team
		}
		p.team = best
		cnt[best] += k
		sum[best] += p.t.balance
	}
	f.swapImprove(cnt, sum, total/float64(max(players, 1)))
	f.rebuild()
}

// swapImprove swaps tickets of equal size between teams while that lowers
// the sum over teams of size x (team average - mean)^2.
func (f *former) swapImprove(cnt []int, sum []float64, mean float64) {
	cost := func(s float64, c int) float64 {
		if c == 0 {
			return 0
		}
		d := s - float64(c)*mean
		return d * d / float64(c)
	}
	for range maxSwapPasses {
		improved := false
		for i := range f.assign {
			for j := i + 1; j < len(f.assign); j++ {
				a, b := &f.assign[i], &f.assign[j]
				if a.team == b.team || a.t.Players() != b.t.Players() {
					continue
				}
				ta, tb := a.team, b.team
				d := b.t.balance - a.t.balance
				before := cost(sum[ta], cnt[ta]) + cost(sum[tb], cnt[tb])
				after := cost(sum[ta]+d, cnt[ta]) + cost(sum[tb]-d, cnt[tb])
				if after < before-1e-9*math.Max(1, before) {
					a.team, b.team = tb, ta
					sum[ta] += d
					sum[tb] -= d
					improved = true
				}
			}
		}
		if !improved {
			return
		}
	}
}
