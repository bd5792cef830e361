package rules

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid is matched (with errors.Is) by every error that Parse and Compile
// return for a rule set that is not valid.
var ErrInvalid = errors.New("invalid rule set")

// FieldError is one problem in a rule set: the JSON path of the offending
// value (such as `rules[2].maxDistance`), what is wrong with it, and, when the
// rule set came from a document, the line and column where the value starts.
type FieldError struct {
	Path    string
	Message string
	Line    int // 1-based; 0 when unknown
	Column  int // 1-based; 0 when unknown
}

// Error formats the error as `path: message (line L, column C)`.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d, column %d)", e.Line, e.Column)
	}
	return b.String()
}

// Is makes every FieldError match ErrInvalid.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// ErrorList is every problem found in a rule set, in document order. Parse and
// Compile report all of them at once rather than stopping at the first.
type ErrorList []*FieldError

// Error joins the errors one per line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Is makes an ErrorList match ErrInvalid.
func (l ErrorList) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the individual errors, for errors.As.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// collector gathers FieldErrors during decoding and validation. It also
// remembers the paths whose values were reported, so that validation can
// skip the parts of a document that did not decode.
type collector struct {
	errs   ErrorList
	failed map[string]bool
}

func (c *collector) add(path string, at pos, format string, args ...any) {
	c.errs = append(c.errs, &FieldError{Path: cut(path), Message: cut(fmt.Sprintf(format, args...)), Line: at.line, Column: at.col})
	c.fail(path)
}

// fail marks path as not decoded without reporting it again: a list whose
// element was reported is incomplete as a whole.
func (c *collector) fail(path string) {
	if c.failed == nil {
		c.failed = map[string]bool{}
	}
	c.failed[path] = true
}

// sortByPosition puts the errors in document order; errors at one position
// keep the order they were found in.
func (c *collector) sortByPosition() {
	slices.SortStableFunc(c.errs, func(a, b *FieldError) int {
		if a.Line != b.Line {
			return cmp.Compare(a.Line, b.Line)
		}
		return cmp.Compare(a.Column, b.Column)
	})
}

func (c *collector) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}
