package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// newRedisStore returns a Redis store with prefix "mp:" on a fresh server
// and a raw client to look at its keys.
func newRedisStore(t *testing.T) (*store.Redis, *redis.Client) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	s := store.NewRedis(c, store.Options{Retention: time.Minute})
	ctx := t.Context()
	if err := s.CreateRuleSet(ctx, store.RuleSet{Name: "rs", Body: "{}"}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cfg-a", "cfg-b"} {
		if err := s.CreateConfiguration(ctx, store.Configuration{Name: name, RuleSetName: "rs"}); err != nil {
			t.Fatal(err)
		}
	}
	return s, c
}

// TestRedisKeyLayout checks the layout docs/store.md documents: every key
// of a configuration carries its hash tag; only the global ticket id index,
// leases and the meta keys do not.
func TestRedisKeyLayout(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	tk := store.Ticket{
		TicketId: "t1", ConfigurationName: "cfg-a", Status: store.StatusSearching,
		Players: []store.Player{{PlayerId: "p1"}}, Deadline: time.Now().Add(time.Minute),
	}
	if _, err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendEvent(ctx, "cfg-a", []string{"t1"}, []byte("e")); err != nil {
		t.Fatal(err)
	}
	if err := s.AcquireLease(ctx, "cfg-a", "me", time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateQueue(ctx, store.Queue{Name: "q", Regions: []string{"eu-west-1"}, TimeoutSeconds: 600}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateConfiguration(ctx, store.Configuration{Name: "cfg-q", RuleSetName: "rs", GameSessionQueueArns: []string{"q"}}); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"mp:{_meta}:rulesets": true, "mp:{_meta}:configs": true, "mp:{_meta}:config-rulesets": true,
		"mp:{_meta}:queues": true, "mp:{_meta}:config-queues": true,
		"mp:tid:t1": true, "mp:lease:cfg-a": true,
		"mp:{cfg-a}:t:t1": true, "mp:{cfg-a}:searching": true, "mp:{cfg-a}:searching:v": true, "mp:{cfg-a}:deadlines": true,
		"mp:{cfg-a}:players": true, "mp:{cfg-a}:events": true, "mp:{cfg-a}:events:seq": true,
	}
	for _, k := range keys {
		if !want[k] {
			t.Errorf("unexpected key %s", k)
		}
		delete(want, k)
	}
	for k := range want {
		t.Errorf("missing key %s", k)
	}
}

// TestRedisTerminalTicketsExpire checks that a terminal ticket and its
// global id entry get the retention as TTL, and that active ones have none.
func TestRedisTerminalTicketsExpire(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	for _, tk := range []store.Ticket{
		{TicketId: "active", ConfigurationName: "cfg-a", Status: store.StatusSearching, Players: []store.Player{{PlayerId: "p1"}}},
		{TicketId: "ended", ConfigurationName: "cfg-a", Status: store.StatusSearching, Players: []store.Player{{PlayerId: "p2"}}},
	} {
		if _, err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Claim(ctx, "cfg-a", "m", []store.TicketVersion{{ID: "ended", Version: 1}}, store.StatusTimedOut); err != nil {
		t.Fatal(err)
	}
	stale := store.Ticket{TicketId: "ended", ConfigurationName: "cfg-a", Status: store.StatusSearching, Version: 1}
	if _, err := s.UpdateTicket(ctx, stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update of an ended ticket: got %v, want ErrConflict", err)
	}
	for key, terminal := range map[string]bool{
		"mp:{cfg-a}:t:active": false, "mp:tid:active": false,
		"mp:{cfg-a}:t:ended": true, "mp:tid:ended": true,
	} {
		ttl, err := c.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case terminal && (ttl <= 0 || ttl > time.Minute):
			t.Errorf("terminal key %s has TTL %v, want at most the retention", key, ttl)
		case !terminal && ttl != -1:
			t.Errorf("active key %s has TTL %v, want none", key, ttl)
		}
	}
}

// TestRedisBatchLeavesNoIndexEntry completes more tickets in one
// UpdateTicketsWithEvents than a script passes to one Redis command (1,000
// arguments), with a player kept by a newer ticket: every completed ticket
// leaves the searching and deadline ZSETs, the versions HASH and the players
// HASH, and the newer ticket keeps its player's entry and its own.
func TestRedisBatchLeavesNoIndexEntry(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	const n = 2100
	var batch []store.Ticket
	for i := range n {
		tk := store.Ticket{TicketId: fmt.Sprintf("t%d", i), ConfigurationName: "cfg-a", Status: store.StatusSearching,
			Players: []store.Player{{PlayerId: fmt.Sprintf("p%d", i)}}, StartTime: time.Now(), Deadline: time.Now().Add(time.Minute)}
		if i%2 == 0 {
			tk.Players = append(tk.Players, store.Player{PlayerId: fmt.Sprintf("q%d", i)})
		}
		if _, err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		tk.Version, tk.Status = 1, store.StatusCompleted
		batch = append(batch, tk)
	}
	// A newer ticket takes p0 over (t0 stays SEARCHING in the store until the
	// batch: the duplicate-player rule cancels it, so the batch ends it from
	// version 2).
	newer := store.Ticket{TicketId: "newer", ConfigurationName: "cfg-a", Status: store.StatusSearching,
		Players: []store.Player{{PlayerId: "p0"}}, StartTime: time.Now(), Deadline: time.Now().Add(time.Minute)}
	if _, err := s.CreateTicket(ctx, newer); err != nil {
		t.Fatal(err)
	}
	batch[0].Version = 2
	if _, _, err := s.UpdateTicketsWithEvents(ctx, "cfg-a", batch, nil); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][]string{
		"mp:{cfg-a}:searching": {"newer"}, "mp:{cfg-a}:deadlines": {"newer"},
	} {
		got, err := c.ZRange(ctx, key, 0, -1).Result()
		if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s holds %v (%v), want %v", key, got, err, want)
		}
	}
	for key, want := range map[string]map[string]string{
		"mp:{cfg-a}:searching:v": {"newer": "1"}, "mp:{cfg-a}:players": {"p0": "newer"},
	} {
		got, err := c.HGetAll(ctx, key).Result()
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s holds %d entries %.200v (%v), want %v", key, len(got), got, err, want)
		}
	}
}

