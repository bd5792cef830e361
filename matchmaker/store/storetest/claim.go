package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func testClaim(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	for i := range 3 {
		tk := ticket(id("t", i), cfgA, store.StatusSearching, i, id("p", i))
		tk.Deadline = base().Add(time.Minute)
		create(t, s, tk)
	}
	claim := []store.TicketVersion{{ID: "t-000", Version: 1}, {ID: "t-002", Version: 1}}
	must(t, s.Claim(ctx, cfgA, "m1", claim, store.StatusRequiresAcceptance))
	for _, tv := range claim {
		got := get(t, s, tv.ID)
		if got.Status != store.StatusRequiresAcceptance || got.MatchId != "m1" || got.Version != 2 {
			t.Fatalf("claimed ticket %s: %+v", tv.ID, got)
		}
	}
	sameIDs(t, "searching", searchingIDs(t, s, cfgA), []string{"t-001"})
	// Claimed tickets still hold their players and deadlines.
	sameIDs(t, "cancelled", create(t, s, ticket("again", cfgA, store.StatusQueued, 9, "p-000")), []string{"t-000"})
	late := base().Add(time.Hour)
	sameIDs(t, "due", dueIDs(t, s, cfgA, late), []string{"t-001", "t-002"})

	// A claim into a terminal status releases players and deadlines.
	must(t, s.Claim(ctx, cfgA, "m2", []store.TicketVersion{{ID: "t-001", Version: 1}}, store.StatusFailed))
	sameIDs(t, "due", dueIDs(t, s, cfgA, late), []string{"t-002"})
	sameIDs(t, "searching", searchingIDs(t, s, cfgA), nil)
	sameIDs(t, "cancelled", create(t, s, ticket("free", cfgA, store.StatusQueued, 9, "p-001")), nil)
}

// testClaimAllOrNothing: one ticket that cannot be claimed leaves every
// ticket of the claim as it was, and the error names it.
func testClaimAllOrNothing(t *testing.T, open Opener) {
	for _, tc := range []struct {
		name    string
		blocker store.TicketVersion
		status  store.Status
		version int64
	}{
		{"stale version", store.TicketVersion{ID: "stale", Version: 1}, store.StatusSearching, 2},
		{"not searching", store.TicketVersion{ID: "queued", Version: 1}, store.StatusQueued, 1},
		{"already claimed", store.TicketVersion{ID: "claimed", Version: 1}, store.StatusPlacing, 2},
		{"missing", store.TicketVersion{ID: "missing", Version: 1}, "", 0},
		{"other configuration", store.TicketVersion{ID: "elsewhere", Version: 1}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ctx := setup(t, open)
			for i := range 3 {
				create(t, s, ticket(id("t", i), cfgA, store.StatusSearching, i, id("p", i)))
			}
			stale := ticket("stale", cfgA, store.StatusSearching, 5, "p-stale")
			create(t, s, stale)
			stale.Version, stale.EstimatedWaitTime = 1, 10
			_, err := s.UpdateTicket(ctx, stale)
			must(t, err)
			create(t, s, ticket("queued", cfgA, store.StatusQueued, 6, "p-queued"))
			create(t, s, ticket("claimed", cfgA, store.StatusSearching, 7, "p-claimed"))
			must(t, s.Claim(ctx, cfgA, "earlier", []store.TicketVersion{{ID: "claimed", Version: 1}}, store.StatusPlacing))
			create(t, s, ticket("elsewhere", cfgB, store.StatusSearching, 8, "p-else"))

			claim := []store.TicketVersion{{ID: "t-000", Version: 1}, {ID: "t-001", Version: 1}, tc.blocker, {ID: "t-002", Version: 1}}
			err = s.Claim(ctx, cfgA, "m2", claim, store.StatusPlacing)
			wantErr(t, err, store.ErrConflict, "claim")
			var ce *store.ClaimConflictError
			if !errors.As(err, &ce) {
				t.Fatalf("claim error %v is not a *ClaimConflictError", err)
			}
			if ce.TicketID != tc.blocker.ID || ce.Status != tc.status || ce.Version != tc.version || ce.MatchID != "m2" || ce.Want != 1 {
				t.Fatalf("claim conflict: got %+v, want ticket %s %s at %d", ce, tc.blocker.ID, tc.status, tc.version)
			}
			for i := range 3 {
				got := get(t, s, id("t", i))
				if got.Status != store.StatusSearching || got.MatchId != "" || got.Version != 1 {
					t.Fatalf("failed claim changed %s: %+v", got.TicketId, got)
				}
			}
			if got := get(t, s, "claimed"); got.MatchId != "earlier" || got.Version != 2 {
				t.Fatalf("failed claim changed the claimed ticket: %+v", got)
			}
			sameIDs(t, "searching", searchingIDs(t, s, cfgA), []string{"t-000", "t-001", "t-002", "stale"})
		})
	}
}

