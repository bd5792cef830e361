package rules

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Limits of the rule language, from the FlexMatch documentation.
const (
	// SmallMatchMaxPlayers is the largest match that every rule type and the
	// exhaustiveSearch strategy support.
	SmallMatchMaxPlayers = 40
	// MaxMatchPlayers is the largest match a rule set may describe.
	MaxMatchPlayers = 200
)

// plan is a Definition after analysis: names resolved to indices, property
// expressions parsed and typed. Compile builds a RuleSet from it.
type plan struct {
	def        *Definition
	teams      []teamInfo
	teamIndex  map[string][]int // team or definition name -> team indices
	attrIndex  map[string]int
	rules      []rulePlan
	ruleIndex  map[string]int
	expansions []expansionPlan
	large      bool
	maxPlayers int
}

type teamInfo struct {
	name       string
	def        int
	minPlayers int
	maxPlayers int
}

// operand is one compiled measurement or reference: a FlexMatch property
// expression, an expr expression over the View, or a literal.
type operand struct {
	prop    *propExpr
	typ     propType
	expr    string // expr source when the operand is written in expr
	literal *RefValue
}

type rulePlan struct {
	def          *RuleDef
	measurements []operand
	reference    *operand
	agg          aggKind
	attr         int // batchAttribute / sortAttribute index
	attrType     AttributeType
	statement    *boolExpr
	referenced   bool // operand of a compound rule
	monotone     bool // a failure on a partial match cannot be undone by adding tickets
}

type expansionPlan struct {
	rule  int   // -1 for team targets
	teams []int // team indices for team targets
	prop  string
	steps []ExpansionStep
}

// aggKind is a partyAggregation.
type aggKind int

const (
	aggAvg aggKind = iota
	aggMin
	aggMax
	aggUnion
	aggIntersection
)

var aggNames = map[string]aggKind{"avg": aggAvg, "min": aggMin, "max": aggMax, "union": aggUnion, "intersection": aggIntersection}

// analyzer checks a Definition and builds its plan. at gives the source
// position of a JSON path when the Definition came from a document; failed
// holds the paths whose values did not decode, which the analyzer neither
// reports again nor uses to report other parts.
type analyzer struct {
	c      *collector
	at     func(path string) pos
	failed map[string]bool
	def    *Definition
	p      *plan

	// Set when a name that others refer to did not decode: a reference to
	// an unknown attribute, team or rule may be a reference to it.
	attrsUnknown, teamsUnknown, rulesUnknown bool
}

// errorf reports a problem at path, unless the value at path (or around
// it) did not decode and was reported already.
func (a *analyzer) errorf(path string, format string, args ...any) {
	if a.broken(path) {
		return
	}
	a.c.add(path, a.at(path), format, args...)
}

// broken reports whether any of the paths, or a value that contains it, did
// not decode.
func (a *analyzer) broken(paths ...string) bool {
	for _, path := range paths {
		for path != "" {
			if a.failed[path] {
				return true
			}
			path = parentPath(path)
		}
	}
	return false
}

// parentPath is the path of the value that contains path's value.
func parentPath(path string) string {
	return path[:max(strings.LastIndexAny(path, ".["), 0)]
}

func analyze(def *Definition, at func(string) pos, failed map[string]bool) (*plan, ErrorList) {
	if at == nil {
		at = func(string) pos { return pos{} }
	}
	a := &analyzer{c: &collector{}, at: at, failed: failed, def: def, p: &plan{def: def, teamIndex: map[string][]int{}, attrIndex: map[string]int{}, ruleIndex: map[string]int{}}}
	a.attrsUnknown = a.namesBroken("playerAttributes", len(def.PlayerAttributes), "name")
	a.teamsUnknown = a.namesBroken("teams", len(def.Teams), "name", "quantity")
	a.rulesUnknown = a.namesBroken("rules", len(def.Rules), "name")
	a.header()
	a.attributes()
	a.teams()
	a.algorithm()
	a.rules()
	a.expansions()
	return a.p, a.c.errs
}

// namesBroken reports whether the list at path, one of its items, or one of
// the given fields of an item did not decode.
func (a *analyzer) namesBroken(path string, n int, fields ...string) bool {
	if a.broken(path) {
		return true
	}
	for i := range n {
		for _, f := range fields {
			if a.broken(joinPath(indexPath(path, i), f)) {
				return true
			}
		}
	}
	return false
}

// validate runs analysis for Parse, with source positions, skipping the
// values that decoding reported.
func validate(c *collector, d *decoded) {
	_, errs := analyze(d.def, func(path string) pos {
		// A missing field points at the nearest enclosing value that exists.
		for path != "" {
			if p, ok := d.field[path]; ok {
				return p
			}
			path = parentPath(path)
		}
		return d.root
	}, c.failed)
	c.errs = append(c.errs, errs...)
}

func (a *analyzer) header() {
	switch a.def.RuleLanguageVersion {
	case "1.0":
	case "":
		a.errorf("ruleLanguageVersion", `is required and must be "1.0"`)
	default:
		a.errorf("ruleLanguageVersion", `must be "1.0", not %q`, a.def.RuleLanguageVersion)
	}
}

