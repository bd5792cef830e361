package matchmaker

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// readCounting counts the tickets read through GetTickets.
type readCounting struct {
	store.Store
	mu   sync.Mutex
	read []string
}

func (r *readCounting) GetTickets(ctx context.Context, ids ...string) ([]store.Ticket, error) {
	r.mu.Lock()
	r.read = append(r.read, ids...)
	r.mu.Unlock()
	return r.Store.GetTickets(ctx, ids...)
}

func (r *readCounting) wasRead(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.read, id)
}

// TestLocalArrivalNotReadBack: a ticket accepted by the process that forms
// its configuration is handed to the loop as stored: it is matched without
// being read from the store, and without a pass on the interval.
func TestLocalArrivalNotReadBack(t *testing.T) {
	st := &readCounting{Store: store.NewMemory(store.Options{})}
	e := newFormEnvWith(t, Options{Store: st, Logger: quiet}, ModeStandalone, false)
	w, _ := runWorker(t, formerOptions{Store: st, Service: e.svc, Interval: time.Hour, MinInterval: time.Millisecond})
	waitOwned(t, w, "duel")
	e.start("t1", 1000)
	// The first pass, which lists the pool, is done before t2 is stored: a
	// listing between t2's store write and its hand-over would read it.
	if !waitFor(t, 10*time.Second, func() bool { return w.explain("duel", "t1") != nil }) {
		t.Fatal("no pass searched for t1")
	}
	e.start("t2", 1050)
	a := e.waitStatus("t1", store.StatusCompleted)
	if b := e.waitStatus("t2", store.StatusCompleted); a.MatchId != b.MatchId {
		t.Fatalf("match ids %q and %q", a.MatchId, b.MatchId)
	}
	for _, id := range []string{"t1", "t2"} {
		if st.wasRead(id) {
			t.Errorf("ticket %s was read back from the store by the forming loop", id)
		}
	}
}

// TestRemoteArrivalWakesTheLoop: a ticket accepted by a process that does not
// form its configuration is announced on the bus, and the announcement wakes
// the loop of the process that does (passes an hour apart).
func TestRemoteArrivalWakesTheLoop(t *testing.T) {
	conn := bustest.Connect(t, bustest.RunServer(t), bus.Options{})
	st := store.NewMemory(store.Options{})
	api := newFormEnvWith(t, Options{Store: st, Logger: quiet, Publisher: conn}, ModeStandalone, false)
	forming, err := New(Options{Store: st, Logger: quiet, Publisher: conn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { forming.Close() })
	w, _ := runWorker(t, formerOptions{Store: st, Service: forming, Arrivals: conn, Interval: time.Hour, MinInterval: time.Millisecond})
	waitOwned(t, w, "duel")
	api.start("t1", 1000)
	api.start("t2", 1050)
	api.waitStatus("t1", store.StatusCompleted)
	api.waitStatus("t2", store.StatusCompleted)
	api.start("t3", 3000)
	api.start("t4", 3010)
	api.waitStatus("t3", store.StatusCompleted)
}

type countingPublisher struct{ n atomic.Int32 }

func (p *countingPublisher) PublishMatchmakingEvent(context.Context, string, string, []byte) error {
	return nil
}

func (p *countingPublisher) PublishArrival(context.Context, string) error {
	p.n.Add(1)
	return nil
}

// TestArrivalAnnouncementsCoalesce: a burst of tickets of one configuration
// is announced once at once and once more after arrivalWindow, not once per
// ticket; a ticket after a quiet window is announced at once.
func TestArrivalAnnouncementsCoalesce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pub := &countingPublisher{}
		a := newArrivals(pub, quiet)
		for range 100 {
			a.arrived(store.Ticket{ConfigurationName: "duel"})
		}
		if n := pub.n.Load(); n != 1 {
			t.Fatalf("%d announcements at once for a burst of 100, want 1", n)
		}
		// Fake time: the window ends, then every goroutine idles.
		time.Sleep(arrivalWindow)
		synctest.Wait()
		if n := pub.n.Load(); n != 2 {
			t.Fatalf("%d announcements after the window, want 2", n)
		}
		time.Sleep(arrivalWindow) // fake time: a quiet window
		a.arrived(store.Ticket{ConfigurationName: "duel"})
		a.arrived(store.Ticket{ConfigurationName: "other"})
		if n := pub.n.Load(); n != 4 {
			t.Fatalf("%d announcements after a quiet window, want 4", n)
		}
	})
}

