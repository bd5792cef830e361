package worker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestRegionWithoutRelaysFailsFast: when no region of the match has a relay
// (NATS answers no responders in every one), the placement fails at once
// with a reason naming the regions, long before the placement timeout.
func TestRegionWithoutRelaysFailsFast(t *testing.T) {
	nats := bustest.RunServer(t)
	conn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	e := newEnv(t, store.NewMemory(store.Options{}), matchmaker.ModeWithQueue, false)
	runWorker(t, Options{Store: e.store, Service: e.svc, Placer: &BusPlacer{Conn: conn, Backoff: 10 * time.Millisecond},
		Regions: []string{"nowhere", "neverland"}, PlacementTimeout: 30 * time.Second})
	start := time.Now()
	e.start("t1", 1000)
	e.start("t2", 1000)
	for _, id := range []string{"t1", "t2"} {
		tk := e.waitStatus(id, store.StatusFailed)
		if want := "no relay in region(s) nowhere, neverland"; !strings.Contains(tk.StatusMessage, want) {
			t.Errorf("ticket %s: status message %q, want it to say %q", id, tk.StatusMessage, want)
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("the tickets failed after %v: a region without relays must fail fast, not wait for the 30s placement timeout", d)
	}
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
