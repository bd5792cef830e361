package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// createWithEvent creates tk with its event and checks the sequence number.
func createWithEvent(t *testing.T, s store.Store, tk store.Ticket, wantSeq uint64) []string {
	t.Helper()
	cancelled, seq, err := s.CreateTicketWithEvent(t.Context(), tk, []byte("searching "+tk.TicketId))
	if err != nil {
		t.Fatalf("create ticket %s with event: %v", tk.TicketId, err)
	}
	if seq != wantSeq {
		t.Fatalf("create ticket %s with event: sequence %d, want %d", tk.TicketId, seq, wantSeq)
	}
	return cancelled
}

// sameLog checks a configuration's whole event log: sequence numbers, ticket
// ids and payloads.
func sameLog(t *testing.T, s store.Store, cfg string, want []store.Event) {
	t.Helper()
	got, err := s.EventsAfter(t.Context(), cfg, 0, 0)
	must(t, err)
	if len(got) != len(want) {
		t.Fatalf("event log of %s: got %d events %v, want %d", cfg, len(got), seqs(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Seq != w.Seq || string(g.Payload) != string(w.Payload) || !slices.Equal(g.TicketIds, w.TicketIds) {
			t.Fatalf("event %d of %s: got {%d %v %q}, want {%d %v %q}", i, cfg, g.Seq, g.TicketIds, g.Payload, w.Seq, w.TicketIds, w.Payload)
		}
	}
}

func searchingEvent(seq uint64, id string) store.Event {
	return store.Event{Seq: seq, TicketIds: []string{id}, Payload: []byte("searching " + id)}
}

// testCreateWithEvent: the ticket is stored as CreateTicket stores it and its
// event takes the next sequence number of its configuration's log, after
// events appended with AppendEvent; a duplicate player is cancelled in the
// same step, without an event of its own.
func testCreateWithEvent(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	seq, err := s.AppendEvent(ctx, cfgA, nil, []byte("before"))
	must(t, err)
	if seq != 1 {
		t.Fatalf("first sequence: %d", seq)
	}
	want := fullTicket("t-full", cfgA)
	sameIDs(t, "cancelled", createWithEvent(t, s, want, 2), nil)
	want.Version = 1
	sameTicket(t, get(t, s, want.TicketId), want)
	sameIDs(t, "searching", searchingIDs(t, s, cfgA), []string{"t-full"})
	sameIDs(t, "due", dueIDs(t, s, cfgA, want.Deadline), []string{"t-full"})

	createWithEvent(t, s, ticket("b1", cfgB, store.StatusSearching, 0, "p1"), 1)
	old := ticket("old", cfgA, store.StatusQueued, 1, "p7", "p8")
	create(t, s, old)
	sameIDs(t, "cancelled", createWithEvent(t, s, ticket("new", cfgA, store.StatusSearching, 2, "p8", "p9"), 3), []string{"old"})
	if got := get(t, s, "old"); got.Status != store.StatusCancelled || got.StatusReason != store.DuplicatePlayerReason || got.Version != 2 {
		t.Fatalf("cancelled duplicate: %+v", got)
	}
	sameIDs(t, "searching", searchingIDs(t, s, cfgA), []string{"t-full", "new"})
	// p7 was released by the cancellation; p1 of cfg-b is untouched.
	sameIDs(t, "cancelled by p7", create(t, s, ticket("p7-again", cfgA, store.StatusSearching, 3, "p7")), nil)
	sameIDs(t, "searching of "+cfgB, searchingIDs(t, s, cfgB), []string{"b1"})

	sameLog(t, s, cfgA, []store.Event{
		{Seq: 1, Payload: []byte("before")},
		searchingEvent(2, "t-full"),
		searchingEvent(3, "new"),
	})
	sameLog(t, s, cfgB, []store.Event{searchingEvent(1, "b1")})
	seq, err = s.AppendEvent(ctx, cfgA, []string{"new"}, []byte("after"))
	must(t, err)
	if seq != 4 {
		t.Fatalf("sequence after creates with events: %d, want 4", seq)
	}
}

// testCreateWithEventErrors: every refusal of CreateTicketWithEvent is
// CreateTicket's, and writes nothing: no ticket, no id, no cancellation, no
// player held, no event and no sequence number used up.
func testCreateWithEventErrors(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	createWithEvent(t, s, ticket("t1", cfgA, store.StatusSearching, 0, "p1"), 1)
	create(t, s, ticket("searching", cfgA, store.StatusSearching, 1, "p2"))
	create(t, s, ticket("placing", cfgA, store.StatusSearching, 2, "p3"))
	must(t, s.Claim(ctx, cfgA, "m1", []store.TicketVersion{{ID: "placing", Version: 1}}, store.StatusPlacing))

	for _, tc := range []struct {
		name string
		tk   store.Ticket
		want error
	}{
		{"same id, same configuration", ticket("t1", cfgA, store.StatusSearching, 0, "p9"), store.ErrExists},
		{"same id, other configuration", ticket("t1", cfgB, store.StatusSearching, 0, "p9"), store.ErrExists},
		{"missing configuration", ticket("t2", "nope", store.StatusSearching, 0, "p9"), store.ErrNotFound},
		{"missing configuration, taken id", ticket("t1", "nope", store.StatusSearching, 0, "p9"), store.ErrNotFound},
		{"player in a PLACING ticket", ticket("t3", cfgA, store.StatusSearching, 3, "p2", "p3", "p9"), store.ErrInUse},
		{"PLACING ticket, other configuration", ticket("t4", cfgB, store.StatusSearching, 3, "p9"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cancelled, seq, err := s.CreateTicketWithEvent(ctx, tc.tk, []byte("refused"))
			if tc.want == nil {
				must(t, err)
				if seq != 1 || len(cancelled) != 0 {
					t.Fatalf("create in %s: sequence %d, cancelled %v", tc.tk.ConfigurationName, seq, cancelled)
				}
				return
			}
			wantErr(t, err, tc.want, "create ticket with event")
			if seq != 0 || cancelled != nil {
				t.Fatalf("refused create returned sequence %d, cancelled %v", seq, cancelled)
			}
		})
	}
	if got := get(t, s, "t1"); got.ConfigurationName != cfgA || got.Version != 1 || got.Players[0].PlayerId != "p1" {
		t.Fatalf("a refused create changed ticket t1: %+v", got)
	}
	if got := get(t, s, "searching"); got.Status != store.StatusSearching || got.Version != 1 {
		t.Fatalf("a refused create cancelled a duplicate: %+v", got)
	}
	if got := get(t, s, "placing"); got.Status != store.StatusPlacing || got.Version != 2 {
		t.Fatalf("a refused create changed a PLACING ticket: %+v", got)
	}
	gone(t, s, "t2")
	gone(t, s, "t3")
	sameIDs(t, "searching of "+cfgA, searchingIDs(t, s, cfgA), []string{"t1", "searching"})
	sameLog(t, s, cfgA, []store.Event{searchingEvent(1, "t1")})
	events, err := s.EventsAfter(ctx, "nope", 0, 0)
	must(t, err)
	if len(events) != 0 {
		t.Fatalf("events of a missing configuration: %v", seqs(events))
	}
	// Nothing was held: the refused ids are free, p9 cancels nothing in
	// cfg-a, and the next event takes the next sequence number.
	sameIDs(t, "cancelled", createWithEvent(t, s, ticket("t3", cfgA, store.StatusSearching, 4, "p9"), 2), nil)
	sameIDs(t, "cancelled", createWithEvent(t, s, ticket("t2", cfgA, store.StatusSearching, 5, "p10"), 3), nil)
}

// testCreateWithEventTrimmed: events appended with tickets obey the log
// bound like any other.
func testCreateWithEventTrimmed(t *testing.T, open Opener) {
	s, _ := setup(t, open)
	for i := range MaxEvents + 3 {
		createWithEvent(t, s, ticket(id("t", i), cfgA, store.StatusSearching, i, id("p", i)), uint64(i+1))
	}
	got, err := s.EventsAfter(t.Context(), cfgA, 0, 0)
	must(t, err)
	if len(got) != MaxEvents || got[0].Seq != 4 || got[len(got)-1].Seq != MaxEvents+3 {
		t.Fatalf("trimmed log: %d events, sequences %v", len(got), seqs(got))
	}
	if want := []string{id("t", 3)}; !reflect.DeepEqual(got[0].TicketIds, want) {
		t.Fatalf("first kept event: tickets %v, want %v", got[0].TicketIds, want)
	}
}

// testCreateWithEventRace: concurrent creates with events through two
// clients give every event its own sequence number, densely, each next to
// its ticket; creates racing for one id store exactly one ticket and one
// event.
func testCreateWithEventRace(t *testing.T, open Opener) {
	s, _ := setup(t, open)
	clients := []store.Store{s, open(t)}
	const goroutines, each = 16, 10
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*(each+1))
	for g := range goroutines {
		wg.Go(func() {
			c := clients[g%len(clients)]
			for i := range each {
				tid := fmt.Sprintf("g%02d-%d", g, i)
				tk := ticket(tid, cfgA, store.StatusSearching, i, "player-"+tid)
				if _, _, err := c.CreateTicketWithEvent(t.Context(), tk, []byte("searching "+tid)); err != nil {
					errs <- err
				}
			}
			tk := ticket("contended", cfgA, store.StatusSearching, 0, fmt.Sprintf("contender-%d", g))
			if _, _, err := c.CreateTicketWithEvent(t.Context(), tk, []byte("searching contended")); err != nil && !errors.Is(err, store.ErrExists) {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	events, err := s.EventsAfter(t.Context(), cfgA, 0, 0)
	must(t, err)
	want := goroutines*each + 1
	if want > MaxEvents {
		events, err = s.EventsAfter(t.Context(), cfgA, uint64(want-MaxEvents), 0)
		must(t, err)
	}
	if len(events) != min(want, MaxEvents) || events[len(events)-1].Seq != uint64(want) {
		t.Fatalf("%d creates: log ends at %v", want, seqs(events))
	}
	for i, e := range events {
		if i > 0 && e.Seq != events[i-1].Seq+1 {
			t.Fatalf("sequences not dense: %v", seqs(events))
		}
		if len(e.TicketIds) != 1 || string(e.Payload) != "searching "+e.TicketIds[0] {
			t.Fatalf("event %d: tickets %v, payload %q", e.Seq, e.TicketIds, e.Payload)
		}
		get(t, s, e.TicketIds[0])
	}
	n := 0
	for _, tid := range searchingIDs(t, s, cfgA) {
		if tid == "contended" {
			n++
		}
	}
	if n != 1 || len(searchingIDs(t, s, cfgA)) != want {
		t.Fatalf("searching pool after the race: %d contended, %d in all, want 1 and %d", n, len(searchingIDs(t, s, cfgA)), want)
	}
}

// testUpdateWithEvents: the tickets are replaced as UpdateTicket replaces
// them, their indexes follow, and the events take the next sequence numbers
// of the configuration's log, in order, in the same step.
func testUpdateWithEvents(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	a := ticket("a", cfgA, store.StatusSearching, 0, "p1")
	b := ticket("b", cfgA, store.StatusSearching, 1, "p2")
	c := ticket("c", cfgA, store.StatusSearching, 2, "p3")
	createWithEvent(t, s, a, 1)
	createWithEvent(t, s, b, 2)
	createWithEvent(t, s, c, 3)
	a, b = get(t, s, "a"), get(t, s, "b")
	a.Status, a.MatchId, a.Players[0].Team = store.StatusCompleted, "m1", "red"
	b.Status, b.MatchId, b.Players[0].Team = store.StatusPlacing, "m1", "blue"
	b.Deadline = base().Add(time.Minute)
	versions, seqs, err := s.UpdateTicketsWithEvents(ctx, cfgA, []store.Ticket{a, b}, []store.NewEvent{
		{TicketIds: []string{"a", "b"}, Payload: []byte("potential m1")},
		{TicketIds: []string{"a"}, Payload: []byte("succeeded a")},
	})
	must(t, err)
	if !slices.Equal(versions, []int64{2, 2}) || !slices.Equal(seqs, []uint64{4, 5}) {
		t.Fatalf("versions %v, seqs %v; want [2 2] and [4 5]", versions, seqs)
	}
	a.Version, b.Version = 2, 2
	sameTicket(t, get(t, s, "a"), a)
	sameTicket(t, get(t, s, "b"), b)
	sameIDs(t, "searching", searchingIDs(t, s, cfgA), []string{"c"})
	sameIDs(t, "due", dueIDs(t, s, cfgA, base().Add(time.Hour)), []string{"b"})
	// p1's ticket has ended: the player may search again; p2's has not.
	sameIDs(t, "cancelled by p1", create(t, s, ticket("a2", cfgA, store.StatusSearching, 3, "p1")), nil)
	sameLog(t, s, cfgA, []store.Event{
		searchingEvent(1, "a"), searchingEvent(2, "b"), searchingEvent(3, "c"),
		{Seq: 4, TicketIds: []string{"a", "b"}, Payload: []byte("potential m1")},
		{Seq: 5, TicketIds: []string{"a"}, Payload: []byte("succeeded a")},
	})
	seq, err := s.AppendEvent(ctx, cfgA, nil, []byte("after"))
	must(t, err)
	if seq != 6 {
		t.Fatalf("the next append took sequence %d, want 6", seq)
	}
}

// testUpdateWithEventsErrors: a ticket at another version, missing, of
// another configuration or listed twice refuses the whole step: no ticket
// changes and no event is appended.
func testUpdateWithEventsErrors(t *testing.T, open Opener) {
	s, ctx := setup(t, open)
	createWithEvent(t, s, ticket("a", cfgA, store.StatusSearching, 0, "p1"), 1)
	createWithEvent(t, s, ticket("b", cfgA, store.StatusSearching, 1, "p2"), 2)
	createWithEvent(t, s, ticket("x", cfgB, store.StatusSearching, 0, "p3"), 1)
	a, b, x := get(t, s, "a"), get(t, s, "b"), get(t, s, "x")
	moved := func(tk store.Ticket) store.Ticket {
		tk.Status, tk.MatchId = store.StatusCompleted, "m1"
		return tk
	}
	stale := moved(b)
	stale.Version = 7
	missing := moved(ticket("nope", cfgA, store.StatusSearching, 0, "p9"))
	missing.Version = 1
	ev := []store.NewEvent{{TicketIds: []string{"a"}, Payload: []byte("never")}}
	for _, tc := range []struct {
		name    string
		tickets []store.Ticket
		want    error
	}{
		{"stale version", []store.Ticket{moved(a), stale}, store.ErrConflict},
		{"missing ticket", []store.Ticket{moved(a), missing}, store.ErrNotFound},
		{"another configuration", []store.Ticket{moved(a), moved(x)}, store.ErrNotFound},
	} {
		_, _, err := s.UpdateTicketsWithEvents(ctx, cfgA, tc.tickets, ev)
		wantErr(t, err, tc.want, tc.name)
	}
	if _, _, err := s.UpdateTicketsWithEvents(ctx, cfgA, []store.Ticket{moved(a), moved(a)}, ev); err == nil || !strings.Contains(err.Error(), "listed twice") {
		t.Fatalf("a ticket listed twice: got %v", err)
	}
	sameTicket(t, get(t, s, "a"), a)
	sameTicket(t, get(t, s, "b"), b)
	sameTicket(t, get(t, s, "x"), x)
	sameIDs(t, "searching", searchingIDs(t, s, cfgA), []string{"a", "b"})
	sameLog(t, s, cfgA, []store.Event{searchingEvent(1, "a"), searchingEvent(2, "b")})
}

// UpdateWithEventsRace: many callers, on the given clients, move the same
// tickets (a match whose players accepted at once) from the versions they
// all read, each with its own event: exactly one step is made, whole; every
// other caller gets ErrConflict and writes nothing. The matchmaker relies on
// it to place a match once, with all its tickets.
func UpdateWithEventsRace(t *testing.T, clients []store.Store) {
	const (
		matches  = 8
		perMatch = 3
		callers  = 12
	)
	s, ctx := clients[0], t.Context()
	must(t, s.CreateRuleSet(ctx, store.RuleSet{Name: ruleSetName, Body: "{}"}))
	must(t, s.CreateConfiguration(ctx, store.Configuration{Name: cfgA, RuleSetName: ruleSetName}))
	read := make([][]store.Ticket, matches)
	for m := range matches {
		for i := range perMatch {
			n := m*perMatch + i
			create(t, s, ticket(id("t", n), cfgA, store.StatusRequiresAcceptance, n, id("p", n)))
			read[m] = append(read[m], get(t, s, id("t", n)))
		}
	}
	var (
		mu    sync.Mutex
		wins  = map[int][]int{}
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for m := range matches {
		for c := range callers {
			wg.Go(func() {
				next := slices.Clone(read[m])
				for i := range next {
					next[i].Players = slices.Clone(next[i].Players)
					next[i].Status, next[i].MatchId = store.StatusPlacing, fmt.Sprint("m", m)
				}
				<-start
				_, _, err := clients[c%len(clients)].UpdateTicketsWithEvents(ctx, cfgA, next,
					[]store.NewEvent{{TicketIds: ids(next), Payload: fmt.Appendf(nil, "match %d by %d", m, c)}})
				switch {
				case err == nil:
					mu.Lock()
					wins[m] = append(wins[m], c)
					mu.Unlock()
				case !errors.Is(err, store.ErrConflict):
					t.Errorf("match %d, caller %d: %v, want nil or ErrConflict", m, c, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	events, err := s.EventsAfter(ctx, cfgA, 0, 0)
	must(t, err)
	if len(events) != matches {
		t.Errorf("%d events, want one per match (%d)", len(events), matches)
	}
	for m := range matches {
		if len(wins[m]) != 1 {
			t.Errorf("match %d: steps made by callers %v, want exactly one", m, wins[m])
			continue
		}
		for _, tk := range read[m] {
			got := get(t, s, tk.TicketId)
			if got.Status != store.StatusPlacing || got.Version != tk.Version+1 {
				t.Errorf("ticket %s is %s at version %d, want PLACING at %d", got.TicketId, got.Status, got.Version, tk.Version+1)
			}
		}
	}
}
