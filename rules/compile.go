package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// RuleSet is a compiled rule set: immutable, safe for concurrent use. Each
// goroutine that evaluates candidates takes its own Evaluator.
type RuleSet struct {
	def   *Definition
	plan  *plan
	teams []Team

	selections []selection
	literals   []*val
	operands   []*vm.Program // expr operands, by index
	exprRules  []*vm.Program // expression rules, by rule index (nil for others)
	base       []ruleParams
	stepValues [][]*val // per expansion and step: a referenceValue's new value

	final, partial, explain *vm.Program
	sources                 [3]string // generated expr source of final, partial, explain
	calls                   []string  // generated expr call of each rule, by rule index
	latencyRules            []int
	sortRules               []int
	needView                bool
}

// Team is one team of the match, after quantity is applied: a definition
// with quantity 3 named "trio" makes the teams trio_1, trio_2 and trio_3.
type Team struct {
	Name       string
	Definition string
	MinPlayers int
	MaxPlayers int
}

// selection is the set of teams a selector reads, and how it shapes them.
type selection struct {
	teams      []int // nil: every team
	flat       bool  // one flat list rather than one list per team
	allPlayers bool
}

// ruleParams are the expandable numbers of a rule and its reference value.
type ruleParams struct {
	minDistance, maxDistance float64
	hasMinDist, hasMaxDist   bool
	minCount, maxCount       float64
	hasMinCount, hasMaxCount bool
	maxLatency               float64
	hasMaxLatency            bool
	ref                      *val // a literal reference value, or nil
}

// Compile checks a Definition and compiles it. Errors are an ErrorList, as
// from Parse.
func Compile(def *Definition) (*RuleSet, error) {
	p, errs := analyze(def, nil, nil)
	if len(errs) > 0 {
		return nil, errs
	}
	return compilePlan(p)
}

// CompileJSON parses and compiles a rule set document in one step.
func CompileJSON(src []byte) (*RuleSet, error) {
	def, err := Parse(src)
	if err != nil {
		return nil, err
	}
	return Compile(def)
}

// Definition returns the rule set as written, with defaults applied. The
// caller must not modify it.
func (rs *RuleSet) Definition() *Definition { return rs.def }

// Teams returns the teams of a match, in order. Candidate team indices refer
// to this list.
func (rs *RuleSet) Teams() []Team { return rs.teams }

// Large reports whether the rule set describes large matches (more than 40
// players), which only the balanced strategy forms.
func (rs *RuleSet) Large() bool { return rs.plan.large }

// MaxPlayers returns the number of players in a full match.
func (rs *RuleSet) MaxPlayers() int { return rs.plan.maxPlayers }

// ExprSource returns the expr program that Evaluate runs in FinalCheck mode:
// the rule set's translation into expr, for explanations and debugging.
func (rs *RuleSet) ExprSource() string { return rs.sources[FinalCheck] }

type generator struct {
	rs  *RuleSet
	p   *plan
	sel map[string]int
}

