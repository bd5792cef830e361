package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// waitKey holds a configuration's wait estimate (seconds), with the
// estimate's lifetime as the key's TTL.
func (r *Redis) waitKey(cfg string) string { return r.cfgKeys(cfg).wait }

// SetWaitEstimate implements Store. It is a plain SET: the estimate is a
// hint, so it does not wait for replicas.
func (r *Redis) SetWaitEstimate(ctx context.Context, configuration string, seconds int, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("set wait estimate of %s: ttl %v is not positive", configuration, ttl)
	}
	if err := r.c.Set(ctx, r.waitKey(configuration), seconds, ttl).Err(); err != nil {
		return fmt.Errorf("set wait estimate of %s: %w", configuration, err)
	}
	return nil
}

// WaitEstimate implements Store.
func (r *Redis) WaitEstimate(ctx context.Context, configuration string) (int, bool, error) {
	n, err := r.c.Get(ctx, r.waitKey(configuration)).Int()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("get wait estimate of %s: %w", configuration, err)
	}
	return n, true, nil
}
