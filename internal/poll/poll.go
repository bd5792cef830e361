// Package poll is the tests' one way to wait for behaviour: it calls a
// condition every Period until the condition holds or a timeout passes,
// instead of sleeping for a fixed time.
package poll

import (
	"testing"
	"time"
)

// Period is how long Until waits between two calls of its condition.
const Period = 5 * time.Millisecond

// Until calls cond every Period until it holds, and reports whether it held
// before timeout passed; cond is called once more at the deadline.
func Until(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		time.Sleep(min(Period, left))
	}
	return true
}

// Must is Until that fails tb with what() (which may describe the last state
// cond saw) when cond does not hold within timeout.
func Must(tb testing.TB, timeout time.Duration, what func() string, cond func() bool) {
	tb.Helper()
	if !Until(timeout, cond) {
		tb.Fatalf("timed out after %v waiting for %s", timeout, what())
	}
}