func testClaimInvalid(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	create(t, s, ticket("t1", cfgA, store.StatusSearching, 0, "p1"))
	for _, tc := range []struct {
		name    string
		tickets []store.TicketVersion
	}{
		{"no tickets", nil},
		{"ticket twice", []store.TicketVersion{{ID: "t1", Version: 1}, {ID: "t1", Version: 1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Claim(ctx, cfgA, "m", tc.tickets, store.StatusPlacing); err == nil {
				t.Fatal("claim succeeded")
			}
			if got := get(t, s, "t1"); got.Status != store.StatusSearching || got.Version != 1 {
				t.Fatalf("invalid claim changed t1: %+v", got)
			}
		})
	}
}

// ClaimRace runs many goroutines that claim overlapping sets of tickets
// through the given clients of one store (goroutine i uses client i mod n),
// then checks that no ticket is in two matches: each claimed ticket carries
// exactly the match id of the one claim that succeeded for it, and
// unclaimed tickets are untouched. The store must be empty and opened with
// Options.
func ClaimRace(t *testing.T, clients []store.Store) {
	s, ctx := clients[0], t.Context()
	must(t, s.CreateRuleSet(ctx, store.RuleSet{Name: ruleSetName, Body: "{}"}))
	must(t, s.CreateConfiguration(ctx, store.Configuration{Name: cfgA, RuleSetName: ruleSetName}))
	const (
		tickets    = 96
		goroutines = 32
		attempts   = 12
		matchSize  = 4
	)
	for i := range tickets {
		create(t, s, ticket(id("t", i), cfgA, store.StatusSearching, i, id("p", i)))
	}

	var (
		mu      sync.Mutex
		matches = map[string][]string{}
		wg      sync.WaitGroup
		start   = make(chan struct{})
	)
	for g := range goroutines {
		wg.Go(func() {
			c := clients[g%len(clients)]
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			<-start
			for a := range attempts {
				pick := make([]string, 0, matchSize)
				for _, n := range rng.Perm(tickets / 2)[:matchSize] {
					pick = append(pick, id("t", n+(g%2)*tickets/4))
				}
				seen, err := c.GetTickets(ctx, pick...)
				if err != nil {
					t.Errorf("get tickets: %v", err)
					return
				}
				claim := make([]store.TicketVersion, 0, len(seen))
				for _, tk := range seen {
					if tk.Status == store.StatusSearching {
						claim = append(claim, store.TicketVersion{ID: tk.TicketId, Version: tk.Version})
					}
				}
				if len(claim) == 0 {
					continue
				}
				matchID := fmt.Sprintf("m-%02d-%02d", g, a)
				err = c.Claim(ctx, cfgA, matchID, claim, store.StatusPlacing)
				if errors.Is(err, store.ErrConflict) {
					continue
				}
				if err != nil {
					t.Errorf("claim %s: %v", matchID, err)
					return
				}
				mu.Lock()
				for _, tv := range claim {
					matches[matchID] = append(matches[matchID], tv.ID)
				}
				mu.Unlock()
			}
		})
	}

	// Everyone also races for one and the same set: exactly one wins.
	same := []store.TicketVersion{{ID: id("t", tickets-1), Version: 1}, {ID: id("t", tickets-2), Version: 1}}
	var winners sync.WaitGroup
	wins := make(chan string, goroutines)
	for g := range goroutines {
		winners.Go(func() {
			<-start
			matchID := fmt.Sprintf("same-%02d", g)
			err := clients[g%len(clients)].Claim(ctx, cfgA, matchID, same, store.StatusRequiresAcceptance)
			switch {
			case err == nil:
				wins <- matchID
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("claim %s: %v", matchID, err)
			}
		})
	}
	close(start)
	wg.Wait()
	winners.Wait()
	close(wins)
	var won []string
	for w := range wins {
		won = append(won, w)
	}
	if len(won) != 1 {
		t.Fatalf("claims of one set that succeeded: %v, want exactly one", won)
	}
	matches[won[0]] = []string{same[0].ID, same[1].ID}

	owner := map[string]string{}
	for m, ids := range matches {
		for _, tid := range ids {
			if prev, dup := owner[tid]; dup {
				t.Fatalf("ticket %s claimed by matches %s and %s", tid, prev, m)
			}
			owner[tid] = m
		}
	}
	if len(matches) < 2 {
		t.Fatalf("only %d claims succeeded: the race did not exercise the store", len(matches))
	}
	all := make([]string, tickets)
	for i := range all {
		all[i] = id("t", i)
	}
	stored, err := s.GetTickets(ctx, all...)
	must(t, err)
	if len(stored) != tickets {
		t.Fatalf("got %d tickets back, want %d", len(stored), tickets)
	}
	for _, tk := range stored {
		m, claimed := owner[tk.TicketId]
		switch {
		case claimed && (tk.MatchId != m || tk.Version != 2 || tk.Status == store.StatusSearching):
			t.Errorf("ticket %s claimed by %s is stored as %s in %q at version %d", tk.TicketId, m, tk.Status, tk.MatchId, tk.Version)
		case !claimed && (tk.MatchId != "" || tk.Version != 1 || tk.Status != store.StatusSearching):
			t.Errorf("unclaimed ticket %s is stored as %s in %q at version %d", tk.TicketId, tk.Status, tk.MatchId, tk.Version)
		}
	}
	left := searchingIDs(t, s, cfgA)
	if len(left)+len(owner) != tickets {
		t.Fatalf("%d searching + %d claimed != %d tickets", len(left), len(owner), tickets)
	}
}
