package matchmaker

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// gaugeValue returns the value of the gauge name with the given label pairs
// in reg, and whether it is there.
func gaugeValue(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) (float64, bool) {
	t.Helper()
	if m := findMetric(t, reg, name, labels...); m != nil {
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}

// TestGameSessionMetrics follows two game sessions and their players
// through their lifecycle and checks the gauges read from the store and
// the transitions counted.
func TestGameSessionMetrics(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		reg := prometheus.NewRegistry()
		e := newSessionEnv(t, open, func(o *Options) { o.Registerer = reg })
		fleet := e.fleet.FleetId
		// gauges reads the gauges afresh (past the TTL of the last read).
		gauges := func(want map[string]float64, players float64) {
			t.Helper()
			e.clk.Advance(gameSessionMetricsTTL)
			for status, n := range want {
				if got, ok := gaugeValue(t, reg, "matchpoint_game_sessions", "fleet", fleet, "status", status); !ok || got != n {
					t.Errorf("matchpoint_game_sessions{status=%s} = %v (present %v), want %v", status, got, ok, n)
				}
			}
			if got, _ := gaugeValue(t, reg, "matchpoint_player_sessions", "fleet", fleet); got != players {
				t.Errorf("matchpoint_player_sessions = %v, want %v", got, players)
			}
		}
		counted := func(name, status string, want float64) {
			t.Helper()
			if got := counterValue(t, reg, name, "fleet", fleet, "status", status); got != want {
				t.Errorf("%s{status=%s} = %v, want %v", name, status, got, want)
			}
		}

		gauges(map[string]float64{"ACTIVATING": 0, "ACTIVE": 0, "TERMINATING": 0}, 0)
		gs := e.session(4, nil)
		other := e.session(4, nil)
		ps := e.players(gs.GameSessionId, "a", "b", "c")
		e.players(other.GameSessionId, "d")
		gauges(map[string]float64{"ACTIVATING": 0, "ACTIVE": 2, "TERMINATING": 0}, 4)
		counted("matchpoint_game_sessions_total", "ACTIVATING", 2)
		counted("matchpoint_game_sessions_total", "ACTIVE", 2)
		counted("matchpoint_player_sessions_total", "RESERVED", 4)

		// The relay reports two players in, then the end of the session:
		// the third player's reservation times out, the two in complete.
		h := e.svc.SessionRegistry()
		ref := bus.SessionRef{GameSessionID: gs.GameSessionId, GameSessionARN: gs.GameSessionId, Configuration: fleet, Region: "eu-west-1", RelayID: "relay-1"}
		now := e.clk.Now()
		h.PlayerJoined(bus.PlayerJoined{SessionRef: ref, PlayerID: "a", PlayerSessionID: ps[0].PlayerSessionId, JoinedAt: now})
		h.PlayerJoined(bus.PlayerJoined{SessionRef: ref, PlayerID: "b", PlayerSessionID: ps[1].PlayerSessionId, JoinedAt: now})
		counted("matchpoint_player_sessions_total", "ACTIVE", 2)
		if _, err := e.svc.TerminateGameSession(e.ctx, &TerminateGameSessionInput{GameSessionId: other.GameSessionId, TerminationMode: TerminationTriggerOnProcessTerminate}); err != nil {
			t.Fatal(err)
		}
		h.Ended(bus.SessionEnded{SessionRef: ref, Reason: bus.EndScript, EndedAt: now})
		gauges(map[string]float64{"ACTIVATING": 0, "ACTIVE": 0, "TERMINATING": 1}, 1)
		counted("matchpoint_game_sessions_total", "TERMINATING", 1)
		counted("matchpoint_game_sessions_total", "TERMINATED", 1)
		counted("matchpoint_player_sessions_total", "TIMEDOUT", 1)
		counted("matchpoint_player_sessions_total", "COMPLETED", 2)
	})
}

// TestGameSessionGaugesCached checks that the gauges answer from one read
// of the store within gameSessionMetricsTTL.
func TestGameSessionGaugesCached(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		reg := prometheus.NewRegistry()
		e := newSessionEnv(t, open, func(o *Options) { o.Registerer = reg })
		active := func() float64 {
			t.Helper()
			v, _ := gaugeValue(t, reg, "matchpoint_game_sessions", "fleet", e.fleet.FleetId, "status", "ACTIVE")
			return v
		}
		if got := active(); got != 0 {
			t.Fatalf("before any session: %v", got)
		}
		e.session(2, nil)
		if got := active(); got != 0 {
			t.Fatalf("within the TTL of the last read: %v, want the 0 read then", got)
		}
		e.clk.Advance(gameSessionMetricsTTL)
		if got := active(); got != 1 {
			t.Fatalf("past the TTL: %v, want 1", got)
		}
	})
}

// TestGameSessionGaugesCountFlexMatchSessions: a FlexMatch placement's game
// session, recorded under the relay hosting it (it has no fleet), counts in
// the gauges under that relay's id while the relay is live.
func TestGameSessionGaugesCountFlexMatchSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		reg := prometheus.NewRegistry()
		e := newSessionEnv(t, open, func(o *Options) { o.Registerer = reg })
		gs := store.GameSession{GameSessionId: "arn:aws:gamelift:eu-west-1::gamesession/relay-1/gs-flex", FleetId: "relay-1",
			FlexMatch: true, RelayID: "relay-1", Name: "flex", MaximumPlayerSessionCount: 2, Status: store.GameSessionActive, PlayerSessionCreationPolicy: store.AcceptAll,
			Location: "eu-west-1", CreationTime: e.clk.Now()}
		if _, _, err := e.st.CreateGameSession(e.ctx, gs, store.CreatorLimit{}); err != nil {
			t.Fatal(err)
		}
		e.session(4, nil)
		for fleet, want := range map[string]float64{"relay-1": 1, e.fleet.FleetId: 1} {
			if got, ok := gaugeValue(t, reg, "matchpoint_game_sessions", "fleet", fleet, "status", "ACTIVE"); !ok || got != want {
				t.Errorf("matchpoint_game_sessions{fleet=%s,status=ACTIVE} = %v (present %v), want %v", fleet, got, ok, want)
			}
		}
		// The relay goes silent: its sessions are no longer counted.
		e.setRelays()
		e.clk.Advance(gameSessionMetricsTTL)
		if _, ok := gaugeValue(t, reg, "matchpoint_game_sessions", "fleet", "relay-1", "status", "ACTIVE"); ok {
			t.Error("a silent relay's sessions are still counted")
		}
	})
}
