package matchmaker

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/sessionsearch"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestSearchViewsFollowChanges applies random changes to a fleet's copy (new
// sessions in and out of creation order, updates, ends, stale versions,
// resets) and checks after each batch that every kept search answers what
// the same search evaluated afresh over the copy answers, with more
// searches than the copy keeps, so that views are dropped and made again.
func TestSearchViewsFollowChanges(t *testing.T) {
	queries := []searchQuery{
		{},
		{FilterText: "hasAvailablePlayerSessions = true AND gameSessionProperties.mode = 'duel'", SortText: "creationTimeMillis DESC"},
		{SortText: "playerSessionCount ASC"},
		{SortText: "gameSessionProperties.level DESC"},
		{Location: "eu-west-1", FilterText: "playerSessionCount > 2"},
		{FilterText: "NOT gameSessionName = 'room-3'", SortText: "gameSessionName ASC"},
		{FilterText: "maximumSessions >= 6 OR gameSessionProperties.level = '2'", SortText: "maximumSessions DESC"},
		{SortText: "hasAvailablePlayerSessions DESC"},
		{Location: "us-east-1", SortText: "gameSessionId DESC"},
		{FilterText: "playerSessionCount < 3", SortText: "creationTimeMillis ASC"},
	}
	for i := range queries {
		q := &queries[i]
		var err error
		if q.FilterText != "" {
			if q.Filter, err = sessionsearch.CompileFilter(q.FilterText); err != nil {
				t.Fatal(err)
			}
		}
		if q.SortText != "" {
			if q.Order, err = sessionsearch.CompileSort(q.SortText); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(queries) <= maxSearchViews {
		t.Fatalf("%d queries do not evict any of %d views", len(queries), maxSearchViews)
	}

	rng := rand.New(rand.NewPCG(1, 2))
	f := &fleetSnapshot{byID: make(map[string]int)}
	live := map[string]store.GameSession{}
	next := 0
	checks := 0
	for round := range 400 {
		var batch []store.GameSession
		for range 1 + rng.IntN(6) {
			switch op := rng.IntN(10); {
			case op < 4 || len(live) == 0:
				next++
				gs := store.GameSession{
					GameSessionId: fmt.Sprintf("arn:aws:gamelift:local::gamesession/fleet-a/gs-%03d", next), Name: fmt.Sprint("room-", rng.IntN(8)),
					Status: store.GameSessionActive, Version: 1, MaximumPlayerSessionCount: 2 + rng.IntN(8),
					PlayerSessionCreationPolicy: store.AcceptAll, Location: []string{"eu-west-1", "us-east-1"}[rng.IntN(2)],
					CreationTime: time.UnixMilli(int64(rng.IntN(50))), // ties and out of order
				}
				gs.GameProperties = []store.GameProperty{{Key: "mode", Value: []string{"duel", "ctf"}[rng.IntN(2)]}}
				if rng.IntN(2) == 0 {
					gs.GameProperties = append(gs.GameProperties, store.GameProperty{Key: "level", Value: fmt.Sprint(rng.IntN(3))})
				}
				live[gs.GameSessionId] = gs
				batch = append(batch, gs)
			default:
				ids := make([]string, 0, len(live))
				for id := range live {
					ids = append(ids, id)
				}
				slices.Sort(ids)
				gs := live[ids[rng.IntN(len(ids))]]
				switch {
				case op < 8:
					gs.Version++
					gs.CurrentPlayerSessionCount = rng.IntN(gs.MaximumPlayerSessionCount + 1)
					if rng.IntN(4) == 0 {
						gs.PlayerSessionCreationPolicy = store.DenyAll
					}
					live[gs.GameSessionId] = gs
				case op < 9:
					gs.Version++
					gs.Status = store.GameSessionTerminated
					delete(live, gs.GameSessionId)
				default: // a stale record, older than the copy's
					gs.Version--
					gs.CurrentPlayerSessionCount = 99
				}
				batch = append(batch, gs)
			}
		}
		if round%97 == 96 {
			f.entries, f.byID, f.views = nil, make(map[string]int), nil
			batch = batch[:0]
			for _, gs := range live {
				batch = append(batch, gs)
			}
		}
		f.apply(batch)
		for _, q := range queries[:1+rng.IntN(len(queries))] {
			got := f.view(q).entries
			want := newResultView(q, f.entries).entries
			if !slices.Equal(got, want) {
				t.Fatalf("round %d, search %+v:\n got  %v\n want %v", round, q.key(), entryIDs(got), entryIDs(want))
			}
			checks++
		}
		if len(f.views) > maxSearchViews {
			t.Fatalf("round %d: %d views kept, at most %d", round, len(f.views), maxSearchViews)
		}
	}
	if len(f.entries) == 0 || checks < 1000 {
		t.Fatalf("the test exercised too little: %d sessions at the end, %d checks", len(f.entries), checks)
	}
}

func entryIDs(es []*snapshotEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = fmt.Sprintf("%s@%d", lastSegment(e.gs.GameSessionId), e.gs.Version)
	}
	return out
}

// TestSearchCopiesForgottenWhenIdle: a fleet's copy unsearched for
// searchCopyIdle (a deleted fleet, or one searched no more) is dropped at a
// later search of any fleet; one searched meanwhile stays.
func TestSearchCopiesForgottenWhenIdle(t *testing.T) {
	st := store.NewMemory(store.Options{})
	ctx := t.Context()
	for _, id := range []string{"fleet-a", "fleet-b"} {
		if err := st.CreateFleet(ctx, store.Fleet{FleetId: id, Name: id, ScriptId: "s", CreationTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Unix(1_000_000, 0)
	s := newSearchSnapshots(st, func() time.Time { return now })
	search := func(fleet string, want ...string) {
		t.Helper()
		if _, _, err := s.search(ctx, fleet, searchQuery{}, 0, 0); err != nil {
			t.Fatal(err)
		}
		var held []string
		for id := range s.fleets {
			held = append(held, id)
		}
		slices.Sort(held)
		if !slices.Equal(held, want) {
			t.Fatalf("after searching %s: copies of %v, want %v", fleet, held, want)
		}
	}
	search("fleet-a", "fleet-a")
	search("fleet-b", "fleet-a", "fleet-b")
	now = now.Add(searchCopyIdle / 2)
	search("fleet-b", "fleet-a", "fleet-b")
	now = now.Add(searchCopyIdle/2 + time.Second)
	search("fleet-b", "fleet-b")
	now = now.Add(searchCopyIdle + time.Second)
	search("fleet-a", "fleet-a")
}
