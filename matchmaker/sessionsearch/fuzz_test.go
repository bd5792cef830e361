package sessionsearch

import (
	"errors"
	"slices"
	"testing"
	"unicode/utf8"
)

// reference evaluates a parsed filter directly, as the documentation reads:
// the fuzz target checks the compiled expr program against it.
func reference(n node, s *Session) bool {
	switch n := n.(type) {
	case *binary:
		if n.and {
			return reference(n.l, s) && reference(n.r, s)
		}
		return reference(n.l, s) || reference(n.r, s)
	case *not:
		return !reference(n.x, s)
	}
	c := n.(*condition)
	var eq bool
	switch c.operand.kind {
	case opName:
		eq = s.Name != "" && s.Name == c.str
	case opID:
		eq = s.ID == c.str || s.ARN != "" && s.ARN == c.str
	case opProperty:
		v, ok := s.Properties[c.operand.key]
		eq = ok && v == c.str
	case opHasAvailable:
		eq = s.HasAvailablePlayerSessions == c.boolean
	default:
		var v int64
		switch c.operand.kind {
		case opMaximumSessions:
			v = int64(s.MaximumSessions)
		case opPlayerSessionCount:
			v = int64(s.PlayerSessionCount)
		default:
			v = s.CreationTimeMillis
		}
		switch c.cmp {
		case "<":
			return v < c.num
		case ">":
			return v > c.num
		case "<=":
			return v <= c.num
		case ">=":
			return v >= c.num
		}
		eq = v == c.num
	}
	if c.cmp == "<>" {
		return !eq
	}
	return eq
}

func checkSyntaxError(t *testing.T, field, src string, err error) {
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("%q: error %v is not a *SyntaxError", src, err)
	}
	if n := utf8.RuneCountInString(src); se.Field != field || se.Pos < 1 || se.Pos > min(n, MaxExpressionLength)+1 || se.Msg == "" {
		t.Fatalf("%q (%d characters): malformed error %+v", src, n, se)
	}
}

// FuzzCompileFilter feeds arbitrary filter expressions to the compiler.
// Whatever the input, it must not panic; an error is a *SyntaxError with a
// position inside the expression; an accepted expression matches the
// fixture's sessions exactly as the reference interpreter does.
func FuzzCompileFilter(f *testing.F) {
	for _, s := range []string{
		"maximumSessions>=10 AND hasAvailablePlayerSessions=true",
		`gameSessionName = 'Matt\'s Awesome Game 1'`,
		"NOT (gameSessionId = 'gsess-1' OR gameSessionProperties.gameMode <> \"Ffa\") and creationTimeMillis < 1700000000000",
	} {
		f.Add(s)
	}
	sessions := fixture()
	f.Fuzz(func(t *testing.T, src string) {
		flt, err := CompileFilter(src)
		if err != nil {
			checkSyntaxError(t, FilterField, src, err)
			return
		}
		n, serr := parseFilter(src)
		if serr != nil {
			t.Fatalf("%q compiles but does not parse: %v", src, serr)
		}
		for _, s := range sessions {
			if got, want := flt.Match(s), reference(n, s); got != want {
				t.Fatalf("%q on %s: expr says %v, the reference %v (expr: %s)", src, s.ID, got, want, flt.ExprSource())
			}
		}
	})
}

// FuzzCompileSort feeds arbitrary sort expressions to the compiler. An
// accepted expression sorts the fixture into a permutation of it, in order.
func FuzzCompileSort(f *testing.F) {
	for _, s := range []string{"creationTimeMillis ASC", "gameSessionProperties.level desc", "gameSessionName DESC"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		srt, err := CompileSort(src)
		if err != nil {
			checkSyntaxError(t, SortField, src, err)
			return
		}
		sessions := fixture()
		srt.Sort(sessions)
		got := ids(sessions)
		slices.Sort(got)
		if !slices.Equal(got, ids(fixture())) {
			t.Fatalf("%q: sorted sessions %v are not the fixture's", src, ids(sessions))
		}
		for i := 1; i < len(sessions); i++ {
			if srt.Compare(sessions[i], sessions[i-1]) < 0 {
				t.Fatalf("%q: %s sorts before %s but comes after it", src, sessions[i].ID, sessions[i-1].ID)
			}
		}
	})
}
