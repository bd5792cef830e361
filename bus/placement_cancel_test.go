package bus_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
)

func TestPlacementCancelCodec(t *testing.T) {
	m := bus.PlacementCancel{MatchID: "m-1", Region: "eu-west-1", Attempt: 2, Deadline: sampleTime}
	data, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"v":1,"matchId":"m-1","region":"eu-west-1","attempt":2,"deadline":"2026-03-01T12:00:00Z"}`; string(data) != want {
		t.Fatalf("encoded %s, want %s", data, want)
	}
	got, err := bus.DecodePlacementCancel(data)
	if err != nil || got.MatchID != "m-1" || got.Attempt != 2 || !got.Deadline.Equal(sampleTime) {
		t.Fatalf("decoded %+v %v", got, err)
	}
	for name, bad := range map[string]string{
		"no match id": `{"v":1,"region":"r","attempt":1,"deadline":"2026-03-01T12:00:00Z"}`,
		"attempt 0":   `{"v":1,"matchId":"m","region":"r","attempt":0,"deadline":"2026-03-01T12:00:00Z"}`,
		"no deadline": `{"v":1,"matchId":"m","region":"r","attempt":1}`,
		"no region":   `{"v":1,"matchId":"m","region":"","attempt":1,"deadline":"2026-03-01T12:00:00Z"}`,
	} {
		if _, err := bus.DecodePlacementCancel([]byte(bad)); !errors.Is(err, bus.ErrMalformed) {
			t.Errorf("%s: want ErrMalformed, got %v", name, err)
		}
	}
	if _, err := bus.DecodePlacementCancel([]byte(`{"v":2,"matchId":"m"}`)); !errors.Is(err, bus.ErrUnsupportedVersion) {
		t.Errorf("v2: want ErrUnsupportedVersion, got %v", err)
	}
	if s, err := bus.PlacementCancelSubject("ranked.eu"); err != nil || s != "matchpoint.v1.placement_cancel.ranked=2Eeu" {
		t.Fatalf("subject %q %v", s, err)
	}
	req := samplePlacement("m-1", "eu-west-1", 2)
	req.Attempt = -1
	if _, err := req.Encode(); !errors.Is(err, bus.ErrMalformed) {
		t.Fatalf("a negative attempt: want ErrMalformed, got %v", err)
	}
}

// TestPlacementCancelReachesEveryRelay: every relay of the region receives
// a cancellation (no queue group); those of other regions do not.
func TestPlacementCancelReachesEveryRelay(t *testing.T) {
	nats := bustest.RunServer(t)
	mm := bustest.Connect(t, nats, bus.Options{})
	got := make(chan string, 4)
	for _, region := range []string{"eu", "eu", "us"} {
		c := bustest.Connect(t, nats, bus.Options{})
		stop, err := c.ServePlacementCancels(t.Context(), region, func(pc bus.PlacementCancel) { got <- region + ":" + pc.MatchID })
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
	}
	if err := mm.PublishPlacementCancel(context.Background(), bus.PlacementCancel{MatchID: "m-1", Region: "eu", Attempt: 1,
		Deadline: time.Now().Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case g := <-got:
			if g != "eu:m-1" {
				t.Fatalf("received %s", g)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a relay of the region did not receive the cancellation")
		}
	}
	select {
	case g := <-got:
		t.Fatalf("received %s: only the two relays of eu should", g)
	case <-time.After(100 * time.Millisecond):
	}
}
