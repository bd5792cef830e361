package sessionsearch

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fixture is a fleet's sessions, each chosen to tell conditions apart.
func fixture() []*Session {
	return []*Session{
		{ID: "gsess-1", ARN: "arn:aws:gamelift:eu-west-1::gamesession/fleet-1/gsess-1", Name: "Matt's Awesome Game 1",
			Properties:      map[string]string{"gameMode": "Ffa", "gameMap": "Suzuka", "level": "10"},
			MaximumSessions: 10, PlayerSessionCount: 3, CreationTimeMillis: 1_700_000_000_000, HasAvailablePlayerSessions: true},
		{ID: "gsess-2", ARN: "arn:aws:gamelift:eu-west-1::gamesession/fleet-1/gsess-2", Name: "ranked",
			Properties:      map[string]string{"gameMode": "Ffa", "gameMap": "Silverstone", "level": "9"},
			MaximumSessions: 4, PlayerSessionCount: 4, CreationTimeMillis: 1_700_000_000_500, HasAvailablePlayerSessions: false},
		{ID: "gsess-3", Name: "",
			Properties:      map[string]string{"gameMode": "Team", "gameMap": "Suzuka", "tournamentId": ""},
			MaximumSessions: 16, PlayerSessionCount: 0, CreationTimeMillis: 1_699_999_999_000, HasAvailablePlayerSessions: true},
		{ID: "gsess-4", Name: `" or true or "`,
			MaximumSessions: 2, PlayerSessionCount: 1, CreationTimeMillis: 1_700_000_001_000, HasAvailablePlayerSessions: true},
	}
}

func ids(sessions []*Session) []string {
	out := []string{}
	for _, s := range sessions {
		out = append(out, s.ID)
	}
	return out
}

func TestFilterMatch(t *testing.T) {
	all := []string{"gsess-1", "gsess-2", "gsess-3", "gsess-4"}
	cases := []struct {
		src  string
		want []string
	}{
		// GameLift's documented examples.
		{"maximumSessions>=10 AND hasAvailablePlayerSessions=true", []string{"gsess-1", "gsess-3"}},
		{`gameSessionName = 'Matt\'s Awesome Game 1'`, []string{"gsess-1"}},
		{"gameSessionProperties.gameMode = 'Ffa' AND gameSessionProperties.gameMap = 'Suzuka' OR gameSessionProperties.gameMap = 'Silverstone'", []string{"gsess-1", "gsess-2"}},
		{`gameSessionProperties.gameMode = "Team"`, []string{"gsess-3"}},

		// Comparators on numbers.
		{"maximumSessions = 4", []string{"gsess-2"}},
		{"maximumSessions <> 4", []string{"gsess-1", "gsess-3", "gsess-4"}},
		{"playerSessionCount < 3", []string{"gsess-3", "gsess-4"}},
		{"playerSessionCount <= 3", []string{"gsess-1", "gsess-3", "gsess-4"}},
		{"playerSessionCount > 3", []string{"gsess-2"}},
		{"playerSessionCount >= 1", []string{"gsess-1", "gsess-2", "gsess-4"}},
		{"creationTimeMillis > 1700000000000", []string{"gsess-2", "gsess-4"}},
		{"creationTimeMillis>=1700000000000 AND(maximumSessions<5)", []string{"gsess-2", "gsess-4"}},
		{"maximumSessions > -1", all},
		{"hasAvailablePlayerSessions <> true", []string{"gsess-2"}},
		{"hasAvailablePlayerSessions = FALSE", []string{"gsess-2"}},

		// Strings: case sensitive, exact; gameSessionId matches the id or the ARN.
		{"gameSessionName = 'Ranked'", []string{}},
		{"gameSessionName = 'ranked'", []string{"gsess-2"}},
		{"gameSessionId = 'gsess-2'", []string{"gsess-2"}},
		{"gameSessionId = 'arn:aws:gamelift:eu-west-1::gamesession/fleet-1/gsess-1'", []string{"gsess-1"}},
		{"gameSessionId <> 'gsess-2'", []string{"gsess-1", "gsess-3", "gsess-4"}},
		{"gameSessionId = ''", []string{}},

		// Missing values: = never holds, <> always does.
		{"gameSessionName = ''", []string{}},
		{"gameSessionName <> 'ranked'", []string{"gsess-1", "gsess-3", "gsess-4"}},
		{"gameSessionProperties.gameMode <> 'Ffa'", []string{"gsess-3", "gsess-4"}},
		{"gameSessionProperties.tournamentId = ''", []string{"gsess-3"}},
		{"gameSessionProperties.nope = ''", []string{}},
		{"gameSessionProperties.level = '10'", []string{"gsess-1"}},

		// Escapes and quotes inside strings are text, never expr syntax.
		{`gameSessionName = '" or true or "'`, []string{"gsess-4"}},
		{`gameSessionName = "\" or true or \""`, []string{"gsess-4"}},
		{`gameSessionName = 'mpConst0'`, []string{}},
		{`gameSessionName = "Matt's Awesome Game 1"`, []string{"gsess-1"}},

		// Precedence: NOT binds tighter than AND, AND tighter than OR.
		{"NOT maximumSessions = 4 AND playerSessionCount = 0", []string{"gsess-3"}},
		{"NOT (maximumSessions = 4 AND playerSessionCount = 0)", all},
		{"maximumSessions = 2 OR maximumSessions = 4 AND playerSessionCount = 0", []string{"gsess-4"}},
		{"(maximumSessions = 2 OR maximumSessions = 4) AND playerSessionCount = 4", []string{"gsess-2"}},
		{"NOT NOT maximumSessions = 2", []string{"gsess-4"}},
		{"not (maximumSessions = 2 or maximumSessions = 4)", []string{"gsess-1", "gsess-3"}},
		{"((((maximumSessions = 2))))", []string{"gsess-4"}},
		{"  maximumSessions\t=\n2  ", []string{"gsess-4"}},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			f, err := CompileFilter(c.src)
			if err != nil {
				t.Fatalf("CompileFilter: %v", err)
			}
			if got := ids(f.Select(fixture())); !slices.Equal(got, c.want) {
				t.Errorf("matches %v, want %v (expr: %s)", got, c.want, f.ExprSource())
			}
		})
	}
}