// listCounting counts the listings of the searching pool.
type listCounting struct {
	store.Store
	lists atomic.Int32
}

func (l *listCounting) SearchingVersions(ctx context.Context, configuration string) ([]store.TicketVersion, error) {
	l.lists.Add(1)
	return l.Store.SearchingVersions(ctx, configuration)
}

// TestPoolHeldBetweenListings: the loop forms the tickets this process
// accepts from the pool it holds, without listing the pool from the store
// again before Interval.
func TestPoolHeldBetweenListings(t *testing.T) {
	st := &listCounting{Store: store.NewMemory(store.Options{})}
	e := newFormEnvWith(t, Options{Store: st, Logger: quiet}, ModeStandalone, false)
	w, _ := runWorker(t, formerOptions{Store: st, Service: e.svc, Interval: time.Hour, MinInterval: time.Millisecond})
	waitOwned(t, w, "duel")
	e.start("t1", 1000)
	if !waitFor(t, 10*time.Second, func() bool { return w.explain("duel", "t1") != nil }) {
		t.Fatal("no pass searched for t1")
	}
	e.start("t2", 1050)
	e.waitStatus("t2", store.StatusCompleted)
	listed := st.lists.Load()
	for i := range 5 {
		e.start(fmt.Sprintf("a%d", i), float64(5000+1000*i))
		e.start(fmt.Sprintf("b%d", i), float64(5010+1000*i))
		e.waitStatus(fmt.Sprintf("b%d", i), store.StatusCompleted)
	}
	if n := st.lists.Load(); n != listed {
		t.Fatalf("the pool was listed %d times more for 5 matches of local tickets, want 0", n-listed)
	}
}

// TestHeldPoolRelistsAfterLostClaim: a ticket held by the loop but cancelled
// meanwhile makes its match's claim fail; the loop then lists the pool again
// instead of forming the same match over and over, and the other ticket
// matches the next arrival.
func TestHeldPoolRelistsAfterLostClaim(t *testing.T) {
	st := store.NewMemory(store.Options{})
	e := newFormEnvWith(t, Options{Store: st, Logger: quiet}, ModeStandalone, false)
	w, _ := runWorker(t, formerOptions{Store: st, Service: e.svc, Interval: time.Hour, MinInterval: time.Millisecond})
	waitOwned(t, w, "duel")
	e.start("t1", 1000)
	// A pass held t1: its search found no match.
	if !waitFor(t, 10*time.Second, func() bool { return w.explain("duel", "t1") != nil }) {
		t.Fatal("no pass searched for t1")
	}
	// Cancelled behind the loop's back: the store changes, the held pool
	// does not.
	tk, err := st.GetTicket(context.Background(), "t1")
	if err != nil {
		t.Fatal(err)
	}
	tk.Status = store.StatusCancelled
	if _, err := st.UpdateTicket(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	e.start("t2", 1010)
	e.start("t3", 1020)
	a := e.waitStatus("t2", store.StatusCompleted)
	if b := e.waitStatus("t3", store.StatusCompleted); a.MatchId != b.MatchId {
		t.Fatalf("match ids %q and %q", a.MatchId, b.MatchId)
	}
}

// TestLateArrivalAfterClaim: a ticket handed over after the pass that listed
// it also claimed it (its request was slower than the pass) does not come
// back into the held pool, once nor twice.
func TestLateArrivalAfterClaim(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory(store.Options{})
	if err := st.CreateRuleSet(ctx, store.RuleSet{Name: "duel", Body: duelRules}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateConfiguration(ctx, store.Configuration{Name: "duel", RuleSetName: "duel", RequestTimeoutSeconds: 600}); err != nil {
		t.Fatal(err)
	}
	x := store.Ticket{TicketId: "x", ConfigurationName: "duel", Status: store.StatusSearching, StartTime: time.Unix(1, 0),
		Players: []store.Player{{PlayerId: "px"}}}
	if _, err := st.CreateTicket(ctx, x); err != nil {
		t.Fatal(err)
	}
	x.Version = 1
	var c snapshotCache
	if got, _, err := c.read(ctx, st, "duel", nil, true); err != nil || len(got) != 1 {
		t.Fatalf("listed %v, %v; want x", got, err)
	}
	c.drop([]string{"x"})
	for range 2 {
		got, _, err := c.read(ctx, st, "duel", []store.Ticket{x}, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Fatalf("held pool %v after x was claimed and handed over late; want empty", got)
		}
	}
}
