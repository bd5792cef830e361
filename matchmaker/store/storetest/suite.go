// Package storetest is the conformance suite of matchmaker/store: every Store
// implementation runs it and must pass it unchanged.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// Retention is the terminal-ticket retention the suite expects (see Options).
const Retention = 500 * time.Millisecond

// MaxEvents is the event log bound the suite expects (see Options).
const MaxEvents = 20

// Options returns the options every store under test must be opened with.
func Options() store.Options {
	return store.Options{Retention: Retention, SessionRetention: Retention, MaxEvents: MaxEvents}
}

// Opener opens a store for test t. The first call for a given t returns an
// empty store; later calls with the same t return another client of the
// same data (for Redis, a second connection pool on the same key prefix; for
// Memory, the same store).
type Opener func(t *testing.T) store.Store

// Run runs the whole conformance suite against the stores open returns.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"RuleSets", testRuleSets},
		{"Configurations", testConfigurations},
		{"ConfigurationNoPartialWrite", testConfigurationNoPartialWrite},
		{"Queues", testQueues},
		{"QueueReferences", testQueueReferences},
		{"TicketRoundTrip", testTicketRoundTrip},
		{"CreateTicketErrors", testCreateTicketErrors},
		{"CreateWithEvent", testCreateWithEvent},
		{"CreateWithEventErrors", testCreateWithEventErrors},
		{"CreateWithEventTrimmed", testCreateWithEventTrimmed},
		{"CreateWithEventRace", testCreateWithEventRace},
		{"GetTickets", testGetTickets},
		{"UpdateTicket", testUpdateTicket},
		{"UpdateTicketIndexes", testUpdateTicketIndexes},
		{"UpdateWithEvents", testUpdateWithEvents},
		{"UpdateWithEventsErrors", testUpdateWithEventsErrors},
		{"UpdateWithEventsRace", func(t *testing.T, open Opener) { UpdateWithEventsRace(t, []store.Store{open(t)}) }},
		{"UpdateWithEventsRaceTwoClients", func(t *testing.T, open Opener) { UpdateWithEventsRace(t, []store.Store{open(t), open(t)}) }},
		{"DuplicatePlayer", testDuplicatePlayer},
		{"DuplicatePlayerPlacing", testDuplicatePlayerPlacing},
		{"DuplicatePlayerScope", testDuplicatePlayerScope},
		{"SearchingTickets", testSearchingTickets},
		{"DueTickets", testDueTickets},
		{"Retention", testRetention},
		{"Claim", testClaim},
		{"ClaimAllOrNothing", testClaimAllOrNothing},
		{"ClaimInvalid", testClaimInvalid},
		{"ClaimRace", func(t *testing.T, open Opener) { ClaimRace(t, []store.Store{open(t)}) }},
		{"ClaimRaceTwoClients", func(t *testing.T, open Opener) { ClaimRace(t, []store.Store{open(t), open(t)}) }},
		{"Leases", testLeases},
		{"LeaseExpiry", testLeaseExpiry},
		{"WaitEstimate", testWaitEstimate},
		{"WaitEstimateExpiry", testWaitEstimateExpiry},
		{"Events", testEvents},
		{"EventsTrimmed", testEventsTrimmed},
	}
	tests = append(tests, gameSessionTests...)
	tests = append(tests, placementTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// Names of the fixtures setup creates.
const (
	ruleSetName = "rs"
	cfgA        = "cfg-a"
	cfgB        = "cfg-b"
)

// setup opens a store and creates a rule set and two configurations.
func setup(t *testing.T, open Opener) (store.Store, context.Context) {
	t.Helper()
	s := open(t)
	ctx := t.Context()
	must(t, s.CreateRuleSet(ctx, store.RuleSet{Name: ruleSetName, Body: `{"ruleLanguageVersion":"1.0"}`, CreationTime: base()}))
	for _, name := range []string{cfgA, cfgB} {
		must(t, s.CreateConfiguration(ctx, store.Configuration{Name: name, RuleSetName: ruleSetName, RequestTimeoutSeconds: 60}))
	}
	return s, ctx
}

// base is the suite's reference time.
func base() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.UTC) }

// ticket builds a ticket of cfg in status st that started at base()+age
// seconds, with one player per id.
func ticket(id, cfg string, st store.Status, start int, players ...string) store.Ticket {
	t := store.Ticket{
		TicketId:          id,
		ConfigurationName: cfg,
		Status:            st,
		StartTime:         base().Add(time.Duration(start) * time.Second),
	}
	for _, p := range players {
		t.Players = append(t.Players, store.Player{PlayerId: p})
	}
	return t
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

// wantNamed fails t unless err's message names id.
func wantNamed(t *testing.T, err error, id, what string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), id) {
		t.Fatalf("%s: error %v does not name %s", what, err, id)
	}
}

func create(t *testing.T, s store.Store, tk store.Ticket) []string {
	t.Helper()
	cancelled, err := s.CreateTicket(t.Context(), tk)
	if err != nil {
		t.Fatalf("create ticket %s: %v", tk.TicketId, err)
	}
	return cancelled
}

func get(t *testing.T, s store.Store, id string) store.Ticket {
	t.Helper()
	tk, err := s.GetTicket(t.Context(), id)
	if err != nil {
		t.Fatalf("get ticket %s: %v", id, err)
	}
	return tk
}

func gone(t *testing.T, s store.Store, id string) {
	t.Helper()
	_, err := s.GetTicket(t.Context(), id)
	wantErr(t, err, store.ErrNotFound, "get ticket "+id)
}

// normalize puts every time of a ticket in UTC so that tickets compare with
// reflect.DeepEqual whatever location a store decodes them in.
func normalize(tk store.Ticket) store.Ticket {
	tk.StartTime = tk.StartTime.UTC()
	tk.EndTime = tk.EndTime.UTC()
	tk.Deadline = tk.Deadline.UTC()
	return tk
}

func sameTicket(t *testing.T, got, want store.Ticket) {
	t.Helper()
	got, want = normalize(got), normalize(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ticket %s:\n got  %+v\n want %+v", want.TicketId, got, want)
	}
}

func ids(ts []store.Ticket) []string {
	out := make([]string, len(ts))
	for i, tk := range ts {
		out[i] = tk.TicketId
	}
	return out
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// searchingIDs returns the ids of the configuration's searching tickets,
// after checking that SearchingVersions agrees with SearchingTickets.
func searchingIDs(t *testing.T, s store.Store, cfg string) []string {
	t.Helper()
	ts, err := s.SearchingTickets(t.Context(), cfg)
	if err != nil {
		t.Fatalf("searching tickets of %s: %v", cfg, err)
	}
	vs, err := s.SearchingVersions(t.Context(), cfg)
	if err != nil {
		t.Fatalf("searching versions of %s: %v", cfg, err)
	}
	want := make([]store.TicketVersion, len(ts))
	for i, tk := range ts {
		want[i] = store.TicketVersion{ID: tk.TicketId, Version: tk.Version}
	}
	if len(vs) != 0 || len(want) != 0 {
		if !reflect.DeepEqual(vs, want) {
			t.Fatalf("searching versions of %s: got %v, want %v", cfg, vs, want)
		}
	}
	return ids(ts)
}

func dueIDs(t *testing.T, s store.Store, cfg string, now time.Time) []string {
	t.Helper()
	ts, err := s.DueTickets(t.Context(), cfg, now, 0)
	if err != nil {
		t.Fatalf("due tickets of %s: %v", cfg, err)
	}
	return ids(ts)
}

func id(prefix string, i int) string { return fmt.Sprintf("%s-%03d", prefix, i) }
