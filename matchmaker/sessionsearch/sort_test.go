package sessionsearch

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSort(t *testing.T) {
	cases := []struct {
		src  string
		want []string
	}{
		{"creationTimeMillis ASC", []string{"gsess-3", "gsess-1", "gsess-2", "gsess-4"}},
		{"creationTimeMillis DESC", []string{"gsess-4", "gsess-2", "gsess-1", "gsess-3"}},
		{"maximumSessions asc", []string{"gsess-4", "gsess-2", "gsess-1", "gsess-3"}},
		{"playerSessionCount Desc", []string{"gsess-2", "gsess-1", "gsess-4", "gsess-3"}},
		{"gameSessionId DESC", []string{"gsess-4", "gsess-3", "gsess-2", "gsess-1"}},
		// Ties keep their order; false before true.
		{"hasAvailablePlayerSessions ASC", []string{"gsess-2", "gsess-1", "gsess-3", "gsess-4"}},
		{"hasAvailablePlayerSessions DESC", []string{"gsess-1", "gsess-3", "gsess-4", "gsess-2"}},
		// Sessions without the value come last in either direction.
		{"gameSessionName ASC", []string{"gsess-4", "gsess-1", "gsess-2", "gsess-3"}},
		{"gameSessionName DESC", []string{"gsess-2", "gsess-1", "gsess-4", "gsess-3"}},
		{"gameSessionProperties.gameMap ASC", []string{"gsess-2", "gsess-1", "gsess-3", "gsess-4"}},
		{"gameSessionProperties.gameMap DESC", []string{"gsess-1", "gsess-3", "gsess-2", "gsess-4"}},
		// Properties sort as strings: "10" before "9".
		{"gameSessionProperties.level ASC", []string{"gsess-1", "gsess-2", "gsess-3", "gsess-4"}},
		{"gameSessionProperties.level DESC", []string{"gsess-2", "gsess-1", "gsess-3", "gsess-4"}},
		{"gameSessionProperties.absent DESC", []string{"gsess-1", "gsess-2", "gsess-3", "gsess-4"}},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			s, err := CompileSort(c.src)
			if err != nil {
				t.Fatalf("CompileSort: %v", err)
			}
			sessions := fixture()
			s.Sort(sessions)
			if got := ids(sessions); !slices.Equal(got, c.want) {
				t.Errorf("order %v, want %v", got, c.want)
			}
			for i := 1; i < len(sessions); i++ {
				if s.Compare(sessions[i], sessions[i-1]) < 0 {
					t.Errorf("Compare(%s, %s) < 0 after sorting", sessions[i].ID, sessions[i-1].ID)
				}
			}
		})
	}
}

func TestNilSortKeepsOrder(t *testing.T) {
	var s *Sort
	sessions := fixture()
	s.Sort(sessions)
	if got := ids(sessions); !slices.Equal(got, ids(fixture())) || s.Compare(sessions[0], sessions[1]) < 0 {
		t.Fatalf("nil sort reordered to %v", got)
	}
}

func TestSortErrors(t *testing.T) {
	cases := []struct {
		src string
		pos int
		msg string
	}{
		{"", 1, "the expression is empty"},
		{"creationTimeMillis", 19, "expected ASC or DESC after creationTimeMillis, found the end of the expression"},
		{"creationTimeMillis UP", 20, `expected ASC or DESC after creationTimeMillis, found "UP"`},
		{"ASC", 1, "expected an operand (gameSessionName, gameSessionId, gameSessionProperties.<key>, maximumSessions, creationTimeMillis, playerSessionCount or hasAvailablePlayerSessions), found ASC"},
		{"'creationTimeMillis' ASC", 1, "found the string 'creationTimeMillis'"},
		{"creationTimeMillis ASC, maximumSessions DESC", 23, "unexpected character ','"},
		{"creationTimeMillis ASC maximumSessions DESC", 24, `expected the end of the expression, found "maximumSessions": a SortExpression sorts by one operand`},
		{"creationtimemillis ASC", 1, "did you mean creationTimeMillis?"},
		{"gameSessionProperties DESC", 1, "gameSessionProperties needs a property key"},
		{strings.Repeat(" ", MaxExpressionLength) + "creationTimeMillis ASC", MaxExpressionLength + 1, "the limit is 1024"},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			_, err := CompileSort(c.src)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("CompileSort(%q) = %v, want a *SyntaxError", c.src, err)
			}
			if se.Field != SortField || se.Pos != c.pos || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("error %q (field %s, position %d), want position %d and %q", se.Msg, se.Field, se.Pos, c.pos, c.msg)
			}
		})
	}
}
