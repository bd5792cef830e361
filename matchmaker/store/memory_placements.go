package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// memPlacement is a stored placement; expiresAt is set once it has ended,
// releasedAt while it is PENDING without an Owner.
type memPlacement struct {
	p          GameSessionPlacement
	expiresAt  time.Time
	releasedAt time.Time
}

// file sets mp's expiry and release time for its placement p, stored at now.
func (mp *memPlacement) file(p GameSessionPlacement, now time.Time, retention time.Duration) {
	mp.p = p.clone()
	switch {
	case p.Status.Ended():
		mp.expiresAt, mp.releasedAt = now.Add(retention), time.Time{}
	case p.Owner != "":
		mp.releasedAt = time.Time{}
	case mp.releasedAt.IsZero():
		mp.releasedAt = now
	}
}

// placement returns the live placement id, dropping it if it has expired.
// The caller holds the mutex.
func (m *Memory) placement(id string, now time.Time) (*memPlacement, bool) {
	mp, ok := m.placements[id]
	if ok && !mp.expiresAt.IsZero() && !mp.expiresAt.After(now) {
		delete(m.placements, id)
		return nil, false
	}
	return mp, ok
}

// CreatePlacement implements GameSessionPlacements.
func (m *Memory) CreatePlacement(_ context.Context, p GameSessionPlacement) error {
	now := m.lock()
	defer m.mu.Unlock()
	if _, ok := m.placement(p.PlacementId, now); ok {
		return fmt.Errorf("create placement %s: %w", p.PlacementId, ErrExists)
	}
	if m.placements == nil {
		m.placements = map[string]*memPlacement{}
	}
	p.Version = 1
	mp := &memPlacement{}
	mp.file(p, now, m.opts.SessionRetention)
	m.placements[p.PlacementId] = mp
	return nil
}

// GetPlacement implements GameSessionPlacements.
func (m *Memory) GetPlacement(_ context.Context, id string) (GameSessionPlacement, error) {
	now := m.lock()
	defer m.mu.Unlock()
	mp, ok := m.placement(id, now)
	if !ok {
		return GameSessionPlacement{}, fmt.Errorf("get placement %s: %w", id, ErrNotFound)
	}
	return mp.p.clone(), nil
}

// UpdatePlacement implements GameSessionPlacements.
func (m *Memory) UpdatePlacement(_ context.Context, p GameSessionPlacement) (int64, error) {
	now := m.lock()
	defer m.mu.Unlock()
	mp, ok := m.placement(p.PlacementId, now)
	switch {
	case !ok:
		return 0, fmt.Errorf("update placement %s: %w", p.PlacementId, ErrNotFound)
	case mp.p.Version != p.Version:
		return 0, fmt.Errorf("update placement %s: not at version %d: %w", p.PlacementId, p.Version, ErrConflict)
	case mp.p.Status.Ended():
		return 0, fmt.Errorf("update placement %s: it is %s: %w", p.PlacementId, mp.p.Status, ErrConflict)
	}
	p.Version++
	mp.file(p, now, m.opts.SessionRetention)
	return p.Version, nil
}

// DuePlacements implements GameSessionPlacements.
func (m *Memory) DuePlacements(_ context.Context, before time.Time, limit int) ([]GameSessionPlacement, error) {
	return m.pendingPlacements(limit, func(mp *memPlacement) bool { return !mp.p.Deadline.After(before) },
		func(a, b *memPlacement) int { return a.p.Deadline.Compare(b.p.Deadline) }), nil
}

// ReleasedPlacements implements GameSessionPlacements.
func (m *Memory) ReleasedPlacements(_ context.Context, limit int) ([]GameSessionPlacement, error) {
	return m.pendingPlacements(limit, func(mp *memPlacement) bool { return !mp.releasedAt.IsZero() },
		func(a, b *memPlacement) int { return a.releasedAt.Compare(b.releasedAt) }), nil
}

// pendingPlacements returns up to limit PENDING placements that keep holds,
// ordered by order, then by id.
func (m *Memory) pendingPlacements(limit int, keep func(*memPlacement) bool, order func(a, b *memPlacement) int) []GameSessionPlacement {
	now := m.lock()
	defer m.mu.Unlock()
	var found []*memPlacement
	for id := range m.placements {
		if mp, ok := m.placement(id, now); ok && !mp.p.Status.Ended() && keep(mp) {
			found = append(found, mp)
		}
	}
	slices.SortFunc(found, func(a, b *memPlacement) int {
		return cmp.Or(order(a, b), cmp.Compare(a.p.PlacementId, b.p.PlacementId))
	})
	out := make([]GameSessionPlacement, 0, min(limit, len(found)))
	for _, mp := range found[:min(limit, len(found))] {
		out = append(out, mp.p.clone())
	}
	return out
}
