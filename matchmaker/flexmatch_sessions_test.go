package matchmaker

import (
	"fmt"
	"sync"
	"testing"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestFlexMatchSessionsInRegistry: a successful FlexMatch placement records
// its game session ACTIVE (FleetId the relay, the rule set's capacity, the
// configuration's properties, the match's matchmakerData) and its player
// sessions RESERVED; DescribeGameSessions, SearchGameSessions (FleetId the
// relay) and DescribePlayerSessions see them, and the relays' events move
// them like any other.
func TestFlexMatchSessionsInRegistry(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", func(c *CreateMatchmakingConfigurationInput) {
			c.GameProperties = []GameProperty{{Key: "mode", Value: "ctf"}}
		})
		e.start("c", "t1", "p1", "p2")
		e.start("c", "t2", "p3")
		e.claim("c", "m1", map[string]string{"t1": "red", "t2": "blue"})
		e.wantStatus("t1", store.StatusPlacing)
		arn := "arn:aws:gamelift:eu-west-1::gamesession/relay-7/gsess-1"
		conn := func(players ...string) store.GameSessionConnectionInfo {
			info := store.GameSessionConnectionInfo{GameSessionArn: arn, IpAddress: "10.0.0.1", Port: 7777}
			for _, p := range players {
				info.MatchedPlayerSessions = append(info.MatchedPlayerSessions, store.MatchedPlayerSession{PlayerId: p, PlayerSessionId: "psess-" + p})
			}
			return info
		}
		if err := e.svc.placementSucceeded(e.ctx, "m1", map[string]store.GameSessionConnectionInfo{"t1": conn("p1", "p2"), "t2": conn("p3")}); err != nil {
			t.Fatal(err)
		}
		capacity, err := ruleSetCapacities.get(e.ctx, e.st, "rs")
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.svc.DescribeGameSessions(e.ctx, &DescribeGameSessionsInput{GameSessionId: arn})
		if err != nil || len(out.GameSessions) != 1 {
			t.Fatalf("describe: %+v, %v", out, err)
		}
		gs := out.GameSessions[0]
		if gs.Status != "ACTIVE" || gs.FleetId != "relay-7" || gs.Location != "eu-west-1" || gs.MaximumPlayerSessionCount != max(capacity, 3) ||
			gs.CurrentPlayerSessionCount != 3 || gs.Port != 7777 || len(gs.GameProperties) != 1 || gs.MatchmakerData == "" {
			t.Fatalf("FlexMatch session %+v (capacity %d)", gs, capacity)
		}
		found, err := e.svc.SearchGameSessions(e.ctx, &SearchGameSessionsInput{FleetId: "relay-7", FilterExpression: "gameSessionProperties.mode = 'ctf'"})
		if err != nil || len(found.GameSessions) != 1 {
			t.Fatalf("search by the relay: %+v, %v", found, err)
		}
		_, err = e.svc.SearchGameSessions(e.ctx, &SearchGameSessionsInput{FleetId: "relay-8"})
		wantErr(t, err, InvalidRequest, `FleetId: "relay-8" is not a valid fleet id`)
		ps, err := e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{GameSessionId: arn})
		if err != nil || len(ps.PlayerSessions) != 3 || ps.PlayerSessions[0].Status != "RESERVED" {
			t.Fatalf("player sessions: %+v, %v", ps, err)
		}

		h := e.svc.SessionRegistry()
		ref := bus.SessionRef{GameSessionID: "gsess-1", GameSessionARN: arn, MatchID: "m1", Configuration: "c", Region: "eu-west-1", RelayID: "relay-7"}
		h.PlayerJoined(bus.PlayerJoined{SessionRef: ref, PlayerID: "p1", PlayerSessionID: "psess-p1", JoinedAt: e.clk.Now()})
		h.Ended(bus.SessionEnded{SessionRef: ref, Reason: bus.EndScript, EndedAt: e.clk.Now()})
		out, err = e.svc.DescribeGameSessions(e.ctx, &DescribeGameSessionsInput{GameSessionId: arn})
		if err != nil || out.GameSessions[0].Status != "TERMINATED" {
			t.Fatalf("after the end: %+v, %v", out, err)
		}
		ps, err = e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{PlayerId: "p1"})
		if err != nil || len(ps.PlayerSessions) != 1 || ps.PlayerSessions[0].Status != "COMPLETED" {
			t.Fatalf("p1 after the end: %+v, %v", ps, err)
		}
	})
}

