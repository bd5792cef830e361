package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRulesValidateAcceptsDocumentationExamples(t *testing.T) {
	files, _ := filepath.Glob("../../rules/testdata/examples/example-*.json")
	if len(files) != 11 {
		t.Fatalf("want 11 examples, found %d", len(files))
	}
	code, out, errOut := runCmd(append([]string{"rules", "validate"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if n := strings.Count(out, ": ok: "); n != len(files) {
		t.Fatalf("want %d summary lines, got:\n%s", len(files), out)
	}
	if !strings.Contains(out, "example-07-large-match.json: ok: ") || !strings.Contains(out, "(large match)") {
		t.Fatalf("summary lacks the large match:\n%s", out)
	}
}

func TestRulesValidateReportsEveryError(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	good := filepath.Join(dir, "good.json")
	os.WriteFile(bad, []byte(`{"ruleLanguageVersion": "1.0", "teams": [{"name": "a", "minPlayers": 3, "maxPlayers": 2}],
  "rules": [{"name": "R", "type": "distance", "measurements": "avg(teams[*].players.attributes[skill])", "referenceValue": 1, "maxDistance": 1}]}`), 0o644)
	os.WriteFile(good, []byte(`{"ruleLanguageVersion": "1.0", "teams": [{"name": "a", "minPlayers": 1, "maxPlayers": 2}]}`), 0o644)
	code, out, errOut := runCmd("rules", "validate", good, bad, filepath.Join(dir, "missing.json"))
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(out, "good.json: ok:") {
		t.Fatalf("valid file not summarised: %s", out)
	}
	for _, want := range []string{"teams[0].minPlayers: is 3, more than maxPlayers 2", `rules[0].measurements: attribute "skill" is not declared`, "missing.json"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

func TestRulesExplainAndUsage(t *testing.T) {
	code, out, _ := runCmd("rules", "explain", "../../rules/testdata/examples/example-03-team-level-requirements-and-latency.json")
	if code != 0 || !strings.Contains(out, "trio_3: 3 to 5 players") || !strings.Contains(out, "rules[FastConnection].maxLatency becomes 100 after 10s, then 150 after 20s") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if code, _, errOut := runCmd("rules", "explain"); code != 2 || !strings.Contains(errOut, "exactly one") {
		t.Fatalf("explain without a file: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCmd("rules", "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown subcommand "frobnicate"`) {
		t.Fatalf("unknown subcommand: exit %d %s", code, errOut)
	}
	if code, out, _ := runCmd("rules", "--help"); code != 0 || !strings.Contains(out, "validate FILE") {
		t.Fatalf("help: exit %d %s", code, out)
	}
	if code, _, errOut := runCmd("nope"); code != 2 || !strings.Contains(errOut, `unknown command "nope"`) {
		t.Fatalf("unknown command: exit %d %s", code, errOut)
	}
}

func TestRulesSimulate(t *testing.T) {
	code, out, errOut := runCmd("rules", "simulate", "sample/duel-rules.json", "sample/duel-tickets.json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"2 match(es) from 6 ticket(s)", "formed under the expansion rules[CloseSkill].maxDistance = 300", `eve: can never match`, "fay: kept out most often by rule CloseSkill"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	code, out, _ = runCmd("rules", "simulate", "--json", "sample/duel-rules.json", "sample/duel-tickets.json")
	if code != 0 || !strings.Contains(out, `"ruleEvaluationMetrics"`) {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "t.json")
	os.WriteFile(bad, []byte(`[{"TicketId":"a","Players":[{"PlayerId":"p"}],"Extra":true}]`), 0o644)
	if code, _, errOut := runCmd("rules", "simulate", "sample/duel-rules.json", bad); code != 1 || !strings.Contains(errOut, `unknown field "Extra"`) {
		t.Fatalf("bad tickets: exit %d %s", code, errOut)
	}
}

// TestRulesSimulateNeverMatches: tickets that no pool could match are
// reported as such, in the words of the explanation and the timeout event,
// rather than blamed on a rule: a party larger than any team, a ticket
// without the latency data the latency rule needs and a mistyped attribute.
func TestRulesSimulateNeverMatches(t *testing.T) {
	dir := t.TempDir()
	rulesFile := filepath.Join(dir, "rules.json")
	ticketsFile := filepath.Join(dir, "tickets.json")
	os.WriteFile(rulesFile, []byte(`{"ruleLanguageVersion": "1.0",
	  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
	  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 4}, {"name": "blue", "minPlayers": 1, "maxPlayers": 4}],
	  "rules": [{"name": "FastConnection", "type": "latency", "maxLatency": 150}]}`), 0o644)
	p := func(id string) string { return `{"PlayerId": "` + id + `", "LatencyInMs": {"eu-west-1": 40}}` }
	os.WriteFile(ticketsFile, []byte(`[
	  {"TicketId": "five", "Players": [`+p("f1")+`,`+p("f2")+`,`+p("f3")+`,`+p("f4")+`,`+p("f5")+`]},
	  {"TicketId": "a", "Players": [`+p("a")+`]},
	  {"TicketId": "b", "Players": [`+p("b")+`]},
	  {"TicketId": "nolatency", "Players": [{"PlayerId": "n"}]},
	  {"TicketId": "typo", "Players": [{"PlayerId": "t", "PlayerAttributes": {"skill": {"S": "pro"}}, "LatencyInMs": {"eu-west-1": 40}}]}]`), 0o644)
	code, out, errOut := runCmd("rules", "simulate", rulesFile, ticketsFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"five: can never match: the party of 5 players is larger than any team (at most 4)\n",
		"nolatency: can never match: no latency data, which the latency rule FastConnection needs\n",
		`typo: can never match: players[0] (t): attribute "skill" is a string value; the rule set declares number` + "\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
