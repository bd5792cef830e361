package main

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// TestMatchmakerServiceStopsFollowing: the service follows the relays'
// heartbeats and session events until its stop function returns; a
// heartbeat or a player's connection published afterwards changes nothing,
// though the bus still delivers them (a second subscriber hears both).
func TestMatchmakerServiceStopsFollowing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nats, err := embedded.Run(ctx, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Shutdown()
	conn, err := bus.Connect(ctx, nats.URL(), bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	st := store.NewMemory(store.Options{})
	const gsID = "arn:aws:gamelift:local::gamesession/relay-1/gs-1"
	if _, _, err := st.CreateGameSession(ctx, store.GameSession{GameSessionId: gsID, FleetId: "relay-1", FlexMatch: true, RelayID: "relay-1",
		MaximumPlayerSessionCount: 2, Status: store.GameSessionActive, PlayerSessionCreationPolicy: store.AcceptAll, CreationTime: time.Now()}, store.CreatorLimit{}); err != nil {
		t.Fatal(err)
	}
	var ps []store.PlayerSession
	for _, id := range []string{"ana", "bo"} {
		ps = append(ps, store.PlayerSession{PlayerSessionId: "psess-" + id, PlayerId: id, GameSessionId: gsID, FleetId: "relay-1",
			Status: store.PlayerSessionReserved, CreationTime: time.Now()})
	}
	if _, err := st.CreatePlayerSessions(ctx, gsID, ps); err != nil {
		t.Fatal(err)
	}
	svc, stopFollowing, err := newMatchmakerService(conn, slog.New(slog.NewTextHandler(io.Discard, nil)), matchmaker.Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()

	status := func(playerSessionID string) string {
		out, err := svc.DescribePlayerSessions(ctx, &matchmaker.DescribePlayerSessionsInput{PlayerSessionId: playerSessionID})
		if err != nil || len(out.PlayerSessions) != 1 {
			t.Fatalf("DescribePlayerSessions %s: %+v %v", playerSessionID, out, err)
		}
		return out.PlayerSessions[0].Status
	}
	relayKnown := func(id string) bool {
		_, err := svc.DescribeGameSessions(ctx, &matchmaker.DescribeGameSessionsInput{FleetId: id})
		return err == nil
	}
	ref := bus.SessionRef{GameSessionID: gsID, GameSessionARN: gsID, Configuration: "mm", Region: "local", RelayID: "relay-1"}
	joined := func(id string) bus.PlayerJoined {
		return bus.PlayerJoined{SessionRef: ref, PlayerID: id, PlayerSessionID: "psess-" + id, JoinedAt: time.Now()}
	}
	heartbeat := func(id string) bus.Heartbeat {
		return bus.Heartbeat{RelayID: id, Region: "local", Endpoint: bus.Endpoint{IPAddress: "203.0.113.7", TCPPort: 7000}, MaxSessions: 10, IntervalMs: 60000, SentAt: time.Now()}
	}

	if err := conn.PublishPlayerJoined(ctx, joined("ana")); err != nil {
		t.Fatal(err)
	}
	if err := conn.PublishHeartbeat(ctx, heartbeat("relay-early")); err != nil {
		t.Fatal(err)
	}
	relaytest.Eventually(t, "ana's player session ACTIVE", func() bool { return status("psess-ana") == "ACTIVE" })
	relaytest.Eventually(t, "relay-early known", func() bool { return relayKnown("relay-early") })

	stopFollowing()
	var heard atomic.Int32
	stopWitness, err := conn.SubscribeSessionEvents(ctx, "", "", bus.SessionHandlers{PlayerJoined: func(bus.PlayerJoined) { heard.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer stopWitness()
	stopWitnessHeartbeats, err := conn.SubscribeHeartbeats(ctx, "", func(bus.Heartbeat) { heard.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer stopWitnessHeartbeats()
	if err := conn.PublishPlayerJoined(ctx, joined("bo")); err != nil {
		t.Fatal(err)
	}
	if err := conn.PublishHeartbeat(ctx, heartbeat("relay-late")); err != nil {
		t.Fatal(err)
	}
	relaytest.Eventually(t, "the witness hears both", func() bool { return heard.Load() == 2 })
	if got := status("psess-bo"); got != "RESERVED" {
		t.Errorf("bo's player session %s after the service stopped following, want RESERVED", got)
	}
	if relayKnown("relay-late") {
		t.Error("a heartbeat after the service stopped following made its relay known")
	}
}
