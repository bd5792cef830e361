package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

// TestOpsRedisLogsFollowLogFormat runs `matchpoint matchmaker --log-format
// json` against a Redis address nobody listens on: go-redis's own report of
// the failed dial comes out as a JSON line of the process's log, with
// component "redis", like every other line.
func TestOpsRedisLogsFollowLogFormat(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nats, err := embedded.Run(ctx, embedded.Options{JetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Shutdown()
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(runCtx, []string{"matchmaker", "--redis-url", "redis://" + freeAddr(t) + "/0", "--nats-url", nats.URL(),
			"--http-addr", "127.0.0.1:0", "--api-key", "ops:ops-secret", "--log-format", "json", "--drain-timeout", "1s"}, &stderr, &stderr)
	}()
	defer func() {
		stop()
		<-exit
	}()
	storetest.Eventually(t, 20*time.Second, func() string {
		return "no JSON line of component redis reports the failed dial:\n" + stderr.String()
	}, func() bool {
		for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
			if line == "" {
				continue
			}
			var rec struct {
				Level, Msg, Component string
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("a log line is not JSON: %q", line)
			}
			if rec.Component == "redis" && rec.Level == "WARN" && strings.Contains(rec.Msg, "failed to dial") {
				return true
			}
		}
		return false
	})
}
