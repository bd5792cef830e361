package main

import (
	"bytes"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/cmd/internal/cliconfig"
)

// TestTimerSlackFlag: --timer-slack by flag or MATCHPOINT_TIMER_SLACK,
// bounded to 0..10ms.
func TestTimerSlackFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want time.Duration
		err  string
	}{
		{args: nil, want: defaultTimerSlack},
		{args: []string{"--timer-slack", "0"}, want: 0},
		{args: []string{"--timer-slack", "10ms"}, want: 10 * time.Millisecond},
		{env: map[string]string{"MATCHPOINT_TIMER_SLACK": "250us"}, want: 250 * time.Microsecond},
		{args: []string{"--timer-slack", "2ms"}, env: map[string]string{"MATCHPOINT_TIMER_SLACK": "250us"}, want: 2 * time.Millisecond},
		{args: []string{"--timer-slack", "11ms"}, err: "--timer-slack: must be from 0 to 10ms, got 11ms"},
		{args: []string{"--timer-slack", "-1ms"}, err: "--timer-slack: must be from 0 to 10ms, got -1ms"},
	} {
		lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
		fs := newFlagSet("test", "", io.Discard)
		var ts timerSlackFlag
		ts.register(fs)
		if err := cliconfig.Parse(fs, tc.args, lookup); err != nil {
			t.Fatalf("%v %v: %v", tc.args, tc.env, err)
		}
		err := ts.check()
		switch {
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("%v: %v, want %q", tc.args, err, tc.err)
			}
		case err != nil || ts.slack != tc.want:
			t.Errorf("%v %v: %v %v, want %v", tc.args, tc.env, ts.slack, err, tc.want)
		}
	}
}

// TestTimerSlackInsideAnotherProgram: a command run inside another program
// (this test binary) never re-executes it; it says so and goes on.
func TestTimerSlackInsideAnotherProgram(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("timer slack is Linux's")
	}
	now, err := threadTimerSlack()
	if err != nil || now <= 0 {
		t.Fatalf("the thread's timer slack: %v %v", now, err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts := timerSlackFlag{slack: now + time.Microsecond}
	ts.apply(log, "dev")
	if !strings.Contains(logs.String(), "timer slack not set: the command is not the process's own") {
		t.Errorf("log:\n%s", logs.String())
	}
	logs.Reset()
	ts.slack = now
	ts.apply(log, "dev")
	if !strings.Contains(logs.String(), `msg="timer slack" slack=`) {
		t.Errorf("the slack in place is not logged:\n%s", logs.String())
	}
	logs.Reset()
	ts.slack = 0
	ts.apply(log, "dev")
	if logs.Len() != 0 {
		t.Errorf("--timer-slack 0 logged:\n%s", logs.String())
	}
}