func (a *analyzer) attributes() {
	for i, attr := range a.def.PlayerAttributes {
		path := indexPath("playerAttributes", i)
		if attr.Name == "" {
			a.errorf(joinPath(path, "name"), "is required")
		} else if _, dup := a.p.attrIndex[attr.Name]; dup {
			a.errorf(joinPath(path, "name"), "attribute %q is declared twice", attr.Name)
		} else {
			a.p.attrIndex[attr.Name] = i
		}
		switch {
		case attr.Type.valid():
		case attr.Type == "":
			a.errorf(joinPath(path, "type"), "is required (string, number, string_list or string_number_map)")
		default:
			a.errorf(joinPath(path, "type"), "unknown attribute type %q (string, number, string_list or string_number_map)", attr.Type)
		}
		if attr.Default != nil && attr.Type != "" && attr.Default.Type != attr.Type {
			a.errorf(joinPath(path, "default"), "is a %s value, but the attribute's type is %s", attr.Default.Type, attr.Type)
		}
	}
}

var teamNamePattern = regexp.MustCompile(`^[^\[\],()*]+$`)

func (a *analyzer) teams() {
	if len(a.def.Teams) == 0 {
		a.errorf("teams", "a rule set must define at least one team")
		return
	}
	defNames := map[string]bool{}
	total := 0
	for i, t := range a.def.Teams {
		path := indexPath("teams", i)
		switch {
		case t.Name == "":
			a.errorf(joinPath(path, "name"), "is required")
		case !teamNamePattern.MatchString(t.Name) || strings.TrimSpace(t.Name) != t.Name:
			a.errorf(joinPath(path, "name"), "team name %q may not contain [ ] , ( ) * or surrounding spaces", t.Name)
		case defNames[t.Name]:
			a.errorf(joinPath(path, "name"), "team %q is defined twice", t.Name)
		}
		defNames[t.Name] = true
		ok := true
		if t.MaxPlayers < 0 {
			a.errorf(joinPath(path, "maxPlayers"), "is required")
			ok = false
		} else if t.MaxPlayers < 1 {
			a.errorf(joinPath(path, "maxPlayers"), "must be at least 1, not %d", t.MaxPlayers)
			ok = false
		}
		if t.MinPlayers < 0 {
			if t.MinPlayers == -1 {
				a.errorf(joinPath(path, "minPlayers"), "is required")
			} else {
				a.errorf(joinPath(path, "minPlayers"), "must be 0 or more, not %d", t.MinPlayers)
			}
			ok = false
		}
		if ok && t.MinPlayers > t.MaxPlayers {
			a.errorf(joinPath(path, "minPlayers"), "is %d, more than maxPlayers %d: the team can never be filled", t.MinPlayers, t.MaxPlayers)
		}
		if t.Quantity < 1 {
			a.errorf(joinPath(path, "quantity"), "must be at least 1, not %d", t.Quantity)
			continue
		}
		if ok {
			total += t.MaxPlayers * t.Quantity
		}
		for q := 1; q <= t.Quantity; q++ {
			name := t.Name
			if t.Quantity > 1 {
				name = fmt.Sprintf("%s_%d", t.Name, q)
			}
			idx := len(a.p.teams)
			a.p.teams = append(a.p.teams, teamInfo{name: name, def: i, minPlayers: t.MinPlayers, maxPlayers: t.MaxPlayers})
			if t.Quantity > 1 {
				if _, clash := a.p.teamIndex[name]; clash {
					a.errorf(joinPath(path, "name"), "team %q of quantity %d makes a team %q, which is already defined", t.Name, t.Quantity, name)
				}
				a.p.teamIndex[name] = []int{idx}
			}
			a.p.teamIndex[t.Name] = append(a.p.teamIndex[t.Name], idx)
		}
	}
	a.p.maxPlayers = total
	a.p.large = total > SmallMatchMaxPlayers
	if total > MaxMatchPlayers {
		a.errorf("teams", "the teams hold up to %d players; a match may have at most %d", total, MaxMatchPlayers)
	}
}

