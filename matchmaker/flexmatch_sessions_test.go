package matchmaker

import (
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
