package dashboard_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/dashboard"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

type relaysBody struct {
	Followed bool `json:"followed"`
	Relays   []struct {
		RelayID     string       `json:"relayId"`
		Region      string       `json:"region"`
		Endpoint    bus.Endpoint `json:"endpoint"`
		Sessions    int          `json:"sessions"`
		MaxSessions int          `json:"maxSessions"`
		Players     int          `json:"players"`
		Draining    bool         `json:"draining"`
		State       string       `json:"state"`
	} `json:"relays"`
}

// run starts d.Run for the test and stops it at the end.
func run(t *testing.T, d *dashboard.Dashboard) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func TestRelaysFromHeartbeats(t *testing.T) {
	nats := bustest.RunServer(t)
	sub := bustest.Connect(t, nats, bus.Options{})
	pub := bustest.Connect(t, nats, bus.Options{})
	clk := newClock()
	srv, d := server(t, dashboard.Options{Store: store.NewMemory(store.Options{}), Bus: sub, Now: clk.Now})
	url := srv.URL + "/dashboard/api/relays"

	var rb relaysBody
	call(t, "GET", url, testSecret, nil, &rb)
	if rb.Followed || len(rb.Relays) != 0 {
		t.Fatalf("before Run: %+v", rb)
	}
	run(t, d)
	ctx := context.Background()
	beat := func(id, region string, sessions int, draining bool) {
		t.Helper()
		err := pub.PublishHeartbeat(ctx, bus.Heartbeat{RelayID: id, Region: region, Endpoint: bus.Endpoint{IPAddress: "203.0.113.9", TCPPort: 7000},
			MaxSessions: 100, Sessions: sessions, Players: 2 * sessions, Draining: draining, IntervalMs: 1000, SentAt: clk.Now()})
		if err != nil {
			t.Fatal(err)
		}
	}
	wait := func(cond func(relaysBody) bool) relaysBody {
		t.Helper()
		var got relaysBody
		storetest.Eventually(t, 10*time.Second, func() string { return fmt.Sprintf("relays never became as expected: %+v", got) }, func() bool {
			got = relaysBody{}
			call(t, "GET", url, testSecret, nil, &got)
			if cond(got) {
				return true
			}
			// Not yet: the subscription may have missed the earlier beats.
			beat("relay-eu-2", "eu-west", 0, true)
			beat("relay-eu-1", "eu-west", 3, false)
			beat("relay-us-1", "us-east", 1, false)
			return false
		})
		return got
	}
	rb = wait(func(b relaysBody) bool { return b.Followed && len(b.Relays) == 3 })
	if r := rb.Relays[0]; r.RelayID != "relay-eu-1" || r.Region != "eu-west" || r.Sessions != 3 || r.Players != 6 || r.MaxSessions != 100 || r.State != "up" || r.Endpoint.TCPPort != 7000 {
		t.Errorf("relay-eu-1: %+v", r)
	}
	if r := rb.Relays[1]; r.RelayID != "relay-eu-2" || !r.Draining || r.State != "draining" {
		t.Errorf("relay-eu-2: %+v", r)
	}
	if r := rb.Relays[2]; r.RelayID != "relay-us-1" || r.Region != "us-east" {
		t.Errorf("relay-us-1: %+v", r)
	}

	// Three missed heartbeats: silent. Past RelayForget: gone.
	clk.Add(4 * time.Second)
	call(t, "GET", url, testSecret, nil, &rb)
	for _, r := range rb.Relays {
		if r.State != "silent" {
			t.Errorf("after 4 s without heartbeats: %+v", r)
		}
	}
	clk.Add(dashboard.DefaultRelayForget)
	rb = relaysBody{}
	call(t, "GET", url, testSecret, nil, &rb)
	if len(rb.Relays) != 0 {
		t.Errorf("after RelayForget: %+v", rb.Relays)
	}
}

func TestRunWithoutBusWaitsForContext(t *testing.T) {
	d, err := dashboard.New(dashboard.Options{Store: store.NewMemory(store.Options{}), Authorize: dashboard.BearerAuthorizer(map[string]string{"k": "s"})})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := d.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
}
