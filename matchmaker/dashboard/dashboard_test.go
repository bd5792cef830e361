package dashboard_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/dashboard"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func TestNewRequiresStoreAndAuthorize(t *testing.T) {
	st := store.NewMemory(store.Options{})
	allow := func(*http.Request) bool { return true }
	for _, tc := range []struct {
		name string
		opts dashboard.Options
		want string
	}{
		{"no store", dashboard.Options{Authorize: allow}, "Store"},
		{"no authorize", dashboard.Options{Store: st}, "Authorize"},
		{"bad prefix", dashboard.Options{Store: st, Authorize: allow, Prefix: "/dash"}, "Prefix"},
	} {
		if _, err := dashboard.New(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.want)
		}
	}
}

func TestPageAndStaticFilesNeedNoKey(t *testing.T) {
	srv, _ := server(t, dashboard.Options{Store: store.NewMemory(store.Options{})})
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/dashboard/", "text/html", `<script src="static/app.js" defer></script>`},
		{"/dashboard/static/app.js", "javascript", "api/overview"},
		{"/dashboard/static/style.css", "text/css", "--accent"},
		{"/dashboard/static/example-rules.json", "application/json", `"ruleLanguageVersion": "1.0"`},
		{"/dashboard/static/example-tickets.json", "application/json", `"TicketId"`},
	} {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body := make([]byte, 1<<20)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), tc.ctype) {
			t.Errorf("%s: %d %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(string(body[:n]), tc.contains) && !strings.Contains(readAll(t, srv.URL+tc.path), tc.contains) {
			t.Errorf("%s does not contain %q", tc.path, tc.contains)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", tc.path, csp)
		}
	}
	// Without the trailing slash, the mux redirects to the page.
	resp, err := http.Get(srv.URL + "/dashboard")
	if err != nil || resp.StatusCode != 200 || resp.Request.URL.Path != "/dashboard/" {
		t.Fatalf("GET /dashboard: %v %v", resp, err)
	}
	resp.Body.Close()
	if code, _ := call(t, "GET", srv.URL+"/dashboard/static/missing.js", "", nil, nil); code != 404 {
		t.Errorf("missing static file: %d", code)
	}
}

func readAll(t *testing.T, url string) string {
	t.Helper()
	_, body := call(t, "GET", url, "", nil, nil)
	return body
}

func TestEndpointsRequireTheKey(t *testing.T) {
	srv, _ := server(t, dashboard.Options{Store: store.NewMemory(store.Options{})})
	for _, ep := range []struct{ method, path string }{
		{"GET", "/dashboard/api/overview"},
		{"GET", "/dashboard/api/matches"},
		{"GET", "/dashboard/api/relays"},
		{"POST", "/dashboard/api/playground"},
	} {
		for _, key := range []string{"", "wrong"} {
			code, body := call(t, ep.method, srv.URL+ep.path, key, []byte("{}"), nil)
			if code != http.StatusUnauthorized || !strings.Contains(body, "Bearer") {
				t.Errorf("%s %s with key %q: %d %s", ep.method, ep.path, key, code, body)
			}
		}
	}
	if code, body := call(t, "GET", srv.URL+"/dashboard/api/nothing", testSecret, nil, nil); code != 404 || !strings.Contains(body, "no such dashboard endpoint") {
		t.Errorf("unknown endpoint: %d %s", code, body)
	}
	if code, _ := call(t, "DELETE", srv.URL+"/dashboard/api/overview", testSecret, nil, nil); code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE overview: %d", code)
	}
}

