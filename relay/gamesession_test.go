package relay_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
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

	a := h.mustDial("psess-r1-a", client.Options{})
	b := h.mustDial("psess-r1-b", client.Options{})
	if err := a.Send(context.Background(), 1, client.ToPlayer(b.PeerID()), []byte("hi"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b); string(m.Payload) != "hi" {
		t.Fatalf("b got %q", m.Payload)
	}
}
