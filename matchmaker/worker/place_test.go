package worker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

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
