package rules

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A property expression (FlexMatch rule language 1.0) names values of a
// candidate match: `teams[red].players.attributes[skill]`,
// `avg(flatten(teams[*].players.attributes[skill]))`, `count(teams[a,b].players)`.
// parsePropExpr turns one into a propExpr tree; typeOf checks it against the
// rule set's teams and attributes; compile.go translates it to expr.

// propKind is the kind of a propExpr node.
type propKind int

const (
	propNumber propKind = iota // a literal number
	propSelect                 // a teams[...] or players selector
	propCall                   // fn(arg)
)

// selectLevel is how far down a selector goes.
type selectLevel int

const (
	levelTeams     selectLevel = iota // teams[x]
	levelPlayers                      // teams[x].players
	levelPlayerID                     // teams[x].players[playerId]
	levelAttribute                    // teams[x].players.attributes[a]
)

type propExpr struct {
	kind propKind
	off  int // byte offset in the source, for errors

	num float64

	// selector
	allPlayers bool     // `players...` rather than `teams[...]...`
	teams      []string // nil means every team (`*`)
	level      selectLevel
	attr       string

	fn  string
	arg *propExpr
}

// propFunctions are the functions of the property expression language.
var propFunctions = []string{"avg", "count", "flatten", "max", "median", "min", "set_intersection", "stddev", "sum"}

// maxPropDepth bounds the nesting of function calls in one expression.
const maxPropDepth = 16

type propParser struct {
	src   string
	off   int
	depth int
}

// propSyntaxError is a syntax error at a byte offset of a property expression.
type propSyntaxError struct {
	off int
	msg string
}

func (e *propSyntaxError) Error() string {
	return fmt.Sprintf("at character %d: %s", e.off+1, e.msg)
}

// parsePropExpr parses a whole property expression.
func parsePropExpr(src string) (*propExpr, error) {
	p := &propParser{src: src}
	e, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.off < len(p.src) {
		return nil, &propSyntaxError{p.off, "unexpected " + clip(p.src[p.off:]) + " after the expression"}
	}
	return e, nil
}

func (p *propParser) space() {
	for p.off < len(p.src) && (p.src[p.off] == ' ' || p.src[p.off] == '\t' || p.src[p.off] == '\n' || p.src[p.off] == '\r') {
		p.off++
	}
}

func (p *propParser) errorf(format string, args ...any) error {
	return &propSyntaxError{p.off, fmt.Sprintf(format, args...)}
}

func (p *propParser) ident() string {
	start := p.off
	for p.off < len(p.src) {
		c := p.src[p.off]
		if c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			p.off++
			continue
		}
		break
	}
	return p.src[start:p.off]
}

func (p *propParser) expect(c byte) error {
	p.space()
	if p.off >= len(p.src) || p.src[p.off] != c {
		got := "end of expression"
		if p.off < len(p.src) {
			got = strconv.Quote(p.src[p.off : p.off+1])
		}
		return p.errorf("expected %q, found %s", string(c), got)
	}
	p.off++
	return nil
}

func (p *propParser) expr() (*propExpr, error) {
	p.space()
	start := p.off
	if p.off < len(p.src) && (p.src[p.off] == '-' || p.src[p.off] == '.' || (p.src[p.off] >= '0' && p.src[p.off] <= '9')) {
		end := p.off + 1
		for end < len(p.src) && strings.IndexByte("0123456789.eE+-", p.src[end]) >= 0 {
			end++
		}
		v, err := strconv.ParseFloat(p.src[p.off:end], 64)
		if err != nil {
			return nil, p.errorf("invalid number %s", clip(p.src[p.off:end]))
		}
		p.off = end
		return &propExpr{kind: propNumber, off: start, num: v}, nil
	}
	name := p.ident()
	switch {
	case name == "":
		if p.off >= len(p.src) {
			return nil, p.errorf("expected a selector, a function or a number, found the end of the expression")
		}
		return nil, p.errorf("expected a selector, a function or a number, found %q", p.src[p.off:p.off+1])
	case name == "teams" || name == "team":
		// FlexMatch's property expression reference prints team[red].players.
		return p.selector("teams", start)
	case name == "players":
		return p.selector(name, start)
	}
	if !slices.Contains(propFunctions, name) {
		return nil, &propSyntaxError{start, fmt.Sprintf("unknown function or selector %s (functions: %s; selectors: teams, players)", clip(name), strings.Join(propFunctions, ", "))}
	}
	p.depth++
	if p.depth > maxPropDepth {
		return nil, &propSyntaxError{start, fmt.Sprintf("functions nested deeper than %d", maxPropDepth)}
	}
	if err := p.expect('('); err != nil {
		return nil, err
	}
	arg, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.off < len(p.src) && p.src[p.off] == ',' {
		return nil, p.errorf("%s takes one argument", name)
	}
	if err := p.expect(')'); err != nil {
		return nil, err
	}
	p.depth--
	return &propExpr{kind: propCall, off: start, fn: name, arg: arg}, nil
}