func compilePlan(p *plan) (*RuleSet, error) {
	rs := &RuleSet{def: p.def, plan: p}
	for _, t := range p.teams {
		rs.teams = append(rs.teams, Team{Name: t.name, Definition: p.def.Teams[t.def].Name, MinPlayers: t.minPlayers, MaxPlayers: t.maxPlayers})
	}
	g := &generator{rs: rs, p: p, sel: map[string]int{}}
	rs.exprRules = make([]*vm.Program, len(p.rules))
	rs.base = make([]ruleParams, len(p.rules))
	calls := make([]string, len(p.rules))
	for i := range p.rules {
		rp := &p.rules[i]
		rs.base[i] = g.params(rp)
		call, err := g.rule(i, rp)
		if err != nil {
			return nil, ErrorList{{Path: indexPath("rules", i), Message: err.Error()}}
		}
		calls[i] = call
	}
	rs.calls = calls
	rs.stepValues = make([][]*val, len(p.expansions))
	for ei, e := range p.expansions {
		for _, st := range e.steps {
			var v *val
			switch {
			case st.Number != nil:
				v = &val{kind: vNum, num: *st.Number}
			case st.String != nil:
				v = &val{kind: vStr, str: *st.String}
			}
			rs.stepValues[ei] = append(rs.stepValues[ei], v)
		}
	}
	var final, partial, explain []string
	for i := range p.rules {
		rp := &p.rules[i]
		t := rp.def.Type
		if t == RuleAbsoluteSort || t == RuleDistanceSort {
			rs.sortRules = append(rs.sortRules, i)
			continue
		}
		if t == RuleLatency {
			rs.latencyRules = append(rs.latencyRules, i)
		}
		explain = append(explain, g.explainCall(i, rp, calls[i]))
		if rp.referenced {
			continue
		}
		final = append(final, calls[i])
		if rp.monotone {
			partial = append(partial, calls[i])
		}
	}
	rs.sources[FinalCheck] = chain(final)
	rs.sources[PartialCheck] = chain(partial)
	rs.sources[ExplainAll] = "mp_all($env" + prefixEach(", ", explain) + ")"
	var err error
	for mode, dst := range []**vm.Program{&rs.final, &rs.partial, &rs.explain} {
		if *dst, err = expr.Compile(rs.sources[mode], runtimeFunctions()...); err != nil {
			return nil, fmt.Errorf("compile rule set %q: generated expr does not compile: %w", p.def.Name, err)
		}
	}
	return rs, nil
}

func chain(calls []string) string {
	if len(calls) == 0 {
		return "true"
	}
	return strings.Join(calls, " && ")
}

func prefixEach(prefix string, items []string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(prefix)
		b.WriteString(it)
	}
	return b.String()
}

func (g *generator) literal(v *val) string {
	g.rs.literals = append(g.rs.literals, v)
	return fmt.Sprintf("mp_lit($env, %d)", len(g.rs.literals)-1)
}

func refLiteral(r *RefValue) *val {
	switch {
	case r.Number != nil:
		return &val{kind: vNum, num: *r.Number}
	case r.String != nil:
		return &val{kind: vStr, str: *r.String}
	default:
		return &val{kind: vStrList, strs: dedupe(r.List)}
	}
}

func (g *generator) params(rp *rulePlan) ruleParams {
	r := rp.def
	var p ruleParams
	set := func(dst *float64, has *bool, src *float64) {
		if src != nil {
			*dst, *has = *src, true
		}
	}
	set(&p.minDistance, &p.hasMinDist, r.MinDistance)
	set(&p.maxDistance, &p.hasMaxDist, r.MaxDistance)
	set(&p.minCount, &p.hasMinCount, r.MinCount)
	set(&p.maxCount, &p.hasMaxCount, r.MaxCount)
	set(&p.maxLatency, &p.hasMaxLatency, r.MaxLatency)
	if rp.reference != nil && rp.reference.literal != nil {
		p.ref = refLiteral(rp.reference.literal)
	}
	return p
}

// operand translates a measurement or reference into expr source.
func (g *generator) operand(op *operand, agg aggKind) (string, error) {
	switch {
	case op.literal != nil:
		return g.literal(refLiteral(op.literal)), nil
	case op.expr != "":
		prog, err := compileViewExpr(op.expr, nil)
		if err != nil {
			return "", err
		}
		g.rs.operands = append(g.rs.operands, prog)
		g.rs.needView = true
		return fmt.Sprintf("mp_operand($env, %d)", len(g.rs.operands)-1), nil
	}
	return g.prop(op.prop, agg), nil
}

// prop translates a property expression into calls of the mp_ functions.
func (g *generator) prop(e *propExpr, agg aggKind) string {
	switch e.kind {
	case propNumber:
		return g.literal(&val{kind: vNum, num: e.num})
	case propCall:
		if e.fn == "flatten" && e.arg.kind == propSelect && e.arg.level != levelTeams {
			// flatten(teams[...].players...) is the same selection read as one
			// list: select it flat instead of building a list per team.
			return g.selector(e.arg, agg, true)
		}
		return fmt.Sprintf("mp_%s($env, %s)", e.fn, g.prop(e.arg, agg))
	}
	return g.selector(e, agg, false)
}

