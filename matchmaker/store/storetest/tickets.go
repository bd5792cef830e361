package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func ptr[T any](v T) *T { return &v }

// fullTicket sets every field of a ticket.
func fullTicket(id, cfg string) store.Ticket {
	return store.Ticket{
		TicketId:          id,
		ConfigurationName: cfg,
		Status:            store.StatusSearching,
		StatusReason:      "reason",
		StatusMessage:     "message",
		StartTime:         base(),
		EndTime:           base().Add(90 * time.Second),
		EstimatedWaitTime: 12,
		Players: []store.Player{
			{
				PlayerId: "p1",
				PlayerAttributes: map[string]store.AttributeValue{
					"skill":  {N: ptr(1234.5678901234567)},
					"mode":   {S: ptr("ranked")},
					"maps":   {SL: []string{"dust", "nuke"}},
					"skills": {SDM: map[string]float64{"Body": 10, "Mind": 12.25}},
				},
				Team:        "red",
				LatencyInMs: map[string]int{"us-west-2": 40, "eu-west-1": 120},
			},
			{PlayerId: "p2"},
		},
		MatchId: "match-1",
		GameSessionConnectionInfo: &store.GameSessionConnectionInfo{
			GameSessionArn: "arn:gs",
			IpAddress:      "10.0.0.1",
			DnsName:        "gs.example.com",
			Port:           7777,
			MatchedPlayerSessions: []store.MatchedPlayerSession{
				{PlayerId: "p1", PlayerSessionId: "psess-1"},
				{PlayerId: "p2", PlayerSessionId: "psess-2"},
			},
		},
		Backfill:               true,
		BackfillGameSessionArn: "arn:gs",
		Acceptances:            map[string]store.Acceptance{"p1": store.AcceptanceAccept, "p2": store.AcceptanceReject},
		Deadline:               base().Add(time.Minute + 123456789),
		PlacementRetries:       1,
	}
}

func testTicketRoundTrip(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	want := fullTicket("t-full", cfgA)
	cancelled, err := s.CreateTicket(ctx, want)
	must(t, err)
	sameIDs(t, "cancelled", cancelled, nil)
	want.Version = 1
	sameTicket(t, get(t, s, want.TicketId), want)

	minimal := ticket("t-min", cfgA, store.StatusQueued, 0)
	minimal.StartTime = time.Time{}
	create(t, s, minimal)
	minimal.Version = 1
	sameTicket(t, get(t, s, minimal.TicketId), minimal)
}

func testCreateTicketErrors(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	create(t, s, ticket("t1", cfgA, store.StatusQueued, 0, "p1"))
	for _, tc := range []struct {
		name string
		tk   store.Ticket
		want error
	}{
		{"same id, same configuration", ticket("t1", cfgA, store.StatusQueued, 0, "p9"), store.ErrExists},
		{"same id, other configuration", ticket("t1", cfgB, store.StatusQueued, 0, "p9"), store.ErrExists},
		{"missing configuration", ticket("t2", "nope", store.StatusQueued, 0, "p9"), store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateTicket(ctx, tc.tk)
			wantErr(t, err, tc.want, "create ticket")
		})
	}
	got := get(t, s, "t1")
	if got.ConfigurationName != cfgA || got.Version != 1 || got.Players[0].PlayerId != "p1" {
		t.Fatalf("a refused create changed ticket t1: %+v", got)
	}
	gone(t, s, "t2")
	sameIDs(t, "searching of "+cfgB, searchingIDs(t, s, cfgB), nil)
	// The refused creates hold no player: p9 starts a ticket without
	// cancelling anything.
	sameIDs(t, "cancelled", create(t, s, ticket("t3", cfgB, store.StatusSearching, 0, "p9")), nil)
}

func testGetTickets(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	create(t, s, ticket("a", cfgA, store.StatusQueued, 0, "p1"))
	create(t, s, ticket("b", cfgB, store.StatusSearching, 0, "p2"))
	create(t, s, ticket("c", cfgA, store.StatusSearching, 0, "p3"))
	got, err := s.GetTickets(ctx, "c", "missing", "a", "b")
	must(t, err)
	sameIDs(t, "get tickets", ids(got), []string{"c", "a", "b"})
	got, err = s.GetTickets(ctx)
	must(t, err)
	sameIDs(t, "get no tickets", ids(got), nil)
	_, err = s.GetTicket(ctx, "missing")
	wantErr(t, err, store.ErrNotFound, "get missing ticket")
}

