package relay_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// gameSessionRequest is a CreateGameSession placement: its own ARN, no
// players.
func gameSessionRequest(maxPlayers int) bus.PlacementRequest {
	id := fmt.Sprintf("gs-%d", matchSeq.Add(1))
	return bus.PlacementRequest{MatchID: id, Configuration: "fleet-1", Region: "test", FleetID: "fleet-1",
		GameSessionARN: "arn:aws:gamelift:test::gamesession/fleet-1/" + id, GameSessionName: "lobby",
		MaxPlayers: maxPlayers, Deadline: time.Now().Add(5 * time.Second)}
}

func (h *harness) reserve(requestID, gameSessionID string, players ...string) (bus.ReserveReply, error) {
	req := bus.ReserveRequest{RequestID: requestID, RelayID: h.relay.RelayID(), GameSessionID: gameSessionID, Deadline: time.Now().Add(5 * time.Second)}
	for _, p := range players {
		req.Players = append(req.Players, bus.Player{PlayerID: p, PlayerSessionID: "psess-" + requestID + "-" + p})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return h.mm.RequestReserve(ctx, req)
}

func refusedWith(t *testing.T, err error, code bus.ErrorCode) {
	t.Helper()
	var re *bus.ReplyError
	if !errors.As(err, &re) || re.Code != code {
		t.Fatalf("err = %v, want a %s refusal", err, code)
	}
}

// TestGameSessionWithoutPlayers: a CreateGameSession placement creates a
// session of the requested ARN with no player session, which waits for
// reservations: unscripted, it ends EMPTY after the empty timeout, never
// EXPIRED as a match nobody joined does.
func TestGameSessionWithoutPlayers(t *testing.T) {
	opts := testOptions()
	opts.EmptySessionTimeout = 100 * time.Millisecond
	h := newHarness(t, opts)
	req := gameSessionRequest(2)
	reply := h.place(req)
	if reply.GameSessionID != req.GameSessionARN || reply.GameSessionARN != req.GameSessionARN || len(reply.PlayerSessions) != 0 {
		t.Fatalf("reply = %+v, want the session %s with no player session", reply, req.GameSessionARN)
	}
	var ended bus.SessionEnded
	relaytest.Eventually(t, "the session ends", func() bool {
		var ok bool
		ended, ok = h.events.endedOf(req.GameSessionARN)
		return ok
	})
	if ended.Reason != bus.EndEmpty {
		t.Fatalf("ended %s (%s), want EMPTY", ended.Reason, ended.Message)
	}
	_, err := h.reserve("late", req.GameSessionARN, "a")
	refusedWith(t, err, bus.CodeInvalid)
}

// TestReservePlayerSessions: reservations carry the matchmaker's player
// session ids, which players log in with; a repeat of a request id answers
// the same; more than the maximum is FULL; an unknown session INVALID.
func TestReservePlayerSessions(t *testing.T) {
	h := newHarness(t, testOptions())
	req := gameSessionRequest(2)
	h.place(req)

	reply, err := h.reserve("r1", req.GameSessionARN, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	if len(reply.PlayerSessions) != 2 || reply.PlayerSessions[0].PlayerSessionID != "psess-r1-a" {
		t.Fatalf("reply = %+v", reply)
	}
	again, err := h.reserve("r1", req.GameSessionARN, "a", "b")
	if err != nil || len(again.PlayerSessions) != 2 {
		t.Fatalf("repeat: %+v, %v", again, err)
	}
	_, err = h.reserve("r2", req.GameSessionARN, "c")
	refusedWith(t, err, bus.CodeFull)
	_, err = h.reserve("r3", "arn:aws:gamelift:test::gamesession/fleet-1/none", "c")
	refusedWith(t, err, bus.CodeInvalid)
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	counted := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() == "relay_reservations_total" {
			for _, m := range mf.GetMetric() {
				counted[m.GetLabel()[0].GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	if want := map[string]float64{"ok": 2, string(bus.CodeFull): 1, string(bus.CodeInvalid): 1}; !maps.Equal(counted, want) {
		t.Errorf("relay_reservations_total by result = %v, want %v", counted, want)
	}

	a := h.mustDial("psess-r1-a", client.Options{})
	b := h.mustDial("psess-r1-b", client.Options{})
	if err := a.Send(context.Background(), 1, client.ToPlayer(b.PeerID()), []byte("hi"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b); string(m.Payload) != "hi" {
		t.Fatalf("b got %q", m.Payload)
	}
}

// TestStaleReservationsForgotten: a session reserved for again and again
// (CreatePlayerSessions over hours) forgets the reservations that expired
// unused, their matched players, their ids in the ledger and the reserve
// requests' records, and keeps the players who logged in; a login with a
// forgotten id is refused as not reserved. When the session ends, the rest
// goes too.
func TestStaleReservationsForgotten(t *testing.T) {
	opts := testOptions()
	opts.PlayerSessionTTL = 200 * time.Millisecond
	h := newHarness(t, opts)
	gs := gameSessionRequest(100)
	h.place(gs)
	reserve := func(requestID string, players ...string) {
		t.Helper()
		req := bus.ReserveRequest{RequestID: requestID, RelayID: h.relay.RelayID(), GameSessionID: gs.GameSessionARN,
			Deadline: time.Now().Add(300 * time.Millisecond)}
		for _, p := range players {
			req.Players = append(req.Players, bus.Player{PlayerID: p, PlayerSessionID: "psess-" + requestID + "-" + p})
		}
		if _, err := h.mm.RequestReserve(context.Background(), req); err != nil {
			t.Fatalf("reserve %s: %v", requestID, err)
		}
	}
	reserve("keep", "k1", "k2")
	k1 := h.mustDial("psess-keep-k1", client.Options{})
	k2 := h.mustDial("psess-keep-k2", client.Options{})
	const unused = 20
	for i := range unused {
		reserve(fmt.Sprint("r", i), "a", "b")
	}
	if res, players, psids, _ := relay.Held(h.relay, gs.GameSessionARN); res != 2+2*unused || players != res || psids != res {
		t.Fatalf("after %d reserve requests: %d reservations, %d players, %d ids in the ledger; want %d of each", 1+unused, res, players, psids, 2+2*unused)
	}
	relaytest.Eventually(t, "the unused reservations and the reserve records forgotten", func() bool {
		res, players, psids, records := relay.Held(h.relay, gs.GameSessionARN)
		return res == 2 && players == 2 && psids == 2 && records == 1 // the session's own placement
	})

	before := h.refusedCount("unknown_player_session")
	if c, err := h.dial("psess-r3-a", client.Options{}); err == nil {
		c.Close()
		t.Fatal("a login with a forgotten player session id was admitted")
	}
	if got := h.refusedCount("unknown_player_session"); got != before+1 {
		t.Fatalf("unknown_player_session refusals %v, want %v", got, before+1)
	}
	if err := k1.Send(context.Background(), 1, client.ToPlayer(k2.PeerID()), []byte("still here"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, k2); string(m.Payload) != "still here" {
		t.Fatalf("k2 got %q", m.Payload)
	}

	// When the session ends, the ids of the players who logged in go too,
	// PlayerSessionTTL later.
	if err := h.update(bus.SessionUpdateRequest{GameSessionID: gs.GameSessionARN, Terminate: bus.TerminateForce}); err != nil {
		t.Fatal(err)
	}
	relaytest.Eventually(t, "the ended session's ids and records forgotten", func() bool {
		res, players, psids, records := relay.Held(h.relay, gs.GameSessionARN)
		return res == 0 && players == 0 && psids == 0 && records == 0
	})
}
