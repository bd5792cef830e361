package bus_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/internal/poll"
)

// inMsgs is how many messages the NATS server has received from clients.
func inMsgs(t *testing.T, srv *embedded.Server) int64 {
	t.Helper()
	v, err := srv.NATS().Varz(nil)
	if err != nil {
		t.Fatal(err)
	}
	return v.InMsgs
}

// TestInProcessRequestsSkipTheServer: a relay request sent on the
// connection that serves it never reaches the NATS server; one from another
// connection does (request and reply).
func TestInProcessRequestsSkipTheServer(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	mm := bustest.Connect(t, srv, bus.Options{})
	ctx := t.Context()
	stop, err := relay.ServeReserves(ctx, "relay-1", echoReserve)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	stopUpdates, err := relay.ServeSessionUpdates(ctx, "relay-1", func(context.Context, bus.SessionUpdateRequest) bus.SessionUpdateReply {
		return bus.SessionUpdateReply{}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stopUpdates()
	update := bus.SessionUpdateRequest{RequestID: "u-1", RelayID: "relay-1", GameSessionID: "gs-1", MaxPlayers: 4, Deadline: time.Now().Add(5 * time.Second)}

	before := inMsgs(t, srv)
	for range 20 {
		if _, err := relay.RequestReserve(ctx, reserveRequest()); err != nil {
			t.Fatal(err)
		}
		if _, err := relay.RequestSessionUpdate(ctx, update); err != nil {
			t.Fatal(err)
		}
	}
	if got := inMsgs(t, srv) - before; got != 0 {
		t.Fatalf("40 in-process requests: the server received %d messages, want 0", got)
	}
	if _, err := mm.RequestReserve(ctx, reserveRequest()); err != nil {
		t.Fatal(err)
	}
	// The server counts a message once its sender's read loop has
	// delivered it: the reply can reach mm before it is counted.
	var got int64
	poll.Must(t, 5*time.Second, func() string {
		return fmt.Sprintf("the server to count a request from another connection and its reply (%d counted)", got)
	}, func() bool {
		got = inMsgs(t, srv) - before
		return got >= 2
	})
	if got != 2 {
		t.Fatalf("a request from another connection: the server received %d messages, want 2", got)
	}
}

func echoReserve(_ context.Context, req bus.ReserveRequest) bus.ReserveReply {
	out := bus.ReserveReply{}
	for _, p := range req.Players {
		out.PlayerSessions = append(out.PlayerSessions, bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: p.PlayerSessionID})
	}
	return out
}

// TestInProcessStopWaitsForRequests: stopping a server takes no more
// in-process requests (they go over the bus, to the subscription still
// there) and returns only once the in-process request it found being
// handled has been answered; then the connection's requests find no one.
func TestInProcessStopWaitsForRequests(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	ctx := t.Context()
	entered, release := make(chan struct{}), make(chan struct{})
	stop, err := relay.ServeReserves(ctx, "relay-1", func(ctx context.Context, req bus.ReserveRequest) bus.ReserveReply {
		if req.GameSessionID == "hold" {
			close(entered)
			<-release
		}
		return echoReserve(ctx, req)
	})
	if err != nil {
		t.Fatal(err)
	}
	hold := reserveRequest()
	hold.GameSessionID = "hold"
	answered := make(chan error, 1)
	go func() {
		_, err := relay.RequestReserve(ctx, hold)
		answered <- err
	}()
	<-entered
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	// Once stopping, the connection's requests go over the bus.
	before := inMsgs(t, srv)
	var reqErr error
	poll.Must(t, 5*time.Second, func() string {
		return fmt.Sprintf("a request over the bus after stop was called (last request: %v)", reqErr)
	}, func() bool {
		_, reqErr = relay.RequestReserve(ctx, reserveRequest())
		return reqErr != nil || inMsgs(t, srv) != before
	})
	if reqErr != nil {
		t.Fatalf("a request while stopping: %v", reqErr)
	}
	select {
	case <-stopped:
		t.Fatal("stop returned while an in-process request was being handled")
	default:
	}
	close(release)
	if err := <-answered; err != nil {
		t.Fatalf("the request being handled when stop was called: %v", err)
	}
	<-stopped
	if _, err := relay.RequestReserve(ctx, reserveRequest()); !errors.Is(err, bus.ErrNoResponders) {
		t.Fatalf("after stop: err = %v, want ErrNoResponders", err)
	}
}