func (a *analyzer) algorithm() {
	alg := &a.def.Algorithm
	path := "algorithm"
	if alg.Strategy == "" {
		alg.Strategy = StrategyExhaustive
	}
	switch alg.Strategy {
	case StrategyExhaustive, StrategyBalanced:
	default:
		a.errorf(joinPath(path, "strategy"), "must be exhaustiveSearch or balanced, not %q", alg.Strategy)
	}
	if a.p.large && alg.Strategy != StrategyBalanced {
		a.errorf(joinPath(path, "strategy"), `must be "balanced": the teams hold %d players, and matches of more than %d players (large matches) are formed only by the balanced strategy`, a.p.maxPlayers, SmallMatchMaxPlayers)
	}
	if alg.BatchingPreference == "" {
		if alg.Strategy == StrategyBalanced {
			alg.BatchingPreference = BatchLargestPopulation
		} else {
			alg.BatchingPreference = BatchRandom
		}
	}
	strategyKnown := !a.broken(joinPath(path, "strategy"))
	switch alg.BatchingPreference {
	case BatchRandom, BatchSorted:
		if alg.Strategy == StrategyBalanced {
			a.errorf(joinPath(path, "batchingPreference"), "%q works with the exhaustiveSearch strategy; with balanced use largestPopulation or fastestRegion", alg.BatchingPreference)
		}
	case BatchLargestPopulation, BatchFastestRegion:
		if alg.Strategy == StrategyExhaustive && strategyKnown {
			a.errorf(joinPath(path, "batchingPreference"), "%q works with the balanced strategy; with exhaustiveSearch use random or sorted", alg.BatchingPreference)
		}
	default:
		a.errorf(joinPath(path, "batchingPreference"), "must be random, sorted, largestPopulation or fastestRegion, not %q", alg.BatchingPreference)
	}
	if alg.BatchingPreference == BatchSorted && len(alg.SortByAttributes) == 0 {
		a.errorf(joinPath(path, "sortByAttributes"), `is required with batchingPreference "sorted"`)
	}
	if len(alg.SortByAttributes) > 0 && alg.BatchingPreference != BatchSorted && !a.broken(joinPath(path, "batchingPreference")) {
		a.errorf(joinPath(path, "sortByAttributes"), `applies only with batchingPreference "sorted"`)
	}
	for i, name := range alg.SortByAttributes {
		if _, ok := a.p.attrIndex[name]; !ok && !a.attrsUnknown {
			a.errorf(indexPath(joinPath(path, "sortByAttributes"), i), "attribute %q is not declared in playerAttributes", name)
		}
	}
	if alg.BackfillPriority == "" {
		alg.BackfillPriority = BackfillNormal
	}
	switch alg.BackfillPriority {
	case BackfillNormal, BackfillHigh, BackfillLow:
	default:
		a.errorf(joinPath(path, "backfillPriority"), "must be normal, high or low, not %q", alg.BackfillPriority)
	}
	if alg.ExpansionAgeSelection == "" {
		alg.ExpansionAgeSelection = AgeNewest
	}
	switch alg.ExpansionAgeSelection {
	case AgeNewest, AgeOldest:
	default:
		a.errorf(joinPath(path, "expansionAgeSelection"), "must be newest or oldest, not %q", alg.ExpansionAgeSelection)
	}
	switch {
	case alg.BalancedAttribute == "" && alg.Strategy == StrategyBalanced:
		a.errorf(joinPath(path, "balancedAttribute"), `is required with strategy "balanced"`)
	case alg.BalancedAttribute != "" && alg.Strategy != StrategyBalanced:
		if strategyKnown {
			a.errorf(joinPath(path, "balancedAttribute"), `applies only with strategy "balanced"`)
		}
	case alg.BalancedAttribute != "":
		if i, ok := a.p.attrIndex[alg.BalancedAttribute]; !ok {
			if !a.attrsUnknown {
				a.errorf(joinPath(path, "balancedAttribute"), "attribute %q is not declared in playerAttributes", alg.BalancedAttribute)
			}
		} else if t := a.def.PlayerAttributes[i].Type; t.valid() && t != TypeNumber {
			a.errorf(joinPath(path, "balancedAttribute"), "attribute %q is a %s; the balanced attribute must be a number", alg.BalancedAttribute, t)
		}
	}
}

// largeMatchRules are the rule types a large match (over 40 players) honours.
var largeMatchRules = []string{RuleBatchDistance, RuleLatency}

func (a *analyzer) rules() {
	scope := &propScope{teams: a.p.teamIndex, attrs: map[string]AttributeType{}, attrsUnknown: a.attrsUnknown, teamsUnknown: a.teamsUnknown}
	for name, i := range a.p.attrIndex {
		scope.attrs[name] = a.def.PlayerAttributes[i].Type
	}
	a.p.rules = make([]rulePlan, len(a.def.Rules))
	for i := range a.def.Rules {
		r := &a.def.Rules[i]
		path := indexPath("rules", i)
		rp := &a.p.rules[i]
		rp.def = r
		rp.attr = -1
		switch {
		case r.Name == "":
			a.errorf(joinPath(path, "name"), "is required")
		case strings.ContainsAny(r.Name, "[](),") || strings.TrimSpace(r.Name) != r.Name:
			a.errorf(joinPath(path, "name"), "rule name %q may not contain [ ] ( ) , or surrounding spaces", r.Name)
		default:
			if _, dup := a.p.ruleIndex[r.Name]; dup {
				a.errorf(joinPath(path, "name"), "rule %q is defined twice", r.Name)
			}
		}
		if r.Type == "" {
			a.errorf(joinPath(path, "type"), "is required (one of %s)", strings.Join(ruleTypes(), ", "))
		}
		if a.p.large && r.Type != "" && !slices.Contains(largeMatchRules, r.Type) {
			a.errorf(joinPath(path, "type"), "%s rules are not available in large matches (more than %d players); use batchDistance or latency", r.Type, SmallMatchMaxPlayers)
		}
		switch r.Type {
		case RuleBatchDistance:
			a.batchDistance(path, rp)
		case RuleComparison:
			a.comparison(path, rp, scope)
		case RuleDistance:
			a.distance(path, rp, scope)
		case RuleCollection:
			a.collection(path, rp, scope)
		case RuleLatency:
			a.latency(path, rp)
		case RuleAbsoluteSort, RuleDistanceSort:
			a.sort(path, rp)
		case RuleCompound:
			a.compound(path, rp, i)
		case RuleExpression:
			a.expression(path, rp)
		}
		if r.Name != "" {
			if _, dup := a.p.ruleIndex[r.Name]; !dup {
				a.p.ruleIndex[r.Name] = i
			}
		}
	}
}

// number checks a numeric property: required or not, and its lower bound.
func (a *analyzer) number(path string, v *float64, required bool, min float64) {
	if v == nil {
		if required {
			a.errorf(path, "is required")
		}
		return
	}
	if *v < min {
		a.errorf(path, "must be %g or more, not %g", min, *v)
	}
}

func (a *analyzer) aggregation(path string, rp *rulePlan, allowed ...string) {
	r := rp.def
	if r.PartyAggregation == "" {
		rp.agg = aggNames[allowed[0]]
		return
	}
	if !slices.Contains(allowed, r.PartyAggregation) {
		a.errorf(joinPath(path, "partyAggregation"), "must be %s, not %q", strings.Join(allowed, ", "), r.PartyAggregation)
		return
	}
	rp.agg = aggNames[r.PartyAggregation]
}

