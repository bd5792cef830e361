package rules

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// jsonKind is the kind of a node in a parsed rule set document.
type jsonKind int

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

// pos is a 1-based line and column in the source document.
type pos struct{ line, col int }

// jsonNode is one JSON value with the position where it starts, so that
// validation errors can point at the line and column of the offending value.
type jsonNode struct {
	kind    jsonKind
	at      pos
	boolean bool
	num     float64
	str     string // string value, or the number's source text
	items   []*jsonNode
	members []jsonMember
}

// jsonMember is one key of an object, in document order.
type jsonMember struct {
	key   string
	keyAt pos
	value *jsonNode
}

// maxJSONDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxJSONDepth = 64

// parseJSONC parses one JSON document. Beyond strict JSON (RFC 8259) it accepts
// what FlexMatch's published examples contain: `//` line comments, `/* */`
// block comments and a trailing comma before `]` or `}`. Duplicate object keys
// are an error. The first syntax error stops the parse.
func parseJSONC(src []byte) (*jsonNode, error) {
	p := &jsonParser{src: src, line: 1, col: 1}
	p.skipSpace()
	if p.err != nil {
		return nil, p.err
	}
	n := p.value(0)
	if p.err != nil {
		return nil, p.err
	}
	p.skipSpace()
	if p.err != nil {
		return nil, p.err
	}
	if p.off < len(p.src) {
		return nil, p.fail("unexpected %s after the end of the document", p.describe())
	}
	return n, nil
}

type jsonParser struct {
	src  []byte
	off  int
	line int
	col  int
	err  error
}

// syntaxError is a JSON syntax error at a position.
type syntaxError struct {
	at  pos
	msg string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.at.line, e.at.col, e.msg)
}

func (p *jsonParser) fail(format string, args ...any) error {
	if p.err == nil {
		p.err = &syntaxError{at: p.here(), msg: cut(fmt.Sprintf(format, args...))}
	}
	return p.err
}

func (p *jsonParser) here() pos { return pos{p.line, p.col} }

func (p *jsonParser) describe() string {
	if p.off >= len(p.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.src[p.off:])
	return strconv.QuoteRune(r)
}

func (p *jsonParser) advance(n int) {
	for i := 0; i < n && p.off < len(p.src); i++ {
		if p.src[p.off] == '\n' {
			p.line++
			p.col = 1
		} else if p.src[p.off]&0xC0 != 0x80 {
			p.col++
		}
		p.off++
	}
}