func TestNilFilterMatchesEverything(t *testing.T) {
	var f *Filter
	if got := len(f.Select(fixture())); got != 4 {
		t.Fatalf("nil filter selected %d sessions, want 4", got)
	}
}

// The generated expr source holds no text of the expression's values or
// property keys: values are program constants, and keys appear only in hex,
// in the names of their variables.
func TestFilterSourceHoldsNoUserText(t *testing.T) {
	f, err := CompileFilter(`gameSessionName = 'Name) or true' AND gameSessionProperties.k-ey.x = "v\"" AND maximumSessions = 7`)
	if err != nil {
		t.Fatal(err)
	}
	src := f.ExprSource()
	if v := propertyVar("k-ey.x"); !strings.Contains(src, v) {
		t.Errorf("expr source %q does not read the property as %s", src, v)
	}
	src = regexp.MustCompile(`p_[0-9a-f]+`).ReplaceAllString(src, "p_")
	for _, user := range []string{"Name)", "or true", "k-ey", `v"`, "7"} {
		if strings.Contains(src, user) {
			t.Errorf("expr source %q contains %q", src, user)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	cases := []struct {
		src string
		pos int
		msg string
	}{
		{"", 1, "the expression is empty"},
		{"   ", 4, "the expression is empty"},
		{"gameSessionName", 16, "expected a comparison operator (=, <>, <, >, <=, >=) after gameSessionName, found the end of the expression"},
		{"gameSessionName 'x'", 17, "expected a comparison operator (=, <>, <, >, <=, >=) after gameSessionName, found the string 'x'"},
		{"gameSessionName = x", 19, "gameSessionName is compared with a string in quotes ('text'), found \"x\""},
		{"gameSessionName < 'x'", 17, "gameSessionName holds a string: compare it with = or <>, not <"},
		{"gameSessionProperties.level > '5'", 29, "gameSessionProperties.level holds a string: compare it with = or <>, not >"},
		{"gameSessionProperties.level = 5", 31, "gameSessionProperties.level is compared with a string in quotes ('text'), found \"5\""},
		{"hasAvailablePlayerSessions >= true", 28, "hasAvailablePlayerSessions holds true or false: compare it with = or <>, not >="},
		{"hasAvailablePlayerSessions = 'true'", 30, "hasAvailablePlayerSessions is compared with true or false, found the string 'true'"},
		{"maximumSessions = 'x'", 19, "maximumSessions is compared with a whole number (10), found the string 'x'"},
		{"maximumSessions = true", 19, "found TRUE"},
		{"maximumSessions = 2.5", 19, `"2.5" is not a number`},
		{"maximumSessions = 10abc", 19, `"10abc" is not a number`},
		{"maximumSessions = 99999999999999999999", 19, "is not a whole number between"},
		{"maximumSessions == 2", 17, "== is not a comparator: write = for equality"},
		{"maximumSessions != 2", 17, "!= is not a comparator: write <> for not equal"},
		{"! maximumSessions = 2", 1, "unexpected character '!'; negate a condition with NOT"},
		{"maximumSessions = 2 && playerSessionCount = 1", 21, "unexpected character '&'"},
		{"maximumSessions = 2 AND", 24, "expected a condition such as maximumSessions > 4, found the end of the expression"},
		{"maximumSessions = 2 AND OR playerSessionCount = 1", 25, "found OR"},
		{"maximumSessions = 2 playerSessionCount = 1", 21, `expected AND, OR or the end of the expression, found "playerSessionCount"`},
		{"(maximumSessions = 2", 21, "expected AND, OR or the ) that closes the ( at character 1, found the end of the expression"},
		{"maximumSessions = 2)", 20, `expected AND, OR or the end of the expression, found ")"`},
		{"()", 2, `expected a condition such as maximumSessions > 4, found ")"`},
		{"10 < maximumSessions", 1, `expected a condition such as maximumSessions > 4, found "10"`},
		{"gameSessionName = 'unterminated", 19, "the string that starts here has no closing '"},
		{`gameSessionName = "trailing\`, 19, `the string that starts here has no closing "`},
		{"gamesessionname = 'x'", 1, "unknown operand gamesessionname; operand names are case sensitive: did you mean gameSessionName?"},
		{"GameSessionProperties.mode = 'x'", 1, "did you mean gameSessionProperties.mode?"},
		{"gameSessionProperties = 'x'", 1, "gameSessionProperties needs a property key: gameSessionProperties.<key>"},
		{"gameSessionProperties. = 'x'", 1, "gameSessionProperties. needs a property key"},
		{"status = 'ACTIVE'", 1, "unknown operand status; expected gameSessionName, gameSessionId, gameSessionProperties.<key>, maximumSessions, creationTimeMillis, playerSessionCount or hasAvailablePlayerSessions"},
		// Positions count characters, not bytes.
		{"gameSessionName = 'é' AND é", 27, `unknown operand é`},
		{"maximumSessions = 1 OR " + strings.Repeat(" ", MaxExpressionLength), MaxExpressionLength + 1, "the expression is 1047 characters long; the limit is 1024"},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			_, err := CompileFilter(c.src)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("CompileFilter(%q) = %v, want a *SyntaxError", c.src, err)
			}
			if se.Field != FilterField || se.Pos != c.pos || !strings.Contains(se.Msg, c.msg) {
				t.Errorf("error %q (field %s, position %d), want position %d and %q", se.Msg, se.Field, se.Pos, c.pos, c.msg)
			}
		})
	}
}

