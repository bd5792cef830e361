package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
)

// Example places a match on a relay (embedded NATS, loopback), connects its two
// players with their UDP fast path and sends a fast message from one to the other.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	logger := slog.New(slog.DiscardHandler)
	nats, err := embedded.Run(ctx, embedded.Options{})
	if err != nil {
		panic(err)
	}
	defer nats.Shutdown()
	conn, err := bus.Connect(ctx, nats.URL(), bus.Options{Logger: logger})
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	srv, err := relay.New(conn, relay.Options{Region: "example", ListenAddr: "127.0.0.1:0", Logger: logger,
		DrainTimeout: time.Second})
	if err != nil {
		panic(err)
	}
	go srv.Run(ctx)
	defer srv.Shutdown(ctx)

	select {
	case <-srv.Ready(): // the relay serves the region's placements
	case <-ctx.Done():
		panic(ctx.Err())
	}

	// The matchmaker's side: place a match of two players.
	reply, err := conn.RequestPlacement(ctx, bus.PlacementRequest{MatchID: "m-1", Configuration: "duel",
		Region: "example", Players: []bus.Player{{PlayerID: "alice"}, {PlayerID: "bob"}}, MaxPlayers: 2,
		Deadline: time.Now().Add(5 * time.Second)})
	if err != nil {
		panic(err)
	}

	// The players' side: connect with the player session ids.
	url := fmt.Sprintf("ws://%s:%d/websocket", reply.Endpoint.IPAddress, reply.Endpoint.TCPPort)
	alice, err := client.Dial(ctx, url, reply.PlayerSessions[0].PlayerSessionID, nil, client.Options{UDP: true})
	if err != nil {
		panic(err)
	}
	defer alice.Close()
	bob, err := client.Dial(ctx, url, reply.PlayerSessions[1].PlayerSessionID, nil, client.Options{UDP: true})
	if err != nil {
		panic(err)
	}
	defer bob.Close()

	// A fast message (reliable false) travels by UDP now that both are bound.
	if err := alice.Send(ctx, 100, client.ToPlayer(bob.PeerID()), []byte("hello"), false); err != nil {
		panic(err)
	}
	m := <-bob.Messages()
	fmt.Printf("bob (peer %d, UDP %v) got op %d from peer %d: %s\n", bob.PeerID(), bob.FastBound(), m.OpCode, m.Sender, m.Payload)
	// Output: bob (peer 2, UDP true) got op 100 from peer 1: hello
}
