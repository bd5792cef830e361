package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestCreateScripterWindow: with a batch window, a create that follows
// another closely goes through the batcher, and one after a quiet spell
// (more than followWindows windows) goes directly (no wait); without one,
// creates go directly until more than batchAbove are in flight.
func TestCreateScripterWindow(t *testing.T) {
	via := func(c *createRoute) string {
		s, done := c.scripter()
		defer done()
		if s == c.batcher {
			return "batcher"
		}
		return "direct"
	}
	for _, tc := range []struct {
		window time.Duration
		want   []string // first, right after, after a quiet spell
	}{
		{0, []string{"direct", "direct", "direct"}},
		{time.Minute, []string{"direct", "batcher", "direct"}},
	} {
		opts := &redis.Options{Addr: "127.0.0.1:1"}
		if tc.window > 0 {
			opts.AutoPipelineOptions = &redis.AutoPipelineOptions{MaxFlushDelay: tc.window}
		}
		c := redis.NewClient(opts)
		r := NewRedis(c, Options{})
		for _, route := range []*createRoute{&r.tickets, &r.playerSessions} {
			got := []string{via(route), via(route)}
			route.last.Store(time.Now().Add(-(followWindows + 1) * tc.window).UnixNano())
			got = append(got, via(route))
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("window %s: creates went %v, want %v", tc.window, got, tc.want)
				}
			}
		}
		_ = c.Close()
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	r := NewRedis(c, Options{})
	var dones []func()
	for i := range batchAbove + 1 {
		s, done := r.playerSessions.scripter()
		dones = append(dones, done)
		if want := i >= batchAbove; (s == r.playerSessions.batcher) != want {
			t.Fatalf("create %d with %d in flight: batched %v, want %v", i+1, i, s == r.playerSessions.batcher, want)
		}
	}
	for _, done := range dones {
		done()
	}
}

// TestTicketBatchWindow: Options.TicketBatchWindow gives ticket creates an
// autopipeliner of their own with that window (none when negative), while
// player session creates keep the client's; the same window as the
// client's (or 0) shares its autopipeliner; closing the client stops both.
func TestTicketBatchWindow(t *testing.T) {
	for _, tc := range []struct {
		client, tickets time.Duration
		own             bool
	}{
		{time.Millisecond, 0, false},
		{time.Millisecond, time.Millisecond, false},
		{time.Millisecond, 2 * time.Millisecond, true},
		{0, 2 * time.Millisecond, true},
		{time.Millisecond, -1, true},
		{0, -1, false},
	} {
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", AutoPipelineOptions: &redis.AutoPipelineOptions{MaxFlushDelay: tc.client}})
		r := NewRedis(c, Options{TicketBatchWindow: tc.tickets})
		if own := r.tickets.batcher != r.playerSessions.batcher; own != tc.own {
			t.Errorf("client window %s, ticket window %s: tickets have their own batcher %v, want %v", tc.client, tc.tickets, own, tc.own)
		}
		wantT := tc.client
		switch {
		case tc.tickets > 0:
			wantT = tc.tickets
		case tc.tickets < 0:
			wantT = 0
		}
		if r.tickets.window != wantT || r.playerSessions.window != tc.client {
			t.Errorf("client window %s, ticket window %s: windows tickets %s, player sessions %s", tc.client, tc.tickets, r.tickets.window, r.playerSessions.window)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		ap := r.tickets.batcher.(*redis.AutoPipeliner)
		if err := ap.Ping(context.Background()).Err(); !errors.Is(err, redis.ErrClosed) {
			t.Errorf("client window %s, ticket window %s: the ticket batcher after the client's Close: %v, want %v", tc.client, tc.tickets, err, redis.ErrClosed)
		}
	}
}
