package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

// memoryOpener returns one Memory per test: later calls with the same test
// return the same store, which is how two clients share an in-memory store.
func memoryOpener() func(t *testing.T) store.Store {
	var mu sync.Mutex
	stores := map[*testing.T]*store.Memory{}
	return func(t *testing.T) store.Store {
		mu.Lock()
		defer mu.Unlock()
		s, ok := stores[t]
		if !ok {
			s = store.NewMemory(storetest.Options())
			stores[t] = s
		}
		return s
	}
}

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, memoryOpener())
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMemoryExpiryFollowsTheClock(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := store.NewMemory(store.Options{Retention: time.Hour, Now: clock.Now})
	ctx := t.Context()
	if err := s.CreateRuleSet(ctx, store.RuleSet{Name: "rs"}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateConfiguration(ctx, store.Configuration{Name: "c", RuleSetName: "rs"}); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []store.Ticket{
		{TicketId: "ended", ConfigurationName: "c", Status: store.StatusCompleted},
		{TicketId: "active", ConfigurationName: "c", Status: store.StatusSearching},
	} {
		if _, err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AcquireLease(ctx, "lease", "alice", time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Minute - time.Nanosecond)
	if err := s.AcquireLease(ctx, "lease", "bob", time.Minute); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("bob acquired alice's lease before it lapsed: %v", err)
	}
	clock.advance(time.Nanosecond)
	if err := s.AcquireLease(ctx, "lease", "bob", time.Minute); err != nil {
		t.Fatalf("bob could not acquire a lapsed lease: %v", err)
	}

	clock.advance(time.Hour - time.Minute - time.Nanosecond)
	if _, err := s.GetTicket(ctx, "ended"); err != nil {
		t.Fatalf("ticket expired early: %v", err)
	}
	clock.advance(time.Nanosecond)
	if _, err := s.GetTicket(ctx, "ended"); err == nil {
		t.Fatal("ticket outlived its retention")
	}
	if _, err := s.GetTicket(ctx, "active"); err != nil {
		t.Fatalf("active ticket expired: %v", err)
	}
}

func BenchmarkMemoryCreateTicket(b *testing.B) {
	storetest.BenchmarkCreateTicket(b, store.NewMemory(storetest.Options()))
}

func BenchmarkMemoryCreateTicketParallel(b *testing.B) {
	storetest.BenchmarkCreateTicketParallel(b, store.NewMemory(storetest.Options()))
}

func BenchmarkMemoryCreateTicketWithEventParallel(b *testing.B) {
	storetest.BenchmarkCreateTicketWithEventParallel(b, store.NewMemory(storetest.Options()), nil)
}

func BenchmarkMemoryUpdateTicketsWithEvents(b *testing.B) {
	storetest.BenchmarkUpdateTicketsWithEvents(b, store.NewMemory(storetest.Options()), nil)
}

func BenchmarkMemoryClaim(b *testing.B) {
	storetest.BenchmarkClaim(b, store.NewMemory(storetest.Options()))
}

func BenchmarkMemoryPool(b *testing.B) {
	storetest.BenchmarkPool(b, store.NewMemory(storetest.Options()))
}

func BenchmarkMemoryCreatePlayerSessions(b *testing.B) {
	storetest.BenchmarkCreatePlayerSessions(b, store.NewMemory(storetest.Options()))
}
