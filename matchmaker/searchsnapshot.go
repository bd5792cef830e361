package matchmaker

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/sessionsearch"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// searchSnapshots keeps, per fleet, a copy of its ACTIVE game sessions for
// SearchGameSessions. Each search brings the copy up to date with the
// changes the store recorded since the last one (store.GameSessionChanges):
// one round trip and the sessions that changed, instead of reading and
// decoding every session of the fleet. A search therefore sees every write
// that completed before it started, as a full read would.
type searchSnapshots struct {
	store store.GameSessions
	now   func() time.Time

	mu        sync.Mutex
	fleets    map[string]*fleetSnapshot
	lastSweep time.Time
}

// searchCopyIdle is how long a fleet's copy is kept without a search (a
// deleted fleet, or one searched no more); the next search of the fleet
// reads it whole again.
const searchCopyIdle = 10 * time.Minute

// fleetSnapshot is one fleet's copy. mu serialises its updates, so that
// concurrent searches of a fleet share one read of its changes.
type fleetSnapshot struct {
	used     time.Time // the last search's start (searchSnapshots.mu)
	mu       sync.Mutex
	rev      int64            // 0 until the first read: the store then answers every session (Reset)
	entries  []*snapshotEntry // by creation time, then id
	byID     map[string]int   // index in entries
	views    []*resultView    // the searches kept up to date (searchviews.go)
	searches uint64           // searches made, to find the least recently used view
}

// snapshotEntry is a game session and what a search reads of it. Neither
// changes once made: a change to the session makes a new entry.
type snapshotEntry struct {
	gs   store.GameSession
	view *sessionsearch.Session
}

func newSearchSnapshots(st store.GameSessions, now func() time.Time) *searchSnapshots {
	return &searchSnapshots{store: st, now: now, fleets: make(map[string]*fleetSnapshot)}
}

// fleet returns the fleet's copy, made empty when there is none, and forgets
// the copies unsearched for searchCopyIdle (looked for every tenth of it).
func (s *searchSnapshots) fleet(fleetID string) *fleetSnapshot {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.lastSweep) >= searchCopyIdle/10 {
		s.lastSweep = now
		for id, f := range s.fleets {
			if now.Sub(f.used) > searchCopyIdle {
				delete(s.fleets, id)
			}
		}
	}
	f := s.fleets[fleetID]
	if f == nil {
		f = &fleetSnapshot{}
		s.fleets[fleetID] = f
	}
	f.used = now
	return f
}

// search returns the page [start, start+limit) (to the end when limit is
// 0) of the fleet's ACTIVE game sessions that q selects, in q's order, as of
// now, and how many q selects in all.
func (s *searchSnapshots) search(ctx context.Context, fleetID string, q searchQuery, start, limit int) ([]*snapshotEntry, int, error) {
	f := s.fleet(fleetID)
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, err := s.store.GameSessionChanges(ctx, fleetID, f.rev)
	if err != nil {
		return nil, 0, err
	}
	if ch.Reset {
		f.entries, f.byID, f.views = nil, make(map[string]int), nil
	}
	f.apply(ch.Sessions)
	f.rev = ch.Rev
	found := f.view(q).entries
	total := len(found)
	if start >= total {
		return nil, total, nil
	}
	found = found[start:]
	if limit > 0 && limit < len(found) {
		found = found[:limit]
	}
	return slices.Clone(found), total, nil
}

// apply brings the copy up to date with sessions, the current records of
// the sessions that changed.
func (f *fleetSnapshot) apply(sessions []store.GameSession) {
	rebuild := false
	for i := range sessions {
		gs := &sessions[i]
		at, held := f.byID[gs.GameSessionId]
		switch {
		case held && gs.Status == store.GameSessionActive:
			if gs.Version >= f.entries[at].gs.Version {
				e := newSnapshotEntry(gs)
				f.changed(f.entries[at], e)
				f.entries[at] = e
			}
		case held:
			f.changed(f.entries[at], nil)
			f.entries[at] = nil
			delete(f.byID, gs.GameSessionId)
			rebuild = true
		case gs.Status == store.GameSessionActive:
			e := newSnapshotEntry(gs)
			f.changed(nil, e)
			if n := len(f.entries); n > 0 && f.entries[n-1] != nil && compareEntries(f.entries[n-1], e) > 0 {
				rebuild = true
			}
			f.byID[gs.GameSessionId] = len(f.entries)
			f.entries = append(f.entries, e)
		}
	}
	if !rebuild {
		return
	}
	f.entries = slices.DeleteFunc(f.entries, func(e *snapshotEntry) bool { return e == nil })
	slices.SortFunc(f.entries, compareEntries)
	clear(f.byID)
	for i, e := range f.entries {
		f.byID[e.gs.GameSessionId] = i
	}
}

func newSnapshotEntry(gs *store.GameSession) *snapshotEntry {
	view := searchView(gs)
	view.Prepare()
	return &snapshotEntry{gs: *gs, view: view}
}

// compareEntries orders sessions by creation time, then id: the order of a
// search without a SortExpression.
func compareEntries(a, b *snapshotEntry) int {
	if c := a.gs.CreationTime.Compare(b.gs.CreationTime); c != 0 {
		return c
	}
	return cmp.Compare(a.gs.GameSessionId, b.gs.GameSessionId)
}