// TestRedisClaimLeavesTheIndexesItShould: a claim into a terminal status
// takes its tickets out of every index, players' entries included; one into
// an active status only out of the searching ones, keeping their players and
// deadlines.
func TestRedisClaimLeavesTheIndexesItShould(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	for _, tk := range []store.Ticket{
		{TicketId: "ends", Players: []store.Player{{PlayerId: "a1"}, {PlayerId: "a2"}}},
		{TicketId: "ends-too", Players: []store.Player{{PlayerId: "b1"}}},
		{TicketId: "places", Players: []store.Player{{PlayerId: "c1"}}},
	} {
		tk.ConfigurationName, tk.Status, tk.StartTime, tk.Deadline = "cfg-a", store.StatusSearching, time.Now(), time.Now().Add(time.Minute)
		if _, err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Claim(ctx, "cfg-a", "m1", []store.TicketVersion{{ID: "ends", Version: 1}, {ID: "ends-too", Version: 1}}, store.StatusFailed); err != nil {
		t.Fatal(err)
	}
	if err := s.Claim(ctx, "cfg-a", "m2", []store.TicketVersion{{ID: "places", Version: 1}}, store.StatusPlacing); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][]string{"mp:{cfg-a}:searching": nil, "mp:{cfg-a}:deadlines": {"places"}} {
		got, err := c.ZRange(ctx, key, 0, -1).Result()
		if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s holds %v (%v), want %v", key, got, err, want)
		}
	}
	for key, want := range map[string]map[string]string{"mp:{cfg-a}:searching:v": {}, "mp:{cfg-a}:players": {"c1": "places"}} {
		got, err := c.HGetAll(ctx, key).Result()
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s holds %v (%v), want %v", key, got, err, want)
		}
	}
}

