package bus_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
)

// A Conn carries Matchpoint's messages: here a matchmaker follows the
// heartbeats of a region's relays, and a relay sends one.
func ExampleConn() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	nats, err := embedded.Run(ctx, embedded.Options{Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nats.Shutdown()
	conn, err := bus.Connect(ctx, nats.URL(), bus.Options{Name: "example", Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	heard := make(chan bus.Heartbeat, 1)
	stop, err := conn.SubscribeHeartbeats(ctx, "eu-west-1", func(h bus.Heartbeat) { heard <- h })
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	if err := conn.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	err = conn.PublishHeartbeat(ctx, bus.Heartbeat{RelayID: "relay-1", Region: "eu-west-1",
		Endpoint: bus.Endpoint{IPAddress: "192.0.2.10", TCPPort: 7000}, MaxSessions: 100, Sessions: 3, Players: 12,
		IntervalMs: 1000, SentAt: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	h := <-heard
	fmt.Printf("%s in %s: %d of %d sessions, %d players\n", h.RelayID, h.Region, h.Sessions, h.MaxSessions, h.Players)
	// Output: relay-1 in eu-west-1: 3 of 100 sessions, 12 players
}
