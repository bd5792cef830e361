package rules

import (
	"fmt"
	"math"
	"slices"

	"github.com/expr-lang/expr"
)

// The mp_ functions are the runtime of compiled rule sets: the generated expr
// program calls them with the Evaluator as $env. They trust their arguments,
// which the generator and the analyzer have checked.
func runtimeFunctions() []expr.Option {
	fns := map[string]func(e *Evaluator, args []any) any{
		"mp_lit":     func(e *Evaluator, a []any) any { return e.rs.literals[a[1].(int)] },
		"mp_teams":   (*Evaluator).selectTeams,
		"mp_players": func(e *Evaluator, a []any) any { return e.selectPlayers(a[1].(int), nil, -1, 0) },
		"mp_ids":     func(e *Evaluator, a []any) any { return e.selectPlayers(a[1].(int), playerID, -1, 0) },
		"mp_attr": func(e *Evaluator, a []any) any {
			return e.selectPlayers(a[1].(int), nil, a[2].(int), aggKind(a[3].(int)))
		},
		"mp_avg":              aggregateFn("avg"),
		"mp_min":              aggregateFn("min"),
		"mp_max":              aggregateFn("max"),
		"mp_sum":              aggregateFn("sum"),
		"mp_median":           aggregateFn("median"),
		"mp_stddev":           aggregateFn("stddev"),
		"mp_count":            func(e *Evaluator, a []any) any { return e.arena.count(a[1].(*val)) },
		"mp_flatten":          func(e *Evaluator, a []any) any { return e.arena.flatten(a[1].(*val)) },
		"mp_set_intersection": func(e *Evaluator, a []any) any { return e.arena.setIntersection(a[1].(*val)) },
		"mp_concat":           (*Evaluator).concat,
		"mp_operand":          (*Evaluator).operand,
		"mp_comparison":       (*Evaluator).comparison,
		"mp_distance":         (*Evaluator).distance,
		"mp_collection":       (*Evaluator).collection,
		"mp_batch":            (*Evaluator).batch,
		"mp_latency":          (*Evaluator).latency,
		"mp_expression":       (*Evaluator).expression,
		"mp_record":           func(e *Evaluator, a []any) any { return e.record(a[1].(int), a[2].(bool)) },
		"mp_outcome":          func(e *Evaluator, a []any) any { return e.result.Rules[a[1].(int)] == Passed },
		"mp_all":              (*Evaluator).all,
	}
	opts := make([]expr.Option, 0, len(fns)+1)
	for name, fn := range fns {
		opts = append(opts, expr.Function(name, func(args ...any) (any, error) {
			return fn(args[0].(*Evaluator), args), nil
		}))
	}
	opts = append(opts, expr.Function("mp_xor", func(args ...any) (any, error) {
		n := 0
		for _, a := range args {
			if a.(bool) {
				n++
			}
		}
		return n == 1, nil
	}))
	return opts
}

// playerID marks a selection of player ids rather than attributes.
var playerID = &val{}

func aggregateFn(name string) func(e *Evaluator, a []any) any {
	return func(e *Evaluator, a []any) any { return e.arena.aggregate(name, a[1].(*val)) }
}

func (e *Evaluator) record(rule int, pass bool) bool {
	if pass {
		e.result.Rules[rule] = Passed
	} else {
		e.result.Rules[rule] = Failed
	}
	return pass
}

func (e *Evaluator) all(_ []any) any {
	for i := range e.rs.plan.rules {
		rp := &e.rs.plan.rules[i]
		if rp.referenced || rp.def.Type == RuleAbsoluteSort || rp.def.Type == RuleDistanceSort {
			continue
		}
		if e.result.Rules[i] != Passed {
			return false
		}
	}
	return true
}

func (e *Evaluator) teamsOf(s *selection) int {
	if s.teams == nil {
		return len(e.cand.teams)
	}
	return len(s.teams)
}

func (e *Evaluator) teamAt(s *selection, i int) int {
	if s.teams == nil {
		return i
	}
	return s.teams[i]
}

func (e *Evaluator) selectTeams(a []any) any {
	s := &e.rs.selections[a[1].(int)]
	if s.flat {
		return teamVal
	}
	out := e.arena.list(e.teamsOf(s))
	for i := 0; i < e.teamsOf(s); i++ {
		out.list = append(out.list, teamVal)
	}
	return out
}