func (p *jsonParser) skipSpace() {
	for p.off < len(p.src) {
		c := p.src[p.off]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			p.advance(1)
		case c == '/' && p.off+1 < len(p.src) && p.src[p.off+1] == '/':
			for p.off < len(p.src) && p.src[p.off] != '\n' {
				p.advance(1)
			}
		case c == '/' && p.off+1 < len(p.src) && p.src[p.off+1] == '*':
			start := p.here()
			p.advance(2)
			for {
				if p.off+1 >= len(p.src) {
					p.err = &syntaxError{at: start, msg: "unterminated /* comment"}
					return
				}
				if p.src[p.off] == '*' && p.src[p.off+1] == '/' {
					p.advance(2)
					break
				}
				p.advance(1)
			}
		case c == 0xEF && p.off == 0 && len(p.src) >= 3 && p.src[1] == 0xBB && p.src[2] == 0xBF:
			p.off += 3 // byte order mark
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) *jsonNode {
	if depth > maxJSONDepth {
		p.fail("nesting deeper than %d levels", maxJSONDepth)
		return nil
	}
	if p.off >= len(p.src) {
		p.fail("unexpected end of input, expected a value")
		return nil
	}
	n := &jsonNode{at: p.here()}
	switch c := p.src[p.off]; {
	case c == '{':
		n.kind = jsonObject
		p.object(n, depth)
	case c == '[':
		n.kind = jsonArray
		p.array(n, depth)
	case c == '"':
		n.kind = jsonString
		n.str = p.string()
	case c == '-' || (c >= '0' && c <= '9'):
		n.kind = jsonNumber
		p.number(n)
	case p.literal("true"):
		n.kind, n.boolean = jsonBool, true
	case p.literal("false"):
		n.kind = jsonBool
	case p.literal("null"):
		n.kind = jsonNull
	default:
		p.fail("unexpected %s, expected a value", p.describe())
	}
	if p.err != nil {
		return nil
	}
	return n
}

func (p *jsonParser) literal(word string) bool {
	if strings.HasPrefix(string(p.src[p.off:min(len(p.src), p.off+len(word))]), word) {
		p.advance(len(word))
		return true
	}
	return false
}

func (p *jsonParser) object(n *jsonNode, depth int) {
	p.advance(1)
	seen := map[string]bool{}
	for {
		p.skipSpace()
		if p.err != nil {
			return
		}
		if p.off < len(p.src) && p.src[p.off] == '}' {
			p.advance(1)
			return
		}
		if len(n.members) > 0 {
			if p.off >= len(p.src) || p.src[p.off] != ',' {
				p.fail("unexpected %s, expected ',' or '}'", p.describe())
				return
			}
			p.advance(1)
			p.skipSpace()
			if p.err != nil {
				return
			}
			if p.off < len(p.src) && p.src[p.off] == '}' { // trailing comma
				p.advance(1)
				return
			}
		}
		if p.off >= len(p.src) || p.src[p.off] != '"' {
			p.fail("unexpected %s, expected a quoted key", p.describe())
			return
		}
		keyAt := p.here()
		key := p.string()
		if p.err != nil {
			return
		}
		if seen[key] {
			p.err = &syntaxError{at: keyAt, msg: "duplicate key " + clip(key)}
			return
		}
		seen[key] = true
		p.skipSpace()
		if p.err != nil {
			return
		}
		if p.off >= len(p.src) || p.src[p.off] != ':' {
			p.fail("unexpected %s, expected ':' after key %s", p.describe(), clip(key))
			return
		}
		p.advance(1)
		p.skipSpace()
		if p.err != nil {
			return
		}
		v := p.value(depth + 1)
		if p.err != nil {
			return
		}
		n.members = append(n.members, jsonMember{key: key, keyAt: keyAt, value: v})
	}
}

func (p *jsonParser) array(n *jsonNode, depth int) {
	p.advance(1)
	for {
		p.skipSpace()
		if p.err != nil {
			return
		}
		if p.off < len(p.src) && p.src[p.off] == ']' {
			p.advance(1)
			return
		}
		if len(n.items) > 0 {
			if p.off >= len(p.src) || p.src[p.off] != ',' {
				p.fail("unexpected %s, expected ',' or ']'", p.describe())
				return
			}
			p.advance(1)
			p.skipSpace()
			if p.err != nil {
				return
			}
			if p.off < len(p.src) && p.src[p.off] == ']' { // trailing comma
				p.advance(1)
				return
			}
		}
		v := p.value(depth + 1)
		if p.err != nil {
			return
		}
		n.items = append(n.items, v)
	}
}

func (p *jsonParser) string() string {
	p.advance(1)
	var b strings.Builder
	for {
		if p.off >= len(p.src) {
			p.fail("unterminated string")
			return ""
		}
		c := p.src[p.off]
		switch {
		case c == '"':
			p.advance(1)
			return b.String()
		case c == '\\':
			if p.off+1 >= len(p.src) {
				p.fail("unterminated string")
				return ""
			}
			e := p.src[p.off+1]
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := p.unicodeEscape()
				if !ok {
					return ""
				}
				b.WriteRune(r)
				continue
			default:
				p.fail("invalid escape \\%c in string", e)
				return ""
			}
			p.advance(2)
		case c < 0x20:
			p.fail("control character %#x in string", c)
			return ""
		default:
			r, size := utf8.DecodeRune(p.src[p.off:])
			if r == utf8.RuneError && size == 1 {
				p.fail("invalid UTF-8 in string")
				return ""
			}
			b.Write(p.src[p.off : p.off+size])
			p.advance(size)
		}
	}
}

// unicodeEscape reads \uXXXX (and a following low surrogate) at p.off.
func (p *jsonParser) unicodeEscape() (rune, bool) {
	read := func() (rune, bool) {
		if p.off+6 > len(p.src) || p.src[p.off] != '\\' || p.src[p.off+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(p.src[p.off+2:p.off+6]), 16, 32)
		if err != nil {
			return 0, false
		}
		p.advance(6)
		return rune(v), true
	}
	r, ok := read()
	if !ok {
		p.fail(`invalid \u escape in string`)
		return 0, false
	}
	if r >= 0xD800 && r < 0xDC00 {
		save, saveLine, saveCol := p.off, p.line, p.col
		lo, ok := read()
		if ok && lo >= 0xDC00 && lo < 0xE000 {
			return (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000, true
		}
		p.off, p.line, p.col = save, saveLine, saveCol
		return utf8.RuneError, true
	}
	return r, true
}

func (p *jsonParser) number(n *jsonNode) {
	start := p.off
	end := start
	for end < len(p.src) {
		c := p.src[end]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			end++
			continue
		}
		break
	}
	text := string(p.src[start:end])
	if !validJSONNumber(text) {
		p.fail("invalid number %s", clip(text))
		return
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		p.fail("number %s is out of range", text)
		return
	}
	n.num, n.str = v, text
	p.advance(end - start)
}

// validJSONNumber reports whether s has the RFC 8259 number grammar.
func validJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