func TestBearerAuthorizer(t *testing.T) {
	auth := dashboard.BearerAuthorizer(map[string]string{"a": "one", "b": "two", "empty": ""})
	for header, want := range map[string]bool{
		"Bearer one": true, "Bearer two": true, "Bearer ": false, "": false, "Basic one": false, "Bearer three": false, "bearer one": false,
	} {
		r, _ := http.NewRequest("GET", "/", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		if got := auth(r); got != want {
			t.Errorf("%q: %v, want %v", header, got, want)
		}
	}
}

type overviewBody struct {
	WindowSeconds  float64 `json:"windowSeconds"`
	Configurations []struct {
		Name        string         `json:"name"`
		RuleSetName string         `json:"ruleSetName"`
		Searching   int            `json:"searching"`
		Matches     int            `json:"matches"`
		Events      map[string]int `json:"events"`
		LastMatchAt *time.Time     `json:"lastMatchAt"`
		TimeToMatch struct {
			Samples             int
			P50Ms, P90Ms, MaxMs int64
		} `json:"timeToMatch"`
	} `json:"configurations"`
	Totals struct{ Configurations, Searching, Matches int } `json:"totals"`
}

func TestOverview(t *testing.T) {
	clk := newClock()
	st := seeded(t, clk.Now())
	srv, _ := server(t, dashboard.Options{Store: st, Now: clk.Now})
	var ov overviewBody
	if code, body := call(t, "GET", srv.URL+"/dashboard/api/overview", testSecret, nil, &ov); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if len(ov.Configurations) != 2 || ov.Totals.Configurations != 2 || ov.Totals.Searching != 4 || ov.Totals.Matches != 2 || ov.WindowSeconds != 900 {
		t.Fatalf("overview: %+v", ov)
	}
	duel := ov.Configurations[0]
	if duel.Name != "duel-ranked" || duel.RuleSetName != "duel" || duel.Searching != 3 || duel.Matches != 1 {
		t.Errorf("duel-ranked: %+v", duel)
	}
	if duel.Events["MatchmakingSearching"] != 2 || duel.Events["MatchmakingSucceeded"] != 1 || duel.Events["MatchmakingTimedOut"] != 1 {
		t.Errorf("duel-ranked events: %v", duel.Events)
	}
	// ana waited 4 s and bo 3 s.
	if tt := duel.TimeToMatch; tt.Samples != 2 || tt.P50Ms != 3000 || tt.P90Ms != 4000 || tt.MaxMs != 4000 {
		t.Errorf("duel-ranked time to match: %+v", tt)
	}
	if duel.LastMatchAt == nil || !duel.LastMatchAt.Equal(clk.Now().Add(-2*time.Minute+4*time.Second)) {
		t.Errorf("last match at %v", duel.LastMatchAt)
	}
	if sq := ov.Configurations[1]; sq.Name != "squads" || sq.Searching != 1 || sq.TimeToMatch.P50Ms != 10000 {
		t.Errorf("squads: %+v", sq)
	}

	// New events are read incrementally; after the window, the samples go.
	ctx := context.Background()
	if _, err := st.CreateTicket(ctx, store.Ticket{TicketId: "w4", ConfigurationName: "duel-ranked", Status: store.StatusSearching,
		StartTime: clk.Now(), Players: []store.Player{{PlayerId: "p-w4"}}}); err != nil {
		t.Fatal(err)
	}
	clk.Add(2 * time.Second) // past the refresh interval
	call(t, "GET", srv.URL+"/dashboard/api/overview", testSecret, nil, &ov)
	if ov.Configurations[0].Searching != 4 {
		t.Errorf("after a new ticket: searching %d", ov.Configurations[0].Searching)
	}
	clk.Add(20 * time.Minute)
	ov = overviewBody{}
	call(t, "GET", srv.URL+"/dashboard/api/overview", testSecret, nil, &ov)
	if c := ov.Configurations[0]; c.TimeToMatch.Samples != 0 || c.Matches != 0 || len(c.Events) != 0 || c.LastMatchAt == nil {
		t.Errorf("after the window: %+v", c)
	}
}

type matchesBody struct {
	Matches []struct {
		MatchID       string `json:"matchId"`
		Configuration string `json:"configuration"`
		Status        string `json:"status"`
		Teams         []struct {
			Name    string   `json:"name"`
			Players []string `json:"players"`
		} `json:"teams"`
		Tickets []struct {
			TicketID string `json:"ticketId"`
			WaitMs   int64  `json:"waitMs"`
		} `json:"tickets"`
		Metrics []struct {
			RuleName                 string
			PassedCount, FailedCount int
		} `json:"ruleEvaluationMetrics"`
		GameSession *struct {
			IPAddress string `json:"ipAddress"`
			Port      int    `json:"port"`
		} `json:"gameSession"`
	} `json:"matches"`
}

func TestMatches(t *testing.T) {
	clk := newClock()
	srv, _ := server(t, dashboard.Options{Store: seeded(t, clk.Now()), Now: clk.Now})
	var all matchesBody
	if code, body := call(t, "GET", srv.URL+"/dashboard/api/matches", testSecret, nil, &all); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	if len(all.Matches) != 2 || all.Matches[0].MatchID != "match-2" || all.Matches[1].MatchID != "match-1" {
		t.Fatalf("matches, newest first: %+v", all.Matches)
	}
	m2, m1 := all.Matches[0], all.Matches[1]
	if m2.Status != "REJECTED" || m2.Configuration != "squads" {
		t.Errorf("match-2: %+v", m2)
	}
	if m1.Status != "SUCCEEDED" || m1.GameSession == nil || m1.GameSession.IPAddress != "203.0.113.7" || m1.GameSession.Port != 7000 {
		t.Errorf("match-1: %+v", m1)
	}
	if len(m1.Teams) != 2 || m1.Teams[0].Name != "blue" || m1.Teams[0].Players[0] != "bo" || m1.Teams[1].Name != "red" || m1.Teams[1].Players[0] != "ana" {
		t.Errorf("match-1 teams: %+v", m1.Teams)
	}
	if len(m1.Metrics) != 1 || m1.Metrics[0].RuleName != "CloseSkill" || m1.Metrics[0].PassedCount != 1 || m1.Metrics[0].FailedCount != 2 {
		t.Errorf("match-1 metrics: %+v", m1.Metrics)
	}
	if len(m1.Tickets) != 2 || m1.Tickets[0].WaitMs != 4000 {
		t.Errorf("match-1 tickets: %+v", m1.Tickets)
	}

	var one matchesBody
	call(t, "GET", srv.URL+"/dashboard/api/matches?configuration=duel-ranked&limit=5", testSecret, nil, &one)
	if len(one.Matches) != 1 || one.Matches[0].MatchID != "match-1" {
		t.Errorf("one configuration: %+v", one.Matches)
	}
	call(t, "GET", srv.URL+"/dashboard/api/matches?limit=1", testSecret, nil, &one)
	if len(one.Matches) != 1 || one.Matches[0].MatchID != "match-2" {
		t.Errorf("limit 1: %+v", one.Matches)
	}
	for url, want := range map[string]string{
		"/dashboard/api/matches?limit=0":               "limit",
		"/dashboard/api/matches?limit=x":               "limit",
		"/dashboard/api/matches?limit=501":             "limit",
		"/dashboard/api/matches?configuration=nothing": "configuration",
	} {
		code, body := call(t, "GET", srv.URL+url, testSecret, nil, nil)
		if (code != 400 && code != 404) || !strings.Contains(body, want) {
			t.Errorf("%s: %d %s", url, code, body)
		}
	}
}

func TestRecentMatchesAreBounded(t *testing.T) {
	clk := newClock()
	srv, _ := server(t, dashboard.Options{Store: seeded(t, clk.Now()), Now: clk.Now, RecentMatches: 1})
	var all matchesBody
	call(t, "GET", srv.URL+"/dashboard/api/matches?configuration=duel-ranked", testSecret, nil, &all)
	if len(all.Matches) != 1 {
		t.Fatalf("%+v", all.Matches)
	}
}

// failing is a store whose reads fail.
type failing struct{ *store.Memory }

func (failing) ListConfigurations(context.Context) ([]store.Configuration, error) {
	return nil, errors.New("redis: connection refused")
}

func TestStoreErrors(t *testing.T) {
	srv, _ := server(t, dashboard.Options{Store: failing{store.NewMemory(store.Options{})}})
	for _, path := range []string{"/dashboard/api/overview", "/dashboard/api/matches"} {
		code, body := call(t, "GET", srv.URL+path, testSecret, nil, nil)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "connection refused") {
			t.Errorf("%s: %d %s", path, code, body)
		}
	}
}

// TestOverviewPendingPlacements: the matches waiting for relay capacity, by
// configuration, come from Options.PendingPlacements; none is left out.
func TestOverviewPendingPlacements(t *testing.T) {
	clk := newClock()
	st := seeded(t, clk.Now())
	srv, _ := server(t, dashboard.Options{Store: st, Now: clk.Now, PendingPlacements: func() map[string]int {
		return map[string]int{"duel-ranked": 3, "gone": 1}
	}})
	var ov struct {
		Configurations []struct {
			Name              string `json:"name"`
			PendingPlacements int    `json:"pendingPlacements"`
		} `json:"configurations"`
	}
	if code, body := call(t, "GET", srv.URL+"/dashboard/api/overview", testSecret, nil, &ov); code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	got := map[string]int{}
	for _, c := range ov.Configurations {
		got[c.Name] = c.PendingPlacements
	}
	if len(got) != 2 || got["duel-ranked"] != 3 || got["squads"] != 0 {
		t.Fatalf("pending placements by configuration: %v", got)
	}
}