// selectPlayers lists, for the selection's teams, each player's value: its
// id (what == playerID), a placeholder (what == nil, attr < 0) or attribute
// attr under party aggregation agg.
func (e *Evaluator) selectPlayers(sel int, what *val, attr int, agg aggKind) *val {
	key := selectKey{sel: sel, attr: attr, agg: agg, ids: what == playerID}
	for _, m := range e.selected {
		if m.key == key {
			return m.v
		}
	}
	v := e.buildSelection(sel, what, attr, agg)
	e.selected = append(e.selected, selectMemo{key, v})
	return v
}

// selectKey identifies a selection within one evaluation: rules often read
// the same players' values twice (a measurement and its reference).
type selectKey struct {
	sel, attr int
	agg       aggKind
	ids       bool
}

type selectMemo struct {
	key selectKey
	v   *val
}

func (e *Evaluator) buildSelection(sel int, what *val, attr int, agg aggKind) *val {
	s := &e.rs.selections[sel]
	var attrType AttributeType
	if attr >= 0 {
		attrType = e.rs.def.PlayerAttributes[attr].Type
	}
	fill := func(dst *val, team int) {
		for _, t := range e.cand.teams[team] {
			for pi := range t.players {
				p := &t.players[pi]
				switch {
				case what == playerID:
					dst.list = append(dst.list, p.id)
				case attr < 0:
					dst.list = append(dst.list, playerVal)
				case aggApplies(attrType, agg):
					dst.list = append(dst.list, t.party[attr][agg])
				default:
					dst.list = append(dst.list, p.attrs[attr])
				}
			}
		}
	}
	n := e.teamsOf(s)
	if s.flat {
		total := 0
		for i := 0; i < n; i++ {
			total += e.cand.players[e.teamAt(s, i)]
		}
		out := e.arena.list(total)
		for i := 0; i < n; i++ {
			fill(out, e.teamAt(s, i))
		}
		return out
	}
	out := e.arena.list(n)
	for i := 0; i < n; i++ {
		team := e.teamAt(s, i)
		sub := e.arena.list(e.cand.players[team])
		fill(sub, team)
		out.list = append(out.list, sub)
	}
	return out
}

func aggApplies(t AttributeType, agg aggKind) bool {
	switch t {
	case TypeNumber:
		return agg == aggAvg || agg == aggMin || agg == aggMax
	case TypeStringList:
		return agg == aggUnion || agg == aggIntersection
	}
	return false
}

func (e *Evaluator) concat(a []any) any {
	n := 0
	for _, x := range a[1:] {
		if v := x.(*val); v.kind == vList {
			n += len(v.list)
		} else {
			n++
		}
	}
	out := e.arena.list(n)
	for _, x := range a[1:] {
		if v := x.(*val); v.kind == vList {
			out.list = append(out.list, v.list...)
		} else {
			out.list = append(out.list, v)
		}
	}
	return out
}

// reference returns the reference value in force for rule i: an expanded
// literal, or the evaluated referenceValue argument.
func (e *Evaluator) reference(i int, arg any) *val {
	if p := e.params[i].ref; p != nil {
		return p
	}
	if v, ok := arg.(*val); ok {
		return v
	}
	return nil
}

func (e *Evaluator) comparison(a []any) any {
	i, m := a[1].(int), a[2].(*val)
	ref := e.reference(i, a[3])
	op := e.rs.plan.rules[i].def.Operation
	pass := true
	if ref == nil {
		pass = compareAcross(m, op == "=")
	} else if ref.kind == vNull {
		pass = !hasLeaves(m)
	} else {
		leaves(m, func(x *val) {
			if pass && x.kind != vNull && !compare(x, op, ref) {
				pass = false
			}
		})
	}
	return e.record(i, pass)
}

func hasLeaves(m *val) bool {
	found := false
	leaves(m, func(x *val) { found = found || x.kind != vNull })
	return found
}

// compareAcross checks that all measured values are equal (or, with equal
// false, that no two are).
func compareAcross(m *val, equal bool) bool {
	var flat [64]*val
	all := flat[:0]
	leaves(m, func(x *val) {
		if x.kind != vNull {
			all = append(all, x)
		}
	})
	for i := 1; i < len(all); i++ {
		if equal {
			if !compare(all[i], "=", all[0]) {
				return false
			}
			continue
		}
		for j := 0; j < i; j++ {
			if compare(all[i], "=", all[j]) {
				return false
			}
		}
	}
	return true
}

func compare(x *val, op string, ref *val) bool {
	if x.kind == vStr || ref.kind == vStr {
		eq := x.kind == ref.kind && x.str == ref.str
		switch op {
		case "=":
			return eq
		case "!=":
			return !eq
		}
		return false
	}
	a, b := x.num, ref.num
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	default:
		return a >= b
	}
}

