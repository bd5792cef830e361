package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// CreateTicket implements Store.
func (m *Memory) CreateTicket(_ context.Context, t Ticket) ([]string, error) {
	now := m.lock()
	defer m.mu.Unlock()
	return m.create(t, now)
}

// CreateTicketWithEvent implements Store.
func (m *Memory) CreateTicketWithEvent(_ context.Context, t Ticket, payload []byte) ([]string, uint64, error) {
	now := m.lock()
	defer m.mu.Unlock()
	cancelled, err := m.create(t, now)
	if err != nil {
		return nil, 0, err
	}
	return cancelled, m.appendEvent(t.ConfigurationName, []string{t.TicketId}, payload), nil
}

// create is CreateTicket with the mutex held: every check comes before the
// first write.
func (m *Memory) create(t Ticket, now time.Time) ([]string, error) {
	if _, ok := m.configs[t.ConfigurationName]; !ok {
		return nil, fmt.Errorf("create ticket %s: configuration %s: %w", t.TicketId, t.ConfigurationName, ErrNotFound)
	}
	if _, ok := m.ticket(t.TicketId, now); ok {
		return nil, fmt.Errorf("create ticket %s: %w", t.TicketId, ErrExists)
	}
	var dups []*memTicket
	if !t.Status.Terminal() {
		p := m.pool(t.ConfigurationName)
		for _, pl := range t.Players {
			old, ok := m.ticket(p.players[pl.PlayerId], now)
			if !ok || old.t.Status.Terminal() || slices.Contains(dups, old) {
				continue
			}
			if old.t.Status == StatusPlacing {
				return nil, fmt.Errorf("create ticket %s: player %s is in ticket %s, which is PLACING: %w",
					t.TicketId, pl.PlayerId, old.t.TicketId, ErrInUse)
			}
			dups = append(dups, old)
		}
	}
	cancelled := make([]string, 0, len(dups))
	for _, old := range dups {
		m.unindex(&old.t)
		c := old.t
		c.Status = StatusCancelled
		c.StatusReason = DuplicatePlayerReason
		c.EndTime = now
		c.Version++
		m.put(c, now)
		cancelled = append(cancelled, c.TicketId)
	}
	n := t.clone()
	n.Version = 1
	m.put(n, now)
	return cancelled, nil
}

// GetTicket implements Store.
func (m *Memory) GetTicket(_ context.Context, id string) (Ticket, error) {
	now := m.lock()
	defer m.mu.Unlock()
	mt, ok := m.ticket(id, now)
	if !ok {
		return Ticket{}, fmt.Errorf("get ticket %s: %w", id, ErrNotFound)
	}
	return mt.t.clone(), nil
}

// GetTickets implements Store.
func (m *Memory) GetTickets(_ context.Context, ids ...string) ([]Ticket, error) {
	now := m.lock()
	defer m.mu.Unlock()
	out := make([]Ticket, 0, len(ids))
	for _, id := range ids {
		if mt, ok := m.ticket(id, now); ok {
			out = append(out, mt.t.clone())
		}
	}
	return out, nil
}

// UpdateTicket implements Store.
func (m *Memory) UpdateTicket(_ context.Context, t Ticket) (int64, error) {
	now := m.lock()
	defer m.mu.Unlock()
	mt, ok := m.ticket(t.TicketId, now)
	if !ok || mt.t.ConfigurationName != t.ConfigurationName {
		return 0, fmt.Errorf("update ticket %s: %w", t.TicketId, ErrNotFound)
	}
	if mt.t.Version != t.Version {
		return 0, fmt.Errorf("update ticket %s: stored version %d, given %d: %w", t.TicketId, mt.t.Version, t.Version, ErrConflict)
	}
	m.unindex(&mt.t)
	n := t.clone()
	n.Version = t.Version + 1
	m.put(n, now)
	return n.Version, nil
}

