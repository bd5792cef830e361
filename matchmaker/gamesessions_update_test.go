package matchmaker

import (
	"testing"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// TestUpdateGameSession: the fields change, properties merge by key, the
// relay learns a new maximum first; a maximum below the current player
// sessions is refused by the store's count or by the relay, leaving the
// session as it was; DENY_ALL refuses new players.
func TestUpdateGameSession(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		gs := e.session(3, func(in *CreateGameSessionInput) { in.GameProperties = []GameProperty{{Key: "mode", Value: "ctf"}} })
		e.players(gs.GameSessionId, "a", "b")
		name := "renamed"
		out, err := e.svc.UpdateGameSession(e.ctx, &UpdateGameSessionInput{GameSessionId: gs.GameSessionId, MaximumPlayerSessionCount: ptr(4),
			Name: &name, ProtectionPolicy: FullProtection,
			GameProperties: []GameProperty{{Key: "mode", Value: "brawl"}, {Key: "map", Value: "dust"}}})
		if err != nil {
			t.Fatal(err)
		}
		got := out.GameSession
		if got.MaximumPlayerSessionCount != 4 || got.Name != "renamed" || len(got.GameProperties) != 2 ||
			got.GameProperties[0] != (GameProperty{Key: "mode", Value: "brawl"}) || got.GameProperties[1].Key != "map" {
			t.Fatalf("updated %+v", got)
		}
		if u := e.relays.updates; len(u) != 1 || u[0].MaxPlayers != 4 || u[0].RelayID != "relay-1" || u[0].GameSessionID != gs.GameSessionId {
			t.Fatalf("relay updates %+v, want one with maxPlayers 4", u)
		}
		details, err := e.svc.DescribeGameSessionDetails(e.ctx, &DescribeGameSessionDetailsInput{FleetId: e.fleet.FleetId})
		if err != nil || len(details.GameSessionDetails) != 1 || details.GameSessionDetails[0].ProtectionPolicy != FullProtection ||
			details.GameSessionDetails[0].GameSession.Name != "renamed" {
			t.Fatalf("details %+v, %v", details, err)
		}

		_, err = e.svc.UpdateGameSession(e.ctx, &UpdateGameSessionInput{GameSessionId: gs.GameSessionId, MaximumPlayerSessionCount: ptr(1)})
		wantErr(t, err, InvalidRequest, "MaximumPlayerSessionCount: 1 is below the game session's 2 current player sessions")
		e.relays.held = 3
		_, err = e.svc.UpdateGameSession(e.ctx, &UpdateGameSessionInput{GameSessionId: gs.GameSessionId, MaximumPlayerSessionCount: ptr(2)})
		wantErr(t, err, InvalidRequest, "MaximumPlayerSessionCount: 2 refused by relay relay-1")
		if got := e.describe(gs.GameSessionId); got.MaximumPlayerSessionCount != 4 {
			t.Fatalf("after refusals: maximum %d, want 4", got.MaximumPlayerSessionCount)
		}
		if len(e.relays.updates) != 2 {
			t.Fatalf("relay updates %d, want 2 (the store's count refuses before asking the relay)", len(e.relays.updates))
		}

		for _, c := range []struct {
			in     UpdateGameSessionInput
			prefix string
		}{
			{UpdateGameSessionInput{MaximumPlayerSessionCount: ptr(0)}, "MaximumPlayerSessionCount: must be at least 1"},
			{UpdateGameSessionInput{PlayerSessionCreationPolicy: "SOME"}, "PlayerSessionCreationPolicy: must be ACCEPT_ALL or DENY_ALL"},
			{UpdateGameSessionInput{ProtectionPolicy: "Half"}, "ProtectionPolicy: must be NoProtection or FullProtection"},
			{UpdateGameSessionInput{GameProperties: []GameProperty{{Key: "", Value: "x"}}}, "GameProperties[0].Key"},
		} {
			c.in.GameSessionId = gs.GameSessionId
			_, err := e.svc.UpdateGameSession(e.ctx, &c.in)
			wantErr(t, err, InvalidRequest, c.prefix)
		}
		_, err = e.svc.UpdateGameSession(e.ctx, &UpdateGameSessionInput{GameSessionId: gs.GameSessionId + "x", Name: &name})
		wantErr(t, err, NotFound, "GameSessionId: game session")

		if _, err := e.svc.UpdateGameSession(e.ctx, &UpdateGameSessionInput{GameSessionId: gs.GameSessionId, PlayerSessionCreationPolicy: "DENY_ALL"}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreatePlayerSession(e.ctx, &CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: "c"})
		wantErr(t, err, InvalidGameSessionStatus, "GameSessionId: game session "+gs.GameSessionId+" does not accept players")
	})
}