// TestRedisUpdateMovesTheIDEntryExpiry: an update to a terminal status gives
// the ticket's global id entry the retention as TTL in the same step, an
// update that revives the ticket takes it away again, and so does
// UpdateTicketsWithEvents.
func TestRedisUpdateMovesTheIDEntryExpiry(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	tk := store.Ticket{TicketId: "x", ConfigurationName: "cfg-a", Status: store.StatusSearching, Players: []store.Player{{PlayerId: "p1"}}}
	if _, err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	for i, st := range []store.Status{store.StatusCancelled, store.StatusSearching} {
		tk.Status, tk.Version = st, int64(i+1)
		if _, err := s.UpdateTicket(ctx, tk); err != nil {
			t.Fatalf("update to %s: %v", st, err)
		}
		ttl, err := c.PTTL(ctx, "mp:tid:x").Result()
		if err != nil {
			t.Fatal(err)
		}
		if st.Terminal() && (ttl <= 0 || ttl > time.Minute) || !st.Terminal() && ttl != -1 {
			t.Errorf("after the update to %s the id entry's TTL is %v", st, ttl)
		}
	}
	tk.Status, tk.Version = store.StatusCompleted, 3
	if _, _, err := s.UpdateTicketsWithEvents(ctx, "cfg-a", []store.Ticket{tk}, nil); err != nil {
		t.Fatal(err)
	}
	if ttl, err := c.PTTL(ctx, "mp:tid:x").Result(); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Errorf("after UpdateTicketsWithEvents to COMPLETED the id entry's TTL is %v (%v)", ttl, err)
	}
}

// TestRedisReclaimsLeftoverTicketID: a global id entry whose ticket does not
// exist (a create that died between its two steps) blocks the id while the
// create may still be in flight, then is reclaimed.
func TestRedisReclaimsLeftoverTicketID(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	mark := func(age time.Duration) string {
		return "cfg-b|" + strconv.FormatInt(time.Now().Add(-age).UnixMilli(), 10)
	}
	tk := store.Ticket{TicketId: "t1", ConfigurationName: "cfg-a", Status: store.StatusQueued, Players: []store.Player{{PlayerId: "p1"}}}

	if err := c.Set(ctx, "mp:tid:t1", mark(time.Second), 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTicket(ctx, tk); !errors.Is(err, store.ErrExists) {
		t.Fatalf("create over an entry in flight: got %v, want ErrExists", err)
	}
	if err := c.Set(ctx, "mp:tid:t1", mark(time.Hour), 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatalf("create over a leftover entry: %v", err)
	}
	got, err := s.GetTicket(ctx, "t1")
	if err != nil || got.ConfigurationName != "cfg-a" {
		t.Fatalf("get reclaimed ticket: %+v, %v", got, err)
	}
	v, err := c.Get(ctx, "mp:tid:t1").Result()
	if err != nil || !strings.HasPrefix(v, "cfg-a|") {
		t.Fatalf("id entry after reclaim: %q, %v", v, err)
	}
}

// TestRedisSurvivesRestart: after Redis restarts empty (its script cache
// too), every script is loaded again on first use.
func TestRedisSurvivesRestart(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	s := store.NewRedis(c, store.Options{})
	ctx := t.Context()
	for round := range 2 {
		steps := []struct {
			name string
			do   func() error
		}{
			{"create rule set", func() error { return s.CreateRuleSet(ctx, store.RuleSet{Name: "rs"}) }},
			{"create configuration", func() error {
				return s.CreateConfiguration(ctx, store.Configuration{Name: "c", RuleSetName: "rs"})
			}},
			{"create ticket", func() error {
				_, err := s.CreateTicket(ctx, store.Ticket{TicketId: "t", ConfigurationName: "c", Status: store.StatusSearching})
				return err
			}},
			{"update ticket", func() error {
				_, err := s.UpdateTicket(ctx, store.Ticket{TicketId: "t", ConfigurationName: "c", Status: store.StatusSearching, Version: 1})
				return err
			}},
			{"claim", func() error {
				return s.Claim(ctx, "c", "m", []store.TicketVersion{{ID: "t", Version: 2}}, store.StatusPlacing)
			}},
			{"acquire lease", func() error { return s.AcquireLease(ctx, "l", "me", time.Minute) }},
			{"renew lease", func() error { return s.RenewLease(ctx, "l", "me", time.Minute) }},
			{"append event", func() error {
				_, err := s.AppendEvent(ctx, "c", nil, []byte("e"))
				return err
			}},
			{"delete configuration", func() error { return s.DeleteConfiguration(ctx, "c") }},
			{"delete rule set", func() error { return s.DeleteRuleSet(ctx, "rs") }},
		}
		for _, st := range steps {
			if err := st.do(); err != nil {
				t.Fatalf("round %d, %s: %v", round, st.name, err)
			}
		}
		srv.Restart(t)
	}
}

// roundTrips counts the commands and pipelines a client sends.
type roundTrips struct{ n atomic.Int64 }

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// TestRedisCreateIsOneRoundTrip: on one server, a create (with its event, a
// duplicate cancelled, or a refusal) is one script, which also writes the
// id entry and gives the ids of cancelled and terminal tickets the
// retention as TTL.
func TestRedisCreateIsOneRoundTrip(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	var h roundTrips
	c.AddHook(&h)
	tk := func(id, player string, st store.Status) store.Ticket {
		return store.Ticket{TicketId: id, ConfigurationName: "cfg-a", Status: st, Players: []store.Player{{PlayerId: player}}}
	}
	// The first call loads the script (EVALSHA, then EVAL).
	if _, _, err := s.CreateTicketWithEvent(ctx, tk("warm", "p0", store.StatusSearching), []byte("e")); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name string
		do   func() error
	}{
		{"create with event", func() error {
			_, _, err := s.CreateTicketWithEvent(ctx, tk("old", "p1", store.StatusSearching), []byte("e"))
			return err
		}},
		{"create cancelling a duplicate", func() error {
			cancelled, seq, err := s.CreateTicketWithEvent(ctx, tk("new", "p1", store.StatusSearching), []byte("e"))
			if err == nil && (len(cancelled) != 1 || seq != 3) {
				err = fmt.Errorf("cancelled %v, sequence %d", cancelled, seq)
			}
			return err
		}},
		{"create terminal", func() error {
			_, err := s.CreateTicket(ctx, tk("done", "p2", store.StatusCompleted))
			return err
		}},
		{"refused create", func() error {
			if _, _, err := s.CreateTicketWithEvent(ctx, tk("new", "p3", store.StatusSearching), []byte("e")); !errors.Is(err, store.ErrExists) {
				return fmt.Errorf("got %v, want ErrExists", err)
			}
			return nil
		}},
	} {
		before := h.n.Load()
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if n := h.n.Load() - before; n != 1 {
			t.Errorf("%s: %d round trips, want 1", step.name, n)
		}
	}
	for key, terminal := range map[string]bool{"mp:tid:new": false, "mp:tid:old": true, "mp:tid:done": true} {
		ttl, err := c.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case terminal && (ttl <= 0 || ttl > time.Minute):
			t.Errorf("id entry %s has TTL %v, want at most the retention", key, ttl)
		case !terminal && ttl != -1:
			t.Errorf("id entry %s has TTL %v, want none", key, ttl)
		}
	}
}

