package integration

import (
	"context"
	"testing"
	"time"
)

// poll calls check every 20ms until it reports done; an error, or ctx's
// end, fails the test with what it waited for. It is the integration tests'
// one way to wait for behaviour.
func poll(t *testing.T, ctx context.Context, what string, check func() (bool, error)) {
	t.Helper()
	for {
		done, err := check()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within the test's deadline", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
