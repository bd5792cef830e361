package store

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestCreateScripterWindow: with a batch window, a create that follows
// another closely goes through the batcher, and one after a quiet spell
// (more than followWindows windows) goes directly (no wait); without one, creates go directly until more than
// batchAbove are in flight.
func TestCreateScripterWindow(t *testing.T) {
	via := func(r *Redis) string {
		s, done := r.createScripter()
		defer done()
		if s == r.batcher {
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
		got := []string{via(r), via(r)}
		r.lastCreate.Store(time.Now().Add(-(followWindows + 1) * tc.window).UnixNano())
		got = append(got, via(r))
		_ = c.Close()
		for i := range got {
			if got[i] != tc.want[i] {
				t.Fatalf("window %s: creates went %v, want %v", tc.window, got, tc.want)
			}
		}
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	r := NewRedis(c, Options{})
	var dones []func()
	for i := range batchAbove + 1 {
		s, done := r.createScripter()
		dones = append(dones, done)
		if want := i >= batchAbove; (s == r.batcher) != want {
			t.Fatalf("create %d with %d in flight: batched %v, want %v", i+1, i, s == r.batcher, want)
		}
	}
	for _, done := range dones {
		done()
	}
}