// TestFlexMatchEarlyEvents: a FlexMatch session is recorded once its
// placement is answered, but its relay may report a player connecting, or
// leaving, before that. Over many placements, with the relay's events
// delivered before the recording or racing it, every player session ends
// in the status its events give it.
func TestFlexMatchEarlyEvents(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		e.ruleSet("rs")
		e.config("c", nil)
		h := e.svc.SessionRegistry()
		const matches = 40
		var wg sync.WaitGroup
		for i := range matches {
			ta, tb := fmt.Sprintf("t%d-a", i), fmt.Sprintf("t%d-b", i)
			pa, pb := fmt.Sprintf("p%d-a", i), fmt.Sprintf("p%d-b", i)
			matchID := fmt.Sprintf("m%d", i)
			e.start("c", ta, pa)
			e.start("c", tb, pb)
			e.claim("c", matchID, map[string]string{ta: "red", tb: "blue"})
			arn := fmt.Sprintf("arn:aws:gamelift:eu-west-1::gamesession/relay-7/gsess-%d", i)
			conn := func(p string) store.GameSessionConnectionInfo {
				return store.GameSessionConnectionInfo{GameSessionArn: arn, IpAddress: "10.0.0.1", Port: 7777,
					MatchedPlayerSessions: []store.MatchedPlayerSession{{PlayerId: p, PlayerSessionId: "psess-" + p}}}
			}
			ref := bus.SessionRef{GameSessionID: fmt.Sprintf("gsess-%d", i), GameSessionARN: arn, MatchID: matchID, Configuration: "c", Region: "eu-west-1", RelayID: "relay-7"}
			relay := func() {
				h.PlayerJoined(bus.PlayerJoined{SessionRef: ref, PlayerID: pa, PlayerSessionID: "psess-" + pa, JoinedAt: e.clk.Now()})
				h.PlayerJoined(bus.PlayerJoined{SessionRef: ref, PlayerID: pb, PlayerSessionID: "psess-" + pb, JoinedAt: e.clk.Now()})
				h.PlayerLeft(bus.PlayerLeft{SessionRef: ref, PlayerID: pb, PlayerSessionID: "psess-" + pb, Reason: bus.LeftClosed, LeftAt: e.clk.Now()})
			}
			place := func() {
				if err := e.svc.placementSucceeded(e.ctx, matchID, map[string]store.GameSessionConnectionInfo{ta: conn(pa), tb: conn(pb)}); err != nil {
					t.Error(err)
				}
			}
			if i%2 == 0 {
				// The relay's events all arrive before the placement's answer.
				relay()
				place()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); relay() }()
			go func() { defer wg.Done(); place() }()
		}
		wg.Wait()
		wrong := 0
		for i := range matches {
			for p, want := range map[string]string{fmt.Sprintf("p%d-a", i): "ACTIVE", fmt.Sprintf("p%d-b", i): "COMPLETED"} {
				out, err := e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{PlayerSessionId: "psess-" + p})
				if err != nil {
					t.Fatal(err)
				}
				if got := out.PlayerSessions[0].Status; got != want {
					wrong++
					t.Logf("%s: %s, want %s", p, got, want)
				}
			}
		}
		if wrong > 0 {
			t.Fatalf("%d of %d player sessions missed their relay's events", wrong, 2*matches)
		}
	})
}
