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

// TestSessionUpdateRoundTrip: an update reaches the named relay only and
// its answer comes back; a refusal is a *ReplyError with its code; a relay
// that is not there is ErrNoResponders; a request with neither or both
// changes does not encode.
func TestSessionUpdateRoundTrip(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	other := bustest.Connect(t, srv, bus.Options{})
	mm := bustest.Connect(t, srv, bus.Options{})
	ctx := context.Background()
	var got []bus.SessionUpdateRequest
	stop, err := relay.ServeSessionUpdates(ctx, "relay-1", func(_ context.Context, req bus.SessionUpdateRequest) bus.SessionUpdateReply {
		got = append(got, req)
		if req.MaxPlayers == 1 {
			return bus.SessionUpdateReply{Error: &bus.ReplyError{Code: bus.CodeConflict, Message: "2 players"}}
		}
		return bus.SessionUpdateReply{}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	stopOther, err := other.ServeSessionUpdates(ctx, "relay-2", func(context.Context, bus.SessionUpdateRequest) bus.SessionUpdateReply {
		t.Error("relay-2 got relay-1's request")
		return bus.SessionUpdateReply{}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stopOther()

	req := bus.SessionUpdateRequest{RequestID: "u-1", RelayID: "relay-1", GameSessionID: "gs-1", MaxPlayers: 4, Deadline: time.Now().Add(5 * time.Second)}
	if _, err := mm.RequestSessionUpdate(ctx, req); err != nil {
		t.Fatal(err)
	}
	term := req
	term.MaxPlayers, term.Terminate = 0, bus.TerminateForce
	if _, err := mm.RequestSessionUpdate(ctx, term); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].MaxPlayers != 4 || got[1].Terminate != bus.TerminateForce {
		t.Fatalf("relay-1 got %+v", got)
	}
	low := req
	low.MaxPlayers = 1
	var re *bus.ReplyError
	if _, err := mm.RequestSessionUpdate(ctx, low); !errors.As(err, &re) || re.Code != bus.CodeConflict {
		t.Fatalf("refused: err = %v, want a CONFLICT refusal", err)
	}
	gone := req
	gone.RelayID = "relay-9"
	if _, err := mm.RequestSessionUpdate(ctx, gone); !errors.Is(err, bus.ErrNoResponders) {
		t.Fatalf("gone relay: err = %v, want ErrNoResponders", err)
	}
	for name, bad := range map[string]bus.SessionUpdateRequest{
		"neither": {RequestID: "u", RelayID: "relay-1", GameSessionID: "gs-1", Deadline: req.Deadline},
		"both":    {RequestID: "u", RelayID: "relay-1", GameSessionID: "gs-1", MaxPlayers: 2, Terminate: bus.TerminateNormal, Deadline: req.Deadline},
		"mode":    {RequestID: "u", RelayID: "relay-1", GameSessionID: "gs-1", Terminate: "SOON", Deadline: req.Deadline},
	} {
		if _, err := mm.RequestSessionUpdate(ctx, bad); !errors.Is(err, bus.ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

// TestHeartbeatFleets: a heartbeat's fleets round-trip; a fleet that cannot
// be a name is malformed, named by its index.
func TestHeartbeatFleets(t *testing.T) {
	hb := bus.Heartbeat{RelayID: "relay-1", Region: "eu", Endpoint: bus.Endpoint{IPAddress: "127.0.0.1", TCPPort: 7000},
		MaxSessions: 10, IntervalMs: 1000, SentAt: time.Now(), Fleets: []string{"fleet-1", "fleet-2"}}
	b, err := hb.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := bus.DecodeHeartbeat(b)
	if err != nil || len(got.Fleets) != 2 || got.Fleets[1] != "fleet-2" {
		t.Fatalf("decoded %+v, %v", got, err)
	}
	hb.Fleets = []string{"fleet-1", ""}
	if _, err := hb.Encode(); !errors.Is(err, bus.ErrMalformed) || !strings.Contains(err.Error(), "fleets[1]") {
		t.Fatalf("empty fleet: err = %v, want ErrMalformed naming fleets[1]", err)
	}
}
