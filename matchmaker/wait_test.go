package matchmaker

import (
	"testing"
	"time"
)

// waitFor polls cond until it holds or timeout passes, and reports whether
// it held: the matchmaker tests' one way to wait for behaviour.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond) // polling period
	}
	return true
}