// selector translates a selector; flat reads every selected team's values as
// one list.
func (g *generator) selector(e *propExpr, agg aggKind, flat bool) string {
	s := selection{allPlayers: e.allPlayers}
	if !e.allPlayers && e.teams != nil {
		for _, name := range e.teams {
			s.teams = append(s.teams, g.p.teamIndex[name]...)
		}
		s.flat = len(e.teams) == 1 && len(s.teams) == 1
	}
	s.flat = s.flat || e.allPlayers || flat
	key := fmt.Sprintf("%v", s)
	idx, ok := g.sel[key]
	if !ok {
		idx = len(g.rs.selections)
		g.rs.selections = append(g.rs.selections, s)
		g.sel[key] = idx
	}
	switch e.level {
	case levelTeams:
		return fmt.Sprintf("mp_teams($env, %d)", idx)
	case levelPlayers:
		return fmt.Sprintf("mp_players($env, %d)", idx)
	case levelPlayerID:
		return fmt.Sprintf("mp_ids($env, %d)", idx)
	}
	return fmt.Sprintf("mp_attr($env, %d, %d, %d)", idx, g.p.attrIndex[e.attr], agg)
}

func (g *generator) measurement(rp *rulePlan) (string, error) {
	parts := make([]string, 0, len(rp.measurements))
	for i := range rp.measurements {
		s, err := g.operand(&rp.measurements[i], rp.agg)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return "mp_concat($env" + prefixEach(", ", parts) + ")", nil
}

func (g *generator) reference(rp *rulePlan) (string, error) {
	if rp.reference == nil {
		return "nil", nil
	}
	return g.operand(rp.reference, rp.agg)
}

// rule returns the expr call that evaluates rule i and records its outcome.
func (g *generator) rule(i int, rp *rulePlan) (string, error) {
	switch rp.def.Type {
	case RuleBatchDistance:
		return fmt.Sprintf("mp_batch($env, %d)", i), nil
	case RuleLatency:
		return fmt.Sprintf("mp_latency($env, %d)", i), nil
	case RuleAbsoluteSort, RuleDistanceSort:
		return "", nil
	case RuleCompound:
		return fmt.Sprintf("mp_record($env, %d, %s)", i, g.statement(rp.statement, func(j int) string { return g.callFor(j) })), nil
	case RuleExpression:
		prog, err := compileViewExpr(rp.def.Expression, boolResult)
		if err != nil {
			return "", err
		}
		g.rs.exprRules[i] = prog
		g.rs.needView = true
		return fmt.Sprintf("mp_expression($env, %d)", i), nil
	}
	m, err := g.measurement(rp)
	if err != nil {
		return "", err
	}
	ref, err := g.reference(rp)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("mp_%s($env, %d, %s, %s)", rp.def.Type, i, m, ref), nil
}

// callFor regenerates the call of an earlier rule, for a compound statement
// that evaluates it in place.
func (g *generator) callFor(j int) string {
	call, _ := g.rule(j, &g.p.rules[j])
	return call
}

func (g *generator) statement(e *boolExpr, operand func(int) string) string {
	if e.op == "" {
		return operand(e.rule)
	}
	parts := make([]string, len(e.args))
	for i, a := range e.args {
		parts[i] = g.statement(a, operand)
	}
	switch e.op {
	case "and":
		return "(" + strings.Join(parts, " && ") + ")"
	case "or":
		return "(" + strings.Join(parts, " || ") + ")"
	case "not":
		return "!" + parts[0]
	default:
		return "mp_xor(" + strings.Join(parts, ", ") + ")"
	}
}

// explainCall is the call used when every rule is evaluated: compound rules
// read their operands' recorded outcomes instead of evaluating them again.
func (g *generator) explainCall(i int, rp *rulePlan, call string) string {
	if rp.def.Type != RuleCompound {
		return call
	}
	return fmt.Sprintf("mp_record($env, %d, %s)", i, g.statement(rp.statement, func(j int) string {
		return "mp_outcome($env, " + strconv.Itoa(j) + ")"
	}))
}