func (e *Evaluator) distance(a []any) any {
	i, m := a[1].(int), a[2].(*val)
	ref := e.reference(i, a[3])
	p := &e.params[i]
	pass := true
	if ref == nil || ref.kind != vNum {
		pass = !hasLeaves(m)
	} else {
		leaves(m, func(x *val) {
			if !pass || x.kind != vNum {
				return
			}
			d := math.Abs(x.num - ref.num)
			if (p.hasMinDist && d < p.minDistance) || (p.hasMaxDist && d > p.maxDistance) {
				pass = false
			}
		})
	}
	return e.record(i, pass)
}

func (p *ruleParams) countOK(n int) bool {
	c := float64(n)
	return (!p.hasMinCount || c >= p.minCount) && (!p.hasMaxCount || c <= p.maxCount)
}

// strsOf views a string or string list value as a list of strings.
func strsOf(v *val, one *[1]string) []string {
	if v.kind == vStr {
		one[0] = v.str
		return one[:]
	}
	return v.strs
}

func (e *Evaluator) collection(a []any) any {
	i, m := a[1].(int), a[2].(*val)
	ref := e.reference(i, a[3])
	p := &e.params[i]
	pass := true
	var one, refOne [1]string
	switch e.rs.plan.rules[i].def.Operation {
	case OpIntersection:
		var stack [64]*val
		lists := stack[:0]
		leaves(m, func(x *val) {
			if x.kind == vStr || x.kind == vStrList {
				lists = append(lists, x)
			}
		})
		count := 0
		if len(lists) > 0 {
			var a, b [1]string
			for _, s := range strsOf(lists[0], &a) {
				inAll := true
				for _, o := range lists[1:] {
					if !slices.Contains(strsOf(o, &b), s) {
						inAll = false
						break
					}
				}
				if inAll {
					count++
				}
			}
		}
		pass = p.countOK(count)
	case OpContains:
		count := 0
		if ref != nil && ref.kind == vStr {
			leaves(m, func(x *val) {
				if (x.kind == vStrList && slices.Contains(x.strs, ref.str)) || (x.kind == vStr && x.str == ref.str) {
					count++
				}
			})
		}
		pass = p.countOK(count)
	default: // reference_intersection_count
		var refs []string
		if ref != nil {
			if ref.kind == vStr || ref.kind == vStrList {
				refs = strsOf(ref, &refOne)
			} else {
				flat := e.arena.strList(0)
				leaves(ref, func(x *val) {
					if x.kind == vStr || x.kind == vStrList {
						flat.strs = append(flat.strs, strsOf(x, &one)...)
					}
				})
				refs = flat.strs
			}
		}
		leaves(m, func(x *val) {
			if !pass || (x.kind != vStr && x.kind != vStrList) {
				return
			}
			count := 0
			for _, s := range strsOf(x, &one) {
				if slices.Contains(refs, s) {
					count++
				}
			}
			pass = p.countOK(count)
		})
	}
	return e.record(i, pass)
}

func (e *Evaluator) batch(a []any) any {
	i := a[1].(int)
	rp := &e.rs.plan.rules[i]
	p := &e.params[i]
	lo, hi := math.Inf(1), math.Inf(-1)
	var str string
	first, pass := true, true
	for _, team := range e.cand.teams {
		for _, t := range team {
			if rp.attrType == TypeString {
				s := t.players[0].attrs[rp.attr].str
				if !first && s != str {
					pass = false
				}
				str, first = s, false
				continue
			}
			x := t.party[rp.attr][rp.agg].num
			lo, hi = minf(lo, x), maxf(hi, x)
		}
	}
	if rp.attrType == TypeNumber && hi-lo > p.maxDistance {
		pass = false
	}
	return e.record(i, pass)
}

// latency checks rule i per region: a region qualifies when every ticket
// reported a latency there within maxLatency and within maxDistance of the
// distance reference. The rule passes when some region qualifies for it and
// for every latency rule evaluated before it; those regions become the
// Result's Regions.
func (e *Evaluator) latency(a []any) any {
	i := a[1].(int)
	rp := &e.rs.plan.rules[i]
	p := &e.params[i]
	var anchor *Ticket
	for _, team := range e.cand.teams {
		if len(team) > 0 {
			anchor = team[0]
			break
		}
	}
	if anchor == nil {
		return e.record(i, true)
	}
	firstRule := !e.anyLatencyEvaluated(i)
	e.scratch = e.scratch[:0]
	for _, rl := range anchor.latency[rp.agg] {
		worst, best, sum, n, ok := 0.0, math.Inf(1), 0.0, 0, true
		for _, team := range e.cand.teams {
			for _, t := range team {
				ms, found := t.latencyIn(rp.agg, rl.region)
				if !found || (p.hasMaxLatency && ms > p.maxLatency) {
					ok = false
					break
				}
				worst, best, sum, n = maxf(worst, ms), minf(best, ms), sum+ms, n+1
			}
			if !ok {
				break
			}
		}
		if ok && p.hasMaxDist {
			ref := best
			if rp.def.DistanceReference == "avg" {
				ref = sum / float64(n)
			}
			ok = worst-ref <= p.maxDistance
		}
		if ok && (firstRule || hasRegion(e.regions, rl.region)) {
			e.scratch = append(e.scratch, RegionLatency{Region: rl.region, MaxMs: worst})
		}
	}
	e.regions, e.scratch = e.scratch, e.regions
	sortRegions(e.regions)
	return e.record(i, len(e.regions) > 0)
}

