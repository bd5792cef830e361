package matchmaker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func TestWaitSamplesEstimate(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	var w waitSamples
	for i := range estimateMinSamples - 1 {
		w.add(t0.Add(time.Duration(i)*time.Second), 10*time.Second)
	}
	if _, _, ok := w.estimate(t0.Add(time.Minute)); ok {
		t.Fatalf("an estimate from %d samples", estimateMinSamples-1)
	}
	w.add(t0.Add(9*time.Second), 20*time.Second) // the 10th: mean 11s
	seconds, ttl, ok := w.estimate(t0.Add(time.Minute))
	if !ok || seconds != 11 || ttl != estimateWindow-time.Minute {
		t.Fatalf("estimate %d s for %v (ok %v); want 11 s for %v", seconds, ttl, ok, estimateWindow-time.Minute)
	}
	// The oldest sample leaves the window: too little data again.
	if _, _, ok := w.estimate(t0.Add(estimateWindow)); ok {
		t.Fatal("an estimate from samples outside the window")
	}
	// Only the last estimateSamples count.
	for i := range estimateSamples {
		w.add(t0.Add(time.Minute+time.Duration(i)*time.Millisecond), 2*time.Second)
	}
	if seconds, _, ok := w.estimate(t0.Add(2 * time.Minute)); !ok || seconds != 2 {
		t.Fatalf("estimate %d s (ok %v) after %d newer samples; want 2 s", seconds, ok, estimateSamples)
	}
}

// TestEstimateWrites: a loop writes its first estimate, a changed one at
// once, and an unchanged one only estimateRewrite after the last write.
func TestEstimateWrites(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	var e estimateWrites
	for i, step := range []struct {
		seconds int
		at      time.Duration
		due     bool
	}{
		{3, 0, true},
		{3, time.Millisecond, false},
		{3, estimateRewrite - time.Millisecond, false},
		{4, estimateRewrite - time.Millisecond, true},
		{4, estimateRewrite, false},
		{4, 2*estimateRewrite - time.Millisecond, true},
		{4, 2 * estimateRewrite, false},
	} {
		now := t0.Add(step.at)
		if got := e.due(step.seconds, now); got != step.due {
			t.Fatalf("step %d: %d s at %v: due %v, want %v", i, step.seconds, step.at, got, step.due)
		}
		if step.due {
			e.wrote(step.seconds, now)
		}
	}
}

// TestEstimatedWaitTime: a configuration's tickets and MatchmakingSearching
// events carry no estimate until enough tickets have matched, then the mean
// time to match of the recent ones, from the store (the forming loop here
// is another former than the service's own), until the data is too old.
func TestEstimatedWaitTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := store.NewMemory(store.Options{})
		e := newFormEnv(t, st, ModeStandalone, false)
		runWorker(t, formerOptions{Store: st, Service: e.svc})
		ctx := context.Background()
		n := 0
		// lone starts a ticket nobody matches and returns it as described,
		// with its MatchmakingSearching event.
		lone := func() (MatchmakingTicket, json.RawMessage) {
			t.Helper()
			n++
			id := fmt.Sprintf("lone-%d", n)
			e.start(id, float64(100000*n))
			out, err := e.svc.DescribeMatchmaking(ctx, &DescribeMatchmakingInput{TicketIds: []string{id}})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := st.EventsAfter(ctx, "duel", 0, 10000)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range raw {
				var ev struct {
					Detail struct {
						Type    string          `json:"type"`
						Wait    json.RawMessage `json:"estimatedWaitMillis"`
						Tickets []EventTicket   `json:"tickets"`
					} `json:"detail"`
				}
				if err := json.Unmarshal(r.Payload, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Detail.Type == EventMatchmakingSearching && ev.Detail.Tickets[0].TicketID == id {
					return out.TicketList[0], ev.Detail.Wait
				}
			}
			t.Fatalf("no MatchmakingSearching for %s", id)
			return MatchmakingTicket{}, nil
		}
		// Matches whose first ticket waited 30 s and second none: 15 s each
		// on average.
		match := func(i int) {
			t.Helper()
			a, b := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
			e.start(a, 1000)
			time.Sleep(30 * time.Second) // fake time: a's wait
			e.start(b, 1000)
			e.waitStatus(a, store.StatusCompleted)
			e.waitStatus(b, store.StatusCompleted)
		}
		for i := range estimateMinSamples/2 - 1 {
			match(i)
		}
		time.Sleep(2 * time.Second) // fake time: past the service's CacheTTL
		tk, wait := lone()
		if tk.EstimatedWaitTime != nil || string(wait) != `"NOT_AVAILABLE"` {
			t.Fatalf("with %d matched tickets: EstimatedWaitTime %v, estimatedWaitMillis %s; want none", estimateMinSamples-2, tk.EstimatedWaitTime, wait)
		}
		match(estimateMinSamples/2 - 1)
		time.Sleep(2 * time.Second) // fake time: past the service's CacheTTL
		tk, wait = lone()
		if tk.EstimatedWaitTime == nil || *tk.EstimatedWaitTime != 15 || string(wait) != "15" {
			t.Fatalf("with %d matched tickets: EstimatedWaitTime %v, estimatedWaitMillis %s; want 15", estimateMinSamples, tk.EstimatedWaitTime, wait)
		}
		out, err := e.svc.DescribeMatchmaking(ctx, &DescribeMatchmakingInput{TicketIds: []string{"a0"}})
		if err != nil || out.TicketList[0].EstimatedWaitTime != nil {
			t.Fatalf("a COMPLETED ticket: %+v, %v; want no EstimatedWaitTime", out.TicketList[0], err)
		}
		time.Sleep(estimateWindow) // fake time: the samples grow too old
		tk, wait = lone()
		if tk.EstimatedWaitTime != nil || !strings.Contains(string(wait), "NOT_AVAILABLE") {
			t.Fatalf("%v later: EstimatedWaitTime %v, estimatedWaitMillis %s; want none", estimateWindow, tk.EstimatedWaitTime, wait)
		}
	})
}
