package sessionsearch

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokenKind int

const (
	tEOF    tokenKind = iota
	tIdent            // an operand or a keyword
	tString           // a quoted string; text is its value, unescaped
	tNumber           // a whole number, num is its value
	tLParen
	tRParen
	tCompare // text is the comparator
)

type token struct {
	kind tokenKind
	pos  int    // 1-based character index of the token's first character
	raw  string // the token as written
	text string // identifier, comparator, or a string's value
	num  int64
}

// lexer reads tokens one at a time, so the first error reported is the
// leftmost one.
type lexer struct {
	field string
	src   string
	off   int // byte offset
	pos   int // 1-based character index of src[off]
}

func newLexer(field, src string) *lexer {
	return &lexer{field: field, src: src, pos: 1}
}

func (l *lexer) errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Field: l.field, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// peek returns the next character without reading it, or -1 at the end.
func (l *lexer) peek() rune {
	if l.off >= len(l.src) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.off:])
	return r
}

func (l *lexer) advance() rune {
	r, n := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += n
	l.pos++
	return r
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdentPart(r rune) bool {
	return r == '_' || r == '.' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func (l *lexer) next() (token, *SyntaxError) {
	for l.off < len(l.src) && unicode.IsSpace(l.peek()) {
		l.advance()
	}
	start, startOff := l.pos, l.off
	tok := func(kind tokenKind) token {
		raw := l.src[startOff:l.off]
		return token{kind: kind, pos: start, raw: raw, text: raw}
	}
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	r := l.advance()
	switch {
	case r == '(':
		return tok(tLParen), nil
	case r == ')':
		return tok(tRParen), nil
	case r == '=':
		if l.peek() == '=' {
			return token{}, l.errorf(start, "%s", "== is not a comparator: write = for equality")
		}
		return tok(tCompare), nil
	case r == '<':
		if c := l.peek(); c == '=' || c == '>' {
			l.advance()
		}
		return tok(tCompare), nil
	case r == '>':
		if l.peek() == '=' {
			l.advance()
		}
		return tok(tCompare), nil
	case r == '!':
		if l.peek() == '=' {
			return token{}, l.errorf(start, "%s", "!= is not a comparator: write <> for not equal")
		}
		return token{}, l.errorf(start, "unexpected character %s; negate a condition with NOT", strconv.QuoteRune(r))
	case r == '\'' || r == '"':
		return l.quoted(r, start, startOff)
	case isDigit(r) || r == '-' && isDigit(l.peek()):
		return l.number(start, startOff)
	case isIdentStart(r):
		for l.off < len(l.src) && isIdentPart(l.peek()) {
			l.advance()
		}
		return tok(tIdent), nil
	}
	return token{}, l.errorf(start, "unexpected character %s", strconv.QuoteRune(r))
}

// quoted reads a string up to the closing quote; a backslash makes the next
// character literal, whatever it is.
func (l *lexer) quoted(quote rune, start, startOff int) (token, *SyntaxError) {
	var b strings.Builder
	for l.off < len(l.src) {
		from := l.off
		r := l.advance()
		if r == quote {
			return token{kind: tString, pos: start, raw: l.src[startOff:l.off], text: b.String()}, nil
		}
		if r == '\\' {
			if l.off >= len(l.src) {
				break
			}
			from = l.off
			l.advance()
		}
		b.WriteString(l.src[from:l.off])
	}
	return token{}, l.errorf(start, "the string that starts here has no closing %c", quote)
}

func isDigit(r rune) bool { return '0' <= r && r <= '9' }

func (l *lexer) number(start, startOff int) (token, *SyntaxError) {
	for l.off < len(l.src) && isDigit(l.peek()) {
		l.advance()
	}
	if l.off < len(l.src) && isIdentPart(l.peek()) {
		for l.off < len(l.src) && isIdentPart(l.peek()) {
			l.advance()
		}
		return token{}, l.errorf(start, "%s is not a number: values are whole numbers such as 10 or -3", strconv.Quote(l.src[startOff:l.off]))
	}
	raw := l.src[startOff:l.off]
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return token{}, l.errorf(start, "%s is not a whole number between %d and %d", raw, int64(-1<<63), int64(1<<63-1))
	}
	return token{kind: tNumber, pos: start, raw: raw, text: raw, num: n}, nil
}
