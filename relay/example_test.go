package relay_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/relay"
)

// A relay serves its region's placements from the bus: here a matchmaker
// places a match of two players and gets the session and one player session
// id for each.
func ExampleServer() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	nats, err := embedded.Run(ctx, embedded.Options{Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nats.Shutdown()
	connect := func(name string) *bus.Conn {
		c, err := bus.Connect(ctx, nats.URL(), bus.Options{Name: name, Logger: quiet})
		if err != nil {
			panic(err)
		}
		return c
	}
	rc, mm := connect("relay"), connect("matchmaker")
	defer rc.Close()
	defer mm.Close()

	srv, err := relay.New(rc, relay.Options{RelayID: "relay-1", Region: "eu-west-1", ListenAddr: "127.0.0.1:0", Logger: quiet,
		DrainTimeout: 100 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	<-srv.Ready()

	reply, err := mm.RequestPlacement(ctx, bus.PlacementRequest{MatchID: "match-1", Configuration: "duel", Region: "eu-west-1",
		MaxPlayers: 2, Players: []bus.Player{{PlayerID: "ana"}, {PlayerID: "bo"}}, Deadline: time.Now().Add(5 * time.Second)})
	if err != nil {
		fmt.Println("placement:", err)
		return
	}
	fmt.Printf("placed on %s with %d player sessions\n", reply.RelayID, len(reply.PlayerSessions))
	for _, ps := range reply.PlayerSessions {
		fmt.Println(ps.PlayerID)
	}
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Println(err)
	}
	<-done
	// Output:
	// placed on relay-1 with 2 player sessions
	// ana
	// bo
}
