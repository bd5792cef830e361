package store

import (
	"context"
	"fmt"
	"time"
)

type memWait struct {
	seconds int
	expires time.Time
}

// SetWaitEstimate implements Store.
func (m *Memory) SetWaitEstimate(_ context.Context, configuration string, seconds int, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("set wait estimate of %s: ttl %v is not positive", configuration, ttl)
	}
	now := m.lock()
	defer m.mu.Unlock()
	m.waits[configuration] = memWait{seconds: seconds, expires: now.Add(ttl)}
	return nil
}

// WaitEstimate implements Store.
func (m *Memory) WaitEstimate(_ context.Context, configuration string) (int, bool, error) {
	now := m.lock()
	defer m.mu.Unlock()
	w, ok := m.waits[configuration]
	if !ok || !now.Before(w.expires) {
		delete(m.waits, configuration)
		return 0, false, nil
	}
	return w.seconds, true, nil
}