func testUpdateTicket(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	tk := ticket("t1", cfgA, store.StatusQueued, 0, "p1")
	create(t, s, tk)
	tk.Version = 1
	tk.Status = store.StatusSearching
	tk.EstimatedWaitTime = 30
	v, err := s.UpdateTicket(ctx, tk)
	must(t, err)
	if v != 2 {
		t.Fatalf("version after update: got %d, want 2", v)
	}
	tk.Version = 2
	sameTicket(t, get(t, s, "t1"), tk)

	for _, tc := range []struct {
		name   string
		change func(*store.Ticket)
		want   error
	}{
		{"stale version", func(x *store.Ticket) { x.Version = 1 }, store.ErrConflict},
		{"future version", func(x *store.Ticket) { x.Version = 3 }, store.ErrConflict},
		{"missing ticket", func(x *store.Ticket) { x.TicketId = "nope" }, store.ErrNotFound},
		{"other configuration", func(x *store.Ticket) { x.ConfigurationName = cfgB }, store.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := tk
			w.Status = store.StatusCancelled
			tc.change(&w)
			_, err := s.UpdateTicket(ctx, w)
			wantErr(t, err, tc.want, "update ticket")
			sameTicket(t, get(t, s, "t1"), tk)
		})
	}
	gone(t, s, "nope")
	sameIDs(t, "searching of "+cfgA, searchingIDs(t, s, cfgA), []string{"t1"})
	sameIDs(t, "searching of "+cfgB, searchingIDs(t, s, cfgB), nil)
}

// testUpdateTicketIndexes walks a ticket through FlexMatch's statuses and
// checks the searching, deadline and player indexes after every step.
func testUpdateTicketIndexes(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	tk := ticket("t1", cfgA, store.StatusQueued, 0, "p1", "p2")
	tk.Deadline = base().Add(time.Minute)
	create(t, s, tk)
	tk.Version = 1
	late := base().Add(time.Hour)
	steps := []struct {
		status    store.Status
		deadline  time.Time
		searching bool
		due       bool
	}{
		{store.StatusSearching, base().Add(time.Minute), true, true},
		{store.StatusRequiresAcceptance, base().Add(2 * time.Minute), false, true},
		{store.StatusSearching, time.Time{}, true, false},
		{store.StatusPlacing, base().Add(3 * time.Minute), false, true},
		{store.StatusCompleted, base().Add(3 * time.Minute), false, false},
	}
	for _, st := range steps {
		tk.Status, tk.Deadline = st.status, st.deadline
		v, err := s.UpdateTicket(ctx, tk)
		must(t, err)
		tk.Version = v
		sameTicket(t, get(t, s, "t1"), tk)
		var wantSearching, wantDue []string
		if st.searching {
			wantSearching = []string{"t1"}
		}
		if st.due {
			wantDue = []string{"t1"}
		}
		sameIDs(t, "searching after "+string(st.status), searchingIDs(t, s, cfgA), wantSearching)
		sameIDs(t, "due after "+string(st.status), dueIDs(t, s, cfgA, late), wantDue)
	}
	// The completed ticket holds its players no more.
	sameIDs(t, "cancelled", create(t, s, ticket("t2", cfgA, store.StatusQueued, 0, "p1", "p2")), nil)
}

func testSearchingTickets(t *testing.T, open Opener) {
	s, _ := setup(t, open)
	create(t, s, ticket("late", cfgA, store.StatusSearching, 30, "p1"))
	create(t, s, ticket("early", cfgA, store.StatusSearching, 10, "p2"))
	create(t, s, ticket("queued", cfgA, store.StatusQueued, 0, "p3"))
	create(t, s, ticket("middle", cfgA, store.StatusSearching, 20, "p4"))
	create(t, s, ticket("other", cfgB, store.StatusSearching, 0, "p5"))
	create(t, s, ticket("placing", cfgA, store.StatusPlacing, 0, "p6"))
	create(t, s, ticket("done", cfgA, store.StatusCompleted, 0, "p7"))
	sameIDs(t, "searching of "+cfgA, searchingIDs(t, s, cfgA), []string{"early", "middle", "late"})
	sameIDs(t, "searching of "+cfgB, searchingIDs(t, s, cfgB), []string{"other"})
	sameIDs(t, "searching of an unknown configuration", searchingIDs(t, s, "nope"), nil)
}