func (a *analyzer) attribute(path, name string, allowed ...AttributeType) (int, AttributeType) {
	if name == "" {
		a.errorf(path, "is required")
		return -1, ""
	}
	i, ok := a.p.attrIndex[name]
	if !ok {
		if !a.attrsUnknown {
			a.errorf(path, "attribute %q is not declared in playerAttributes", name)
		}
		return -1, ""
	}
	t := a.def.PlayerAttributes[i].Type
	if !t.valid() {
		return -1, "" // the attribute's type is reported where it is declared
	}
	if !slices.Contains(attrTypeNames(allowed), string(t)) {
		a.errorf(path, "attribute %q is a %s; this rule needs a %s attribute", name, t, strings.Join(attrTypeNames(allowed), " or "))
		return -1, ""
	}
	return i, t
}

func attrTypeNames(ts []AttributeType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

func (a *analyzer) batchDistance(path string, rp *rulePlan) {
	r := rp.def
	rp.attr, rp.attrType = a.attribute(joinPath(path, "batchAttribute"), r.BatchAttribute, TypeNumber, TypeString)
	a.aggregation(path, rp, "avg", "min", "max")
	switch rp.attrType {
	case TypeNumber:
		a.number(joinPath(path, "maxDistance"), r.MaxDistance, true, 0)
	case TypeString:
		if r.MaxDistance != nil {
			a.errorf(joinPath(path, "maxDistance"), "applies only to number attributes; tickets batched on a string attribute all share one value")
		}
	}
	rp.monotone = true
}

func (a *analyzer) measurements(path string, rp *rulePlan, scope *propScope) {
	r := rp.def
	if len(r.Measurements) == 0 {
		a.errorf(joinPath(path, "measurements"), "is required")
		return
	}
	for i, m := range r.Measurements {
		p := joinPath(path, "measurements")
		if len(r.Measurements) > 1 {
			p = indexPath(p, i)
		}
		op, ok := a.operand(p, r.Name, m, scope, true)
		if ok {
			rp.measurements = append(rp.measurements, op)
		}
	}
}

// operand parses a property expression of rule ruleName, falling back to
// expr. A reference value (mustBeExpr false) that is neither is a string
// literal.
func (a *analyzer) operand(path, ruleName, src string, scope *propScope, mustBeExpr bool) (operand, bool) {
	if d := nesting(src); d > maxExprNesting {
		a.errorf(path, "rule %s: %s", clip(ruleName), errNesting(d))
		return operand{}, false
	}
	pe, perr := parsePropExpr(src)
	if perr == nil {
		t, terr := scope.typeOf(pe)
		if terr != nil {
			if !errors.Is(terr, errUndecoded) {
				a.errorf(path, "%s", describePropError(terr, src))
			}
			return operand{}, false
		}
		return operand{prop: pe, typ: t}, true
	}
	if prog, err := compileViewExpr(src, nil); err == nil {
		if !a.exprAttributes(path, src, prog) {
			return operand{}, false
		}
		return operand{expr: src}, true
	}
	if !mustBeExpr && !looksLikeExpression(src) {
		s := src
		return operand{literal: &RefValue{String: &s}, typ: propType{0, leafString}}, true
	}
	a.errorf(path, "invalid property expression: %s", describePropError(perr, src))
	return operand{}, false
}

// describePropError words a property expression error with its place.
func describePropError(err error, src string) string {
	var pe *propSyntaxError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s (at character %d of %s)", pe.msg, pe.off+1, clip(src))
	}
	return fmt.Sprintf("%v (in %s)", err, clip(src))
}

// looksLikeExpression tells an intended expression from a string literal.
func looksLikeExpression(s string) bool {
	if strings.ContainsAny(s, "[]()") {
		return true
	}
	for _, w := range append([]string{"teams", "players"}, propFunctions...) {
		if strings.HasPrefix(strings.TrimSpace(s), w) {
			return true
		}
	}
	return false
}

func (a *analyzer) reference(path string, rp *rulePlan, scope *propScope) {
	ref := rp.def.ReferenceValue
	if ref == nil {
		return
	}
	p := joinPath(path, "referenceValue")
	switch {
	case ref.Number != nil:
		rp.reference = &operand{literal: ref, typ: propType{0, leafNumber}}
	case ref.List != nil:
		rp.reference = &operand{literal: ref, typ: propType{0, leafStringList}}
	case ref.String != nil:
		if op, ok := a.operand(p, rp.def.Name, *ref.String, scope, false); ok {
			rp.reference = &op
		}
	}
}

// measuredLeaf is the leaf kind of a rule's measurements, or -1 when unknown
// until evaluation (expr operands).
func measuredLeaf(ops []operand) leafKind {
	for _, op := range ops {
		if op.prop != nil {
			return op.typ.leaf
		}
	}
	return -1
}

