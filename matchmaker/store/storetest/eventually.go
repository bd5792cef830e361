package storetest

import (
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/poll"
)

// Eventually is the shared poll (poll.Until) as the store, dashboard and
// command tests wait for behaviour (expiry, replication, a process's
// answers): when cond does not hold within timeout it fails the test with
// what() alone, a message that may describe the last state cond saw.
func Eventually(t testing.TB, timeout time.Duration, what func() string, cond func() bool) {
	t.Helper()
	if !poll.Until(timeout, cond) {
		t.Fatal(what())
	}
}
