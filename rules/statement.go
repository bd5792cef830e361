package rules

import (
	"fmt"
	"strings"
)

// boolExpr is a compound rule's statement: and/or/not/xor over rule names.
type boolExpr struct {
	op   string // "and", "or", "not", "xor", or "" for a rule reference
	name string
	rule int
	args []*boolExpr
}

// maxStatementDepth bounds the nesting of a compound statement.
const maxStatementDepth = 32

// parseStatement parses a compound statement such as
// `or(and(SeriousPlayers, VeryCloseSkill), not(CasualPlayers))`.
func parseStatement(src string) (*boolExpr, error) {
	p := &stmtParser{src: src}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.off < len(p.src) {
		return nil, fmt.Errorf("at character %d: unexpected %s after the statement", p.off+1, clip(p.src[p.off:]))
	}
	return e, nil
}

type stmtParser struct {
	src string
	off int
}

func (p *stmtParser) space() {
	for p.off < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.off]) >= 0 {
		p.off++
	}
}

func (p *stmtParser) expr(depth int) (*boolExpr, error) {
	if depth > maxStatementDepth {
		return nil, fmt.Errorf("at character %d: statement nested deeper than %d", p.off+1, maxStatementDepth)
	}
	p.space()
	start := p.off
	for p.off < len(p.src) && strings.IndexByte("(), \t\r\n", p.src[p.off]) < 0 {
		p.off++
	}
	word := p.src[start:p.off]
	if word == "" {
		if p.off >= len(p.src) {
			return nil, fmt.Errorf("at character %d: expected a rule name or and/or/not/xor, found the end of the statement", p.off+1)
		}
		return nil, fmt.Errorf("at character %d: expected a rule name or and/or/not/xor, found %q", p.off+1, p.src[p.off:p.off+1])
	}
	p.space()
	if p.off >= len(p.src) || p.src[p.off] != '(' {
		return &boolExpr{name: word, rule: -1}, nil
	}
	op := strings.ToLower(word)
	if op != "and" && op != "or" && op != "not" && op != "xor" {
		return nil, fmt.Errorf("at character %d: unknown operator %s (and, or, not, xor)", start+1, clip(word))
	}
	p.off++
	e := &boolExpr{op: op}
	for {
		arg, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		e.args = append(e.args, arg)
		p.space()
		if p.off < len(p.src) && p.src[p.off] == ',' {
			p.off++
			continue
		}
		if p.off < len(p.src) && p.src[p.off] == ')' {
			p.off++
			break
		}
		return nil, fmt.Errorf("at character %d: expected ',' or ')' in %s(...)", p.off+1, op)
	}
	switch {
	case op == "not" && len(e.args) != 1:
		return nil, fmt.Errorf("at character %d: not takes exactly one operand, found %d", start+1, len(e.args))
	case op != "not" && len(e.args) < 2:
		return nil, fmt.Errorf("at character %d: %s takes two or more operands, found %d", start+1, op, len(e.args))
	}
	return e, nil
}

// walk calls f for every rule name in the statement.
func (e *boolExpr) walk(f func(name string)) {
	if e.op == "" {
		f(e.name)
		return
	}
	for _, a := range e.args {
		a.walk(f)
	}
}

// bind sets the rule index of every reference to name.
func (e *boolExpr) bind(name string, idx int) {
	if e.op == "" {
		if e.name == name {
			e.rule = idx
		}
		return
	}
	for _, a := range e.args {
		a.bind(name, idx)
	}
}

// String writes the statement back in canonical form.
func (e *boolExpr) String() string {
	if e.op == "" {
		return e.name
	}
	parts := make([]string, len(e.args))
	for i, a := range e.args {
		parts[i] = a.String()
	}
	return e.op + "(" + strings.Join(parts, ", ") + ")"
}