func (a *analyzer) comparison(path string, rp *rulePlan, scope *propScope) {
	r := rp.def
	a.measurements(path, rp, scope)
	a.reference(path, rp, scope)
	a.aggregation(path, rp, "avg", "min", "max")
	ops := []string{"=", "!=", "<", "<=", ">", ">="}
	switch {
	case r.Operation == "":
		a.errorf(joinPath(path, "operation"), "is required (one of %s)", strings.Join(ops, " "))
	case !slices.Contains(ops, r.Operation):
		a.errorf(joinPath(path, "operation"), "must be one of %s, not %q", strings.Join(ops, " "), r.Operation)
	case r.ReferenceValue == nil && !a.broken(joinPath(path, "referenceValue")) && r.Operation != "=" && r.Operation != "!=":
		a.errorf(joinPath(path, "operation"), "without a referenceValue only = (all measured values equal) and != (all different) apply, not %q", r.Operation)
	}
	leaf := measuredLeaf(rp.measurements)
	if leaf == leafStringList || leaf == leafNumberMap || leaf == leafTeam {
		a.errorf(joinPath(path, "measurements"), "a comparison compares numbers or strings, not %s values", leaf)
	}
	if leaf == leafString && r.Operation != "=" && r.Operation != "!=" && slices.Contains(ops, r.Operation) {
		a.errorf(joinPath(path, "operation"), "strings can only be compared with = or !=, not %q", r.Operation)
	}
	if rp.reference != nil && rp.reference.expr == "" {
		rt := rp.reference.typ
		if rt.depth > 0 || rt.leaf == leafStringList {
			a.errorf(joinPath(path, "referenceValue"), "must be a single value, not a %s", rt)
		} else if leaf >= 0 && leaf != leafPlayer && rt.leaf != leaf {
			a.errorf(joinPath(path, "referenceValue"), "is a %s, but the measurements are %s values", rt.leaf, leaf)
		}
	}
	rp.monotone = rp.reference != nil && rp.reference.literal != nil && allPerPlayer(rp.measurements)
}

// allPerPlayer reports whether every measurement is a plain per-player
// selection (possibly flattened), so that adding a ticket only adds values.
func allPerPlayer(ops []operand) bool {
	for _, op := range ops {
		e := op.prop
		for e != nil && e.kind == propCall && e.fn == "flatten" {
			e = e.arg
		}
		if e == nil || e.kind != propSelect || e.level != levelAttribute {
			return false
		}
	}
	return len(ops) > 0
}

func (a *analyzer) distance(path string, rp *rulePlan, scope *propScope) {
	r := rp.def
	a.measurements(path, rp, scope)
	a.reference(path, rp, scope)
	a.aggregation(path, rp, "avg", "min", "max")
	if leaf := measuredLeaf(rp.measurements); leaf >= 0 && leaf != leafNumber {
		a.errorf(joinPath(path, "measurements"), "a distance is measured between numbers, not %s values", leaf)
	}
	if r.ReferenceValue == nil {
		a.errorf(joinPath(path, "referenceValue"), "is required")
	} else if rp.reference != nil && rp.reference.expr == "" && (rp.reference.typ.depth > 0 || rp.reference.typ.leaf != leafNumber) {
		a.errorf(joinPath(path, "referenceValue"), "must be a single number, not a %s", rp.reference.typ)
	}
	if r.MinDistance == nil && r.MaxDistance == nil && !a.broken(joinPath(path, "minDistance")) {
		a.errorf(joinPath(path, "maxDistance"), "a distance rule needs maxDistance, minDistance or both")
	}
	a.number(joinPath(path, "minDistance"), r.MinDistance, false, 0)
	a.number(joinPath(path, "maxDistance"), r.MaxDistance, false, 0)
	if r.MinDistance != nil && r.MaxDistance != nil && *r.MinDistance > *r.MaxDistance {
		a.errorf(joinPath(path, "minDistance"), "is %g, more than maxDistance %g: the rule can never pass", *r.MinDistance, *r.MaxDistance)
	}
}

// Collection operations.
const (
	OpIntersection               = "intersection"
	OpContains                   = "contains"
	OpReferenceIntersectionCount = "reference_intersection_count"
)

func (a *analyzer) collection(path string, rp *rulePlan, scope *propScope) {
	r := rp.def
	a.measurements(path, rp, scope)
	a.reference(path, rp, scope)
	a.aggregation(path, rp, "union", "intersection")
	ops := []string{OpIntersection, OpContains, OpReferenceIntersectionCount}
	switch r.Operation {
	case "":
		a.errorf(joinPath(path, "operation"), "is required (one of %s)", strings.Join(ops, ", "))
	case OpIntersection:
		if r.ReferenceValue != nil {
			a.errorf(joinPath(path, "referenceValue"), "does not apply to the intersection operation")
		}
	case OpContains:
		if r.ReferenceValue == nil {
			a.errorf(joinPath(path, "referenceValue"), "is required: the value to look for")
		} else if rp.reference != nil && rp.reference.expr == "" && (rp.reference.typ.depth > 0 || rp.reference.typ.leaf != leafString) {
			a.errorf(joinPath(path, "referenceValue"), "must be a single string for contains, not a %s", rp.reference.typ)
		}
	case OpReferenceIntersectionCount:
		if r.ReferenceValue == nil {
			a.errorf(joinPath(path, "referenceValue"), "is required: the collection to intersect with")
		} else if rp.reference != nil && rp.reference.expr == "" {
			rt := rp.reference.typ
			if !(rt.depth == 0 && (rt.leaf == leafStringList || rt.leaf == leafString)) && !(rt.depth == 1 && (rt.leaf == leafString || rt.leaf == leafStringList)) {
				a.errorf(joinPath(path, "referenceValue"), "must be a string list, not a %s", rt)
			}
		}
	default:
		a.errorf(joinPath(path, "operation"), "must be one of %s, not %q", strings.Join(ops, ", "), r.Operation)
	}
	if leaf := measuredLeaf(rp.measurements); leaf >= 0 && leaf != leafStringList && leaf != leafString {
		a.errorf(joinPath(path, "measurements"), "a collection rule measures string lists, not %s values", leaf)
	}
	if r.MinCount == nil && r.MaxCount == nil && !a.broken(joinPath(path, "minCount")) {
		a.errorf(joinPath(path, "maxCount"), "a collection rule needs minCount, maxCount or both")
	}
	a.number(joinPath(path, "minCount"), r.MinCount, false, 0)
	a.number(joinPath(path, "maxCount"), r.MaxCount, false, 0)
	if r.MinCount != nil && r.MaxCount != nil && *r.MinCount > *r.MaxCount {
		a.errorf(joinPath(path, "minCount"), "is %g, more than maxCount %g: the rule can never pass", *r.MinCount, *r.MaxCount)
	}
	// Adding a ticket can only raise a contains count or shrink an
	// intersection, so these limits stay failed once failed.
	rp.monotone = (r.Operation == OpContains && r.MinCount == nil) ||
		(r.Operation == OpIntersection && r.MaxCount == nil) ||
		(r.Operation == OpReferenceIntersectionCount && r.MinCount == nil && rp.reference != nil && rp.reference.literal != nil)
}

