package relay_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
)

// harness is one relay on an embedded NATS server, with a second bus connection
// acting as the matchmaker.
type harness struct {
	t      testing.TB
	relay  *relay.Server
	mm     *bus.Conn
	reg    *prometheus.Registry
	url    string
	events *sessionEvents
}

func quietLogger() *slog.Logger {
	return slog.New(slog.DiscardHandler)
}

func newHarness(t testing.TB, opts relay.Options) *harness {
	t.Helper()
	e := bustest.RunServer(t)
	rc := bustest.Connect(t, e, bus.Options{Logger: quietLogger()})
	mm := bustest.Connect(t, e, bus.Options{Logger: quietLogger()})
	reg := prometheus.NewRegistry()
	if opts.ListenAddr == "" {
		opts.ListenAddr = "127.0.0.1:0"
	}
	if opts.Region == "" {
		opts.Region = "test"
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	opts.Registerer = reg
	srv, err := relay.New(rc, opts)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, relay: srv, mm: mm, reg: reg, url: "ws://" + srv.Addr().String() + "/websocket",
		events: &sessionEvents{}}
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := mm.SubscribeSessionEvents(ctx, "", "", h.events.handlers())
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx) }()
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-runErr; err != nil {
			t.Errorf("run: %v", err)
		}
		stop()
		cancel()
	})
	h.waitPlacementsServed()
	return h
}

// waitPlacementsServed waits until the relay says it serves placements
// (Server.Ready).
func (h *harness) waitPlacementsServed() {
	h.t.Helper()
	select {
	case <-h.relay.Ready():
	case <-time.After(5 * time.Second):
		h.t.Fatal("relay does not serve placements")
	}
}

var matchSeq atomic.Int64

// request builds a placement request for players p1..pn.
func request(n int) bus.PlacementRequest {
	players := make([]bus.Player, n)
	for i := range players {
		players[i] = bus.Player{PlayerID: fmt.Sprintf("player-%d", i+1), Team: "red",
			Attributes: []byte(`{"skill":{"N":10}}`)}
	}
	return bus.PlacementRequest{MatchID: fmt.Sprintf("match-%d", matchSeq.Add(1)), Configuration: "cfg", Region: "test",
		GameProperties: []bus.GameProperty{{Key: "mode", Value: "ctf"}}, GameSessionData: "gsd",
		MatchmakerData: `{"matchId":"m"}`, Players: players, MaxPlayers: n, Deadline: time.Now().Add(5 * time.Second)}
}

func (h *harness) place(req bus.PlacementRequest) bus.PlacementReply {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := h.mm.RequestPlacement(ctx, req)
	if err != nil {
		h.t.Fatalf("placement: %v", err)
	}
	return reply
}

func (h *harness) placeErr(req bus.PlacementRequest) bus.ErrorCode {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := h.mm.RequestPlacement(ctx, req)
	var re *bus.ReplyError
	if !errors.As(err, &re) {
		h.t.Fatalf("placement: want a refusal, got %v", err)
	}
	return re.Code
}

func (h *harness) dial(psid string, opts client.Options) (*client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return client.Dial(ctx, h.url, psid, nil, opts)
}

func (h *harness) mustDial(psid string, opts client.Options) *client.Client {
	h.t.Helper()
	c, err := h.dial(psid, opts)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

func (h *harness) refusedCount(reason string) float64 {
	return metricValue(h.reg, "relay_refused_logins_total", reason)
}

func (h *harness) droppedCount(reason string) float64 {
	return metricValue(h.reg, "relay_dropped_packets_total", reason)
}

// metricValue reads the counter or gauge name whose (only) label is value; with an
// empty value, the unlabeled series.
func metricValue(reg *prometheus.Registry, name, value string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return -1
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if value != "" && (len(m.GetLabel()) == 0 || m.GetLabel()[0].GetValue() != value) {
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

// sessionEvents records the session events of the bus.
type sessionEvents struct {
	mu      sync.Mutex
	started []bus.SessionStarted
	ended   []bus.SessionEnded
	joined  []bus.PlayerJoined
	left    []bus.PlayerLeft
}

func (e *sessionEvents) handlers() bus.SessionHandlers {
	return bus.SessionHandlers{
		Started:      func(v bus.SessionStarted) { e.mu.Lock(); e.started = append(e.started, v); e.mu.Unlock() },
		Ended:        func(v bus.SessionEnded) { e.mu.Lock(); e.ended = append(e.ended, v); e.mu.Unlock() },
		PlayerJoined: func(v bus.PlayerJoined) { e.mu.Lock(); e.joined = append(e.joined, v); e.mu.Unlock() },
		PlayerLeft:   func(v bus.PlayerLeft) { e.mu.Lock(); e.left = append(e.left, v); e.mu.Unlock() },
	}
}

func (e *sessionEvents) endedOf(id string) (bus.SessionEnded, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range e.ended {
		if v.GameSessionID == id {
			return v, true
		}
	}
	return bus.SessionEnded{}, false
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recv returns the next message of c or fails after 2 s.
func recv(t testing.TB, c *client.Client) client.Message {
	t.Helper()
	select {
	case m := <-c.Messages():
		return m
	case <-time.After(2 * time.Second):
		t.Fatal("no message received")
	}
	return client.Message{}
}

// noMessage checks that c receives nothing for a short while.
func noMessage(t testing.TB, c *client.Client) {
	t.Helper()
	select {
	case m := <-c.Messages():
		t.Fatalf("unexpected message op %d from %d: %q", m.OpCode, m.Sender, m.Payload)
	case <-time.After(100 * time.Millisecond):
	}
}

// nextEvent returns the next event of c of kind k, skipping others.
func nextEvent(t testing.TB, c *client.Client, k client.EventKind) client.Event {
	t.Helper()
	timeout := time.After(2 * time.Second)
	for {
		select {
		case e := <-c.Events():
			if e.Kind == k {
				return e
			}
		case <-timeout:
			t.Fatalf("no event of kind %d", k)
		}
	}
}
