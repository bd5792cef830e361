package rules

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

// Player is one player of a ticket, as the matchmaker holds it.
type Player struct {
	ID         string
	Attributes map[string]Value
	// Latencies maps a region (location) to the player's latency in
	// milliseconds there. Regions without a value are not considered.
	Latencies map[string]float64
}

// TicketSpec is a matchmaking ticket to prepare for evaluation: one player,
// or a party whose players are always matched together on one team.
type TicketSpec struct {
	ID       string
	Start    time.Time
	Players  []Player
	Backfill bool
}

// Ticket is a ticket prepared for one RuleSet: attributes resolved to the
// declared types with defaults applied, party aggregates and latencies
// computed once, so that evaluating candidates never looks a name up or
// allocates. A Ticket is immutable and may be shared by goroutines.
type Ticket struct {
	ID       string
	Start    time.Time
	Backfill bool

	players []preparedPlayer
	party   [][aggCount]*val // [attribute][partyAggregation]
	latency [3][]regionLatency
}

// aggCount is the number of aggKinds a ticket prepares aggregates for.
const aggCount = 5

type preparedPlayer struct {
	id    *val
	attrs []*val
	view  ViewPlayer
}

type regionLatency struct {
	region string
	ms     float64
}

// Players returns the number of players on the ticket.
func (t *Ticket) Players() int { return len(t.players) }

// PrepareTicket checks a ticket against the rule set's declared attributes and
// prepares it for evaluation. An error names the player and attribute: a
// value of the wrong type, or a missing attribute with no default (FlexMatch
// accepts such a ticket, but it can never match).
func (rs *RuleSet) PrepareTicket(spec TicketSpec) (*Ticket, error) {
	if len(spec.Players) == 0 {
		return nil, fmt.Errorf("ticket %s: players: at least one player is required", spec.ID)
	}
	attrs := rs.def.PlayerAttributes
	t := &Ticket{ID: spec.ID, Start: spec.Start, Backfill: spec.Backfill, players: make([]preparedPlayer, len(spec.Players))}
	for pi, p := range spec.Players {
		pp := &t.players[pi]
		pp.id = &val{kind: vStr, str: p.ID}
		pp.attrs = make([]*val, len(attrs))
		pp.view = ViewPlayer{ID: p.ID, Ticket: spec.ID, Attributes: make(map[string]any, len(p.Attributes)), Latencies: p.Latencies}
		for name, v := range p.Attributes {
			pp.view.Attributes[name] = v.native()
		}
		for ai, a := range attrs {
			v, ok := p.Attributes[a.Name]
			if !ok {
				if a.Default == nil {
					return nil, fmt.Errorf("ticket %s: players[%d] (%s): attribute %q is missing and the rule set declares no default", spec.ID, pi, p.ID, a.Name)
				}
				v = *a.Default
				pp.view.Attributes[a.Name] = v.native()
			}
			if v.Type != a.Type {
				return nil, fmt.Errorf("ticket %s: players[%d] (%s): attribute %q is a %s value; the rule set declares %s", spec.ID, pi, p.ID, a.Name, v.Type, a.Type)
			}
			if v.Type == TypeNumber && (math.IsNaN(v.N) || math.IsInf(v.N, 0)) {
				return nil, fmt.Errorf("ticket %s: players[%d] (%s): attribute %q is not a finite number", spec.ID, pi, p.ID, a.Name)
			}
			pp.attrs[ai] = valueOf(v)
		}
		for region, ms := range p.Latencies {
			if math.IsNaN(ms) || ms < 0 {
				return nil, fmt.Errorf("ticket %s: players[%d] (%s): latency for %q must be 0 or more", spec.ID, pi, p.ID, region)
			}
		}
	}
	t.party = make([][aggCount]*val, len(attrs))
	for ai, a := range attrs {
		t.party[ai] = partyAggregates(t.players, ai, a.Type)
	}
	t.latency = partyLatencies(spec.Players)
	return t, nil
}

// native converts a Value to the Go value the View exposes.
func (v Value) native() any {
	switch v.Type {
	case TypeString:
		return v.S
	case TypeNumber:
		return v.N
	case TypeStringList:
		return v.SL
	default:
		return v.SDM
	}
}

func valueOf(v Value) *val {
	switch v.Type {
	case TypeString:
		return &val{kind: vStr, str: v.S}
	case TypeNumber:
		return &val{kind: vNum, num: v.N}
	case TypeStringList:
		return &val{kind: vStrList, strs: dedupe(v.SL)}
	default:
		return &val{kind: vNumMap, m: v.SDM}
	}
}

// partyAggregates computes the values a party stands for under each
// partyAggregation. For a one-player ticket every aggregate is the player's
// own value.
func partyAggregates(players []preparedPlayer, ai int, t AttributeType) [aggCount]*val {
	var out [aggCount]*val
	first := players[0].attrs[ai]
	for k := range out {
		out[k] = first
	}
	if len(players) == 1 {
		return out
	}
	switch t {
	case TypeNumber:
		sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
		for _, p := range players {
			n := p.attrs[ai].num
			sum += n
			lo, hi = math.Min(lo, n), math.Max(hi, n)
		}
		out[aggAvg] = &val{kind: vNum, num: sum / float64(len(players))}
		out[aggMin] = &val{kind: vNum, num: lo}
		out[aggMax] = &val{kind: vNum, num: hi}
	case TypeStringList:
		union := map[string]bool{}
		var ulist []string
		for _, p := range players {
			for _, s := range p.attrs[ai].strs {
				if !union[s] {
					union[s] = true
					ulist = append(ulist, s)
				}
			}
		}
		var ilist []string
		for _, s := range ulist {
			all := true
			for _, p := range players {
				if !slices.Contains(p.attrs[ai].strs, s) {
					all = false
					break
				}
			}
			if all {
				ilist = append(ilist, s)
			}
		}
		out[aggUnion] = &val{kind: vStrList, strs: ulist}
		out[aggIntersection] = &val{kind: vStrList, strs: ilist}
	}
	return out
}

// partyLatencies aggregates the players' latencies per region, over the
// regions every player reported, sorted by region name.
func partyLatencies(players []Player) [3][]regionLatency {
	var out [3][]regionLatency
	regions := make([]string, 0, len(players[0].Latencies))
	for r := range players[0].Latencies {
		everyone := true
		for _, p := range players[1:] {
			if _, ok := p.Latencies[r]; !ok {
				everyone = false
				break
			}
		}
		if everyone {
			regions = append(regions, r)
		}
	}
	sort.Strings(regions)
	for _, k := range []aggKind{aggAvg, aggMin, aggMax} {
		out[k] = make([]regionLatency, len(regions))
		for i, r := range regions {
			sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
			for _, p := range players {
				ms := p.Latencies[r]
				sum += ms
				lo, hi = math.Min(lo, ms), math.Max(hi, ms)
			}
			v := sum / float64(len(players))
			if k == aggMin {
				v = lo
			} else if k == aggMax {
				v = hi
			}
			out[k][i] = regionLatency{region: r, ms: v}
		}
	}
	return out
}

// latencyIn returns the ticket's latency in region under aggregation k.
func (t *Ticket) latencyIn(k aggKind, region string) (float64, bool) {
	l := t.latency[k]
	lo, hi := 0, len(l)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if l[mid].region < region {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(l) && l[lo].region == region {
		return l[lo].ms, true
	}
	return 0, false
}
