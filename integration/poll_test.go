package integration

import (
	"context"
	"testing"
	"time"

	shared "github.com/matchpoint-dev/matchpoint/internal/poll"
)

// poll is the shared poll (poll.Until) bounded by ctx's deadline, the
// integration tests' one way to wait for behaviour: it calls check until it
// reports done; an error fails the test at once, and ctx's end fails it with
// what it waited for.
func poll(t *testing.T, ctx context.Context, what string, check func() (bool, error)) {
	t.Helper()
	deadline, ok := ctx.Deadline()
	if !ok {
		t.Fatalf("waiting for %s: the context has no deadline", what)
	}
	var done bool
	var err error
	shared.Until(time.Until(deadline), func() bool {
		done, err = check()
		return done || err != nil || ctx.Err() != nil
	})
	switch {
	case err != nil:
		t.Fatalf("waiting for %s: %v", what, err)
	case !done:
		t.Fatalf("%s: not within the test's deadline", what)
	}
}
