package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// defaultTimerSlack is --timer-slack's default for the long-running
// commands. Go's runtime monitor thread (sysmon) sleeps 20 µs at a time
// for a millisecond after every wake-up from idle, so a server at a
// moderate rate, idle between requests, wakes it thousands of times a
// second (golang/go#18236): at 2,000 tickets/s `dev` spent a fifth of its
// CPU there on the project's 2-core machine. With a slack of 1 ms the
// kernel may run those sleeps (and the process's other timers) up to 1 ms
// late, which the runtime's network poller, whose timeouts are whole
// milliseconds, already does; the monitor then wakes at most about a
// thousand times a second (docs/operations.md).
const defaultTimerSlack = time.Millisecond

// maxTimerSlack bounds --timer-slack: a longer slack would delay the
// runtime's preemption and the process's timers past what they are for.
const maxTimerSlack = 10 * time.Millisecond

// timerSlackReexecEnv marks a process re-executed to take its timer slack,
// so that it never re-executes again, whatever the kernel reports. It is
// not a MATCHPOINT_ variable, which would name a setting.
const timerSlackReexecEnv = "_MATCHPOINT_TIMER_SLACK_REEXEC"

// timerSlackFlag is the timer slack of a long-running command's threads.
type timerSlackFlag struct {
	slack time.Duration
}

func (t *timerSlackFlag) register(fs *flag.FlagSet) {
	fs.DurationVar(&t.slack, "timer-slack", defaultTimerSlack, "Linux: how late the kernel may wake the process's sleeping threads, to batch wake-ups (PR_SET_TIMERSLACK, set on every thread by re-executing the binary once at start); cuts the Go runtime monitor's wake-ups at moderate load (0: the process's own, usually 50µs; at most 10ms)")
}

func (t *timerSlackFlag) check() error {
	if t.slack < 0 || t.slack > maxTimerSlack {
		return fmt.Errorf("--timer-slack: must be from 0 to %s, got %s", maxTimerSlack, t.slack)
	}
	return nil
}

// apply gives every thread of the process the flag's timer slack, for
// command name. A thread takes the slack of the thread that made it, and
// the runtime's threads, its monitor among them, are made before main runs:
// so when the process's slack is not the one asked for, apply sets it on
// its own thread and re-executes the binary from there with the same
// arguments and environment (the pid stays); the new image's threads all
// start with it. It does so only when name is the process's command
// (os.Args[1]), never for a command run inside another program, such as a
// test. It returns when the slack is in place, when the flag is 0, or when
// it cannot be set (logged; the command runs with the process's slack).
func (t *timerSlackFlag) apply(log *slog.Logger, name string) {
	if t.slack == 0 {
		return
	}
	now, err := threadTimerSlack()
	switch {
	case err != nil:
		log.Debug("timer slack not set", "err", err)
		return
	case now == t.slack:
		log.Info("timer slack", "slack", t.slack)
		return
	case len(os.Args) < 2 || os.Args[1] != name:
		log.Debug("timer slack not set: the command is not the process's own", "slack", now)
		return
	case os.Getenv(timerSlackReexecEnv) != "":
		log.Warn("timer slack not set: the process was re-executed with it and still has another", "slack", now, "want", t.slack)
		return
	}
	err = reexecWithTimerSlack(t.slack, append(os.Environ(), timerSlackReexecEnv+"="+t.slack.String()))
	log.Warn("timer slack not set", "slack", now, "want", t.slack, "err", err)
}
