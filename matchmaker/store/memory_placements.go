package store

import (
	"context"
	"fmt"
	"time"
)

// memPlacement is a stored placement; expiresAt is set once it has ended.
type memPlacement struct {
	p         GameSessionPlacement
	expiresAt time.Time
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
	mp := &memPlacement{p: p.clone()}
	if p.Status.Ended() {
		mp.expiresAt = now.Add(m.opts.SessionRetention)
	}
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
	mp.p = p.clone()
	if p.Status.Ended() {
		mp.expiresAt = now.Add(m.opts.SessionRetention)
	}
	return p.Version, nil
}
