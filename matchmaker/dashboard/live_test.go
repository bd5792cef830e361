package dashboard_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/dashboard"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

// liveStack is a real matchmaker service and its forming loop on a memory
// store, and a relay heartbeat on a real NATS server, that a dashboard reads.
type liveStack struct {
	st   *store.Memory
	svc  *matchmaker.Service
	conn *bus.Conn
}

// startLive runs the stack until the test ends, with the STANDALONE
// configuration "duel-ranked" and the matches of the players given in pairs
// of close skill (each pair matches, the rest wait).
func startLive(t *testing.T, players map[string]float64) *liveStack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st := store.NewMemory(store.Options{})
	svc, err := matchmaker.New(matchmaker.Options{Store: st, Logger: slog.New(slog.DiscardHandler),
		Interval: 20 * time.Millisecond, Discover: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateMatchmakingRuleSet(ctx, &matchmaker.CreateMatchmakingRuleSetInput{Name: "duel", RuleSetBody: readFile(t, "static/example-rules.json")}); err != nil {
		t.Fatal(err)
	}
	timeout, acceptance, mode := 300, false, matchmaker.ModeStandalone
	if _, err := svc.CreateMatchmakingConfiguration(ctx, &matchmaker.CreateMatchmakingConfigurationInput{Name: "duel-ranked", RuleSetName: "duel",
		RequestTimeoutSeconds: &timeout, AcceptanceRequired: &acceptance, FlexMatchMode: &mode}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("matchmaker: %v", err)
		}
		svc.Close()
	})
	for id, skill := range players {
		_, err := svc.StartMatchmaking(ctx, &matchmaker.StartMatchmakingInput{TicketId: "ticket-" + id, ConfigurationName: "duel-ranked",
			Players: []store.Player{{PlayerId: id, PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &skill}}}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	nats := bustest.RunServer(t)
	return &liveStack{st: st, svc: svc, conn: bustest.Connect(t, nats, bus.Options{})}
}

// heartbeats publishes a relay's heartbeat every 100 ms until the test ends.
func (l *liveStack) heartbeats(t *testing.T, hb bus.Heartbeat) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			hb.SentAt = time.Now()
			if err := l.conn.PublishHeartbeat(ctx, hb); err != nil && ctx.Err() == nil {
				t.Errorf("heartbeat: %v", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func TestLiveMatchFromTheRealService(t *testing.T) {
	live := startLive(t, map[string]float64{"ana": 1000, "bo": 1040, "cy": 3000})
	srv, _ := server(t, dashboard.Options{Store: live.st, RefreshInterval: time.Millisecond})
	var mb matchesBody
	storetest.Eventually(t, 15*time.Second, func() string { return fmt.Sprintf("no match formed: %+v", mb) }, func() bool {
		mb = matchesBody{}
		call(t, "GET", srv.URL+"/dashboard/api/matches", testSecret, nil, &mb)
		return len(mb.Matches) == 1 && mb.Matches[0].Status == "SUCCEEDED"
	})
	m := mb.Matches[0]
	players := map[string]string{}
	for _, team := range m.Teams {
		for _, p := range team.Players {
			players[p] = team.Name
		}
	}
	if len(players) != 2 || players["ana"] == "" || players["bo"] == "" || players["ana"] == players["bo"] {
		t.Errorf("teams: %+v", m.Teams)
	}
	if len(m.Metrics) == 0 || m.Metrics[0].RuleName != "CloseSkill" || m.Metrics[0].PassedCount == 0 {
		t.Errorf("rule metrics: %+v", m.Metrics)
	}
	var ov overviewBody
	call(t, "GET", srv.URL+"/dashboard/api/overview", testSecret, nil, &ov)
	if len(ov.Configurations) != 1 || ov.Configurations[0].Searching != 1 || ov.Configurations[0].TimeToMatch.Samples != 2 {
		t.Errorf("overview: %+v", ov)
	}
	t.Logf("match %s, teams %+v", m.MatchID, m.Teams)
}
