package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// echoRelays answers every placement with an endpoint and every
// reservation with the ids asked for.
type echoRelays struct{}

func (echoRelays) RequestPlacement(_ context.Context, req bus.PlacementRequest) (bus.PlacementReply, error) {
	return bus.PlacementReply{MatchID: req.MatchID, RelayID: "r1", GameSessionID: req.GameSessionARN, GameSessionARN: req.GameSessionARN,
		Endpoint: &bus.Endpoint{IPAddress: "127.0.0.1", TCPPort: 7000}}, nil
}

func (echoRelays) RequestReserve(_ context.Context, req bus.ReserveRequest) (bus.ReserveReply, error) {
	out := bus.ReserveReply{RequestID: req.RequestID}
	for _, p := range req.Players {
		out.PlayerSessions = append(out.PlayerSessions, bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: p.PlayerSessionID})
	}
	return out, nil
}

// newSessionServer is newFleetServer with relays that host game sessions.
func newSessionServer(t *testing.T) *server {
	t.Helper()
	st := store.NewMemory(store.Options{})
	svc, err := matchmaker.New(matchmaker.Options{
		Store: st, Logger: quiet(), Region: "us-east-1", AccountID: "123456789012",
		ScriptExists: func(_ context.Context, name string) (bool, error) { return name == "game", nil },
		Relays: func() []matchmaker.Relay {
			return []matchmaker.Relay{{ID: "r1", Region: "us-east-1", MaxSessions: 8}}
		},
		GameSessionBus: echoRelays{},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	srv := httptest.NewServer(New(svc, map[string]string{keyID: keySecret}, quiet()))
	t.Cleanup(srv.Close)
	return &server{Server: srv, svc: svc, st: st}
}

// TestAWSSDKGameSessions drives the game session and player session actions
// with the AWS SDK for Go v2, and checks that their errors parse as their
// typed exceptions.
func TestAWSSDKGameSessions(t *testing.T) {
	s := newSessionServer(t)
	gl := sdkClient(s.URL, keyID, keySecret)
	ctx := t.Context()
	fleet, err := gl.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String("f"), ScriptId: aws.String("game"),
		Locations: []types.LocationConfiguration{{Location: aws.String("eu-west-1")}}})
	if err != nil {
		t.Fatal(err)
	}
	fleetID := fleet.FleetAttributes.FleetId
	created, err := gl.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: fleetID, MaximumPlayerSessionCount: aws.Int32(2),
		Name: aws.String("lobby"), GameProperties: []types.GameProperty{{Key: aws.String("mode"), Value: aws.String("ctf")}}})
	if err != nil {
		t.Fatal(err)
	}
	gs := created.GameSession
	if gs.Status != types.GameSessionStatusActive || aws.ToInt32(gs.Port) != 7000 || aws.ToString(gs.IpAddress) != "127.0.0.1" ||
		!strings.HasPrefix(aws.ToString(gs.GameSessionId), "arn:aws:gamelift:us-east-1::gamesession/"+aws.ToString(fleetID)+"/") || gs.CreationTime == nil {
		t.Fatalf("created %+v", gs)
	}
	described, err := gl.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{FleetId: fleetID, StatusFilter: aws.String("ACTIVE")})
	if err != nil || len(described.GameSessions) != 1 {
		t.Fatalf("DescribeGameSessions: %+v %v", described, err)
	}
	found, err := gl.SearchGameSessions(ctx, &gamelift.SearchGameSessionsInput{FleetId: fleetID,
		FilterExpression: aws.String("gameSessionProperties.mode = 'ctf' AND hasAvailablePlayerSessions = true"), SortExpression: aws.String("creationTimeMillis ASC")})
	if err != nil || len(found.GameSessions) != 1 {
		t.Fatalf("SearchGameSessions: %+v %v", found, err)
	}
	one, err := gl.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: aws.String("a"), PlayerData: aws.String("d")})
	if err != nil || one.PlayerSession.Status != types.PlayerSessionStatusReserved || aws.ToString(one.PlayerSession.PlayerData) != "d" {
		t.Fatalf("CreatePlayerSession: %+v %v", one, err)
	}
	two, err := gl.CreatePlayerSessions(ctx, &gamelift.CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: []string{"b"}})
	if err != nil || len(two.PlayerSessions) != 1 {
		t.Fatalf("CreatePlayerSessions: %+v %v", two, err)
	}
	players, err := gl.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{GameSessionId: gs.GameSessionId})
	if err != nil || len(players.PlayerSessions) != 2 {
		t.Fatalf("DescribePlayerSessions: %+v %v", players, err)
	}

	_, err = gl.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: aws.String("c")})
	var full *types.GameSessionFullException
	if !errors.As(err, &full) {
		t.Fatalf("a third player: %v", err)
	}
	_, err = gl.SearchGameSessions(ctx, &gamelift.SearchGameSessionsInput{FleetId: fleetID, FilterExpression: aws.String("maximumSessions >")})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) || !strings.HasPrefix(ire.ErrorMessage(), "FilterExpression: at character") {
		t.Fatalf("a bad filter: %v", err)
	}
	_, err = gl.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: fleetID, MaximumPlayerSessionCount: aws.Int32(2), Location: aws.String("eu-west-1")})
	var fce *types.FleetCapacityExceededException
	if !errors.As(err, &fce) {
		t.Fatalf("a location without relays: %v", err)
	}
	_, err = gl.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: aws.String(aws.ToString(gs.GameSessionId) + "x")})
	var nfe *types.NotFoundException
	if !errors.As(err, &nfe) {
		t.Fatalf("an unknown game session: %v", err)
	}
	s.svc.SessionRegistry().Ended(bus.SessionEnded{SessionRef: bus.SessionRef{GameSessionID: *gs.GameSessionId, GameSessionARN: *gs.GameSessionId,
		Configuration: *fleetID, Region: "us-east-1", RelayID: "r1"}, Reason: bus.EndScript})
	_, err = gl.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: aws.String("c")})
	var igs *types.InvalidGameSessionStatusException
	if !errors.As(err, &igs) {
		t.Fatalf("a player in a TERMINATED session: %v", err)
	}
}

