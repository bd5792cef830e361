package bus

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/nats-io/nats.go"
)

// TestSubscriptionWorkersFollowTheLoad: a burst starts workers up to the
// limit, each message is handled once, and once the burst is over the
// workers beyond one end; a message after that is still handled.
func TestSubscriptionWorkersFollowTheLoad(t *testing.T) {
	const limit, burst = 4, 12
	var running, handled atomic.Int32
	var over atomic.Bool
	release := make(chan struct{})
	s := &subscription{ch: make(chan *nats.Msg, 64), done: make(chan struct{}), limit: limit, idle: 10 * time.Millisecond,
		handle: func(m *nats.Msg, stopping bool) {
			if running.Add(1) > limit {
				over.Store(true)
			}
			if m.Subject == "burst" {
				<-release
			}
			running.Add(-1)
			handled.Add(1)
		}}
	s.running.Add(1)
	s.wg.Go(s.work)
	for range burst {
		s.ch <- &nats.Msg{Subject: "burst"}
	}
	poll.Must(t, 5*time.Second, func() string {
		return fmt.Sprintf("%d handlers and %d workers running; want %d of each", running.Load(), s.running.Load(), limit)
	}, func() bool { return running.Load() == limit && s.running.Load() == limit })
	close(release)
	poll.Must(t, 5*time.Second, func() string {
		return fmt.Sprintf("%d handled, %d workers left; want %d and 1", handled.Load(), s.running.Load(), burst)
	}, func() bool { return handled.Load() == burst && s.running.Load() == 1 })
	s.ch <- &nats.Msg{Subject: "after"}
	poll.Must(t, 5*time.Second, func() string { return fmt.Sprintf("%d handled; want %d", handled.Load(), burst+1) },
		func() bool { return handled.Load() == burst+1 })
	close(s.done)
	s.wg.Wait()
	if over.Load() {
		t.Fatalf("more than %d handlers ran at once", limit)
	}
}
