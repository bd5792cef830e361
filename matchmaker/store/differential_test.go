package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// TestMemoryAndRedisAgree applies one random sequence of ticket operations
// to both stores and requires the same answers from both: same errors, same
// tickets, same indexes. It catches differences the conformance suite has
// no case for.
func TestMemoryAndRedisAgree(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	opts := store.Options{Retention: time.Hour, Now: func() time.Time { return now }}
	stores := []store.Store{store.NewMemory(opts), store.NewRedis(c, opts)}
	ctx := t.Context()
	configs := []string{"cfg-a", "cfg-b"}
	for _, s := range stores {
		if err := s.CreateRuleSet(ctx, store.RuleSet{Name: "rs"}); err != nil {
			t.Fatal(err)
		}
		for _, name := range configs {
			if err := s.CreateConfiguration(ctx, store.Configuration{Name: name, RuleSetName: "rs"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	statuses := []store.Status{
		store.StatusQueued, store.StatusSearching, store.StatusSearching, store.StatusSearching,
		store.StatusRequiresAcceptance, store.StatusPlacing, store.StatusCompleted, store.StatusCancelled,
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ticketID := func() string { return fmt.Sprintf("t%02d", rng.IntN(40)) }
	randomTicket := func() store.Ticket {
		tk := store.Ticket{
			TicketId:          ticketID(),
			ConfigurationName: configs[rng.IntN(len(configs))],
			Status:            statuses[rng.IntN(len(statuses))],
			StartTime:         now.Add(time.Duration(rng.IntN(100)) * time.Second),
		}
		if rng.IntN(2) == 0 {
			tk.Deadline = now.Add(time.Duration(rng.IntN(100)) * time.Second)
		}
		for range 1 + rng.IntN(3) {
			tk.Players = append(tk.Players, store.Player{PlayerId: fmt.Sprintf("p%02d", rng.IntN(30))})
		}
		return tk
	}
	// each runs op on both stores and compares what they answer.
	each := func(step int, what string, op func(store.Store) (any, error)) {
		var answers [2]any
		var errs [2]error
		for i, s := range stores {
			answers[i], errs[i] = op(s)
		}
		for _, sentinel := range []error{store.ErrNotFound, store.ErrExists, store.ErrConflict, store.ErrInUse} {
			if errors.Is(errs[0], sentinel) != errors.Is(errs[1], sentinel) {
				t.Fatalf("step %d %s: memory error %v, redis error %v", step, what, errs[0], errs[1])
			}
		}
		if (errs[0] == nil) != (errs[1] == nil) {
			t.Fatalf("step %d %s: memory error %v, redis error %v", step, what, errs[0], errs[1])
		}
		if !reflect.DeepEqual(answers[0], answers[1]) {
			t.Fatalf("step %d %s:\n memory %+v\n redis  %+v", step, what, answers[0], answers[1])
		}
	}
	for step := range 3000 {
		switch op := rng.IntN(10); {
		case op < 3:
			tk := randomTicket()
			each(step, "create "+tk.TicketId, func(s store.Store) (any, error) { return s.CreateTicket(ctx, tk) })
		case op < 6:
			tk := randomTicket()
			tk.Version = int64(1 + rng.IntN(3))
			each(step, "update "+tk.TicketId, func(s store.Store) (any, error) { return s.UpdateTicket(ctx, tk) })
		case op < 8:
			cfg := configs[rng.IntN(len(configs))]
			var claim []store.TicketVersion
			seen := map[string]bool{}
			for range 1 + rng.IntN(4) {
				if id := ticketID(); !seen[id] {
					seen[id] = true
					claim = append(claim, store.TicketVersion{ID: id, Version: int64(1 + rng.IntN(3))})
				}
			}
			each(step, "claim", func(s store.Store) (any, error) {
				err := s.Claim(ctx, cfg, fmt.Sprintf("m%d", step), claim, store.StatusPlacing)
				var ce *store.ClaimConflictError
				if errors.As(err, &ce) {
					return *ce, err
				}
				return nil, err
			})
		default:
			cfg := configs[rng.IntN(len(configs))]
			at := now.Add(time.Duration(rng.IntN(120)) * time.Second)
			each(step, "read "+cfg, func(s store.Store) (any, error) { return readAll(t, s, cfg, at) })
		}
	}
	for _, cfg := range configs {
		each(-1, "final read "+cfg, func(s store.Store) (any, error) { return readAll(t, s, cfg, now.Add(time.Hour)) })
	}
}

// readAll returns every ticket, the searching pool and the due tickets of a
// configuration, normalized for comparison.
func readAll(t *testing.T, s store.Store, cfg string, at time.Time) (any, error) {
	ctx := t.Context()
	var ids []string
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("t%02d", i))
	}
	all, err := s.GetTickets(ctx, ids...)
	if err != nil {
		return nil, err
	}
	searching, err := s.SearchingTickets(ctx, cfg)
	if err != nil {
		return nil, err
	}
	versions, err := s.SearchingVersions(ctx, cfg)
	if err != nil {
		return nil, err
	}
	due, err := s.DueTickets(ctx, cfg, at, 0)
	if err != nil {
		return nil, err
	}
	norm := func(ts []store.Ticket) []store.Ticket {
		out := make([]store.Ticket, len(ts))
		for i, tk := range ts {
			tk.StartTime, tk.EndTime, tk.Deadline = tk.StartTime.UTC(), tk.EndTime.UTC(), tk.Deadline.UTC()
			out[i] = tk
		}
		return out
	}
	return struct {
		All, Searching, Due []store.Ticket
		Versions            []store.TicketVersion
	}{norm(all), norm(searching), norm(due), versions}, nil
}
