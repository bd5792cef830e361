package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// syncBuffer is a bytes.Buffer safe for the goroutines of a running command.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestOpsReadyzFollowsRedisAndNATS runs `matchpoint matchmaker` on a real
// redis-server and an embedded NATS server and takes each away in turn:
// /readyz answers 503 naming the lost dependency, and 200 again once it is
// back on the same port. Then SIGTERM stops the matchmaker with exit 0.
func TestOpsReadyzFollowsRedisAndNATS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	nats, err := embedded.Run(ctx, embedded.Options{JetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Shutdown()
	addr := freeAddr(t)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(runCtx, []string{"matchmaker", "--redis-url", "redis://" + rs.Addr + "/0", "--nats-url", nats.URL(),
			"--http-addr", addr, "--api-key", "ops:ops-secret", "--drain-timeout", "2s"}, &stderr, &stderr)
	}()
	defer func() {
		if t.Failed() {
			t.Logf("matchmaker log:\n%s", stderr.String())
		}
	}()
	readyz := "http://" + addr + "/readyz"
	ready := func(p probe) bool { return p.code == http.StatusOK }
	waitFor(t, readyz, "the matchmaker starts", ready)

	// Redis goes away: SHUTDOWN ends the server process.
	rc := redis.NewClient(&redis.Options{Addr: rs.Addr})
	_ = rc.Shutdown(ctx).Err()
	rc.Close()
	waitFor(t, readyz, "Redis is down", func(p probe) bool {
		return p.code == http.StatusServiceUnavailable && p.failed["store"] != "" && p.failed["nats"] == ""
	})
	rs.Restart(t)
	waitFor(t, readyz, "Redis is back", ready)

	nats.NATS().Shutdown()
	waitFor(t, readyz, "NATS is down", func(p probe) bool {
		return p.code == http.StatusServiceUnavailable && strings.Contains(p.failed["nats"], "NATS") && p.failed["store"] == ""
	})
	if err := nats.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, readyz, "NATS is back", ready)
	// nats.go calls the reconnection handler, which logs, on its own goroutine:
	// the log may follow /readyz's answer.
	poll.Must(t, 20*time.Second, func() string {
		return "the log reports the loss of NATS and the reconnection:\n" + stderr.String()
	}, func() bool {
		logs := stderr.String()
		return strings.Contains(logs, `msg="nats disconnected" component=bus`) && strings.Contains(logs, `msg="nats reconnected" component=bus`)
	})
	logs := stderr.String()
	for _, line := range strings.Split(logs, "\n") {
		if strings.Count(line, " component=") > 1 {
			t.Errorf("a log line names its component twice: %s", line)
		}
	}

	stop()
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("the matchmaker exited %d, want 0", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the matchmaker did not exit within 20s of SIGTERM")
	}
}
