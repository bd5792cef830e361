package main

import (
	"testing"
	"time"
)

// eventually polls cond until it holds, failing the test with what() (which
// may describe the last state cond saw) after timeout: the command tests'
// one way to wait for behaviour.
func eventually(t *testing.T, timeout time.Duration, what func() string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what())
		}
		time.Sleep(20 * time.Millisecond) // polling period
	}
}
