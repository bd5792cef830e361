package forming

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// region chooses where a match is placed. With latency rules the choices
// are the regions where every latency rule passes (r.Regions, lowest
// worst-ticket latency first); without, the regions every ticket reported,
// ordered the same way. The first is chosen, except under balanced
// largestPopulation, which takes the choice most of the pool accepts.
func (f *former) region(r *rules.Result, ps []placed) (string, []rules.RegionLatency) {
	var choices, regions []rules.RegionLatency
	if f.hasLatency {
		regions = slices.Clone(r.Regions)
		choices = regions
	} else {
		choices = commonRegions(ps)
	}
	if len(choices) == 0 {
		return "", regions
	}
	best := 0
	for i, c := range choices {
		if f.population[c.Region] > f.population[choices[best].Region] {
			best = i
		}
	}
	return choices[best].Region, regions
}

// commonRegions lists the regions every ticket reported, with the highest
// latency of any player there, lowest first.
func commonRegions(ps []placed) []rules.RegionLatency {
	seen := map[string]rules.RegionLatency{}
	count := map[string]int{}
	for _, p := range ps {
		for _, l := range p.t.latency {
			s := seen[l.Region]
			s.Region, s.MaxMs = l.Region, math.Max(s.MaxMs, l.MaxMs)
			seen[l.Region] = s
			count[l.Region]++
		}
	}
	var out []rules.RegionLatency
	for region, s := range seen {
		if count[region] == len(ps) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, byLatency)
	return out
}

// byLatency orders regions by latency, then name.
func byLatency(a, b rules.RegionLatency) int {
	if c := cmp.Compare(a.MaxMs, b.MaxMs); c != 0 {
		return c
	}
	return strings.Compare(a.Region, b.Region)
}