// bracket reads `[ ... ]` and returns the raw text inside, trimmed.
func (p *propParser) bracket() (string, int, error) {
	if err := p.expect('['); err != nil {
		return "", 0, err
	}
	start := p.off
	end := strings.IndexByte(p.src[p.off:], ']')
	if end < 0 {
		return "", 0, p.errorf("missing ']'")
	}
	text := p.src[p.off : p.off+end]
	if strings.ContainsAny(text, "[()") {
		return "", 0, p.errorf("unexpected character in brackets %s", clip(text))
	}
	p.off += end + 1
	return strings.TrimSpace(text), start, nil
}

func (p *propParser) dotWord(word string) bool {
	p.space()
	save := p.off
	if p.off < len(p.src) && p.src[p.off] == '.' {
		p.off++
		p.space()
		if p.ident() == word {
			return true
		}
	}
	p.off = save
	return false
}

func (p *propParser) selector(root string, start int) (*propExpr, error) {
	e := &propExpr{kind: propSelect, off: start}
	if root == "players" {
		e.allPlayers = true
		e.level = levelPlayers
	} else {
		p.space()
		text, at, err := p.bracket()
		if err != nil {
			return nil, err
		}
		if text == "" {
			return nil, &propSyntaxError{at, "empty team selection: use [*] for every team or name the teams"}
		}
		if text != "*" {
			for _, name := range strings.Split(text, ",") {
				name = strings.TrimSpace(name)
				if name == "" || name == "*" {
					return nil, &propSyntaxError{at, "invalid team list " + clip(text)}
				}
				e.teams = append(e.teams, name)
			}
		}
		if !p.dotWord("players") {
			return e, p.trailing()
		}
		e.level = levelPlayers
	}
	p.space()
	if p.off < len(p.src) && p.src[p.off] == '[' {
		text, at, err := p.bracket()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(text, "playerId") {
			return nil, &propSyntaxError{at, "unknown player property " + clip(text) + ": players[playerId] or players.attributes[NAME]"}
		}
		e.level = levelPlayerID
		return e, p.trailing()
	}
	if p.dotWord("attributes") {
		p.space()
		text, at, err := p.bracket()
		if err != nil {
			return nil, err
		}
		if text == "" {
			return nil, &propSyntaxError{at, "empty attribute name"}
		}
		e.level = levelAttribute
		e.attr = text
	}
	return e, p.trailing()
}

// trailing rejects a selector continued with something the language lacks.
func (p *propParser) trailing() error {
	p.space()
	if p.off < len(p.src) && (p.src[p.off] == '.' || p.src[p.off] == '[') {
		return p.errorf("unexpected %s: selectors are teams[...], .players, .players[playerId] and .players.attributes[NAME]", clip(p.src[p.off:]))
	}
	return nil
}

// leafKind is the kind of the innermost values of a property expression.
type leafKind int

const (
	leafNumber leafKind = iota
	leafString
	leafStringList
	leafNumberMap
	leafPlayer
	leafTeam
)

func (k leafKind) String() string {
	return [...]string{"number", "string", "string list", "string-number map", "player", "team"}[k]
}

// propType is the static type of a property expression: its leaf kind inside
// depth levels of list (0: a single value, 1: a list, 2: a list per team).
type propType struct {
	depth int
	leaf  leafKind
}

