package main

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

	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// TestDevGameSessionsWithAWSSDK is issue 12's "done when", as far as built,
// against the dev stack with the AWS SDK for Go v2: upload a script, create a
// fleet with it, create a game session, find it, create two player
// sessions, connect two Realtime clients that talk to each other and hear
// from the fleet's script, be refused a third player, and place a second
// session through a queue with StartGameSessionPlacement.
func TestDevGameSessionsWithAWSSDK(t *testing.T) {
	a := startDev(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gl := gamelift.New(gamelift.Options{Region: "us-east-1", BaseEndpoint: aws.String(a.API),
		Credentials: credentials.NewStaticCredentialsProvider("dev", "dev-secret", "")})

	sc, err := gl.CreateScript(ctx, &gamelift.CreateScriptInput{Name: aws.String("echo"), ZipFile: relaytest.ZipScript(t, "echo.js", relaytest.EchoScript)})
	if err != nil {
		t.Fatal(err)
	}
	// dev's relay serves the fleet's home region: no location to name.
	fleet, err := gl.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String("realtime"), ScriptId: sc.Script.ScriptId})
	if err != nil {
		t.Fatal(err)
	}
	fleetID := fleet.FleetAttributes.FleetId
	storetest.Eventually(t, 30*time.Second, func() string { return "the fleet never became ACTIVE (no relay heartbeat heard)" }, func() bool {
		attrs, err := gl.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{*fleetID}})
		if err != nil {
			t.Fatal(err)
		}
		return attrs.FleetAttributes[0].Status == types.FleetStatusActive
	})

	created, err := gl.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: fleetID,
		MaximumPlayerSessionCount: aws.Int32(2), Name: aws.String("lobby"),
		GameProperties: []types.GameProperty{{Key: aws.String("mode"), Value: aws.String("duel")}}})
	if err != nil {
		t.Fatal(err)
	}
	gs := created.GameSession
	if gs.Status != types.GameSessionStatusActive || aws.ToInt32(gs.Port) == 0 {
		t.Fatalf("created %+v", gs)
	}
	described, err := gl.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: gs.GameSessionId})
	if err != nil || len(described.GameSessions) != 1 || aws.ToString(described.GameSessions[0].Name) != "lobby" {
		t.Fatalf("DescribeGameSessions: %+v %v", described, err)
	}
	found, err := gl.SearchGameSessions(ctx, &gamelift.SearchGameSessionsInput{FleetId: fleetID,
		FilterExpression: aws.String("gameSessionProperties.mode = 'duel' AND hasAvailablePlayerSessions = true"), SortExpression: aws.String("creationTimeMillis DESC")})
	if err != nil || len(found.GameSessions) != 1 || aws.ToString(found.GameSessions[0].GameSessionId) != aws.ToString(gs.GameSessionId) {
		t.Fatalf("SearchGameSessions: %+v %v", found, err)
	}
	ps, err := gl.CreatePlayerSessions(ctx, &gamelift.CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: []string{"ana", "bo"},
		PlayerDataMap: map[string]string{"ana": "blue"}})
	if err != nil || len(ps.PlayerSessions) != 2 {
		t.Fatalf("CreatePlayerSessions: %+v %v", ps, err)
	}

	url := "ws://" + a.Relay + "/websocket"
	ana, err := client.Dial(ctx, url, aws.ToString(ps.PlayerSessions[0].PlayerSessionId), nil, client.Options{})
	if err != nil {
		t.Fatalf("ana connects: %v", err)
	}
	defer ana.Close()
	bo, err := client.Dial(ctx, url, aws.ToString(ps.PlayerSessions[1].PlayerSessionId), nil, client.Options{})
	if err != nil {
		t.Fatalf("bo connects: %v", err)
	}
	defer bo.Close()
	// bo is routable once ana hears that it connected.
	for heard := false; !heard; {
		select {
		case e := <-ana.Events():
			heard = e.Kind == client.PlayerConnected && e.PeerID == bo.PeerID()
		case <-ctx.Done():
			t.Fatal("ana never heard that bo connected")
		}
	}
	if err := ana.Send(ctx, 1, client.ToPlayer(bo.PeerID()), []byte("hello bo"), true); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, ctx, bo); string(m.Payload) != "hello bo" || m.Sender != ana.PeerID() {
		t.Fatalf("bo got %+v", m)
	}
	if err := bo.Send(ctx, 1, client.ToServer(), []byte("ping"), true); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, ctx, bo); string(m.Payload) != "echo:ping" || m.OpCode != 2 {
		t.Fatalf("bo got %+v, want the fleet script's echo", m)
	}

	_, err = gl.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: aws.String("cy")})
	var full *types.GameSessionFullException
	if !errors.As(err, &full) {
		t.Fatalf("a third player: %v, want GameSessionFullException", err)
	}
	var players *gamelift.DescribePlayerSessionsOutput
	storetest.Eventually(t, 30*time.Second, func() string {
		return fmt.Sprintf("the player sessions never became ACTIVE: %+v", players.PlayerSessions)
	}, func() bool {
		players, err = gl.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerSessionStatusFilter: aws.String("ACTIVE")})
		if err != nil {
			t.Fatal(err)
		}
		return len(players.PlayerSessions) == 2
	})

	// The relay learns a new maximum: a third player fits once it is 3;
	// below the two connected players it is refused.
	if _, err := gl.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: gs.GameSessionId, MaximumPlayerSessionCount: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := gl.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: aws.String("cy")}); err != nil {
		t.Fatalf("a third player after the maximum went to 3: %v", err)
	}
	_, err = gl.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: gs.GameSessionId, MaximumPlayerSessionCount: aws.Int32(2)})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) {
		t.Fatalf("a maximum below the players: %v, want InvalidRequestException", err)
	}
	// TerminateGameSession: TERMINATING, then TERMINATED once the relay
	// reports the end.
	term, err := gl.TerminateGameSession(ctx, &gamelift.TerminateGameSessionInput{GameSessionId: gs.GameSessionId, TerminationMode: types.TerminationModeTriggerOnProcessTerminate})
	if err != nil || term.GameSession.Status != types.GameSessionStatusTerminating {
		t.Fatalf("TerminateGameSession: %+v %v", term, err)
	}
	storetest.Eventually(t, 30*time.Second, func() string {
		return fmt.Sprintf("the session never became TERMINATED: %+v", described.GameSessions[0])
	}, func() bool {
		described, err = gl.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: gs.GameSessionId})
		if err != nil {
			t.Fatal(err)
		}
		return described.GameSessions[0].Status == types.GameSessionStatusTerminated
	})

	// A second session, placed through a queue whose destination is the fleet.
	queue, err := gl.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{Name: aws.String("realtime-queue"),
		TimeoutInSeconds: aws.Int32(20), Destinations: []types.GameSessionQueueDestination{{DestinationArn: fleet.FleetAttributes.FleetArn}}})
	if err != nil {
		t.Fatalf("CreateGameSessionQueue: %v", err)
	}
	if _, err := gl.StartGameSessionPlacement(ctx, &gamelift.StartGameSessionPlacementInput{PlacementId: aws.String("second"),
		GameSessionQueueName: queue.GameSessionQueue.Name, MaximumPlayerSessionCount: aws.Int32(4), GameSessionName: aws.String("second"),
		DesiredPlayerSessions: []types.DesiredPlayerSession{{PlayerId: aws.String("dee"), PlayerData: aws.String("red")}}}); err != nil {
		t.Fatalf("StartGameSessionPlacement: %v", err)
	}
	var p *types.GameSessionPlacement
	storetest.Eventually(t, 30*time.Second, func() string { return fmt.Sprintf("the placement never was FULFILLED: %+v", p) }, func() bool {
		placed, err := gl.DescribeGameSessionPlacement(ctx, &gamelift.DescribeGameSessionPlacementInput{PlacementId: aws.String("second")})
		if err != nil {
			t.Fatal(err)
		}
		p = placed.GameSessionPlacement
		if p.Status != types.GameSessionPlacementStatePending && p.Status != types.GameSessionPlacementStateFulfilled {
			t.Fatalf("placement %s: %+v", p.Status, p)
		}
		return p.Status == types.GameSessionPlacementStateFulfilled
	})
	if aws.ToString(p.GameSessionArn) == "" || aws.ToString(p.GameSessionArn) == aws.ToString(gs.GameSessionId) ||
		len(p.PlacedPlayerSessions) != 1 || aws.ToString(p.PlacedPlayerSessions[0].PlayerId) != "dee" {
		t.Fatalf("fulfilled placement %+v", p)
	}
}
