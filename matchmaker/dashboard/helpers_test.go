package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/dashboard"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

const testSecret = "test-secret"

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// server serves a dashboard at /dashboard/ for the test.
func server(t *testing.T, opts dashboard.Options) (*httptest.Server, *dashboard.Dashboard) {
	t.Helper()
	if opts.Authorize == nil {
		opts.Authorize = dashboard.BearerAuthorizer(map[string]string{"test": testSecret})
	}
	d, err := dashboard.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/dashboard/", d)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, d
}

// call sends a request with the test key (key "" sends none) and decodes
// the JSON answer into out when out is not nil.
func call(t *testing.T, method, url, key string, body []byte, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, data)
		}
	}
	return resp.StatusCode, string(data)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// seeded fills a memory store with two configurations, SEARCHING tickets and
// the events of a few matches, timed relative to now.
func seeded(t *testing.T, now time.Time) *store.Memory {
	t.Helper()
	ctx := context.Background()
	st := store.NewMemory(store.Options{Now: func() time.Time { return now }})
	if err := st.CreateRuleSet(ctx, store.RuleSet{Name: "duel", Body: readFile(t, "static/example-rules.json")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Configuration{
		{Name: "duel-ranked", RuleSetName: "duel", RequestTimeoutSeconds: 120, FlexMatchMode: matchmaker.ModeStandalone},
		{Name: "squads", RuleSetName: "duel", RequestTimeoutSeconds: 120, AcceptanceRequired: true, AcceptanceTimeoutSeconds: 30, FlexMatchMode: matchmaker.ModeStandalone},
	} {
		if err := st.CreateConfiguration(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range []string{"w1", "w2", "w3"} {
		tk := store.Ticket{TicketId: id, ConfigurationName: "duel-ranked", Status: store.StatusSearching,
			StartTime: now.Add(-time.Duration(i+1) * time.Second), Players: []store.Player{{PlayerId: "p-" + id}}}
		if _, err := st.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CreateTicket(ctx, store.Ticket{TicketId: "s1", ConfigurationName: "squads", Status: store.StatusSearching,
		StartTime: now, Players: []store.Player{{PlayerId: "solo"}}}); err != nil {
		t.Fatal(err)
	}
	tr := true
	ev := func(cfg string, at time.Time, d matchmaker.EventDetail) {
		t.Helper()
		var ids []string
		for _, tk := range d.Tickets {
			ids = append(ids, tk.TicketID)
		}
		payload, err := json.Marshal(matchmaker.Event{Version: "0", ID: "e", DetailType: "GameLift Matchmaking Event",
			Source: "aws.gamelift", Time: at.Format(matchmaker.EventTimeFormat), Detail: d})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AppendEvent(ctx, cfg, ids, payload); err != nil {
			t.Fatal(err)
		}
	}
	tk := func(id string, start time.Time, players ...matchmaker.EventPlayer) matchmaker.EventTicket {
		return matchmaker.EventTicket{TicketID: id, StartTime: start.Format(matchmaker.EventTimeFormat), Players: players}
	}
	t0 := now.Add(-2 * time.Minute)
	ev("duel-ranked", t0, matchmaker.EventDetail{Type: matchmaker.EventMatchmakingSearching, Tickets: []matchmaker.EventTicket{tk("a", t0, matchmaker.EventPlayer{PlayerID: "ana"})}})
	ev("duel-ranked", t0, matchmaker.EventDetail{Type: matchmaker.EventMatchmakingSearching, Tickets: []matchmaker.EventTicket{tk("b", t0.Add(time.Second), matchmaker.EventPlayer{PlayerID: "bo"})}})
	// Match 1: ana waited 4 s, bo 3 s; placed.
	created := t0.Add(4 * time.Second)
	ev("duel-ranked", created, matchmaker.EventDetail{Type: matchmaker.EventPotentialMatchCreated, MatchID: "match-1",
		Tickets: []matchmaker.EventTicket{
			tk("a", t0, matchmaker.EventPlayer{PlayerID: "ana", Team: "red"}),
			tk("b", t0.Add(time.Second), matchmaker.EventPlayer{PlayerID: "bo", Team: "blue"}),
		},
		RuleEvaluationMetrics: []matchmaker.RuleEvaluationMetric{{RuleName: "CloseSkill", PassedCount: 1, FailedCount: 2}}})
	ev("duel-ranked", created.Add(time.Second), matchmaker.EventDetail{Type: matchmaker.EventMatchmakingSucceeded, MatchID: "match-1",
		Tickets:         []matchmaker.EventTicket{tk("a", t0, matchmaker.EventPlayer{PlayerID: "ana", Team: "red"})},
		GameSessionInfo: matchmaker.GameSessionInfo{GameSessionArn: "arn:gs-1", IPAddress: "203.0.113.7", Port: 7000}})
	ev("duel-ranked", now.Add(-time.Minute), matchmaker.EventDetail{Type: matchmaker.EventMatchmakingTimedOut, Reason: "TimedOut",
		Tickets: []matchmaker.EventTicket{tk("c", t0, matchmaker.EventPlayer{PlayerID: "cy"})}})
	// Match 2 (squads): 10 s of waiting, then rejected.
	m2 := now.Add(-30 * time.Second)
	ev("squads", m2, matchmaker.EventDetail{Type: matchmaker.EventPotentialMatchCreated, MatchID: "match-2", AcceptanceRequired: &tr,
		Tickets: []matchmaker.EventTicket{
			tk("d", m2.Add(-10*time.Second), matchmaker.EventPlayer{PlayerID: "dee", Team: "red"}),
			tk("e", m2.Add(-10*time.Second), matchmaker.EventPlayer{PlayerID: "eve", Team: "blue"}),
		}})
	ev("squads", m2.Add(time.Second), matchmaker.EventDetail{Type: matchmaker.EventAcceptMatchCompleted, MatchID: "match-2", Acceptance: matchmaker.AcceptanceRejected})
	return st
}
