package rules

import (
	"math"
	"slices"
)

// vkind is the kind of a runtime value of a property expression.
type vkind uint8

const (
	vNull    vkind = iota // no value: an aggregate of an empty list
	vNum                  // num
	vStr                  // str
	vStrList              // strs
	vNumMap               // m
	vPlayer               // a player, for count()
	vTeam                 // a team, for count()
	vList                 // list
)

// val is a runtime value of a property expression. The values that
// evaluation creates live in the evaluator's arena, and expr passes *val
// between functions: a pointer in an interface costs no allocation, where a
// float64 would.
type val struct {
	kind vkind
	num  float64
	str  string
	strs []string
	m    map[string]float64
	list []*val
}

var (
	nullVal   = &val{kind: vNull}
	playerVal = &val{kind: vPlayer}
	teamVal   = &val{kind: vTeam}
)

// arena hands out values and lists for one evaluation and takes them all back
// at once. After the first evaluations have grown it, it allocates nothing.
type arena struct {
	vals []val
	ptrs []*val
	strs []string
}

// reset takes every value back. Old pointers are overwritten rather than
// cleared: they refer only to prepared tickets and arena values.
func (a *arena) reset() {
	a.vals = a.vals[:0]
	a.ptrs = a.ptrs[:0]
	a.strs = a.strs[:0]
}

// num returns a new number value.
func (a *arena) num(x float64) *val {
	a.vals = append(a.vals, val{kind: vNum, num: x})
	return &a.vals[len(a.vals)-1]
}

// list returns a new list value with room for n items and length 0.
func (a *arena) list(n int) *val {
	start := len(a.ptrs)
	if cap(a.ptrs)-start < n {
		grown := make([]*val, start, 2*cap(a.ptrs)+n)
		copy(grown, a.ptrs)
		a.ptrs = grown
	}
	items := a.ptrs[start : start : start+n]
	a.ptrs = a.ptrs[:start+n]
	a.vals = append(a.vals, val{kind: vList, list: items})
	return &a.vals[len(a.vals)-1]
}

// strList returns a new string list value with room for n strings.
func (a *arena) strList(n int) *val {
	start := len(a.strs)
	if cap(a.strs)-start < n {
		grown := make([]string, start, 2*cap(a.strs)+n)
		copy(grown, a.strs)
		a.strs = grown
	}
	items := a.strs[start : start : start+n]
	a.strs = a.strs[:start+n]
	a.vals = append(a.vals, val{kind: vStrList, strs: items})
	return &a.vals[len(a.vals)-1]
}

// leaves calls f for every non-list value inside v, depth first.
func leaves(v *val, f func(*val)) {
	if v.kind == vList {
		for _, it := range v.list {
			leaves(it, f)
		}
		return
	}
	f(v)
}

// aggregate applies a numeric aggregate function to a list of numbers, or to
// each sub-list of a list of lists.
func (a *arena) aggregate(fn string, v *val) *val {
	if v.kind != vList {
		return nullVal
	}
	if len(v.list) > 0 && v.list[0].kind == vList {
		out := a.list(len(v.list))
		for _, sub := range v.list {
			out.list = append(out.list, a.aggregate(fn, sub))
		}
		return out
	}
	if fn == "count" {
		return a.num(float64(len(v.list)))
	}
	n := 0
	sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, it := range v.list {
		if it.kind != vNum {
			continue
		}
		n++
		sum += it.num
		lo, hi = minf(lo, it.num), maxf(hi, it.num)
	}
	if fn == "sum" {
		return a.num(sum)
	}
	if n == 0 {
		return nullVal
	}
	switch fn {
	case "avg":
		return a.num(sum / float64(n))
	case "min":
		return a.num(lo)
	case "max":
		return a.num(hi)
	case "stddev":
		mean := sum / float64(n)
		sq := 0.0
		for _, it := range v.list {
			if it.kind == vNum {
				sq += (it.num - mean) * (it.num - mean)
			}
		}
		return a.num(math.Sqrt(sq / float64(n)))
	default: // median
		start := len(a.vals)
		for _, it := range v.list {
			if it.kind == vNum {
				a.vals = append(a.vals, val{kind: vNum, num: it.num})
			}
		}
		nums := a.vals[start:]
		for i := 1; i < len(nums); i++ { // insertion sort: small lists, no allocation
			for j := i; j > 0 && nums[j].num < nums[j-1].num; j-- {
				nums[j], nums[j-1] = nums[j-1], nums[j]
			}
		}
		m := nums[n/2].num
		if n%2 == 0 {
			m = (nums[n/2-1].num + nums[n/2].num) / 2
		}
		a.vals = a.vals[:start]
		return a.num(m)
	}
}

// count counts a list's items, a string list's strings, or per sub-list.
func (a *arena) count(v *val) *val {
	if v.kind == vStrList {
		return a.num(float64(len(v.strs)))
	}
	return a.aggregate("count", v)
}

// flatten removes one level of lists: a list of lists becomes the list of
// their items.
func (a *arena) flatten(v *val) *val {
	if v.kind != vList {
		return v
	}
	n := 0
	for _, sub := range v.list {
		if sub.kind == vList {
			n += len(sub.list)
		} else {
			n++
		}
	}
	out := a.list(n)
	for _, sub := range v.list {
		if sub.kind == vList {
			out.list = append(out.list, sub.list...)
		} else {
			out.list = append(out.list, sub)
		}
	}
	return out
}

// setIntersection returns the strings found in every string list of a list
// (or in every string of a list of lists of strings), or per sub-list.
func (a *arena) setIntersection(v *val) *val {
	if v.kind != vList {
		return v
	}
	if len(v.list) > 0 && v.list[0].kind == vList && len(v.list[0].list) > 0 && v.list[0].list[0].kind == vStrList {
		out := a.list(len(v.list))
		for _, sub := range v.list {
			out.list = append(out.list, a.setIntersection(sub))
		}
		return out
	}
	if len(v.list) == 0 {
		return a.strList(0)
	}
	first := v.list[0]
	var base []string
	switch first.kind {
	case vStrList:
		base = first.strs
	case vList: // a list of lists of strings: intersect the inner lists
		out := a.strList(0)
		for _, it := range first.list {
			if it.kind == vStr && everySubListHas(v.list[1:], it.str) {
				out.strs = append(out.strs, it.str)
			}
		}
		return out
	default:
		return a.strList(0)
	}
	out := a.strList(len(base))
	for _, s := range base {
		all := true
		for _, other := range v.list[1:] {
			if other.kind != vStrList || !slices.Contains(other.strs, s) {
				all = false
				break
			}
		}
		if all {
			out.strs = append(out.strs, s)
		}
	}
	return out
}

func everySubListHas(lists []*val, s string) bool {
	for _, l := range lists {
		found := false
		for _, it := range l.list {
			if it.kind == vStr && it.str == s {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// minf and maxf are math.Min and math.Max for the finite values evaluation
// works on (attributes are checked finite when a ticket is prepared), without
// their NaN and signed-zero handling.
func minf(a, b float64) float64 {
	if b < a {
		return b
	}
	return a
}

func maxf(a, b float64) float64 {
	if b > a {
		return b
	}
	return a
}
