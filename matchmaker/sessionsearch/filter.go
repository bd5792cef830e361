package sessionsearch

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
)

// Filter is a compiled FilterExpression: immutable and safe for concurrent
// use. A nil *Filter matches every session.
type Filter struct {
	program *vm.Program
	source  string
	vms     sync.Pool // of *vm.VM
}

// constPrefix names the placeholders of the generated source that stand for
// the expression's values and property keys; the Session has no such field.
const constPrefix = "mpConst"

// CompileFilter parses a FilterExpression and compiles it. An expression that
// does not parse, or compares an operand with a value of another type, is a
// *SyntaxError.
func CompileFilter(src string) (*Filter, error) {
	n, serr := parseFilter(src)
	if serr != nil {
		return nil, serr
	}
	g := &generator{}
	g.node(n)
	source := g.b.String()
	program, err := expr.Compile(source,
		expr.Env(filterFields),
		expr.AllowUndefinedVariables(),
		expr.AsBool(),
		expr.DisableAllBuiltins(),
		expr.Patch(constants(g.consts)),
	)
	if err != nil {
		return nil, fmt.Errorf("%s: generated expr does not compile: %w", FilterField, err)
	}
	f := &Filter{program: program, source: source}
	f.vms.New = func() any { return new(vm.VM) }
	return f, nil
}

// ExprSource returns the expr program the filter runs, with mpConstN standing
// for the Nth value or property key of the expression.
func (f *Filter) ExprSource() string { return f.source }

// Match reports whether the session s satisfies the filter. s must not be nil.
func (f *Filter) Match(s *Session) bool {
	if f == nil {
		return true
	}
	m := f.vms.Get().(*vm.VM)
	defer f.vms.Put(m)
	out, err := m.Run(f.program, s.variables())
	if err != nil {
		// The program reads only fields of a *Session, with types checked
		// at compile time: it cannot fail on a non-nil session.
		panic(fmt.Sprintf("sessionsearch: filter %s on session %p: %v", f.source, s, err))
	}
	return out.(bool)
}

// Select returns, in order, the sessions that match the filter, in a new
// slice.
func (f *Filter) Select(sessions []*Session) []*Session {
	var out []*Session
	for _, s := range sessions {
		if f.Match(s) {
			out = append(out, s)
		}
	}
	return out
}

// generator writes a parsed filter as expr source. Values and property keys
// go into consts and appear in the source only as placeholders.
type generator struct {
	b      strings.Builder
	consts []any
}

func (g *generator) constant(v any) string {
	g.consts = append(g.consts, v)
	return constPrefix + strconv.Itoa(len(g.consts)-1)
}

func (g *generator) node(n node) {
	switch n := n.(type) {
	case *binary:
		op := " or "
		if n.and {
			op = " and "
		}
		g.b.WriteByte('(')
		g.node(n.l)
		g.b.WriteString(op)
		g.node(n.r)
		g.b.WriteByte(')')
	case *not:
		g.b.WriteString("not ")
		g.node(n.x)
	case *condition:
		g.condition(n)
	}
}

// condition writes one comparison. A string operand without a value (a
// property the session does not have, an unset name) equals nothing, so = is
// false for it and <> true: <> is always the negation of =.
func (g *generator) condition(c *condition) {
	if c.operand.typ() == typeString {
		if c.cmp == "<>" {
			g.b.WriteString("not ")
		}
		v := g.constant(c.str)
		switch c.operand.kind {
		case opName:
			fmt.Fprintf(&g.b, `(Name != "" and Name == %s)`, v)
		case opID:
			fmt.Fprintf(&g.b, `(ID == %s or ARN != "" and ARN == %s)`, v, v)
		case opProperty:
			p := propertyVar(c.operand.key)
			fmt.Fprintf(&g.b, `(%s != nil and %s == %s)`, p, p, v)
		}
		return
	}
	cmp := map[string]string{"=": "==", "<>": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}[c.cmp]
	var field, v string
	switch c.operand.kind {
	case opMaximumSessions:
		field, v = "MaximumSessions", g.constant(int(c.num))
	case opPlayerSessionCount:
		field, v = "PlayerSessionCount", g.constant(int(c.num))
	case opCreationTime:
		field, v = "CreationTimeMillis", g.constant(c.num)
	case opHasAvailable:
		field, v = "HasAvailablePlayerSessions", g.constant(c.boolean)
	}
	fmt.Fprintf(&g.b, "(%s %s %s)", field, cmp, v)
}

// constants is the expr patch that replaces each placeholder with its value.
type constants []any

func (c constants) Visit(n *ast.Node) {
	id, ok := (*n).(*ast.IdentifierNode)
	if !ok {
		return
	}
	i, ok := strings.CutPrefix(id.Value, constPrefix)
	if !ok {
		return
	}
	idx, _ := strconv.Atoi(i)
	ast.Patch(n, &ast.ConstantNode{Value: c[idx]})
}
