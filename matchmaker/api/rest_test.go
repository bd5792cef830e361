package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func TestHealthz(t *testing.T) {
	s := newServer(t, nil)
	resp, err := http.Get(s.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestRESTAuth(t *testing.T) {
	s := newServer(t, nil)
	for _, c := range []struct {
		auth string
		want int
	}{{"", 401}, {"Basic abc", 401}, {"Bearer ", 401}, {"Bearer wrong", 403}} {
		req, _ := http.NewRequest("POST", s.URL+"/v1/rulesets", strings.NewReader(`{"Name":"rs","RuleSetBody":"{}"}`))
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e restError
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != c.want || e.Error.Message == "" {
			t.Fatalf("auth %q: %d %+v, want %d", c.auth, resp.StatusCode, e, c.want)
		}
	}
	if rs, _ := s.st.ListRuleSets(t.Context()); len(rs) != 0 {
		t.Fatal("unauthenticated request wrote")
	}
	resp, _ := http.Get(s.URL + "/v1/events?configuration=c")
	if resp.StatusCode != 401 {
		t.Fatalf("stream without auth: %d", resp.StatusCode)
	}
	resp.Body.Close()
}

func TestRESTLifecycle(t *testing.T) {
	s := newServer(t, nil)
	s.setup(t)
	b := s.must(t, "GET", "/v1/rulesets/rs", "", 200)
	if !strings.Contains(string(b), `"RuleSetArn":"arn:aws:gamelift:us-east-1:123456789012:matchmakingruleset/rs"`) {
		t.Fatalf("rule set %s", b)
	}
	s.must(t, "GET", "/v1/rulesets?limit=1", "", 200)
	s.must(t, "POST", "/v1/rulesets/validate", `{"RuleSetBody":`+jsonString(ruleSet)+`}`, 200)
	s.must(t, "GET", "/v1/configurations/c", "", 200)
	s.must(t, "GET", "/v1/configurations?ruleSetName=rs", "", 200)
	b = s.must(t, "PATCH", "/v1/configurations/c", `{"RequestTimeoutSeconds":90}`, 200)
	if !strings.Contains(string(b), `"RequestTimeoutSeconds":90`) {
		t.Fatalf("update %s", b)
	}

	b = s.must(t, "POST", "/v1/tickets", `{"ConfigurationName":"c","TicketId":"t1","Players":[{"PlayerId":"p1","PlayerAttributes":{"skill":{"N":20}},"LatencyInMs":{"us-east-1":30}}]}`, 201)
	var start matchmaker.StartMatchmakingOutput
	if err := json.Unmarshal(b, &start); err != nil || start.MatchmakingTicket.Status != store.StatusQueued {
		t.Fatalf("start: %s %v", b, err)
	}
	b = s.must(t, "GET", "/v1/tickets/t1", "", 200)
	if !strings.Contains(string(b), `"Status":"SEARCHING"`) {
		t.Fatalf("ticket %s", b)
	}
	b = s.must(t, "GET", "/v1/tickets?id=t1&id=nope", "", 200)
	var desc matchmaker.DescribeMatchmakingOutput
	if err := json.Unmarshal(b, &desc); err != nil || len(desc.TicketList) != 1 {
		t.Fatalf("describe %s", b)
	}
	s.must(t, "GET", "/v1/tickets/nope", "", 404)
	b = s.must(t, "GET", "/v1/tickets/t1/explanation", "", 200)
	if !strings.Contains(string(b), `"Status":"SEARCHING"`) || !strings.Contains(string(b), "no forming pass of this process") {
		t.Fatalf("explanation without a forming worker: %s", b)
	}
	s.must(t, "GET", "/v1/tickets/nope/explanation", "", 404)
	b = s.must(t, "POST", "/v1/tickets/t1/accept", `{"PlayerIds":["p1"],"AcceptanceType":"ACCEPT"}`, 400)
	if !strings.Contains(string(b), "REQUIRES_ACCEPTANCE") {
		t.Fatalf("accept %s", b)
	}
	s.must(t, "DELETE", "/v1/tickets/t1", "", 204)
	b = s.must(t, "GET", "/v1/tickets/t1", "", 200)
	if !strings.Contains(string(b), `"Status":"CANCELLED"`) {
		t.Fatalf("ticket %s", b)
	}
	s.must(t, "POST", "/v1/backfills", `{"ConfigurationName":"c","GameSessionArn":"gs","Players":[{"PlayerId":"p9","Team":"red"}]}`, 201)
	s.must(t, "DELETE", "/v1/rulesets/rs", "", 409)
	s.must(t, "DELETE", "/v1/configurations/c", "", 204)
	s.must(t, "DELETE", "/v1/rulesets/rs", "", 204)
	s.must(t, "GET", "/v1/nothing", "", 404)
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestRESTBadInput sends every kind of bad request: the answer names the
// field and nothing is written.
func TestRESTBadInput(t *testing.T) {
	s := newServer(t, nil)
	s.setup(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		message                  string
	}{
		{"unknown field", "POST", "/v1/tickets", `{"ConfigurationName":"c","Players":[{"PlayerId":"p"}],"Colour":"red"}`, 400, "field Colour: unknown field"},
		{"nested unknown field", "POST", "/v1/tickets", `{"ConfigurationName":"c","Players":[{"PlayerId":"p","Skill":3}]}`, 400, "field Skill: unknown field"},
		{"wrong type", "POST", "/v1/tickets", `{"ConfigurationName":"c","Players":[{"PlayerId":7}]}`, 400, "field Players.PlayerId: expected string, got number"},
		{"wrong attribute type", "POST", "/v1/tickets", `{"ConfigurationName":"c","Players":[{"PlayerId":"p","PlayerAttributes":{"skill":{"N":"high"}}}]}`, 400, "field Players.PlayerAttributes.N: expected number, got string"},
		{"fractional latency", "POST", "/v1/tickets", `{"ConfigurationName":"c","Players":[{"PlayerId":"p","LatencyInMs":{"a":1.5}}]}`, 400, "field Players.LatencyInMs: expected integer, got number 1.5"},
		{"malformed", "POST", "/v1/tickets", `{"ConfigurationName":`, 400, "body: truncated JSON"},
		{"syntax", "POST", "/v1/tickets", `{"ConfigurationName" "c"}`, 400, "body: malformed JSON at offset"},
		{"trailing", "POST", "/v1/tickets", `{"ConfigurationName":"c","Players":[{"PlayerId":"p"}]} {}`, 400, "body: unexpected data after the JSON object"},
		{"array", "POST", "/v1/tickets", `[]`, 400, "body: want a JSON object"},
		{"empty", "POST", "/v1/tickets", ``, 400, "body: empty"},
		{"11 players", "POST", "/v1/tickets", `{"ConfigurationName":"c","Players":[` + strings.TrimSuffix(strings.Repeat(`{"PlayerId":"p"},`, 11), ",") + `]}`, 400, "Players: at most 10 players, got 11"},
		{"unknown configuration", "POST", "/v1/tickets", `{"ConfigurationName":"zz","Players":[{"PlayerId":"p"}]}`, 404, "ConfigurationName: matchmaking configuration \"zz\" does not exist"},
		{"get unknown configuration", "GET", "/v1/configurations/zz", ``, 404, "matchmaking configuration \"zz\" does not exist"},
		{"events of unknown configuration", "GET", "/v1/events?configuration=zz", ``, 404, "matchmaking configuration \"zz\" does not exist"},
		{"bad rule set", "POST", "/v1/rulesets", `{"Name":"x","RuleSetBody":"{\"ruleLanguageVersion\":\"1.0\",\"teams\":[]}"}`, 400, "RuleSetBody: "},
		{"duplicate configuration", "POST", "/v1/configurations", `{"Name":"c","RuleSetName":"rs","RequestTimeoutSeconds":60,"AcceptanceRequired":false}`, 409, "Name: matchmaking configuration \"c\" already exists"},
		{"bad timeout", "PATCH", "/v1/configurations/c", `{"RequestTimeoutSeconds":0}`, 400, "RequestTimeoutSeconds: must be 1 to 43200, got 0"},
		{"bad limit", "GET", "/v1/rulesets?limit=x", ``, 400, "limit: want an integer"},
		{"too large", "POST", "/v1/tickets", `{"ConfigurationName":"` + strings.Repeat("x", MaxBody) + `"}`, 413, "body: larger than 1048576 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, b := s.do(t, c.method, c.path, c.body)
			var e restError
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if status != c.status || !strings.HasPrefix(e.Error.Message, c.message) || e.Error.Type == "" {
				t.Fatalf("%d %+v, want %d %q", status, e.Error, c.status, c.message)
			}
		})
	}
	if evs, _ := s.st.EventsAfter(t.Context(), "c", 0, 10); len(evs) != 0 {
		t.Fatalf("bad requests wrote %d events", len(evs))
	}
	cfg, _ := s.st.GetConfiguration(t.Context(), "c")
	if cfg.RequestTimeoutSeconds != 60 {
		t.Fatal("bad update wrote")
	}
}
