package relay_test

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// configuredScript is a recordingScript with a Realtime configuration.
type configuredScript struct {
	recordingScript
	maxPlayers int
	ping       time.Duration
}

func (c *configuredScript) MaxPlayers() int             { return c.maxPlayers }
func (c *configuredScript) PingInterval() time.Duration { return c.ping }

var _ relay.ScriptConfig = (*configuredScript)(nil)

// TestScriptConfiguration: the script's maxPlayers caps the session below the
// placement's and the relay's maximum, and its ping interval replaces the
// relay's for the session's connections.
func TestScriptConfiguration(t *testing.T) {
	sc := &configuredScript{maxPlayers: 3, ping: 50 * time.Millisecond}
	opts := testOptions()
	opts.MaxPlayersPerSession = 10
	opts.PingInterval = 10 * time.Second
	opts.ConnectionIdleTimeout = 400 * time.Millisecond
	opts.ScriptFactory = func(relay.GameSessionInfo) (relay.Script, error) { return sc, nil }
	h := newHarness(t, opts)

	big := request(4)
	big.MaxPlayers = 8
	if code := h.placeErr(big); code != bus.CodeInvalid {
		t.Fatalf("4 players for a script of 3: %s, want INVALID", code)
	}
	req := request(2)
	req.MaxPlayers = 8
	reply := h.place(req)
	relaytest.Eventually(t, "the session started event", func() bool {
		h.events.mu.Lock()
		defer h.events.mu.Unlock()
		return len(h.events.started) == 1
	})
	if got := h.events.started[0].MaxPlayers; got != 3 {
		t.Errorf("session started with maxPlayers %d, want the script's 3", got)
	}
	// The started event is published beside the session's goroutine, which
	// runs OnStartGameSession: wait for the script to have its session.
	relaytest.Eventually(t, "the script's OnStartGameSession", func() bool {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		return sc.session != nil
	})
	sc.mu.Lock()
	info := sc.session.Info()
	sc.mu.Unlock()
	if info.MaxPlayers != 3 {
		t.Errorf("Session.Info().MaxPlayers = %d, want 3", info.MaxPlayers)
	}

	// Backfill: one slot left of the script's 3, though the placement said 8.
	bf := request(2)
	bf.RelayID, bf.GameSessionID, bf.MaxPlayers = h.relay.RelayID(), reply.GameSessionID, 2
	if code := h.placeErr(bf); code != bus.CodeFull {
		t.Fatalf("backfill of 2 into 2 of 3: %s, want FULL", code)
	}
	bf = request(1)
	bf.Players[0].PlayerID = "late"
	bf.RelayID, bf.GameSessionID, bf.MaxPlayers = h.relay.RelayID(), reply.GameSessionID, 1
	if got := h.place(bf); len(got.PlayerSessions) != 1 {
		t.Fatalf("backfill of 1: %+v", got)
	}

	// A Go client answers the script's fast pings and stays.
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	// A raw client that ignores pings sees them every 50 ms (the relay's are
	// 10 s apart) and is closed with 4004 after the relay's idle timeout.
	ws, _, err := rawLogin(t, h.url, reply.PlayerSessions[1].PlayerSessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	pings := 0
	ws.SetPingHandler(func(string) error { pings++; return nil })
	if err := ws.SetReadDeadline(time.Now().Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for {
		if _, _, err = ws.ReadMessage(); err != nil {
			break
		}
	}
	if !websocket.IsCloseError(err, protocol.CloseIdle) || pings < 4 {
		t.Fatalf("after %v: %v, %d pings; want close 4004 after 4 pings or more", time.Since(start), err, pings)
	}
	select {
	case <-a.Done():
		t.Fatalf("the live client was closed: %v", a.Err())
	default:
	}
}

// TestScriptPingRaisesIdleTimeout: a script ping interval longer than the
// relay's idle timeout raises the session's idle timeout to 3 intervals, so that
// a client answering every ping is never closed between two of them.
func TestScriptPingRaisesIdleTimeout(t *testing.T) {
	sc := &configuredScript{ping: 400 * time.Millisecond}
	opts := testOptions()
	opts.ConnectionIdleTimeout = 100 * time.Millisecond
	opts.ScriptFactory = func(relay.GameSessionInfo) (relay.Script, error) { return sc, nil }
	h := newHarness(t, opts)
	reply := h.place(request(1))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	select {
	case <-a.Done():
		t.Fatalf("closed between pings: %v", a.Err())
	case <-time.After(1500 * time.Millisecond):
	}
}
