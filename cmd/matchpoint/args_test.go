package main

import (
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestFlagsAfterArguments: flags work after a command's positional arguments,
// as in most command-line tools, and an unknown one is named.
func TestFlagsAfterArguments(t *testing.T) {
	code, out, errOut := runCmd("rules", "simulate", "sample/duel-rules.json", "sample/duel-tickets.json", "--json", "--seed", "2")
	if code != 0 || !strings.Contains(out, `"ruleEvaluationMetrics"`) {
		t.Fatalf("rules simulate RULES TICKETS --json --seed 2: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, _, errOut = runCmd("rules", "simulate", "sample/duel-rules.json", "--sede", "2", "sample/duel-tickets.json")
	if code != 2 || !strings.Contains(errOut, "flag provided but not defined: -sede") {
		t.Fatalf("unknown flag after an argument: exit %d, stderr %s", code, errOut)
	}
	// The NATS URL after NAME FILE is read: the upload fails to connect to it,
	// instead of printing the usage.
	code, _, errOut = runCmd("scripts", "upload", "game", "../chat/main.go", "--nats-url", "nats://127.0.0.1:1")
	if code == 2 || strings.Contains(errOut, "usage:") || !strings.Contains(errOut, "127.0.0.1:1") {
		t.Fatalf("scripts upload NAME FILE --nats-url URL: exit %d, stderr %s", code, errOut)
	}
}

// TestUnknownEnvironmentIsWarned: a MATCHPOINT_ variable that no flag of the
// command reads is warned about, naming it.
func TestUnknownEnvironmentIsWarned(t *testing.T) {
	t.Setenv("MATCHPOINT_NATS_ULR", "nats://127.0.0.1:1")
	_, _, errOut := runCmd("scripts", "list", "--nats-url", "nats://127.0.0.1:1")
	if !strings.Contains(errOut, `level=WARN msg="environment variable is set but is no setting of this command (ignored); --help lists them" variable=MATCHPOINT_NATS_ULR command="scripts list"`) {
		t.Fatalf("stderr %s", errOut)
	}
	// A command without a logger says it plainly.
	_, _, errOut = runCmd("bench", "tickets", "--duration", "0s")
	if !strings.Contains(errOut, "matchpoint bench tickets: warning: environment variable MATCHPOINT_NATS_ULR is set but is no setting of this command") {
		t.Fatalf("bench stderr %s", errOut)
	}
}

// TestRedisWaitReplicasFlag: --redis-wait-replicas is refused where it cannot
// work, naming the flag.
func TestRedisWaitReplicasFlag(t *testing.T) {
	for _, tc := range []struct{ args []string }{
		{[]string{"matchmaker", "--api-key", "a:b", "--redis-cluster", "127.0.0.1:1", "--redis-wait-replicas", "1"}},
		{[]string{"matchmaker", "--api-key", "a:b", "--redis-wait-replicas", "-1"}},
	} {
		code, _, errOut := runCmd(tc.args...)
		if code == 0 || !strings.Contains(errOut, "--redis-wait-replicas") {
			t.Errorf("%q: exit %d, stderr %s", tc.args, code, errOut)
		}
	}
}

// TestRedisBatchWindowFlag: --redis-batch-window or
// --redis-ticket-batch-window outside 0 to 10ms is refused, naming the
// flag; within, the first sets the wait of the client's autopipeliner (none
// at 0), whose batches stop at autoPipelineBatch, and the second the
// store's ticket window.
func TestRedisBatchWindowFlag(t *testing.T) {
	for _, flag := range []string{"--redis-batch-window", "--redis-ticket-batch-window"} {
		for _, w := range []string{"-1ms", "11ms"} {
			code, _, errOut := runCmd("matchmaker", "--api-key", "a:b", flag, w)
			if code == 0 || !strings.Contains(errOut, flag+": must be from 0 to 10ms, got "+w) {
				t.Errorf("%s %s: exit %d, stderr %s", flag, w, code, errOut)
			}
		}
	}
	for _, tc := range []struct{ flag, want time.Duration }{{3 * time.Millisecond, 3 * time.Millisecond}, {0, -1}} {
		if got := (&redisFlags{ticketWindow: tc.flag}).storeOptions().TicketBatchWindow; got != tc.want {
			t.Errorf("--redis-ticket-batch-window %s: store option %s, want %s (0: none, not the client's)", tc.flag, got, tc.want)
		}
	}
	for _, tc := range []struct {
		window time.Duration
		want   time.Duration
	}{{0, 0}, {time.Millisecond, time.Millisecond}, {10 * time.Millisecond, 10 * time.Millisecond}} {
		r := redisFlags{url: "redis://127.0.0.1:1/0", batchWindow: tc.window, waitTimeout: time.Second}
		c, err := r.client()
		if err != nil {
			t.Fatalf("window %s: %v", tc.window, err)
		}
		var got time.Duration
		batch := 0
		if ap := c.(*redis.Client).Options().AutoPipelineOptions; ap != nil {
			got, batch = ap.MaxFlushDelay, ap.MaxBatchSize
		}
		_ = c.Close()
		if got != tc.want {
			t.Errorf("window %s: the client's autopipeliner waits %s, want %s", tc.window, got, tc.want)
		}
		// go-redis pools batch slices of 100: a larger batch allocates one per flush.
		if batch != autoPipelineBatch {
			t.Errorf("window %s: batches of %d commands, want %d", tc.window, batch, autoPipelineBatch)
		}
	}
}