// TestTerminateGameSession: NORMAL and FORCE_TERMINATE send the relay the
// mode and leave the session TERMINATING with GameLift's StatusReason, then
// the relay's session-ended event makes it TERMINATED; a session its relay
// no longer runs is TERMINATED at once; an ended one is refused.
func TestTerminateGameSession(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		h := e.svc.SessionRegistry()
		for _, c := range []struct{ mode, relayMode, endReason, reason string }{
			{TerminationTriggerOnProcessTerminate, bus.TerminateNormal, bus.EndTerminated, ReasonTriggeredOnProcessTerminate},
			{TerminationNormal, bus.TerminateNormal, bus.EndTerminated, ReasonTriggeredOnProcessTerminate},
			{TerminationForce, bus.TerminateForce, bus.EndForceTerminated, ReasonForceTerminated},
		} {
			gs := e.session(2, nil)
			ps := e.players(gs.GameSessionId, "a")
			out, err := e.svc.TerminateGameSession(e.ctx, &TerminateGameSessionInput{GameSessionId: gs.GameSessionId, TerminationMode: c.mode})
			if err != nil {
				t.Fatal(err)
			}
			if out.GameSession.Status != "TERMINATING" || out.GameSession.StatusReason != c.reason {
				t.Fatalf("%s: %s (%s), want TERMINATING (%s)", c.mode, out.GameSession.Status, out.GameSession.StatusReason, c.reason)
			}
			if u := e.relays.updates[len(e.relays.updates)-1]; u.Terminate != c.relayMode || u.GameSessionID != gs.GameSessionId {
				t.Fatalf("%s: relay got %+v", c.mode, u)
			}
			ref := bus.SessionRef{GameSessionID: gs.GameSessionId, GameSessionARN: gs.GameSessionId, Configuration: e.fleet.FleetId, Region: "eu-west-1", RelayID: "relay-1"}
			h.Ended(bus.SessionEnded{SessionRef: ref, Reason: c.endReason, EndedAt: e.clk.Now()})
			if got := e.describe(gs.GameSessionId); got.Status != "TERMINATED" || got.StatusReason != c.reason || got.TerminationTime == nil {
				t.Fatalf("%s: after the end %+v", c.mode, got)
			}
			if got := e.playerSession(ps[0].PlayerSessionId); got.Status != "TIMEDOUT" {
				t.Fatalf("%s: reserved player after the end: %s", c.mode, got.Status)
			}
			_, err = e.svc.TerminateGameSession(e.ctx, &TerminateGameSessionInput{GameSessionId: gs.GameSessionId, TerminationMode: c.mode})
			wantErr(t, err, InvalidGameSessionStatus, "GameSessionId: game session "+gs.GameSessionId+" is TERMINATED")
		}

		gone := e.session(2, nil)
		e.relays.gone = true
		out, err := e.svc.TerminateGameSession(e.ctx, &TerminateGameSessionInput{GameSessionId: gone.GameSessionId, TerminationMode: TerminationForce})
		if err != nil || out.GameSession.Status != "TERMINATED" {
			t.Fatalf("relay gone: %+v, %v; want TERMINATED at once", out, err)
		}
		_, err = e.svc.TerminateGameSession(e.ctx, &TerminateGameSessionInput{GameSessionId: gone.GameSessionId, TerminationMode: "SOON"})
		wantErr(t, err, InvalidRequest, "TerminationMode: must be TRIGGER_ON_PROCESS_TERMINATE or FORCE_TERMINATE")
	})
}
