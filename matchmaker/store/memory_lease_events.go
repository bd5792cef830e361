package store

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// AcquireLease implements Store.
func (m *Memory) AcquireLease(_ context.Context, name, owner string, ttl time.Duration) error {
	now := m.lock()
	defer m.mu.Unlock()
	if l, ok := m.leases[name]; ok && now.Before(l.expires) && l.owner != owner {
		return fmt.Errorf("acquire lease %s: held by %s: %w", name, l.owner, ErrConflict)
	}
	m.leases[name] = memLease{owner: owner, expires: now.Add(ttl)}
	return nil
}

// RenewLease implements Store.
func (m *Memory) RenewLease(_ context.Context, name, owner string, ttl time.Duration) error {
	now := m.lock()
	defer m.mu.Unlock()
	l, ok := m.leases[name]
	if !ok || !now.Before(l.expires) {
		return fmt.Errorf("renew lease %s: %w", name, ErrNotFound)
	}
	if l.owner != owner {
		return fmt.Errorf("renew lease %s: held by %s: %w", name, l.owner, ErrConflict)
	}
	m.leases[name] = memLease{owner: owner, expires: now.Add(ttl)}
	return nil
}

// ReleaseLease implements Store.
func (m *Memory) ReleaseLease(_ context.Context, name, owner string) error {
	now := m.lock()
	defer m.mu.Unlock()
	l, ok := m.leases[name]
	if !ok || !now.Before(l.expires) {
		delete(m.leases, name)
		return fmt.Errorf("release lease %s: %w", name, ErrNotFound)
	}
	if l.owner != owner {
		return fmt.Errorf("release lease %s: held by %s: %w", name, l.owner, ErrConflict)
	}
	delete(m.leases, name)
	return nil
}

// AppendEvent implements Store.
func (m *Memory) AppendEvent(_ context.Context, configuration string, ticketIDs []string, payload []byte) (uint64, error) {
	m.lock()
	defer m.mu.Unlock()
	return m.appendEvent(configuration, slices.Clone(ticketIDs), payload), nil
}

// appendEvent appends to a configuration's log with the mutex held; it owns
// ticketIDs from now on and copies payload.
func (m *Memory) appendEvent(configuration string, ticketIDs []string, payload []byte) uint64 {
	log, ok := m.logs[configuration]
	if !ok {
		log = &memLog{}
		m.logs[configuration] = log
	}
	log.last++
	log.events = append(log.events, Event{
		Seq:       log.last,
		TicketIds: ticketIDs,
		Payload:   slices.Clone(payload),
	})
	if over := len(log.events) - m.opts.MaxEvents; over > 0 {
		log.events = log.events[over:]
	}
	return log.last
}

// EventsAfter implements Store.
func (m *Memory) EventsAfter(_ context.Context, configuration string, after uint64, limit int) ([]Event, error) {
	m.lock()
	defer m.mu.Unlock()
	log, ok := m.logs[configuration]
	if !ok {
		return nil, nil
	}
	i, _ := slices.BinarySearchFunc(log.events, after+1, func(e Event, seq uint64) int {
		switch {
		case e.Seq < seq:
			return -1
		case e.Seq > seq:
			return 1
		}
		return 0
	})
	rest := log.events[i:]
	if limit > 0 && len(rest) > limit {
		rest = rest[:limit]
	}
	out := make([]Event, len(rest))
	for j, e := range rest {
		out[j] = Event{Seq: e.Seq, TicketIds: slices.Clone(e.TicketIds), Payload: slices.Clone(e.Payload)}
	}
	return out, nil
}
