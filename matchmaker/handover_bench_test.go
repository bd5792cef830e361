package matchmaker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// benchRedis starts a Redis server for b and returns a store on it.
func benchRedis(b *testing.B) *store.Redis {
	srv := redistest.Start(b)
	c := srv.Client(b)
	return store.NewRedis(c, store.Options{})
}

// BenchmarkHandOverRedis hands over the 10 1v1 matches of one forming pass
// of a STANDALONE configuration on a real Redis: one store step for all
// (handOverAll, as claimAll does) or one per match (handOver, as before). An
// op is the whole pass's hand-over; the tickets are created between ops,
// outside the timer.
func BenchmarkHandOverRedis(b *testing.B) {
	st := benchRedis(b)
	ctx := context.Background()
	if err := st.CreateRuleSet(ctx, store.RuleSet{Name: "duel", Body: duelRules}); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateConfiguration(ctx, store.Configuration{Name: "duel", RuleSetName: "duel", RequestTimeoutSeconds: 600,
		FlexMatchMode: ModeStandalone}); err != nil {
		b.Fatal(err)
	}
	cfg, err := st.GetConfiguration(ctx, "duel")
	if err != nil {
		b.Fatal(err)
	}
	svc, err := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Region: "local"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	const matches = 10
	n := 0
	pass := func(b *testing.B) []handOff {
		offs := make([]handOff, matches)
		for m := range offs {
			offs[m].matchID = newUUID()
			for range 2 {
				n++
				t := store.Ticket{TicketId: fmt.Sprint("t", n), ConfigurationName: "duel", Status: store.StatusSearching,
					StartTime: time.Now(), Players: []store.Player{{PlayerId: fmt.Sprint("p", n)}}}
				if _, err := st.CreateTicket(ctx, t); err != nil {
					b.Fatal(err)
				}
				t.Version = 1
				t.Status, t.MatchId = claimStatus(cfg), offs[m].matchID
				offs[m].tickets = append(offs[m].tickets, matchedTicket{TicketId: t.TicketId, Team: "a", Claimed: &t})
			}
		}
		return offs
	}
	for _, c := range []struct {
		name     string
		handOver func(offs []handOff) (bool, error)
	}{
		{"one-step", func(offs []handOff) (bool, error) { return svc.handOverAll(ctx, cfg, offs) }},
		{"per-match", func(offs []handOff) (bool, error) {
			for _, o := range offs {
				if done, err := svc.handOver(ctx, cfg, o); err != nil || !done {
					return done, err
				}
			}
			return true, nil
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				offs := pass(b)
				b.StartTimer()
				if done, err := c.handOver(offs); err != nil || !done {
					b.Fatalf("hand over: %v, %v", done, err)
				}
			}
		})
	}
}