func (a *analyzer) latency(path string, rp *rulePlan) {
	r := rp.def
	a.aggregation(path, rp, "avg", "min", "max")
	if r.MaxLatency == nil && r.MaxDistance == nil && !a.broken(joinPath(path, "maxDistance")) {
		a.errorf(joinPath(path, "maxLatency"), "a latency rule needs maxLatency, maxDistance or both")
	}
	a.number(joinPath(path, "maxLatency"), r.MaxLatency, false, 0)
	a.number(joinPath(path, "maxDistance"), r.MaxDistance, false, 0)
	if a.p.large && r.MaxDistance != nil {
		a.errorf(joinPath(path, "maxDistance"), "large matches (more than %d players) support only maxLatency in latency rules", SmallMatchMaxPlayers)
	}
	switch r.DistanceReference {
	case "":
		if r.MaxDistance != nil {
			r.DistanceReference = "min"
		}
	case "min", "avg":
		if r.MaxDistance == nil && !a.broken(joinPath(path, "maxDistance")) {
			a.errorf(joinPath(path, "distanceReference"), "applies only with maxDistance")
		}
	default:
		a.errorf(joinPath(path, "distanceReference"), `must be "min" or "avg", not %q`, r.DistanceReference)
	}
	rp.monotone = r.MaxDistance == nil
}

func (a *analyzer) sort(path string, rp *rulePlan) {
	r := rp.def
	rp.attr, rp.attrType = a.attribute(joinPath(path, "sortAttribute"), r.SortAttribute, TypeNumber, TypeStringNumberMap)
	a.aggregation(path, rp, "avg", "min", "max")
	switch r.SortDirection {
	case "":
		r.SortDirection = "ascending"
	case "ascending", "descending":
	default:
		a.errorf(joinPath(path, "sortDirection"), `must be "ascending" or "descending", not %q`, r.SortDirection)
	}
	switch {
	case rp.attrType == TypeStringNumberMap && r.MapKey == "":
		a.errorf(joinPath(path, "mapKey"), "is required to sort on a string_number_map attribute (minValue or maxValue)")
	case rp.attrType == TypeNumber && r.MapKey != "":
		a.errorf(joinPath(path, "mapKey"), "applies only to string_number_map attributes")
	case r.MapKey != "" && r.MapKey != "minValue" && r.MapKey != "maxValue":
		a.errorf(joinPath(path, "mapKey"), `must be "minValue" or "maxValue", not %q`, r.MapKey)
	}
}

func (a *analyzer) compound(path string, rp *rulePlan, self int) {
	r := rp.def
	p := joinPath(path, "statement")
	if r.Statement == "" {
		a.errorf(p, "is required, such as and(RuleA, RuleB)")
		return
	}
	st, err := parseStatement(r.Statement)
	if err != nil {
		a.errorf(p, "%v", err)
		return
	}
	ok := true
	st.walk(func(name string) {
		idx, found := a.p.ruleIndex[name]
		switch {
		case !found && a.definedLater(name, self):
			a.errorf(p, "rule %q is defined after this compound rule; a statement may use only rules defined before it", name)
		case !found:
			if !a.rulesUnknown {
				a.errorf(p, "rule %q is not defined", name)
			}
		default:
			switch a.def.Rules[idx].Type {
			case RuleBatchDistance:
				a.errorf(p, "rule %q is a batchDistance rule, which a compound statement cannot use", name)
			case RuleAbsoluteSort, RuleDistanceSort:
				a.errorf(p, "rule %q is a sort rule, which never passes or fails", name)
			default:
				a.p.rules[idx].referenced = true
				st.bind(name, idx)
				return
			}
		}
		ok = false
	})
	if ok {
		rp.statement = st
	}
}

func (a *analyzer) definedLater(name string, self int) bool {
	for _, r := range a.def.Rules[self+1:] {
		if r.Name == name {
			return true
		}
	}
	return false
}

func (a *analyzer) expression(path string, rp *rulePlan) {
	p := joinPath(path, "expression")
	if rp.def.Expression == "" {
		a.errorf(p, "is required: an expr expression over the match view that yields true or false")
		return
	}
	if d := nesting(rp.def.Expression); d > maxExprNesting {
		a.errorf(p, "rule %s: %s", clip(rp.def.Name), errNesting(d))
		return
	}
	prog, err := compileViewExpr(rp.def.Expression, boolResult)
	if err != nil {
		a.errorf(p, "%s", describeExprError(err, rp.def.Expression))
		return
	}
	a.exprAttributes(p, rp.def.Expression, prog)
}