func TestSyntaxErrorText(t *testing.T) {
	_, err := CompileFilter("gameSessionName 'x'")
	want := "FilterExpression: at character 17: expected a comparison operator (=, <>, <, >, <=, >=) after gameSessionName, found the string 'x'"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func TestMaxLengthIsAllowed(t *testing.T) {
	src := "maximumSessions = 1" + strings.Repeat(" ", MaxExpressionLength-len("maximumSessions = 1"))
	if _, err := CompileFilter(src); err != nil {
		t.Fatalf("a %d-character expression: %v", MaxExpressionLength, err)
	}
}

// Deep nesting within the length limit compiles.
func TestDeepNesting(t *testing.T) {
	for _, src := range []string{
		strings.Repeat("(", 500) + "maximumSessions=1" + strings.Repeat(")", 500),
		strings.Repeat("NOT ", 250) + "maximumSessions=1",
		strings.Repeat("maximumSessions=1 OR ", 47) + "maximumSessions=1",
	} {
		f, err := CompileFilter(src)
		if err != nil {
			t.Fatalf("%.40q...: %v", src, err)
		}
		f.Match(fixture()[0])
	}
}

// Matching from many goroutines at once gives every one the same answers.
func TestFilterConcurrentMatch(t *testing.T) {
	f, err := CompileFilter("gameSessionProperties.gameMode = 'Ffa' AND playerSessionCount < 4")
	if err != nil {
		t.Fatal(err)
	}
	sessions := fixture()
	const workers, rounds = 16, 200
	errs := make(chan string, workers)
	for range workers {
		go func() {
			for range rounds {
				if got := ids(f.Select(sessions)); !slices.Equal(got, []string{"gsess-1"}) {
					errs <- strings.Join(got, ",")
					return
				}
			}
			errs <- ""
		}()
	}
	for range workers {
		if e := <-errs; e != "" {
			t.Errorf("a goroutine matched %s, want gsess-1", e)
		}
	}
}

// A backslash makes the next character literal, inside either quote.
func TestStringEscapes(t *testing.T) {
	cases := []struct{ src, name string }{
		{`gameSessionName = 'a\\b'`, `a\b`},
		{`gameSessionName = 'it\'s'`, `it's`},
		{`gameSessionName = "say \"hi\""`, `say "hi"`},
		{`gameSessionName = 'say "hi"'`, `say "hi"`},
		{`gameSessionName = "it's"`, `it's`},
		{`gameSessionName = '\n'`, `n`},
		{`gameSessionName = 'é\é'`, `éé`},
	}
	for _, c := range cases {
		f, err := CompileFilter(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if !f.Match(&Session{Name: c.name}) || f.Match(&Session{Name: c.name + " "}) {
			t.Errorf("%s does not match exactly the name %q", c.src, c.name)
		}
	}
}
