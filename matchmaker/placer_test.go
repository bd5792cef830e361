package matchmaker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay"
)

// TestPlacementWaitsForCapacity: as a GameLift queue keeps a placement
// pending until its timeout, a match whose region has no relay running, or
// only FULL ones, waits (counted in matchpoint_placements_pending, its
// tickets PLACING) and is placed once a relay has room.
func TestPlacementWaitsForCapacity(t *testing.T) {
	nats := bustest.RunServer(t)
	conn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	e := newFormEnv(t, store.NewMemory(store.Options{}), ModeWithQueue, false)
	w, _ := runWorker(t, formerOptions{Store: e.store, Service: e.svc, Placer: &BusPlacer{Conn: conn, Backoff: 10 * time.Millisecond},
		Regions: []string{"local"}, PlacementTimeout: time.Minute})
	gauge := func() float64 {
		var m dto.Metric
		if err := w.metrics.pendingPlacements.WithLabelValues("duel").Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetGauge().GetValue()
	}
	pending := func(want float64) {
		t.Helper()
		if !waitFor(t, 10*time.Second, func() bool { return gauge() == want }) {
			t.Fatalf("pending placements %v, want %v", gauge(), want)
		}
		// The dashboard's count (Service.PendingPlacements) agrees.
		if got := w.waits.pending()["duel"]; got != int(want) {
			t.Fatalf("pending placements by configuration %v, want duel: %v", w.waits.pending(), want)
		}
	}
	e.start("t1", 1000)
	e.start("t2", 1000)
	pending(1)
	for _, id := range []string{"t1", "t2"} {
		e.waitStatus(id, store.StatusPlacing)
	}
	// A relay starts: the match is placed. Its session (nobody joins)
	// holds the relay's only slot until the empty-session timeout.
	startRelay(t, nats, relay.Options{RelayID: "relay-1", MaxSessions: 1, EmptySessionTimeout: 300 * time.Millisecond, PlayerSessionTTL: 300 * time.Millisecond,
		Registerer: prometheus.NewRegistry()})
	first := e.waitStatus("t1", store.StatusCompleted)
	pending(0)
	e.start("t3", 1000)
	e.start("t4", 1000)
	third := e.waitStatus("t3", store.StatusCompleted)
	if third.GameSessionConnectionInfo.GameSessionArn == first.GameSessionConnectionInfo.GameSessionArn {
		t.Fatalf("t3 placed in the first match's session %s", first.GameSessionConnectionInfo.GameSessionArn)
	}
	pending(0)
}