// TestRedisCreateRefusedEventLeavesNothing: when the event log refuses the
// create's event (its counter set behind the stream, as a restore of one key
// without the other would leave it), the create fails and writes nothing:
// no ticket, no index entry, the counter as it was.
func TestRedisCreateRefusedEventLeavesNothing(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	for range 3 {
		if _, err := s.AppendEvent(ctx, "cfg-a", []string{"t0"}, []byte("e")); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Set(ctx, "mp:{cfg-a}:events:seq", 1, 0).Err(); err != nil {
		t.Fatal(err)
	}
	before, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	tk := store.Ticket{TicketId: "t1", ConfigurationName: "cfg-a", Status: store.StatusSearching,
		Players: []store.Player{{PlayerId: "p1"}}, StartTime: time.Now(), Deadline: time.Now().Add(time.Minute)}
	if _, _, err := s.CreateTicketWithEvent(ctx, tk, []byte("searching")); err == nil || !strings.Contains(err.Error(), "create ticket t1") {
		t.Fatalf("create with a refused event: %v, want an error naming the ticket", err)
	}
	after, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("keys %v after the refused create, %v before", after, before)
	}
	if seq, _ := c.Get(ctx, "mp:{cfg-a}:events:seq").Result(); seq != "1" {
		t.Errorf("event counter %q after the refused create, want 1", seq)
	}
	if n, _ := c.HLen(ctx, "mp:{cfg-a}:players").Result(); n != 0 {
		t.Errorf("%d players indexed after the refused create", n)
	}
	if _, err := s.GetTicket(ctx, "t1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetTicket after the refused create: %v, want ErrNotFound", err)
	}
}
