// Package rediscpu reads the CPU time a Redis server has used, for the
// figures of `matchpoint bench` and of the store's benchmarks.
package rediscpu

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Used is the CPU time the server behind c has used since it started: INFO
// cpu's used_cpu_user plus used_cpu_sys.
func Used(ctx context.Context, c redis.Cmdable) (time.Duration, error) {
	sections, err := c.InfoMap(ctx, "cpu").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO cpu: %w", err)
	}
	var total time.Duration
	for _, k := range []string{"used_cpu_user", "used_cpu_sys"} {
		v, ok := field(sections, k)
		if !ok {
			return 0, fmt.Errorf("INFO cpu: no %s", k)
		}
		seconds, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, fmt.Errorf("INFO cpu %s: %q", k, v)
		}
		total += time.Duration(seconds * float64(time.Second))
	}
	return total, nil
}

// field is the value of the INFO field k in whichever section holds it.
func field(sections map[string]map[string]string, k string) (string, bool) {
	for _, s := range sections {
		if v, ok := s[k]; ok {
			return v, true
		}
	}
	return "", false
}