// exprAttributes reports each attribute that an expr program names
// literally (.attributes.NAME, .attributes["NAME"]) and the rule set does
// not declare. It returns false if it reported any.
func (a *analyzer) exprAttributes(path, src string, prog *vm.Program) bool {
	if a.attrsUnknown {
		return true
	}
	var refs attributeRefs
	node := prog.Node()
	ast.Walk(&node, &refs)
	ok := true
	reported := map[string]bool{}
	for _, ref := range refs {
		if _, declared := a.p.attrIndex[ref.name]; declared || reported[ref.name] {
			continue
		}
		reported[ref.name] = true
		a.errorf(path, "attribute %s is not declared in playerAttributes (at character %d of %s)", clip(ref.name), ref.at+1, clip(src))
		ok = false
	}
	return ok
}

// attributeRefs collects, as an expr AST visitor, the attribute names read
// from a player's attributes with a constant name.
type attributeRefs []attributeRef

type attributeRef struct {
	name string
	at   int // offset of the name in the source
}

// attributesType is the type of ViewPlayer.Attributes, the View's only map
// of that type.
var attributesType = reflect.TypeFor[map[string]any]()

func (r *attributeRefs) Visit(n *ast.Node) {
	m, ok := (*n).(*ast.MemberNode)
	if !ok || m.Node.Type() != attributesType {
		return
	}
	if name, ok := m.Property.(*ast.StringNode); ok {
		*r = append(*r, attributeRef{name: name.Value, at: m.Location().From})
	}
}

// expandable lists, per rule type, the properties an expansion may relax.
var expandable = map[string][]string{
	RuleBatchDistance: {"maxDistance"},
	RuleComparison:    {"referenceValue"},
	RuleDistance:      {"referenceValue", "minDistance", "maxDistance"},
	RuleCollection:    {"referenceValue", "minCount", "maxCount"},
	RuleLatency:       {"maxLatency", "maxDistance"},
}

var targetPattern = regexp.MustCompile(`^\s*(rules|teams)\s*\[([^\]]+)\]\s*\.\s*([A-Za-z]+)\s*$`)

func (a *analyzer) expansions() {
	targets := map[string]int{}
	for i, e := range a.def.Expansions {
		path := indexPath("expansions", i)
		tp := joinPath(path, "target")
		ep := expansionPlan{rule: -1, steps: e.Steps}
		m := targetPattern.FindStringSubmatch(e.Target)
		switch {
		case e.Target == "":
			a.errorf(tp, "is required, such as rules[FairSkill].maxDistance or teams[red].minPlayers")
		case m == nil:
			a.errorf(tp, "%q is not a target: use rules[NAME].PROPERTY or teams[NAME, ...].minPlayers|maxPlayers", e.Target)
		case m[1] == "rules":
			prop := m[3]
			name := strings.TrimSpace(m[2])
			idx, ok := a.p.ruleIndex[name]
			if !ok {
				if !a.rulesUnknown {
					a.errorf(tp, "rule %q is not defined", name)
				}
				break
			}
			if a.broken(joinPath(indexPath("rules", idx), "type")) {
				break
			}
			r := a.def.Rules[idx]
			if r.Type == RuleCompound {
				a.errorf(tp, "compound rule %q cannot be expanded; expand the rules its statement uses", name)
				break
			}
			if !slices.Contains(expandable[r.Type], prop) {
				a.errorf(tp, "%q is not an expandable property of %s rule %q (expandable: %s)", prop, r.Type, name, strings.Join(expandable[r.Type], ", "))
				break
			}
			if a.p.large && r.Type == RuleLatency && prop != "maxLatency" {
				a.errorf(tp, "large matches may expand only maxLatency of latency rules")
			}
			ep.rule, ep.prop = idx, prop
		default:
			ep.prop = m[3]
			if ep.prop != "minPlayers" && ep.prop != "maxPlayers" {
				a.errorf(tp, "%q is not an expandable team property (minPlayers or maxPlayers)", ep.prop)
				break
			}
			for _, name := range strings.Split(m[2], ",") {
				name = strings.TrimSpace(name)
				idx, ok := a.p.teamIndex[name]
				if !ok {
					if !a.teamsUnknown {
						a.errorf(tp, "team %q is not defined", name)
					}
					continue
				}
				ep.teams = append(ep.teams, idx...)
			}
			if len(ep.teams) == 0 {
				ep.prop = ""
			}
		}
		if ep.prop != "" && (ep.rule >= 0 || len(ep.teams) > 0) {
			key := e.Target
			if ep.rule >= 0 {
				key = fmt.Sprintf("rule %d %s", ep.rule, ep.prop)
			}
			if prev, dup := targets[key]; dup {
				a.errorf(tp, "expansion %d already targets %s", prev, e.Target)
			}
			targets[key] = i
		}
		a.steps(path, &ep)
		a.p.expansions = append(a.p.expansions, ep)
	}
	a.teamSizes()
}

// isPlayerCount reports whether a step's value can be a team size.
func isPlayerCount(s ExpansionStep) bool {
	return s.Number != nil && *s.Number == math.Trunc(*s.Number) && *s.Number >= 0 && *s.Number <= MaxMatchPlayers
}

