package rules

import (
	"errors"
	"strings"
	"testing"
)

// TestDeepNestingRefused: an expression nested past maxExprNesting is
// refused by a scan before any parser runs, with an error naming the rule
// and the field, and the error quotes no more than a short piece of the
// 64 KB expression.
func TestDeepNestingRefused(t *testing.T) {
	const n = 32000
	deep := strings.Repeat("(", n) + "avg(teams[*].players.attributes[skill])" + strings.Repeat(")", n)
	fair := `"measurements": ["avg(teams[*].players.attributes[skill])"], "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))"`
	tests := []struct {
		name, to, path string
	}{
		{"measurement", `"measurements": ["` + deep + `"], "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))"`, "rules[0].measurements"},
		{"reference value", `"measurements": ["avg(teams[*].players.attributes[skill])"], "referenceValue": "` + deep + `"`, "rules[0].referenceValue"},
		{"expr measurement", `"measurements": ["` + strings.Repeat("[", n) + strings.Repeat("]", n) + `"], "referenceValue": 3`, "rules[0].measurements"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(base, fair, tc.to, 1)
			_, err := CompileJSON([]byte(src))
			var list ErrorList
			if !errors.As(err, &list) || len(list) != 1 {
				t.Fatalf("want one error, got %v", clip(errString(err)))
			}
			got := list[0].Error()
			if list[0].Path != tc.path || !strings.Contains(got, `rule "Fair": brackets nested 320`) || !strings.Contains(got, "levels deep; the limit is 64") {
				t.Fatalf("error %s, want %s naming rule \"Fair\" and the nesting", clip(got), tc.path)
			}
			if len(got) > 200 {
				t.Fatalf("error is %d bytes long: %s", len(got), clip(got))
			}
		})
	}
}

// TestDeepExpressionRuleRefused: the same bound holds for an expression
// rule's expr text.
func TestDeepExpressionRuleRefused(t *testing.T) {
	expression := strings.Repeat("(", 1000) + "true" + strings.Repeat(")", 1000)
	src := strings.Replace(base, `{"name": "Ping", "type": "latency", "maxLatency": 100}`, `{"name": "Deep", "type": "expression", "expression": "`+expression+`"}`, 1)
	_, err := CompileJSON([]byte(src))
	if err == nil || !strings.Contains(err.Error(), `rules[1].expression: rule "Deep": brackets nested 1000 levels deep; the limit is 64`) {
		t.Fatalf("got %s", clip(errString(err)))
	}
}

// TestErrorsQuoteLittle: errors that quote a long expression, key or string
// quote its start with an ellipsis.
func TestErrorsQuoteLittle(t *testing.T) {
	long := strings.Repeat("x", 30000)
	tests := []struct{ name, from, to, want string }{
		{"property expression", `avg(teams[*].players.attributes[skill])"]`, `avg(teams[*].players.attributes[skill]) ` + long + `"]`, `invalid property expression: unexpected "` + strings.Repeat("x", maxEcho) + `"… after the expression (at character 41 of "avg(`},
		{"unknown field", `"name": "base",`, `"name": "base", "` + long + `": 1,`, `unknown field "` + strings.Repeat("x", maxEcho) + `"…`},
		{"expr error", `avg(teams[*].players.attributes[skill])"]`, `1 + ` + long + ` + )"]`, `rules[0].measurements: invalid property expression`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CompileJSON([]byte(strings.Replace(base, tc.from, tc.to, 1)))
			got := errString(err)
			if !strings.Contains(got, tc.want) || len(got) > 2*maxMessage {
				t.Fatalf("error (%d bytes) %s, want it to hold %s", len(got), clip(got), tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestNesting: string literals do not count, closing brackets do.
func TestNesting(t *testing.T) {
	for src, want := range map[string]int{
		"":                           0,
		"avg(teams[*].players)":      2,
		`"((((" + '[[[' + ` + "`{{`": 0,
		`f("\")((", (1))`:            2,
		"))))((":                     2,
		"a[b[c[d]]]":                 3,
	} {
		if got := nesting(src); got != want {
			t.Errorf("nesting(%q) = %d, want %d", src, got, want)
		}
	}
}

func TestClip(t *testing.T) {
	if got := clip("short"); got != `"short"` {
		t.Errorf("clip(short) = %s", got)
	}
	long := strings.Repeat("é", maxEcho+1)
	if got, want := clip(long), `"`+strings.Repeat("é", maxEcho)+`"…`; got != want {
		t.Errorf("clip(long) = %s, want %s", got, want)
	}
	if got := cut(strings.Repeat("é", maxMessage)); len(got) > maxMessage+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("cut: %d bytes", len(got))
	}
}