// anyLatencyEvaluated reports whether a latency rule before rule i has run in
// this evaluation.
func (e *Evaluator) anyLatencyEvaluated(i int) bool {
	for _, j := range e.rs.latencyRules {
		if j == i {
			return false
		}
		if e.result.Rules[j] != NotEvaluated {
			return true
		}
	}
	return false
}

func hasRegion(l []RegionLatency, region string) bool {
	for _, r := range l {
		if r.Region == region {
			return true
		}
	}
	return false
}

func sortRegions(l []RegionLatency) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && (l[j].MaxMs < l[j-1].MaxMs || (l[j].MaxMs == l[j-1].MaxMs && l[j].Region < l[j-1].Region)); j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}

// buildView fills the View for expr expressions, once per evaluation.
func (e *Evaluator) buildView() *View {
	if e.viewOK {
		return &e.view
	}
	v := &e.view
	total := 0
	for _, n := range e.cand.players {
		total += n
	}
	if cap(e.vplayers) < total {
		e.vplayers = make([]ViewPlayer, total)
	}
	e.vplayers = e.vplayers[:total]
	v.Teams = v.Teams[:0]
	v.Players = v.Players[:0]
	v.Tickets = v.Tickets[:0]
	k := 0
	for ti, team := range e.cand.teams {
		name := e.rs.teams[ti].Name
		start := len(v.Players)
		for _, t := range team {
			age := e.now.Sub(t.Start).Seconds()
			tstart := len(v.Players)
			for pi := range t.players {
				vp := &e.vplayers[k]
				k++
				*vp = t.players[pi].view
				vp.Team, vp.Age = name, age
				v.Players = append(v.Players, vp)
			}
			v.Tickets = append(v.Tickets, ViewTicket{ID: t.ID, Team: name, Age: age, Players: v.Players[tstart:len(v.Players):len(v.Players)]})
		}
		v.Teams = append(v.Teams, ViewTeam{Name: name, Players: v.Players[start:len(v.Players):len(v.Players)]})
	}
	e.viewOK = true
	return v
}

func (e *Evaluator) expression(a []any) any {
	i := a[1].(int)
	out, err := e.sub.Run(e.rs.exprRules[i], e.buildView())
	if err != nil {
		if e.result.Err == nil {
			e.result.Err = fmt.Errorf("rules[%d] %s: %w", i, e.rs.plan.rules[i].def.Name, err)
		}
		return e.record(i, false)
	}
	return e.record(i, out == true)
}

func (e *Evaluator) operand(a []any) any {
	out, err := e.sub.Run(e.rs.operands[a[1].(int)], e.buildView())
	if err != nil {
		if e.result.Err == nil {
			e.result.Err = fmt.Errorf("expr operand: %w", err)
		}
		return nullVal
	}
	return e.fromNative(out)
}

// fromNative converts what an expr expression returned into a value.
func (e *Evaluator) fromNative(x any) *val {
	switch v := x.(type) {
	case float64:
		return e.arena.num(v)
	case int:
		return e.arena.num(float64(v))
	case string:
		e.arena.vals = append(e.arena.vals, val{kind: vStr, str: v})
		return &e.arena.vals[len(e.arena.vals)-1]
	case []string:
		out := e.arena.strList(len(v))
		out.strs = append(out.strs, v...)
		return out
	case map[string]float64:
		e.arena.vals = append(e.arena.vals, val{kind: vNumMap, m: v})
		return &e.arena.vals[len(e.arena.vals)-1]
	case []any:
		out := e.arena.list(len(v))
		for _, it := range v {
			out.list = append(out.list, e.fromNative(it))
		}
		return out
	case []float64:
		out := e.arena.list(len(v))
		for _, it := range v {
			out.list = append(out.list, e.arena.num(it))
		}
		return out
	}
	return nullVal
}