// UpdateTicketsWithEvents implements Store.
func (m *Memory) UpdateTicketsWithEvents(_ context.Context, configuration string, tickets []Ticket, events []NewEvent) ([]int64, []uint64, error) {
	if err := checkUpdates(configuration, tickets); err != nil {
		return nil, nil, err
	}
	now := m.lock()
	defer m.mu.Unlock()
	for _, t := range tickets {
		mt, ok := m.ticket(t.TicketId, now)
		if !ok || mt.t.ConfigurationName != configuration {
			return nil, nil, fmt.Errorf("update ticket %s: %w", t.TicketId, ErrNotFound)
		}
		if mt.t.Version != t.Version {
			return nil, nil, fmt.Errorf("update ticket %s: stored version %d, given %d: %w", t.TicketId, mt.t.Version, t.Version, ErrConflict)
		}
	}
	versions := make([]int64, len(tickets))
	for i, t := range tickets {
		mt, _ := m.ticket(t.TicketId, now)
		m.unindex(&mt.t)
		n := t.clone()
		n.Version = t.Version + 1
		m.put(n, now)
		versions[i] = n.Version
	}
	seqs := make([]uint64, len(events))
	for i, e := range events {
		seqs[i] = m.appendEvent(configuration, slices.Clone(e.TicketIds), e.Payload)
	}
	return versions, seqs, nil
}

// SearchingTickets implements Store.
func (m *Memory) SearchingTickets(_ context.Context, configuration string) ([]Ticket, error) {
	now := m.lock()
	defer m.mu.Unlock()
	p := m.pool(configuration)
	out := make([]Ticket, 0, len(p.searching))
	for id := range p.searching {
		if mt, ok := m.ticket(id, now); ok {
			out = append(out, mt.t.clone())
		}
	}
	slices.SortFunc(out, func(a, b Ticket) int { return byStart(&a, &b) })
	return out, nil
}

// SearchingVersions implements Store.
func (m *Memory) SearchingVersions(_ context.Context, configuration string) ([]TicketVersion, error) {
	now := m.lock()
	defer m.mu.Unlock()
	p := m.pool(configuration)
	live := make([]*Ticket, 0, len(p.searching))
	for id := range p.searching {
		if mt, ok := m.ticket(id, now); ok {
			live = append(live, &mt.t)
		}
	}
	slices.SortFunc(live, byStart)
	out := make([]TicketVersion, len(live))
	for i, t := range live {
		out[i] = TicketVersion{ID: t.TicketId, Version: t.Version}
	}
	return out, nil
}

// DueTickets implements Store.
func (m *Memory) DueTickets(_ context.Context, configuration string, now time.Time, limit int) ([]Ticket, error) {
	clock := m.lock()
	defer m.mu.Unlock()
	type due struct {
		id string
		at time.Time
	}
	var ids []due
	for id, at := range m.pool(configuration).deadlines {
		if !at.After(now) {
			ids = append(ids, due{id, at})
		}
	}
	slices.SortFunc(ids, func(a, b due) int {
		return cmp.Or(cmp.Compare(a.at.UnixMilli(), b.at.UnixMilli()), strings.Compare(a.id, b.id))
	})
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]Ticket, 0, len(ids))
	for _, d := range ids {
		if mt, ok := m.ticket(d.id, clock); ok {
			out = append(out, mt.t.clone())
		}
	}
	return out, nil
}

// Claim implements Store.
func (m *Memory) Claim(_ context.Context, configuration, matchID string, tickets []TicketVersion, newStatus Status) error {
	if err := checkClaim(matchID, tickets); err != nil {
		return err
	}
	now := m.lock()
	defer m.mu.Unlock()
	claimed := make([]*memTicket, len(tickets))
	for i, tv := range tickets {
		mt, ok := m.ticket(tv.ID, now)
		if !ok || mt.t.ConfigurationName != configuration {
			return &ClaimConflictError{MatchID: matchID, TicketID: tv.ID, Want: tv.Version}
		}
		if mt.t.Status != StatusSearching || mt.t.Version != tv.Version {
			return &ClaimConflictError{MatchID: matchID, TicketID: tv.ID, Status: mt.t.Status, Version: mt.t.Version, Want: tv.Version}
		}
		claimed[i] = mt
	}
	p := m.pool(configuration)
	for _, mt := range claimed {
		if newStatus.Terminal() {
			m.unindex(&mt.t)
		}
		if newStatus != StatusSearching {
			delete(p.searching, mt.t.TicketId)
		}
		mt.t.Status = newStatus
		mt.t.MatchId = matchID
		mt.t.Version++
		if newStatus.Terminal() {
			m.put(mt.t, now)
		}
	}
	return nil
}

// byStart orders tickets as the Redis searching index does: by start time in
// milliseconds, then by id.
func byStart(a, b *Ticket) int {
	return cmp.Or(cmp.Compare(a.StartTime.UnixMilli(), b.StartTime.UnixMilli()), strings.Compare(a.TicketId, b.TicketId))
}
