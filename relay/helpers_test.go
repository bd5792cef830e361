package relay_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
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

func newHarness(t testing.TB, opts relay.Options) *harness {
	t.Helper()
	e := bustest.RunServer(t)
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	srv := relaytest.RunServer(t, e, func(o *relay.Options) { *o = opts })
	mm := bustest.Connect(t, e, bus.Options{Logger: relaytest.Logger()})
	h := &harness{t: t, relay: srv, mm: mm, reg: reg, url: relaytest.URL(srv), events: &sessionEvents{}}
	stop, err := mm.SubscribeSessionEvents(context.Background(), "", "", h.events.handlers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return h
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
	return relaytest.Place(h.t, h.mm, req)
}

func (h *harness) placeErr(req bus.PlacementRequest) bus.ErrorCode {
	h.t.Helper()
	return relaytest.PlaceRefused(h.t, h.mm, req)
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
	return relaytest.MetricValue(h.reg, "relay_refused_logins_total", reason)
}

func (h *harness) droppedCount(reason string) float64 {
	return relaytest.MetricValue(h.reg, "relay_dropped_packets_total", reason)
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
