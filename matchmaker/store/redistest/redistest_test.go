package redistest

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestStartAnswersPingAndRestarts(t *testing.T) {
	s := Start(t)
	if err := ping(s.Addr); err != nil {
		t.Fatalf("ping %s: %v", s.Addr, err)
	}
	s.Restart(t)
	if err := ping(s.Addr); err != nil {
		t.Fatalf("ping after restart %s: %v", s.Addr, err)
	}
}

// TestClientReachesTheServerUntilTheTestEnds: the client answers while the
// test runs and is closed when it ends.
func TestClientReachesTheServerUntilTheTestEnds(t *testing.T) {
	s := Start(t)
	var c *redis.Client
	t.Run("use", func(t *testing.T) {
		c = s.Client(t)
		if err := c.Set(t.Context(), "k", "v", 0).Err(); err != nil {
			t.Fatalf("set through the client: %v", err)
		}
	})
	if err := c.Ping(context.Background()).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Fatalf("ping after the subtest ended = %v, want %v", err, redis.ErrClosed)
	}
}
