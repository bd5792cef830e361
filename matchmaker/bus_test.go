package matchmaker

import (
	"context"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestEventsOnNATS publishes through a real *bus.Conn: the subscriber gets
// the same bytes the log holds.
func TestEventsOnNATS(t *testing.T) {
	srv := bustest.RunServer(t)
	conn := bustest.Connect(t, srv, bus.Options{})
	got := make(chan bus.MatchmakingEvent, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := conn.SubscribeMatchmakingEvents(ctx, "c", "", func(ev bus.MatchmakingEvent) { got <- ev })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	e := newEnv(t, func(t *testing.T, now func() time.Time) store.Store { return store.NewMemory(store.Options{Now: now}) }, func(o *Options) {
		o.Publisher = conn
	})
	e.ruleSet("rs")
	e.config("c", nil)
	e.start("c", "t1", "p1")
	select {
	case ev := <-got:
		logged, err := e.st.EventsAfter(e.ctx, "c", 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Configuration != "c" || ev.Type != EventMatchmakingSearching || string(ev.Data) != string(logged[0].Payload) {
			t.Fatalf("got %s/%s %s", ev.Configuration, ev.Type, ev.Data)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event on NATS")
	}
}