// teamSizes checks the team sizes that team expansions set: at each step
// every team can still be filled, and the match stays within the limits of
// its strategy (large matches) and FlexMatch's 200 players.
func (a *analyzer) teamSizes() {
	for ei, ep := range a.p.expansions {
		if ep.rule >= 0 || len(ep.teams) == 0 {
			continue
		}
		for j, s := range ep.steps {
			if !isPlayerCount(s) {
				continue // reported by stepValue
			}
			path := joinPath(indexPath(joinPath(indexPath("expansions", ei), "steps"), j), "value")
			mins, maxs := a.teamLimitsAt(s.WaitTimeSeconds)
			if a.teamFits(path, ep, int(*s.Number), s.WaitTimeSeconds, mins, maxs) && ep.prop == "maxPlayers" {
				a.matchSize(path, s.WaitTimeSeconds, maxs)
			}
		}
	}
}

// teamLimitsAt returns each team's minPlayers and maxPlayers once a match
// is secs old, as RuleSet.TeamLimits applies the expansions.
func (a *analyzer) teamLimitsAt(secs float64) (mins, maxs []int) {
	for _, t := range a.p.teams {
		mins = append(mins, t.minPlayers)
		maxs = append(maxs, t.maxPlayers)
	}
	for _, x := range a.p.expansions {
		if x.rule >= 0 {
			continue
		}
		for _, s := range x.steps {
			if s.WaitTimeSeconds > secs {
				break
			}
			if !isPlayerCount(s) {
				continue
			}
			for _, ti := range x.teams {
				if x.prop == "minPlayers" {
					mins[ti] = int(*s.Number)
				} else {
					maxs[ti] = int(*s.Number)
				}
			}
		}
	}
	return mins, maxs
}

// teamFits checks a step's value v against the other limit of each team it
// sets, as that limit stands at the step's time. A size that did not decode
// (negative) is not compared.
func (a *analyzer) teamFits(path string, ep expansionPlan, v int, secs float64, mins, maxs []int) bool {
	for _, ti := range ep.teams {
		name := a.p.teams[ti].name
		if ep.prop == "minPlayers" && maxs[ti] >= 0 && v > maxs[ti] {
			a.errorf(path, "minPlayers %d is more than team %q's maxPlayers %d at %gs: the team can never be filled", v, name, maxs[ti], secs)
			return false
		}
		if ep.prop == "maxPlayers" && mins[ti] >= 0 && v < mins[ti] {
			a.errorf(path, "maxPlayers %d is less than team %q's minPlayers %d at %gs: the team can never be filled", v, name, mins[ti], secs)
			return false
		}
	}
	return true
}

// matchSize checks the size of the match that a maxPlayers step makes.
func (a *analyzer) matchSize(path string, secs float64, maxs []int) {
	total := 0
	for _, m := range maxs {
		total += max(m, 0)
	}
	switch {
	case total > MaxMatchPlayers && a.p.maxPlayers <= MaxMatchPlayers:
		a.errorf(path, "makes the teams hold up to %d players at %gs; a match may have at most %d", total, secs, MaxMatchPlayers)
	case total <= SmallMatchMaxPlayers || a.p.large:
	case a.def.Algorithm.Strategy != StrategyBalanced:
		if !a.broken("algorithm.strategy") {
			a.errorf(path, `makes the teams hold up to %d players at %gs: matches of more than %d players (large matches) are formed only by strategy "balanced"`, total, secs, SmallMatchMaxPlayers)
		}
	default:
		for i, r := range a.def.Rules {
			what := r.Type + " rule"
			if r.Type == RuleLatency && r.MaxDistance != nil {
				what = "latency rule with maxDistance"
			} else if r.Type == "" || slices.Contains(largeMatchRules, r.Type) || a.broken(joinPath(indexPath("rules", i), "type")) {
				continue
			}
			a.errorf(path, "makes the teams hold up to %d players at %gs, a large match, which honours only batchDistance rules and latency rules with maxLatency alone; rules[%d] %q is a %s", total, secs, i, r.Name, what)
			return
		}
	}
}

func (a *analyzer) steps(path string, ep *expansionPlan) {
	sp := joinPath(path, "steps")
	if len(ep.steps) == 0 {
		a.errorf(sp, "needs at least one step")
		return
	}
	last := -1.0
	for j, s := range ep.steps {
		p := indexPath(sp, j)
		switch {
		case s.WaitTimeSeconds < 0:
			a.errorf(joinPath(p, "waitTimeSeconds"), "is required and must be 0 or more")
		case s.WaitTimeSeconds <= last:
			a.errorf(joinPath(p, "waitTimeSeconds"), "is %g; each step must wait longer than the one before (%g): wait times are absolute, not cumulative", s.WaitTimeSeconds, last)
		default:
			last = s.WaitTimeSeconds
		}
		if s.Number == nil && s.String == nil {
			a.errorf(joinPath(p, "value"), "is required")
			continue
		}
		a.stepValue(joinPath(p, "value"), ep, s)
	}
}

func (a *analyzer) stepValue(path string, ep *expansionPlan, s ExpansionStep) {
	if ep.prop == "" {
		return
	}
	if s.Number == nil {
		if ep.rule >= 0 && ep.prop == "referenceValue" {
			return // a string reference value may relax to another string
		}
		a.errorf(path, "must be a number, not %q", *s.String)
		return
	}
	v := *s.Number
	if ep.rule < 0 {
		switch {
		case !isPlayerCount(s):
			a.errorf(path, "must be a whole number of players from 0 to %d, not %g", MaxMatchPlayers, v)
		case ep.prop == "maxPlayers" && v < 1:
			a.errorf(path, "maxPlayers must be at least 1")
		}
		return
	}
	if ep.prop != "referenceValue" && v < 0 {
		a.errorf(path, "must be 0 or more, not %g", v)
	}
}
