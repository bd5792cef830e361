package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// RequestSessionUpdate makes echoRelays a matchmaker.GameSessionControl
// that takes every update.
func (echoRelays) RequestSessionUpdate(_ context.Context, req bus.SessionUpdateRequest) (bus.SessionUpdateReply, error) {
	return bus.SessionUpdateReply{RequestID: req.RequestID}, nil
}

// TestAWSSDKUpdateAndTerminateGameSession drives UpdateGameSession,
// DescribeGameSessionDetails and TerminateGameSession with the AWS SDK for
// Go v2, their errors parsing as typed exceptions.
func TestAWSSDKUpdateAndTerminateGameSession(t *testing.T) {
	s := newSessionServer(t)
	gl := sdkClient(s.URL, keyID, keySecret)
	ctx := t.Context()
	fleet, err := gl.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String("f"), ScriptId: aws.String("game")})
	if err != nil {
		t.Fatal(err)
	}
	created, err := gl.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: fleet.FleetAttributes.FleetId, MaximumPlayerSessionCount: aws.Int32(2),
		GameProperties: []types.GameProperty{{Key: aws.String("mode"), Value: aws.String("ctf")}}})
	if err != nil {
		t.Fatal(err)
	}
	id := created.GameSession.GameSessionId
	if _, err := gl.CreatePlayerSessions(ctx, &gamelift.CreatePlayerSessionsInput{GameSessionId: id, PlayerIds: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	updated, err := gl.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: id, MaximumPlayerSessionCount: aws.Int32(3),
		Name: aws.String("big"), PlayerSessionCreationPolicy: types.PlayerSessionCreationPolicyDenyAll, ProtectionPolicy: types.ProtectionPolicyFullProtection,
		GameProperties: []types.GameProperty{{Key: aws.String("mode"), Value: aws.String("brawl")}}})
	if err != nil {
		t.Fatal(err)
	}
	if g := updated.GameSession; aws.ToInt32(g.MaximumPlayerSessionCount) != 3 || aws.ToString(g.Name) != "big" ||
		g.PlayerSessionCreationPolicy != types.PlayerSessionCreationPolicyDenyAll || aws.ToString(g.GameProperties[0].Value) != "brawl" {
		t.Fatalf("updated %+v", g)
	}
	details, err := gl.DescribeGameSessionDetails(ctx, &gamelift.DescribeGameSessionDetailsInput{GameSessionId: id})
	if err != nil || len(details.GameSessionDetails) != 1 || details.GameSessionDetails[0].ProtectionPolicy != types.ProtectionPolicyFullProtection {
		t.Fatalf("DescribeGameSessionDetails: %+v %v", details, err)
	}
	_, err = gl.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: id, PlayerId: aws.String("c")})
	var igs *types.InvalidGameSessionStatusException
	if !errors.As(err, &igs) {
		t.Fatalf("a player in a DENY_ALL session: %v", err)
	}
	_, err = gl.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: id, MaximumPlayerSessionCount: aws.Int32(1)})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) || !strings.HasPrefix(ire.ErrorMessage(), "MaximumPlayerSessionCount: 1 is below") {
		t.Fatalf("a maximum below the players: %v", err)
	}

	term, err := gl.TerminateGameSession(ctx, &gamelift.TerminateGameSessionInput{GameSessionId: id, TerminationMode: types.TerminationModeForceTerminate})
	if err != nil || term.GameSession.Status != types.GameSessionStatusTerminating || term.GameSession.StatusReason != types.GameSessionStatusReasonForceTerminated {
		t.Fatalf("TerminateGameSession: %+v %v", term, err)
	}
	s.svc.SessionRegistry().Ended(bus.SessionEnded{SessionRef: bus.SessionRef{GameSessionID: *id, GameSessionARN: *id,
		Configuration: *fleet.FleetAttributes.FleetId, Region: "us-east-1", RelayID: "r1"}, Reason: bus.EndForceTerminated})
	described, err := gl.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: id})
	if err != nil || described.GameSessions[0].Status != types.GameSessionStatusTerminated {
		t.Fatalf("after the relay's end: %+v %v", described, err)
	}
	_, err = gl.TerminateGameSession(ctx, &gamelift.TerminateGameSessionInput{GameSessionId: id, TerminationMode: types.TerminationModeTriggerOnProcessTerminate})
	if !errors.As(err, &igs) {
		t.Fatalf("terminating a TERMINATED session: %v", err)
	}
	_, err = gl.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: id, Name: aws.String("x")})
	if !errors.As(err, &igs) {
		t.Fatalf("updating a TERMINATED session: %v", err)
	}
}

// TestRESTUpdateAndTerminateGameSession: the REST routes of
// UpdateGameSession, DescribeGameSessionDetails and TerminateGameSession.
func TestRESTUpdateAndTerminateGameSession(t *testing.T) {
	s := newSessionServer(t)
	b := s.must(t, "POST", "/v1/fleets", `{"Name":"f","ScriptId":"game"}`, http.StatusCreated)
	fleetID := between(string(b), `"FleetId":"`, `"`)
	s.must(t, "POST", "/v1/gamesessions", fmt.Sprintf(`{"FleetId":%q,"MaximumPlayerSessionCount":1,"IdempotencyToken":"t1"}`, fleetID), http.StatusCreated)
	path := "/v1/gamesessions/" + url.PathEscape("arn:aws:gamelift:us-east-1::gamesession/"+fleetID+"/t1")
	b = s.must(t, "PATCH", path, `{"MaximumPlayerSessionCount":4,"ProtectionPolicy":"FullProtection"}`, http.StatusOK)
	if !strings.Contains(string(b), `"MaximumPlayerSessionCount":4`) {
		t.Fatalf("updated %s", b)
	}
	b = s.must(t, "GET", path+"/details", "", http.StatusOK)
	if !strings.Contains(string(b), `"ProtectionPolicy":"FullProtection"`) {
		t.Fatalf("details %s", b)
	}
	status, b := s.do(t, "PATCH", path, `{"PlayerSessionCreationPolicy":"MAYBE"}`)
	if e := restErrorOf(t, b); status != http.StatusBadRequest || !strings.HasPrefix(e.Message, "PlayerSessionCreationPolicy: ") {
		t.Fatalf("bad policy: %d %s", status, b)
	}
	b = s.must(t, "POST", path+"/terminate", `{"TerminationMode":"NORMAL"}`, http.StatusOK)
	if !strings.Contains(string(b), `"Status":"TERMINATING"`) {
		t.Fatalf("terminated %s", b)
	}
	status, b = s.do(t, "PATCH", path, `{"MaximumPlayerSessionCount":5}`)
	if e := restErrorOf(t, b); status != http.StatusConflict || e.Type != "InvalidGameSessionStatusException" {
		t.Fatalf("update of a TERMINATING session: %d %s", status, b)
	}
}
