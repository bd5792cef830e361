package bus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
)

func reserveRequest() bus.ReserveRequest {
	return bus.ReserveRequest{RequestID: "r-1", RelayID: "relay-1", GameSessionID: "gs-1",
		Players:  []bus.Player{{PlayerID: "a", PlayerSessionID: "psess-a", PlayerData: "x"}, {PlayerID: "b", PlayerSessionID: "psess-b"}},
		Deadline: time.Now().Add(5 * time.Second)}
}

// TestReserveRoundTrip: the request reaches the named relay only, with the
// player session ids and data, and its answer comes back; a refusal is a
// *ReplyError with its code (EXPIRED past the deadline, INTERNAL for a reply
// that does not encode); a relay that is not there is ErrNoResponders. All
// of it holds over the bus and from the relay's own connection, whose
// requests skip the NATS server.
func TestReserveRoundTrip(t *testing.T) {
	t.Run("over the bus", func(t *testing.T) { testReserveRoundTrip(t, false) })
	t.Run("in process", func(t *testing.T) { testReserveRoundTrip(t, true) })
}

func testReserveRoundTrip(t *testing.T, inProcess bool) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	other := bustest.Connect(t, srv, bus.Options{})
	mm := bustest.Connect(t, srv, bus.Options{})
	if inProcess {
		mm = relay
	}
	ctx := context.Background()
	stop, err := relay.ServeReserves(ctx, "relay-1", func(_ context.Context, req bus.ReserveRequest) bus.ReserveReply {
		switch req.GameSessionID {
		case "full":
			return bus.ReserveReply{Error: &bus.ReplyError{Code: bus.CodeFull, Message: "2 of 2"}}
		case "broken":
			return bus.ReserveReply{PlayerSessions: []bus.PlayerSession{{PlayerID: "a"}}}
		}
		out := bus.ReserveReply{}
		for _, p := range req.Players {
			if p.PlayerID == "a" && p.PlayerData != "x" {
				t.Errorf("playerData = %q, want x", p.PlayerData)
			}
			out.PlayerSessions = append(out.PlayerSessions, bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: p.PlayerSessionID})
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	stopOther, err := other.ServeReserves(ctx, "relay-2", func(context.Context, bus.ReserveRequest) bus.ReserveReply {
		t.Error("relay-2 got relay-1's request")
		return bus.ReserveReply{}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stopOther()

	reply, err := mm.RequestReserve(ctx, reserveRequest())
	if err != nil {
		t.Fatal(err)
	}
	if len(reply.PlayerSessions) != 2 || reply.PlayerSessions[1].PlayerSessionID != "psess-b" {
		t.Fatalf("reply = %+v", reply)
	}

	full := reserveRequest()
	full.GameSessionID = "full"
	_, err = mm.RequestReserve(ctx, full)
	var re *bus.ReplyError
	if !errors.As(err, &re) || re.Code != bus.CodeFull {
		t.Fatalf("full: err = %v, want a FULL refusal", err)
	}

	broken := reserveRequest()
	broken.GameSessionID = "broken"
	if _, err = mm.RequestReserve(ctx, broken); !errors.As(err, &re) || re.Code != bus.CodeInternal || !strings.Contains(re.Message, "playerSessionId: required") {
		t.Fatalf("broken reply: err = %v, want INTERNAL naming playerSessionId", err)
	}

	late := reserveRequest()
	late.Deadline = time.Now().Add(-time.Second)
	if _, err = mm.RequestReserve(ctx, late); !errors.As(err, &re) || re.Code != bus.CodeExpired {
		t.Fatalf("past its deadline: err = %v, want EXPIRED", err)
	}

	gone := reserveRequest()
	gone.RelayID = "relay-9"
	if _, err := mm.RequestReserve(ctx, gone); !errors.Is(err, bus.ErrNoResponders) {
		t.Fatalf("gone relay: err = %v, want ErrNoResponders", err)
	}

	noID := reserveRequest()
	noID.Players[0].PlayerSessionID = ""
	if _, err := mm.RequestReserve(ctx, noID); !errors.Is(err, bus.ErrMalformed) || !strings.Contains(err.Error(), "players[0].playerSessionId: required") {
		t.Fatalf("no player session id: err = %v, want ErrMalformed naming players[0].playerSessionId", err)
	}
}

// TestPlacementWithoutPlayers: a request may hold no player only when it
// creates a game session of its own ARN (CreateGameSession).
func TestPlacementWithoutPlayers(t *testing.T) {
	req := bus.PlacementRequest{MatchID: "gs-1", Configuration: "fleet-1", Region: "eu", MaxPlayers: 2, Deadline: time.Now()}
	if _, err := req.Encode(); !errors.Is(err, bus.ErrMalformed) {
		t.Fatalf("no players, no gameSessionArn: err = %v, want ErrMalformed", err)
	}
	req.GameSessionARN = "arn:aws:gamelift:eu::gamesession/fleet-1/gs-1"
	if _, err := req.Encode(); err != nil {
		t.Fatalf("CreateGameSession placement: %v", err)
	}
	req.GameSessionID, req.RelayID = "gs-0", "relay-1"
	if _, err := req.Encode(); !errors.Is(err, bus.ErrMalformed) {
		t.Fatalf("gameSessionArn with gameSessionId: err = %v, want ErrMalformed", err)
	}
}