// TestRESTGameSessions: the REST routes of game and player sessions, the
// game session ARN escaped in the path.
func TestRESTGameSessions(t *testing.T) {
	s := newSessionServer(t)
	b := s.must(t, "POST", "/v1/fleets", `{"Name":"f","ScriptId":"game"}`, http.StatusCreated)
	fleetID := between(string(b), `"FleetId":"`, `"`)
	b = s.must(t, "POST", "/v1/gamesessions", fmt.Sprintf(`{"FleetId":%q,"MaximumPlayerSessionCount":1,"IdempotencyToken":"t1"}`, fleetID), http.StatusCreated)
	arn := "arn:aws:gamelift:us-east-1::gamesession/" + fleetID + "/t1"
	if !strings.Contains(string(b), `"GameSessionId":"`+arn+`"`) {
		t.Fatalf("created %s", b)
	}
	path := "/v1/gamesessions/" + url.PathEscape(arn)
	s.must(t, "GET", path, "", http.StatusOK)
	s.must(t, "GET", "/v1/gamesessions?fleetId="+fleetID, "", http.StatusOK)
	b = s.must(t, "POST", "/v1/gamesessions/search", fmt.Sprintf(`{"FleetId":%q,"FilterExpression":"playerSessionCount = 0"}`, fleetID), http.StatusOK)
	if !strings.Contains(string(b), arn) {
		t.Fatalf("search %s", b)
	}
	b = s.must(t, "POST", path+"/playersessions", `{"PlayerIds":["a"]}`, http.StatusCreated)
	psid := between(string(b), `"PlayerSessionId":"`, `"`)
	s.must(t, "GET", "/v1/playersessions/"+psid, "", http.StatusOK)
	s.must(t, "GET", "/v1/playersessions?gameSessionId="+url.QueryEscape(arn), "", http.StatusOK)
	status, b := s.do(t, "POST", path+"/playersessions", `{"PlayerIds":["b"]}`)
	if e := restErrorOf(t, b); status != http.StatusConflict || e.Type != "GameSessionFullException" {
		t.Fatalf("full: %d %s", status, b)
	}
	status, b = s.do(t, "GET", "/v1/playersessions/psess-nope", "")
	if e := restErrorOf(t, b); status != http.StatusNotFound || !strings.HasPrefix(e.Message, "PlayerSessionId: ") {
		t.Fatalf("unknown player session: %d %s", status, b)
	}
}

func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}
