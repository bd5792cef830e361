package integration

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// gameLift is an AWS SDK client of matchmaker m's GameLift face.
func (m *matchmakerProc) gameLift() *gamelift.Client {
	return gamelift.New(gamelift.Options{Region: "us-east-1", BaseEndpoint: aws.String(m.api),
		Credentials: credentials.NewStaticCredentialsProvider(apiKeyID, apiKeySecret, "")})
}

// TestGameSessionsWithAWSSDK is issue 12's "done when" against the
// multi-process stack, with the AWS SDK for Go v2, the calls spread over two
// matchmakers that share Redis and NATS: upload a script, create a fleet
// with it, create a game session on one of two relays, find it, create two
// player sessions, connect two Realtime clients that talk to each other and
// hear from the fleet's script, be refused a third player, update and
// terminate the session, and place a second session through a queue with
// StartGameSessionPlacement. The relays run in region "local", the
// matchmakers' home region is us-east-1: the fleet names "local" as a
// location, the session and the queue ask for it.
func TestGameSessionsWithAWSSDK(t *testing.T) {
	c := newCluster(t, clusterOptions{matchmakers: 2, relays: 2})
	one, two := c.matchmakers[0].gameLift(), c.matchmakers[1].gameLift()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	sc, err := one.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("echo"), ZipFile: relaytest.ZipScript(t, "echo.js", relaytest.EchoScript)})
	if err != nil {
		t.Fatalf("CreateScript: %v", err)
	}
	fleet, err := one.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String("realtime"), ScriptId: sc.Script.ScriptId,
		Locations: []types.LocationConfiguration{{Location: aws.String(region)}}})
	if err != nil {
		t.Fatalf("CreateFleet: %v", err)
	}
	fleetID := fleet.FleetAttributes.FleetId
	poll(t, ctx, "the fleet ACTIVE on both matchmakers (relay heartbeats heard)", func() (bool, error) {
		for _, m := range []*gamelift.Client{one, two} {
			attrs, err := m.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{*fleetID}})
			if err != nil || attrs.FleetAttributes[0].Status != types.FleetStatusActive {
				return false, err
			}
		}
		return true, nil
	})

	created, err := one.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: fleetID, Location: aws.String(region),
		MaximumPlayerSessionCount: aws.Int32(2), Name: aws.String("lobby"),
		GameProperties: []types.GameProperty{{Key: aws.String("mode"), Value: aws.String("duel")}}})
	if err != nil {
		t.Fatalf("CreateGameSession: %v", err)
	}
	gs := created.GameSession
	if gs.Status != types.GameSessionStatusActive || aws.ToString(gs.Location) != region || aws.ToString(gs.IpAddress) != "127.0.0.1" {
		t.Fatalf("created %+v", gs)
	}
	var host *relayProc
	for _, r := range c.relays {
		if int32(r.port) == aws.ToInt32(gs.Port) {
			host = r
		}
	}
	if host == nil {
		t.Fatalf("the game session's port %d is no relay's of the cluster", aws.ToInt32(gs.Port))
	}
	described, err := two.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: gs.GameSessionId})
	if err != nil || len(described.GameSessions) != 1 || aws.ToString(described.GameSessions[0].Name) != "lobby" {
		t.Fatalf("DescribeGameSessions through the other matchmaker: %+v %v", described, err)
	}
	found, err := two.SearchGameSessions(ctx, &gamelift.SearchGameSessionsInput{FleetId: fleetID, Location: aws.String(region),
		FilterExpression: aws.String("gameSessionProperties.mode = 'duel' AND hasAvailablePlayerSessions = true"), SortExpression: aws.String("creationTimeMillis DESC")})
	if err != nil || len(found.GameSessions) != 1 || aws.ToString(found.GameSessions[0].GameSessionId) != aws.ToString(gs.GameSessionId) {
		t.Fatalf("SearchGameSessions: %+v %v", found, err)
	}
	ps, err := two.CreatePlayerSessions(ctx, &gamelift.CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: []string{"ana", "bo"},
		PlayerDataMap: map[string]string{"ana": "blue"}})
	if err != nil || len(ps.PlayerSessions) != 2 {
		t.Fatalf("CreatePlayerSessions: %+v %v", ps, err)
	}

	dial := func(p types.PlayerSession) *client.Client {
		t.Helper()
		cl, err := client.Dial(ctx, host.ws, aws.ToString(p.PlayerSessionId), nil, client.Options{Logger: quiet})
		if err != nil {
			t.Fatalf("%s connects to %s: %v", aws.ToString(p.PlayerId), host.id, err)
		}
		t.Cleanup(func() { cl.Close() })
		return cl
	}
	ana, bo := dial(ps.PlayerSessions[0]), dial(ps.PlayerSessions[1])
	exchange(t, ana, bo, "hello bo")
	exchange(t, bo, ana, "hello ana")
	if err := bo.Send(ctx, 1, client.ToServer(), []byte("ping"), true); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-bo.Messages():
		if string(m.Payload) != "echo:ping" || m.OpCode != 2 {
			t.Fatalf("bo got %+v, want the fleet script's echo", m)
		}
	case <-ctx.Done():
		t.Fatal("bo never heard the fleet script's echo")
	}

	_, err = one.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: aws.String("cy")})
	var full *types.GameSessionFullException
	if !errors.As(err, &full) {
		t.Fatalf("a third player: %v, want GameSessionFullException", err)
	}
	poll(t, ctx, "both player sessions ACTIVE (the relay's reports followed)", func() (bool, error) {
		players, err := one.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerSessionStatusFilter: aws.String("ACTIVE")})
		if err != nil {
			return false, err
		}
		return len(players.PlayerSessions) == 2, nil
	})

	// The relay learns a new maximum: a third player fits once it is 3;
	// below the two connected players it is refused.
	if _, err := two.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: gs.GameSessionId, MaximumPlayerSessionCount: aws.Int32(3)}); err != nil {
		t.Fatalf("UpdateGameSession to 3: %v", err)
	}
	if _, err := one.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: aws.String("cy")}); err != nil {
		t.Fatalf("a third player after the maximum went to 3: %v", err)
	}
	_, err = one.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: gs.GameSessionId, MaximumPlayerSessionCount: aws.Int32(2)})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) {
		t.Fatalf("a maximum below the players: %v, want InvalidRequestException", err)
	}

	// TerminateGameSession: TERMINATING, then TERMINATED once the relay
	// reports the end on NATS.
	term, err := two.TerminateGameSession(ctx, &gamelift.TerminateGameSessionInput{GameSessionId: gs.GameSessionId, TerminationMode: types.TerminationModeTriggerOnProcessTerminate})
	if err != nil || term.GameSession.Status != types.GameSessionStatusTerminating {
		t.Fatalf("TerminateGameSession: %+v %v", term, err)
	}
	poll(t, ctx, "the session TERMINATED", func() (bool, error) {
		d, err := one.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: gs.GameSessionId})
		if err != nil {
			return false, err
		}
		return d.GameSessions[0].Status == types.GameSessionStatusTerminated, nil
	})

	// A second session, placed through a queue whose destination is the
	// fleet, allowed only where the relays are.
	queue, err := one.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{Name: aws.String("realtime-queue"),
		TimeoutInSeconds: aws.Int32(20), Destinations: []types.GameSessionQueueDestination{{DestinationArn: fleet.FleetAttributes.FleetArn}},
		FilterConfiguration: &types.FilterConfiguration{AllowedLocations: []string{region}}})
	if err != nil {
		t.Fatalf("CreateGameSessionQueue: %v", err)
	}
	if _, err := two.StartGameSessionPlacement(ctx, &gamelift.StartGameSessionPlacementInput{PlacementId: aws.String("second"),
		GameSessionQueueName: queue.GameSessionQueue.Name, MaximumPlayerSessionCount: aws.Int32(4), GameSessionName: aws.String("second"),
		DesiredPlayerSessions: []types.DesiredPlayerSession{{PlayerId: aws.String("dee"), PlayerData: aws.String("red")}}}); err != nil {
		t.Fatalf("StartGameSessionPlacement: %v", err)
	}
	var placed *types.GameSessionPlacement
	poll(t, ctx, "the placement FULFILLED", func() (bool, error) {
		out, err := one.DescribeGameSessionPlacement(ctx, &gamelift.DescribeGameSessionPlacementInput{PlacementId: aws.String("second")})
		if err != nil {
			return false, err
		}
		placed = out.GameSessionPlacement
		switch placed.Status {
		case types.GameSessionPlacementStateFulfilled:
			return true, nil
		case types.GameSessionPlacementStatePending:
			return false, nil
		}
		return false, fmt.Errorf("placement %s: %+v", placed.Status, placed)
	})
	if aws.ToString(placed.GameSessionArn) == "" || aws.ToString(placed.GameSessionArn) == aws.ToString(gs.GameSessionId) ||
		len(placed.PlacedPlayerSessions) != 1 || aws.ToString(placed.PlacedPlayerSessions[0].PlayerId) != "dee" {
		t.Fatalf("fulfilled placement %+v", placed)
	}
	// Its player logs in on the relay the placement names.
	var dee *relayProc
	for _, r := range c.relays {
		if int32(r.port) == aws.ToInt32(placed.Port) {
			dee = r
		}
	}
	if dee == nil {
		t.Fatalf("the placed session's port %d is no relay's of the cluster", aws.ToInt32(placed.Port))
	}
	cl, err := client.Dial(ctx, dee.ws, aws.ToString(placed.PlacedPlayerSessions[0].PlayerSessionId), nil, client.Options{Logger: quiet})
	if err != nil {
		t.Fatalf("dee connects to %s: %v", dee.id, err)
	}
	cl.Close()
	c.stop()
}
