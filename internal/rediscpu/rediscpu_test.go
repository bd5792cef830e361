package rediscpu_test

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/internal/rediscpu"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// TestUsed reads a real server's CPU time: positive, and not less after
// work than before it; a server that cannot be reached is an error naming
// INFO cpu.
func TestUsed(t *testing.T) {
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer c.Close()
	ctx := t.Context()
	before, err := rediscpu.Used(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	for range 2000 {
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	after, err := rediscpu.Used(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if before <= 0 || after < before {
		t.Errorf("CPU used %v, then %v after 2,000 commands", before, after)
	}
	c.Close()
	if _, err := rediscpu.Used(context.Background(), c); err == nil || !strings.Contains(err.Error(), "INFO cpu") {
		t.Errorf("a closed client: %v, want an error naming INFO cpu", err)
	}
}
