package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/internal/rediscpu"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

// redisOpener returns stores on the server at addr. Each test gets its own
// key prefix, derived from its name; every call opens a new client, so two
// calls in one test are two clients of the same data.
func redisOpener(addr string) func(t *testing.T) store.Store {
	return clientOpener(func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: addr}) })
}

// clientOpener is redisOpener over the clients newClient returns.
func clientOpener(newClient func() redis.UniversalClient) func(t *testing.T) store.Store {
	var mu sync.Mutex
	prefixes := map[*testing.T]string{}
	return func(t *testing.T) store.Store {
		mu.Lock()
		prefix, ok := prefixes[t]
		if !ok {
			prefix = "mp-test:" + strings.NewReplacer("{", "(", "}", ")", " ", "_").Replace(t.Name()) + ":"
			prefixes[t] = prefix
		}
		mu.Unlock()
		c := newClient()
		t.Cleanup(func() { _ = c.Close() })
		opts := storetest.Options()
		opts.Prefix = prefix
		return store.NewRedis(c, opts)
	}
}

func TestRedisConformance(t *testing.T) {
	srv := redistest.Start(t)
	storetest.Run(t, redisOpener(srv.Addr))
}

func newRedisForBench(b *testing.B) *store.Redis {
	s, _ := newRedisForBenchCPU(b)
	return s
}

// newRedisForBenchCPU is newRedisForBench with a reader of the server's CPU
// time (INFO cpu: used_cpu_sys plus used_cpu_user).
func newRedisForBenchCPU(b *testing.B) (*store.Redis, storetest.ServerCPU) {
	srv := redistest.Start(b)
	c := srv.Client(b)
	cpu := func() (time.Duration, error) { return rediscpu.Used(context.Background(), c) }
	return store.NewRedis(c, storetest.Options()), cpu
}

func BenchmarkRedisCreateTicket(b *testing.B) {
	storetest.BenchmarkCreateTicket(b, newRedisForBench(b))
}

func BenchmarkRedisCreateTicketParallel(b *testing.B) {
	storetest.BenchmarkCreateTicketParallel(b, newRedisForBench(b))
}

func BenchmarkRedisCreateTicketWithEventParallel(b *testing.B) {
	s, cpu := newRedisForBenchCPU(b)
	storetest.BenchmarkCreateTicketWithEventParallel(b, s, cpu)
}

func BenchmarkRedisUpdateTicketsWithEvents(b *testing.B) {
	s, cpu := newRedisForBenchCPU(b)
	storetest.BenchmarkUpdateTicketsWithEvents(b, s, cpu)
}

func BenchmarkRedisClaim(b *testing.B) {
	storetest.BenchmarkClaim(b, newRedisForBench(b))
}

func BenchmarkRedisPool(b *testing.B) {
	storetest.BenchmarkPool(b, newRedisForBench(b))
}

func BenchmarkRedisCreatePlayerSessions(b *testing.B) {
	storetest.BenchmarkCreatePlayerSessions(b, newRedisForBench(b))
}
