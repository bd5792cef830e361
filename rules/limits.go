package rules

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr/file"
)

// maxExprNesting bounds how deeply an expression (a property expression or
// an expr one) may nest brackets. It is checked by a scan of the text before
// any parser sees it, so that hostile nesting costs no more than reading it.
const maxExprNesting = 64

// nesting returns the deepest nesting of (, [ and { in src, outside string
// literals ("...", '...' and `...`, as expr writes them).
func nesting(src string) int {
	depth, deepest := 0, 0
	var quote byte
	for i := 0; i < len(src); i++ {
		c := src[i]
		if quote != 0 {
			switch {
			case c == '\\' && quote != '`':
				i++
			case c == quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '"', '\'', '`':
			quote = c
		case '(', '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ')', ']', '}':
			depth = max(depth-1, 0)
		}
	}
	return deepest
}

// maxEcho is how many characters of a user's text an error message quotes.
const maxEcho = 64

// maxMessage bounds one error message; whatever it quotes, a message longer
// than this is cut.
const maxMessage = 512

// clip quotes s for an error message (as %q does), keeping at most maxEcho
// characters and marking a cut with an ellipsis.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxEcho {
		return strconv.Quote(s)
	}
	n := 0
	for i := range s {
		if n == maxEcho {
			return strconv.Quote(s[:i]) + "…"
		}
		n++
	}
	return strconv.Quote(s)
}

// cut bounds a finished error message to maxMessage bytes, on a character
// boundary, with an ellipsis.
func cut(msg string) string {
	if len(msg) <= maxMessage {
		return msg
	}
	end := maxMessage
	for end > 0 && !utf8.RuneStart(msg[end]) {
		end--
	}
	return msg[:end] + "…"
}

// errNesting words a refusal for nesting deeper than maxExprNesting.
func errNesting(depth int) string {
	return fmt.Sprintf("brackets nested %d levels deep; the limit is %d", depth, maxExprNesting)
}

// describeExprError words an expr compile error of src. expr quotes the
// whole line of the error; a long one is quoted from a little before the
// error's column instead, clipped.
func describeExprError(err error, src string) string {
	var fe *file.Error
	if len(src) <= maxEcho || !errors.As(err, &fe) || fe.Line < 1 {
		return cut(err.Error())
	}
	lines := strings.Split(src, "\n")
	if fe.Line > len(lines) {
		return cut(err.Error())
	}
	line := []rune(lines[fe.Line-1])
	from := min(max(fe.Column-8, 0), len(line))
	return fmt.Sprintf("%s (line %d, column %d, at %s)", fe.Message, fe.Line, fe.Column+1, clip(string(line[from:])))
}
