package store

import (
	"context"
	"fmt"
)

// memChanges is one fleet's record of game session changes (see
// GameSessions.GameSessionChanges), as the Redis store keeps it: a
// counter, the counter of each held session's last change, and the horizon
// below which changes were forgotten with the sessions that expired.
type memChanges struct {
	rev     int64
	horizon int64
	byID    map[string]int64
}

// touched records a change of the fleet's game session id. The caller
// holds the mutex.
func (g *memGameSessions) touched(fleet, id string) {
	if g.changes == nil {
		g.changes = map[string]*memChanges{}
	}
	c := g.changes[fleet]
	if c == nil {
		c = &memChanges{byID: map[string]int64{}}
		g.changes[fleet] = c
	}
	c.rev++
	c.byID[id] = c.rev
}

// forget drops an expired game session from the fleet's changes: a copy
// that has not seen its last change can no longer be brought up to date.
// The caller holds the mutex.
func (g *memGameSessions) forget(fleet, id string) {
	c := g.changes[fleet]
	if c == nil {
		return
	}
	c.horizon = max(c.horizon, c.byID[id])
	delete(c.byID, id)
}

// GameSessionChanges implements GameSessions.
func (m *Memory) GameSessionChanges(_ context.Context, fleetID string, since int64) (GameSessionChanges, error) {
	if since < 0 {
		return GameSessionChanges{}, fmt.Errorf("game session changes of fleet %s: since %d is negative", fleetID, since)
	}
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	c := g.changes[fleetID]
	if c == nil {
		c = &memChanges{}
	}
	out := GameSessionChanges{Rev: c.rev, Reset: since == 0 || since < c.horizon || since > c.rev}
	for id, rev := range c.byID {
		if out.Reset || rev > since {
			out.Sessions = append(out.Sessions, g.sessions[id].gs.clone())
		}
	}
	return out, nil
}
