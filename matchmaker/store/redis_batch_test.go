package store_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// TestRedisBatchWindow: on a client whose autopipeliner waits to gather
// commands (AutoPipelineOptions.MaxFlushDelay), 16 ticket creates started
// together share one to three Redis reads, where a client without the wait
// sends the first four on their own connections (at least four reads). The
// most a client without the wait takes is loose: how many batches its
// creates form depends on the scheduler, and Redis reads a batch 16 KB at a
// time (one CI run under load counted 18 reads for the 16 creates).
func TestRedisBatchWindow(t *testing.T) {
	srv := redistest.Start(t)
	for _, tc := range []struct {
		name     string
		window   time.Duration
		min, max int64
	}{
		{"no window", 0, 4, 64},
		{"window", 200 * time.Millisecond, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := &redis.Options{Addr: srv.Addr}
			if tc.window > 0 {
				opts.AutoPipelineOptions = &redis.AutoPipelineOptions{MaxFlushDelay: tc.window}
			}
			c := redis.NewClient(opts)
			t.Cleanup(func() { _ = c.Close() })
			ctx := t.Context()
			prefix := "mp-test:" + strings.ReplaceAll(t.Name(), " ", "_") + ":"
			s := store.NewRedis(c, store.Options{Prefix: prefix})
			if err := s.CreateRuleSet(ctx, store.RuleSet{Name: "r", Body: "{}"}); err != nil {
				t.Fatal(err)
			}
			if err := s.CreateConfiguration(ctx, store.Configuration{Name: "c", RuleSetName: "r"}); err != nil {
				t.Fatal(err)
			}
			// Warm the connections and load the create script, outside the count.
			var wg sync.WaitGroup
			create := func(i int) {
				defer wg.Done()
				tk := store.Ticket{TicketId: fmt.Sprint(tc.window, "-", i), ConfigurationName: "c", Status: store.StatusQueued,
					StartTime: time.Now(), Players: []store.Player{{PlayerId: fmt.Sprint("p", i)}}}
				if _, err := s.CreateTicket(context.WithoutCancel(ctx), tk); err != nil {
					t.Error(err)
				}
			}
			for i := range 4 {
				wg.Add(1)
				go create(1000 + i)
			}
			wg.Wait()
			before := readsProcessed(t, c)
			start := make(chan struct{})
			for i := range 16 {
				wg.Add(1)
				go func() {
					<-start
					create(i)
				}()
			}
			close(start)
			wg.Wait()
			// The INFO of the second count is one read of its own.
			reads := readsProcessed(t, c) - before - 1
			if reads < tc.min || reads > tc.max {
				t.Fatalf("16 creates at once took %d Redis reads, want %d to %d", reads, tc.min, tc.max)
			}
		})
	}
}

// readsProcessed is Redis's count of reads from its clients.
func readsProcessed(t *testing.T, c *redis.Client) int64 {
	t.Helper()
	info, err := c.InfoMap(t.Context(), "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(info["Stats"]["total_reads_processed"], 10, 64)
	if err != nil {
		t.Fatalf("INFO stats total_reads_processed: %v", err)
	}
	return n
}

// TestRedisTicketBatchFull: ticket creates with a window of their own
// (Options.TicketBatchWindow) do not wait for it once a batch is full: with
// an hour's window, 17 creates started together (the first goes directly,
// the others follow it closely) all finish, well before the hour.
func TestRedisTicketBatchFull(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	ctx := t.Context()
	s := store.NewRedis(c, store.Options{Prefix: "mp-test:batch-full:", TicketBatchWindow: time.Hour})
	if err := s.CreateRuleSet(ctx, store.RuleSet{Name: "r", Body: "{}"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateConfiguration(ctx, store.Configuration{Name: "c", RuleSetName: "r"}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 17 {
		wg.Go(func() {
			<-start
			tk := store.Ticket{TicketId: fmt.Sprint("t", i), ConfigurationName: "c", Status: store.StatusQueued,
				StartTime: time.Now(), Players: []store.Player{{PlayerId: fmt.Sprint("p", i)}}}
			if _, err := s.CreateTicket(ctx, tk); err != nil {
				t.Errorf("create %d: %v", i, err)
			}
		})
	}
	close(start)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = c.Close()
		<-done
		t.Fatal("ticket creates still waiting for the window a minute after a full batch")
	}
}
