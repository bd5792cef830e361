package storetest

import (
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// testDuplicatePlayer: a new ticket cancels every active ticket of the same
// configuration that holds one of its players, whatever their status short
// of PLACING.
func testDuplicatePlayer(t *testing.T, open Opener) {
	for _, status := range []store.Status{store.StatusQueued, store.StatusSearching, store.StatusRequiresAcceptance} {
		t.Run(string(status), func(t *testing.T) {
			s, _ := setup(t, open)
			old := ticket("old", cfgA, status, 0, "p1", "p2")
			old.Deadline = base().Add(time.Minute)
			create(t, s, old)
			other := ticket("other", cfgA, store.StatusSearching, 1, "p3")
			create(t, s, other)

			before := time.Now().Add(-time.Second)
			cancelled := create(t, s, ticket("new", cfgA, store.StatusSearching, 2, "p2", "p3", "p4"))
			sameIDs(t, "cancelled", cancelled, []string{"old", "other"})
			for _, id := range cancelled {
				got := get(t, s, id)
				if got.Status != store.StatusCancelled || got.StatusReason != store.DuplicatePlayerReason || got.Version != 2 {
					t.Fatalf("cancelled ticket %s: %+v", id, got)
				}
				if got.EndTime.Before(before) {
					t.Fatalf("cancelled ticket %s has end time %v", id, got.EndTime)
				}
			}
			sameIDs(t, "searching", searchingIDs(t, s, cfgA), []string{"new"})
			sameIDs(t, "due", dueIDs(t, s, cfgA, base().Add(time.Hour)), nil)

			// p1 was only in the cancelled ticket: it is free, and the new
			// ticket keeps p2, p3 and p4.
			sameIDs(t, "cancelled by p1", create(t, s, ticket("p1-again", cfgA, store.StatusQueued, 3, "p1")), nil)
			sameIDs(t, "cancelled by p4", create(t, s, ticket("p4-again", cfgA, store.StatusQueued, 4, "p4")), []string{"new"})
		})
	}
}

// testDuplicatePlayerPlacing: a ticket in PLACING is never cancelled; the new
// ticket is refused with ErrInUse and nothing is written, not even the
// cancellation of other duplicates.
func testDuplicatePlayerPlacing(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	create(t, s, ticket("searching", cfgA, store.StatusSearching, 0, "p1"))
	create(t, s, ticket("placing", cfgA, store.StatusSearching, 1, "p2"))
	must(t, s.Claim(ctx, cfgA, "m1", []store.TicketVersion{{ID: "placing", Version: 1}}, store.StatusPlacing))

	_, err := s.CreateTicket(ctx, ticket("new", cfgA, store.StatusQueued, 2, "p1", "p2"))
	wantErr(t, err, store.ErrInUse, "create ticket with a player in a PLACING ticket")
	gone(t, s, "new")
	if got := get(t, s, "searching"); got.Status != store.StatusSearching || got.Version != 1 {
		t.Fatalf("refused create changed ticket searching: %+v", got)
	}
	if got := get(t, s, "placing"); got.Status != store.StatusPlacing || got.Version != 2 || got.MatchId != "m1" {
		t.Fatalf("refused create changed ticket placing: %+v", got)
	}
	// The id is free again.
	create(t, s, ticket("new", cfgA, store.StatusQueued, 2, "p3"))
}

// testDuplicatePlayerScope: the rule applies within one configuration, to
// active tickets only, and not to the ticket's own players listed twice.
func testDuplicatePlayerScope(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	create(t, s, ticket("a", cfgA, store.StatusSearching, 0, "p1"))
	sameIDs(t, "cancelled across configurations", create(t, s, ticket("b", cfgB, store.StatusSearching, 0, "p1")), nil)

	done := ticket("done", cfgA, store.StatusSearching, 0, "p2")
	create(t, s, done)
	done.Version, done.Status = 1, store.StatusCompleted
	_, err := s.UpdateTicket(ctx, done)
	must(t, err)
	sameIDs(t, "cancelled after completion", create(t, s, ticket("c", cfgA, store.StatusSearching, 0, "p2")), nil)
	if got := get(t, s, "done"); got.Status != store.StatusCompleted {
		t.Fatalf("completed ticket changed: %+v", got)
	}
	if got := get(t, s, "b"); got.Status != store.StatusSearching {
		t.Fatalf("ticket of another configuration changed: %+v", got)
	}
	sameIDs(t, "searching of "+cfgA, searchingIDs(t, s, cfgA), []string{"a", "c"})
}
