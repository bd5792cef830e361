// Package relaytest starts real relays for tests: a relay.Server on an
// embedded NATS server (bustest.RunServer), serving until the test ends, and
// the small helpers the relay's tests share.
package relaytest

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/matchpoint-dev/matchpoint/relay"
)

// Timeout bounds each wait of the package: a relay starting, a placement, a
// condition polled by Eventually.
const Timeout = 5 * time.Second

// shutdownTimeout bounds a relay's drain at the end of a test.
const shutdownTimeout = 10 * time.Second

// RunServer starts a relay on a bus connection of its own to nats, waits until
// it serves placements (relay.Server.Ready), and when the test ends shuts it
// down (a drain), failing the test if Run or Shutdown fails. The tune
// functions set the options, in order; then the fields left zero get the test
// defaults: a loopback listener on a free port, region "test" and a logger
// that discards everything. Without a Registerer the relay registers no
// metrics.
func RunServer(tb testing.TB, nats *embedded.Server, tune ...func(*relay.Options)) *relay.Server {
	tb.Helper()
	var opts relay.Options
	for _, f := range tune {
		f(&opts)
	}
	if opts.ListenAddr == "" {
		opts.ListenAddr = "127.0.0.1:0"
	}
	if opts.Region == "" {
		opts.Region = "test"
	}
	if opts.Logger == nil {
		opts.Logger = Logger()
	}
	srv, err := relay.New(bustest.Connect(tb, nats, bus.Options{Logger: Logger()}), opts)
	if err != nil {
		tb.Fatalf("relay: %v", err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(context.Background()) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("relay %s shutdown: %v", srv.RelayID(), err)
		}
		if err := <-runErr; err != nil {
			tb.Errorf("relay %s run: %v", srv.RelayID(), err)
		}
	})
	select {
	case <-srv.Ready():
	case err := <-runErr:
		tb.Fatalf("relay %s stopped before serving placements: %v", srv.RelayID(), err)
	case <-time.After(Timeout):
		tb.Fatalf("relay %s does not serve placements", srv.RelayID())
	}
	return srv
}

// URL is the WebSocket address players of srv dial.
func URL(srv *relay.Server) string { return "ws://" + srv.Addr().String() + "/websocket" }

// Logger returns a logger that discards everything.
func Logger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// Place asks for a placement through the matchmaker's connection mm and
// returns the relay's answer, failing the test when the request fails or is
// refused.
func Place(tb testing.TB, mm *bus.Conn, req bus.PlacementRequest) bus.PlacementReply {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	reply, err := mm.RequestPlacement(ctx, req)
	if err != nil {
		tb.Fatalf("placement of match %s: %v", req.MatchID, err)
	}
	return reply
}

// PlaceRefused asks for a placement that must be refused and returns the
// refusal's code, failing the test otherwise.
func PlaceRefused(tb testing.TB, mm *bus.Conn, req bus.PlacementRequest) bus.ErrorCode {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	_, err := mm.RequestPlacement(ctx, req)
	var re *bus.ReplyError
	if !errors.As(err, &re) {
		tb.Fatalf("placement of match %s: want a refusal, got %v", req.MatchID, err)
	}
	return re.Code
}

// Eventually is the shared poll (poll.Must) with the package's Timeout: it
// fails the test with what it waited for when cond does not hold in time.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	EventuallyWithin(tb, Timeout, what, cond)
}

// EventuallyWithin is Eventually with its own timeout, for what takes longer
// than Timeout (a script's end-of-game logic).
func EventuallyWithin(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	poll.Must(tb, timeout, func() string { return what }, cond)
}

// MetricValue reads the counter or gauge name of g whose only label has the
// value label; with an empty label, the unlabelled series. It is 0 when there
// is no such series, -1 when g fails.
func MetricValue(g prometheus.Gatherer, name, label string) float64 {
	mfs, err := g.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
