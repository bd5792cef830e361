package matchmaker

import (
	"fmt"
	"testing"
	"time"
)

func TestRelayTracker(t *testing.T) {
	clk := &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	tr := NewRelayTracker(clk.Now)
	tr.Observe(Relay{ID: "b", Region: "eu", Sessions: 1}, time.Second)
	tr.Observe(Relay{ID: "a", Region: "eu"}, 10*time.Second)
	tr.Observe(Relay{ID: "a", Region: "us"}, 0)
	tr.Observe(Relay{ID: "b", Region: "eu", Sessions: 2}, time.Second)
	ids := func() string {
		var out []string
		for _, r := range tr.Live() {
			out = append(out, fmt.Sprintf("%s/%s:%d", r.Region, r.ID, r.Sessions))
		}
		return fmt.Sprint(out)
	}
	if got := ids(); got != "[eu/a:0 eu/b:2 us/a:0]" {
		t.Fatalf("live relays %s", got)
	}
	clk.Advance(3 * time.Second)
	if got := ids(); got != "[eu/a:0 eu/b:2 us/a:0]" {
		t.Fatalf("after three intervals: %s", got)
	}
	clk.Advance(time.Nanosecond)
	if got := ids(); got != "[eu/a:0]" {
		t.Fatalf("relays silent for more than three intervals are still live: %s", got)
	}
}
