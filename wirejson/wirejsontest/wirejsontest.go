// Package wirejsontest holds what the tests of wirejson's appenders share.
package wirejsontest

import (
	"math/rand/v2"
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

// Random returns n values of gen, drawn from a generator seeded with seed,
// so that a failing value comes back on the next run.
func Random[T any](seed uint64, n int, gen func(*rand.Rand) T) []T {
	r := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]T, n)
	for i := range out {
		out[i] = gen(r)
	}
	return out
}
