package sessionsearch

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

type operandKind int

const (
	opName operandKind = iota
	opID
	opProperty
	opMaximumSessions
	opCreationTime
	opPlayerSessionCount
	opHasAvailable
)

type valueType int

const (
	typeString valueType = iota
	typeNumber
	typeBool
)

const propertyPrefix = "gameSessionProperties."

// operands are GameLift's operand names, but for gameSessionProperties.<key>.
var operands = map[string]operandKind{
	"gameSessionName":            opName,
	"gameSessionId":              opID,
	"maximumSessions":            opMaximumSessions,
	"creationTimeMillis":         opCreationTime,
	"playerSessionCount":         opPlayerSessionCount,
	"hasAvailablePlayerSessions": opHasAvailable,
}

const operandList = "gameSessionName, gameSessionId, gameSessionProperties.<key>, maximumSessions, creationTimeMillis, playerSessionCount or hasAvailablePlayerSessions"

// operand is a game session attribute named in an expression.
type operand struct {
	kind operandKind
	key  string // the property key, for opProperty
	name string // as written
}

func (o operand) typ() valueType {
	switch o.kind {
	case opMaximumSessions, opCreationTime, opPlayerSessionCount:
		return typeNumber
	case opHasAvailable:
		return typeBool
	}
	return typeString
}

// node is a parsed filter: *binary, *not or *condition.
type node interface{ isNode() }

type binary struct {
	and  bool // AND; otherwise OR
	l, r node
}

type not struct{ x node }

type condition struct {
	operand operand
	cmp     string // =, <>, <, >, <=, >=
	str     string
	num     int64
	boolean bool
}

func (*binary) isNode()    {}
func (*not) isNode()       {}
func (*condition) isNode() {}

// parser reads an expression one token ahead.
type parser struct {
	lx  *lexer
	tok token
}

func newParser(field, src string) (*parser, *SyntaxError) {
	if n := utf8.RuneCountInString(src); n > MaxExpressionLength {
		return nil, &SyntaxError{Field: field, Pos: MaxExpressionLength + 1,
			Msg: "the expression is " + strconv.Itoa(n) + " characters long; the limit is " + strconv.Itoa(MaxExpressionLength)}
	}
	p := &parser{lx: newLexer(field, src)}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, p.errorf(p.tok.pos, "the expression is empty")
	}
	return p, nil
}

func (p *parser) errorf(pos int, format string, args ...any) *SyntaxError {
	return p.lx.errorf(pos, format, args...)
}

func (p *parser) advance() *SyntaxError {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// keyword reports whether the current token is the keyword kw, in any case.
func (p *parser) keyword(kw string) bool {
	return p.tok.kind == tIdent && strings.EqualFold(p.tok.text, kw)
}

func isKeyword(s string) bool {
	for _, kw := range []string{"AND", "OR", "NOT", "TRUE", "FALSE", "ASC", "DESC"} {
		if strings.EqualFold(s, kw) {
			return true
		}
	}
	return false
}

// describe names a token in an error message.
func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the expression"
	case tString:
		raw := t.raw
		if utf8.RuneCountInString(raw) > 40 {
			raw = string([]rune(raw)[:37]) + "..."
		}
		return "the string " + raw
	case tIdent:
		if isKeyword(t.text) {
			return strings.ToUpper(t.text)
		}
	}
	return strconv.Quote(t.raw)
}

// parseFilter parses a whole FilterExpression.
//
//	or        = and { OR and }
//	and       = unary { AND unary }
//	unary     = NOT unary | "(" or ")" | condition
//	condition = operand comparator value
func parseFilter(src string) (node, *SyntaxError) {
	p, err := newParser(FilterField, src)
	if err != nil {
		return nil, err
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errorf(p.tok.pos, "expected AND, OR or the end of the expression, found %s", describe(p.tok))
	}
	return n, nil
}

func (p *parser) or() (node, *SyntaxError) {
	return p.chain("OR", false, p.and)
}

func (p *parser) and() (node, *SyntaxError) {
	return p.chain("AND", true, p.unary)
}

func (p *parser) chain(kw string, and bool, operand func() (node, *SyntaxError)) (node, *SyntaxError) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.keyword(kw) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = &binary{and: and, l: l, r: r}
	}
	return l, nil
}

func (p *parser) unary() (node, *SyntaxError) {
	switch {
	case p.keyword("NOT"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &not{x: x}, nil
	case p.tok.kind == tLParen:
		open := p.tok.pos
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.errorf(p.tok.pos, "expected AND, OR or the ) that closes the ( at character %d, found %s", open, describe(p.tok))
		}
		return x, p.advance()
	}
	return p.condition()
}

func (p *parser) condition() (node, *SyntaxError) {
	if p.tok.kind != tIdent || isKeyword(p.tok.text) {
		return nil, p.errorf(p.tok.pos, "expected a condition such as maximumSessions > 4, found %s", describe(p.tok))
	}
	op, err := p.operand()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tCompare {
		return nil, p.errorf(p.tok.pos, "expected a comparison operator (=, <>, <, >, <=, >=) after %s, found %s", op.name, describe(p.tok))
	}
	c := &condition{operand: op, cmp: p.tok.text}
	typ := op.typ()
	if typ != typeNumber && c.cmp != "=" && c.cmp != "<>" {
		return nil, p.errorf(p.tok.pos, "%s holds %s: compare it with = or <>, not %s", op.name, typeNames[typ], c.cmp)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	v := p.tok
	switch {
	case typ == typeString && v.kind == tString:
		c.str = v.text
	case typ == typeNumber && v.kind == tNumber:
		c.num = v.num
	case typ == typeBool && v.kind == tIdent && (strings.EqualFold(v.text, "true") || strings.EqualFold(v.text, "false")):
		c.boolean = strings.EqualFold(v.text, "true")
	default:
		return nil, p.errorf(v.pos, "%s is compared with %s, found %s", op.name, valueHints[typ], describe(v))
	}
	return c, p.advance()
}

var typeNames = [...]string{typeString: "a string", typeNumber: "a number", typeBool: "true or false"}

var valueHints = [...]string{
	typeString: "a string in quotes ('text')",
	typeNumber: "a whole number (10)",
	typeBool:   "true or false",
}

// operand reads the operand at the current token.
func (p *parser) operand() (operand, *SyntaxError) {
	t := p.tok
	name := t.text
	if kind, ok := operands[name]; ok {
		return operand{kind: kind, name: name}, p.advance()
	}
	if key, ok := strings.CutPrefix(name, propertyPrefix); ok && key != "" {
		return operand{kind: opProperty, key: key, name: name}, p.advance()
	}
	if strings.EqualFold(name, strings.TrimSuffix(propertyPrefix, ".")) || strings.EqualFold(name, propertyPrefix) {
		return operand{}, p.errorf(t.pos, "%s needs a property key: gameSessionProperties.<key>", name)
	}
	if len(name) > len(propertyPrefix) && strings.EqualFold(name[:len(propertyPrefix)], propertyPrefix) {
		return operand{}, p.errorf(t.pos, "unknown operand %s; operand names are case sensitive: did you mean %s%s?", name, propertyPrefix, name[len(propertyPrefix):])
	}
	for known := range operands {
		if strings.EqualFold(name, known) {
			return operand{}, p.errorf(t.pos, "unknown operand %s; operand names are case sensitive: did you mean %s?", name, known)
		}
	}
	return operand{}, p.errorf(t.pos, "unknown operand %s; expected %s", name, operandList)
}