func (t propType) String() string {
	s := t.leaf.String()
	for i := 0; i < t.depth; i++ {
		s = "list of " + s
		if i == 0 {
			s = strings.Replace(s, "list of string list", "list of string lists", 1)
		}
	}
	return s
}

// propScope is what a property expression may refer to.
type propScope struct {
	teams map[string][]int // team name or definition name -> team indices
	attrs map[string]AttributeType

	// Set when an attribute or team name of the rule set did not decode:
	// an unknown name may be that one, so it is not reported.
	attrsUnknown, teamsUnknown bool
}

// errUndecoded is returned by typeOf for an expression that names an
// attribute or team that may be one whose declaration did not decode, or
// an attribute whose declared type is invalid. That problem is reported
// where it is declared; the expression is not reported again.
var errUndecoded = errors.New("refers to a declaration that did not decode")

// typeOf checks e and returns its static type.
func (s *propScope) typeOf(e *propExpr) (propType, error) {
	switch e.kind {
	case propNumber:
		return propType{0, leafNumber}, nil
	case propSelect:
		return s.selectorType(e)
	}
	in, err := s.typeOf(e.arg)
	if err != nil {
		return propType{}, err
	}
	bad := func(want string) error {
		return &propSyntaxError{e.off, fmt.Sprintf("%s needs %s, but its argument is a %s", e.fn, want, in)}
	}
	switch e.fn {
	case "avg", "min", "max", "sum", "median", "stddev":
		if in.depth == 0 || in.leaf != leafNumber {
			return propType{}, bad("a list of numbers")
		}
		return propType{in.depth - 1, leafNumber}, nil
	case "count":
		if in.depth == 0 {
			if in.leaf == leafStringList {
				return propType{0, leafNumber}, nil
			}
			return propType{}, bad("a list")
		}
		return propType{in.depth - 1, leafNumber}, nil
	case "flatten":
		if in.depth < 2 {
			return propType{}, bad("a list of lists (such as teams[*].players.attributes[x])")
		}
		return propType{in.depth - 1, in.leaf}, nil
	default: // set_intersection
		switch {
		case in.depth >= 1 && in.leaf == leafStringList:
			return propType{in.depth - 1, leafStringList}, nil
		case in.depth == 2 && in.leaf == leafString:
			return propType{0, leafStringList}, nil
		}
		return propType{}, bad("a list of string lists")
	}
}

func (s *propScope) selectorType(e *propExpr) (propType, error) {
	depth := 1 // players: one flat list
	if !e.allPlayers {
		idx, err := s.resolveTeams(e)
		if err != nil {
			return propType{}, err
		}
		single := len(e.teams) == 1 && len(idx) == 1
		if e.level == levelTeams {
			if single {
				return propType{0, leafTeam}, nil
			}
			return propType{1, leafTeam}, nil
		}
		if !single {
			depth = 2
		}
	}
	switch e.level {
	case levelPlayers:
		return propType{depth, leafPlayer}, nil
	case levelPlayerID:
		return propType{depth, leafString}, nil
	}
	t, ok := s.attrs[e.attr]
	if (!ok && s.attrsUnknown) || (ok && !t.valid()) {
		return propType{}, errUndecoded
	}
	if !ok {
		return propType{}, &propSyntaxError{e.off, "attribute " + clip(e.attr) + " is not declared in playerAttributes"}
	}
	return propType{depth, attrLeaf(t)}, nil
}

func attrLeaf(t AttributeType) leafKind {
	switch t {
	case TypeNumber:
		return leafNumber
	case TypeString:
		return leafString
	case TypeStringList:
		return leafStringList
	default:
		return leafNumberMap
	}
}

// resolveTeams maps a selector's team names to team indices.
func (s *propScope) resolveTeams(e *propExpr) ([]int, error) {
	if e.teams == nil {
		return nil, nil
	}
	var out []int
	for _, name := range e.teams {
		idx, ok := s.teams[name]
		if !ok && s.teamsUnknown {
			return nil, errUndecoded
		}
		if !ok {
			return nil, &propSyntaxError{e.off, "team " + clip(name) + " is not defined"}
		}
		out = append(out, idx...)
	}
	return out, nil
}
