package matchmaker

import (
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/poll"
)

// waitFor is the shared poll (poll.Until) as the matchmaker tests wait for
// behaviour: it reports whether cond held within timeout, and the caller
// reports the failure.
func waitFor(t *testing.T, timeout time.Duration, cond func() bool) bool {
	t.Helper()
	return poll.Until(timeout, cond)
}