// TestSomeRegionWithRelaysIsUsed: a region without relays is skipped for
// the next one of the match's list that has a relay.
func TestSomeRegionWithRelaysIsUsed(t *testing.T) {
	nats := bustest.RunServer(t)
	mmConn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	relayConn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	stop, err := relayConn.ServePlacements(t.Context(), "there", "", func(_ context.Context, req bus.PlacementRequest) bus.PlacementReply {
		ps := make([]bus.PlayerSession, len(req.Players))
		for i, p := range req.Players {
			ps[i] = bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: "psess-" + p.PlayerID}
		}
		return bus.PlacementReply{GameSessionID: "gsess-1", GameSessionARN: "arn:aws:gamelift:there::gamesession/relay-1/gsess-1",
			Endpoint: &bus.Endpoint{IPAddress: "127.0.0.1", TCPPort: 7000}, PlayerSessions: ps}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	placer := &BusPlacer{Conn: mmConn, Backoff: 10 * time.Millisecond}
	p := Placement{Configuration: store.Configuration{Name: "cfg"}, MatchID: "m-1", Regions: []string{"nowhere", "there"},
		Tickets: []store.Ticket{{TicketId: "t1", Players: []store.Player{{PlayerId: "p1", Team: "red"}}}}}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	conns, err := placer.Place(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if conns["t1"].GameSessionArn != "arn:aws:gamelift:there::gamesession/relay-1/gsess-1" {
		t.Fatalf("connections %+v", conns)
	}
}

// TestConfigurationNamesItsScript: a configuration's matchpoint:script game
// property names the script of its placements, over the placer's default; an
// empty value asks for none; without it the placer's default applies. The
// property reaches the relay with the other game properties.
func TestConfigurationNamesItsScript(t *testing.T) {
	nats := bustest.RunServer(t)
	mmConn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	relayConn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	got := make(chan bus.PlacementRequest, 1)
	stop, err := relayConn.ServePlacements(t.Context(), "local", "", func(_ context.Context, req bus.PlacementRequest) bus.PlacementReply {
		got <- req
		ps := make([]bus.PlayerSession, len(req.Players))
		for i, p := range req.Players {
			ps[i] = bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: "psess-" + p.PlayerID}
		}
		return bus.PlacementReply{GameSessionID: "gsess-1", GameSessionARN: "arn:aws:gamelift:local::gamesession/relay-1/gsess-1",
			Endpoint: &bus.Endpoint{IPAddress: "127.0.0.1", TCPPort: 7000}, PlayerSessions: ps}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	placer := &BusPlacer{Conn: mmConn, Script: "default"}

	for i, tc := range []struct {
		name  string
		props []store.GameProperty
		want  string
	}{
		{"no property: the placer's script", []store.GameProperty{{Key: "mode", Value: "ctf"}}, "default"},
		{"the property names the script", []store.GameProperty{{Key: "mode", Value: "ctf"}, {Key: ScriptProperty, Value: "ctf-v2"}}, "ctf-v2"},
		{"an empty value: no script", []store.GameProperty{{Key: ScriptProperty, Value: ""}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := store.Configuration{Name: "cfg", GameProperties: tc.props}
			p := Placement{Configuration: cfg, MatchID: fmt.Sprintf("match-%d", i), Regions: []string{"local"},
				Tickets: []store.Ticket{{TicketId: "t1", Players: []store.Player{{PlayerId: "p1", Team: "red"}}}}}
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			conns, err := placer.Place(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if conns["t1"].GameSessionArn == "" {
				t.Errorf("connections %+v", conns)
			}
			req := <-got
			if req.Script != tc.want {
				t.Errorf("placement asks for script %q, want %q", req.Script, tc.want)
			}
			if len(req.GameProperties) != len(tc.props) {
				t.Errorf("game properties %+v, want %+v", req.GameProperties, tc.props)
			}
		})
	}
}

// startRelay runs a relay on its own bus connection until the test ends.
func startRelay(t *testing.T, nats *embedded.Server, opts relay.Options) *relay.Server {
	t.Helper()
	opts.ListenAddr, opts.Region, opts.Logger, opts.DrainTimeout = "127.0.0.1:0", "local", quiet, 100*time.Millisecond
	rl, err := relay.New(bustest.Connect(t, nats, bus.Options{Logger: quiet}), opts)
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- rl.Run(context.Background()) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rl.Shutdown(ctx); err != nil {
			t.Errorf("relay %s shutdown: %v", opts.RelayID, err)
		}
		if err := <-runErr; err != nil {
			t.Errorf("relay %s run: %v", opts.RelayID, err)
		}
	})
	select {
	case <-rl.Ready():
	case <-time.After(5 * time.Second):
		t.Fatalf("relay %s does not serve placements", opts.RelayID)
	}
	return rl
}

// TestFullRelayIsPassedOver: a relay of the region that refuses FULL is
// passed over; the match is placed on another relay of the region.
func TestFullRelayIsPassedOver(t *testing.T) {
	nats := bustest.RunServer(t)
	mmConn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	fullReg := prometheus.NewRegistry()
	startRelay(t, nats, relay.Options{RelayID: "relay-full", MaxSessions: 1, Registerer: fullReg})
	startRelay(t, nats, relay.Options{RelayID: "relay-free", Registerer: prometheus.NewRegistry()})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// Fill relay-full with one session, through its own subject.
	filler := bus.PlacementRequest{MatchID: "filler", Configuration: "cfg", Region: "local", RelayID: "relay-full",
		Players: []bus.Player{{PlayerID: "f1"}}, MaxPlayers: 1, Deadline: time.Now().Add(5 * time.Second)}
	if _, err := mmConn.RequestPlacement(ctx, filler); err != nil {
		t.Fatal(err)
	}
	placer := &BusPlacer{Conn: mmConn, Backoff: 10 * time.Millisecond}
	// NATS gives each request to a random member of the queue group: place
	// matches until relay-full has refused one.
	for i := 0; counterValue(t, fullReg, "relay_placements_total", "result", string(bus.CodeFull)) == 0; i++ {
		if i == 30 {
			t.Fatal("relay-full refused none of 30 placements")
		}
		p := Placement{Configuration: store.Configuration{Name: "cfg"}, MatchID: fmt.Sprintf("m-%d", i), Regions: []string{"local"},
			Tickets: []store.Ticket{{TicketId: "t1", Players: []store.Player{{PlayerId: "p1", Team: "red"}}}}}
		conns, err := placer.Place(ctx, p)
		if err != nil {
			t.Fatalf("match %s: %v", p.MatchID, err)
		}
		if arn := conns["t1"].GameSessionArn; !strings.Contains(arn, "/relay-free/") {
			t.Fatalf("match %s placed in %s, want a session of relay-free", p.MatchID, arn)
		}
	}
}

// TestTimedOutTryLeavesNoSecondSession: a relay takes a try and does not
// answer in time; the retry lands on another relay of the region. The
// cancellation the placer publishes after the timed-out try ends the
// session the slow relay creates at last, so the match keeps one session.
func TestTimedOutTryLeavesNoSecondSession(t *testing.T) {
	nats := bustest.RunServer(t)
	mmConn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	ended := make(chan bus.SessionEnded, 4)
	stopEvents, err := mmConn.SubscribeSessionEvents(t.Context(), "", "", bus.SessionHandlers{Ended: func(e bus.SessionEnded) { ended <- e }})
	if err != nil {
		t.Fatal(err)
	}
	defer stopEvents()
	taken, release := make(chan struct{}), make(chan struct{})
	slow := startRelay(t, nats, relay.Options{RelayID: "relay-slow", ScriptFactory: func(relay.GameSessionInfo) (relay.Script, error) {
		close(taken)
		<-release
		return nil, nil
	}})
	placer := &BusPlacer{Conn: mmConn, TryTimeout: 200 * time.Millisecond, Backoff: 10 * time.Millisecond}
	p := Placement{Configuration: store.Configuration{Name: "cfg"}, MatchID: "m-1", Regions: []string{"local"},
		Tickets: []store.Ticket{{TicketId: "t1", Players: []store.Player{{PlayerId: "p1", Team: "red"}}}}}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	type result struct {
		conns map[string]store.GameSessionConnectionInfo
		err   error
	}
	placed := make(chan result, 1)
	go func() {
		conns, err := placer.Place(ctx, p)
		placed <- result{conns, err}
	}()
	<-taken
	// The slow relay holds the first try; the next ones may go to either.
	startRelay(t, nats, relay.Options{RelayID: "relay-fast"})
	r := <-placed
	close(release)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if arn := r.conns["t1"].GameSessionArn; !strings.Contains(arn, "/relay-fast/") {
		t.Fatalf("match placed in %s, want a session of relay-fast", arn)
	}
	select {
	case e := <-ended:
		if e.RelayID != "relay-slow" || e.Reason != bus.EndCancelled {
			t.Fatalf("session %s of %s ended %s, want relay-slow's session CANCELLED", e.GameSessionID, e.RelayID, e.Reason)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("relay-slow still holds %d session(s) for the match placed on relay-fast", slow.Stats().Sessions)
	}
}
