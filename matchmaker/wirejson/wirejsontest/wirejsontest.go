// Package wirejsontest holds what the tests of wirejson's appenders share.
package wirejsontest

import (
	"reflect"
	"slices"
	"testing"
)

// KnowsEveryField fails t for each type of written whose fields are not
// exactly the names listed for it, in order: an appender writes the fields
// it knows, so a field added to its type must fail its test until the
// appender writes it too.
func KnowsEveryField(t testing.TB, written map[reflect.Type][]string) {
	t.Helper()
	for typ, known := range written {
		var fields []string
		for f := range typ.Fields() {
			fields = append(fields, f.Name)
		}
		if !slices.Equal(fields, known) {
			t.Errorf("%s has fields %v; its appender writes %v", typ, fields, known)
		}
	}
}

// SameAsReference fails t at the first value the appender got writes
// otherwise than the reference want (encoding/json), or refuses where the
// reference does not, or the reverse.
func SameAsReference[T any](t testing.TB, values []T, got, want func(T) ([]byte, error)) {
	t.Helper()
	for _, v := range values {
		g, gerr := got(v)
		w, werr := want(v)
		if (gerr == nil) != (werr == nil) || (werr == nil && string(g) != string(w)) {
			t.Fatalf("%+v: appender %s, %v; reference %s, %v", v, g, gerr, w, werr)
		}
	}
}
