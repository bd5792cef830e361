package storetest

import (
	"testing"
	"time"
)

// Eventually polls cond every 20 ms until it holds, failing the test with
// what() (which may describe the last state cond saw) after timeout: how the
// store, dashboard and command tests wait for behaviour (expiry,
// replication, a process's answers).
func Eventually(t testing.TB, timeout time.Duration, what func() string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(what())
		}
		time.Sleep(20 * time.Millisecond) // polling period
	}
}
