//go:build !linux

package main

import (
	"errors"
	"time"
)

var errNoTimerSlack = errors.New("timer slack is Linux's (PR_SET_TIMERSLACK)")

// threadTimerSlack is not known outside Linux.
func threadTimerSlack() (time.Duration, error) { return 0, errNoTimerSlack }

// reexecWithTimerSlack is not done outside Linux.
func reexecWithTimerSlack(time.Duration, []string) error { return errNoTimerSlack }