func testDueTickets(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	at := func(sec int) time.Time { return base().Add(time.Duration(sec) * time.Second) }
	for i, tc := range []struct {
		id       string
		cfg      string
		status   store.Status
		deadline int
	}{
		{"d30", cfgA, store.StatusSearching, 30},
		{"d10", cfgA, store.StatusQueued, 10},
		{"d20", cfgA, store.StatusRequiresAcceptance, 20},
		{"d40", cfgA, store.StatusSearching, 40},
		{"other", cfgB, store.StatusSearching, 5},
		{"ended", cfgA, store.StatusTimedOut, 5},
	} {
		tk := ticket(tc.id, tc.cfg, tc.status, 0, id("p", i))
		tk.Deadline = at(tc.deadline)
		create(t, s, tk)
	}
	create(t, s, ticket("none", cfgA, store.StatusSearching, 0, "p-none"))
	for _, tc := range []struct {
		now   int
		limit int
		want  []string
	}{
		{5, 0, nil},
		{10, 0, []string{"d10"}},
		{35, 0, []string{"d10", "d20", "d30"}},
		{35, 2, []string{"d10", "d20"}},
		{100, 0, []string{"d10", "d20", "d30", "d40"}},
	} {
		got, err := s.DueTickets(ctx, cfgA, at(tc.now), tc.limit)
		must(t, err)
		sameIDs(t, "due tickets", ids(got), tc.want)
	}
	sameIDs(t, "due tickets of "+cfgB, dueIDs(t, s, cfgB, at(100)), []string{"other"})
	// Deadlines are exact: one nanosecond early is not due.
	sameIDs(t, "due one nanosecond early", dueIDs(t, s, cfgA, at(10).Add(-time.Nanosecond)), nil)
}

func testRetention(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	create(t, s, ticket("active", cfgA, store.StatusSearching, 0, "p1"))
	create(t, s, ticket("born-ended", cfgA, store.StatusFailed, 0, "p2"))
	tk := ticket("ends", cfgA, store.StatusSearching, 0, "p3")
	create(t, s, tk)
	tk.Version, tk.Status = 1, store.StatusCancelled
	_, err := s.UpdateTicket(ctx, tk)
	must(t, err)
	dup := create(t, s, ticket("dup", cfgB, store.StatusSearching, 0, "p4"))
	sameIDs(t, "cancelled", dup, nil)
	sameIDs(t, "cancelled", create(t, s, ticket("dup2", cfgB, store.StatusSearching, 0, "p4")), []string{"dup"})
	must(t, s.Claim(ctx, cfgB, "m1", []store.TicketVersion{{ID: "dup2", Version: 1}}, store.StatusFailed))
	// A ticket updated from a terminal status back to an active one is kept.
	revived := ticket("revived", cfgA, store.StatusFailed, 0, "p6")
	create(t, s, revived)
	revived.Version, revived.Status = 1, store.StatusSearching
	_, err = s.UpdateTicket(ctx, revived)
	must(t, err)

	for _, id := range []string{"born-ended", "ends", "dup", "dup2"} {
		get(t, s, id)
	}
	Eventually(t, 20*Retention, func() string { return "ended tickets outlived their retention" }, func() bool {
		for _, id := range []string{"born-ended", "ends", "dup", "dup2"} {
			if _, err := s.GetTicket(ctx, id); !errors.Is(err, store.ErrNotFound) {
				return false
			}
		}
		return true
	})
	for _, id := range []string{"active", "revived"} {
		if got := get(t, s, id); got.Status != store.StatusSearching {
			t.Fatalf("active ticket changed: %+v", got)
		}
	}
	// An expired ticket's id is free again.
	create(t, s, ticket("ends", cfgB, store.StatusQueued, 0, "p5"))
	if got := get(t, s, "ends"); got.ConfigurationName != cfgB || got.Version != 1 {
		t.Fatalf("recreated ticket: %+v", got)
	}
}
