package dashboard_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker/dashboard"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

type playgroundBody struct {
	RuleSet struct {
		Name       string `json:"name"`
		Teams      int    `json:"teams"`
		MaxPlayers int    `json:"maxPlayers"`
	} `json:"ruleSet"`
	Tickets int    `json:"tickets"`
	Seed    uint64 `json:"seed"`
	Report  struct {
		Matches []struct {
			Teams []struct {
				Name    string   `json:"name"`
				Players []string `json:"players"`
			} `json:"teams"`
			Expanded []string `json:"expanded"`
		} `json:"matches"`
		Unmatched []struct {
			TicketID string `json:"ticketId"`
			Reason   string `json:"reason"`
		} `json:"unmatched"`
		Metrics []struct {
			RuleName    string `json:"ruleName"`
			PassedCount int    `json:"passedCount"`
		} `json:"ruleEvaluationMetrics"`
	} `json:"report"`
}

func body(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPlaygroundRunsTheSimulation(t *testing.T) {
	srv, _ := server(t, dashboard.Options{Store: store.NewMemory(store.Options{})})
	rules, tickets := readFile(t, "static/example-rules.json"), readFile(t, "static/example-tickets.json")
	url := srv.URL + "/dashboard/api/playground"
	for name, req := range map[string]any{
		// As the page sends them: the pasted text.
		"strings": map[string]any{"ruleSet": rules, "tickets": tickets, "seed": 1},
		// As a curl user may: the documents themselves, seed defaulted.
		"documents": map[string]any{"ruleSet": json.RawMessage(rules), "tickets": json.RawMessage(tickets)},
	} {
		var out playgroundBody
		if code, b := call(t, "POST", url, testSecret, body(t, req), &out); code != 200 {
			t.Fatalf("%s: %d %s", name, code, b)
		}
		rep := out.Report
		if out.RuleSet.Name != "duel" || out.RuleSet.Teams != 2 || out.Tickets != 5 || out.Seed != 1 || len(rep.Matches) != 2 {
			t.Fatalf("%s: %+v", name, out)
		}
		if m := rep.Matches[0]; m.Teams[0].Players[0] != "cy" || m.Teams[1].Players[0] != "di" || len(m.Expanded) != 1 || !strings.Contains(m.Expanded[0], "maxDistance = 300") {
			t.Errorf("%s: first match %+v", name, m)
		}
		if len(rep.Unmatched) != 1 || rep.Unmatched[0].TicketID != "t-ed" || rep.Unmatched[0].Reason == "" {
			t.Errorf("%s: unmatched %+v", name, rep.Unmatched)
		}
		if len(rep.Metrics) != 1 || rep.Metrics[0].RuleName != "CloseSkill" || rep.Metrics[0].PassedCount == 0 {
			t.Errorf("%s: metrics %+v", name, rep.Metrics)
		}
	}
}

func TestPlaygroundBadInput(t *testing.T) {
	srv, _ := server(t, dashboard.Options{Store: store.NewMemory(store.Options{}), MaxPlaygroundTickets: 3, MaxPlaygroundBytes: 64 << 10})
	url := srv.URL + "/dashboard/api/playground"
	rules, tickets := readFile(t, "static/example-rules.json"), readFile(t, "static/example-tickets.json")
	badRules := strings.Replace(rules, `"maxDistance": 100`, `"maxDistance": -5`, 1)
	var many []map[string]any
	for i := range 4 {
		many = append(many, map[string]any{"TicketId": fmt.Sprint("t", i), "Players": []map[string]any{{"PlayerId": fmt.Sprint("p", i)}}})
	}
	for _, tc := range []struct {
		name string
		body string
		code int
		want []string
	}{
		{"malformed JSON", `{"ruleSet": "x",`, 400, []string{"request body", "not a JSON object"}},
		{"not an object", `[1, 2]`, 400, []string{"request body"}},
		{"unknown field", string(body(t, map[string]any{"ruleSet": rules, "tickets": tickets, "rules": 1})), 400, []string{`unknown field \"rules\"`}},
		{"no rule set", string(body(t, map[string]any{"tickets": tickets})), 400, []string{"ruleSet: required"}},
		{"empty rule set", string(body(t, map[string]any{"ruleSet": "  ", "tickets": tickets})), 400, []string{"ruleSet: required"}},
		{"no tickets", string(body(t, map[string]any{"ruleSet": rules})), 400, []string{"tickets: required"}},
		{"invalid rule set", string(body(t, map[string]any{"ruleSet": badRules, "tickets": tickets})), 400, []string{"not a valid rule set", `"path":"rules[0].maxDistance"`, `"line":10`}},
		{"rule set not JSON", string(body(t, map[string]any{"ruleSet": "{nope", "tickets": tickets})), 400, []string{"not a valid rule set", `"errors"`}},
		{"tickets not an array", string(body(t, map[string]any{"ruleSet": rules, "tickets": `{"TicketId": "a"}`})), 400, []string{"tickets:"}},
		{"ticket without id", string(body(t, map[string]any{"ruleSet": rules, "tickets": `[{"Players": [{"PlayerId": "a"}]}]`})), 400, []string{"tickets[0].TicketId: required"}},
		{"unknown ticket field", string(body(t, map[string]any{"ruleSet": rules, "tickets": `[{"TicketId": "a", "Age": 3, "Players": [{"PlayerId": "a"}]}]`})), 400, []string{`unknown field \"Age\"`}},
		{"too many tickets", string(body(t, map[string]any{"ruleSet": rules, "tickets": many})), 400, []string{"4 tickets", "at most 3", "matchpoint rules simulate"}},
		{"too large", string(body(t, map[string]any{"ruleSet": rules, "tickets": strings.Repeat(" ", 70<<10) + tickets})), 413, []string{"larger than 65536 bytes"}},
	} {
		code, got := call(t, "POST", url, testSecret, []byte(tc.body), nil)
		if code != tc.code {
			t.Errorf("%s: %d %s, want %d", tc.name, code, got, tc.code)
			continue
		}
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal([]byte(got), &e); err != nil || e.Error == "" {
			t.Errorf("%s: answer %s has no error message", tc.name, got)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %s does not contain %s", tc.name, got, w)
			}
		}
	}
	if code, _ := call(t, "GET", url, testSecret, nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET playground: %d", code)
	}
}
