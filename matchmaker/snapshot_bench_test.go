package matchmaker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// BenchmarkSnapshotHeld is a pass between listings over a held pool of 1,000
// tickets with two arrivals and two claimed: no store access.
func BenchmarkSnapshotHeld(b *testing.B) {
	benchmarkSnapshot(b, false)
}

// BenchmarkSnapshotListed is a listing pass over the same pool (memory
// store): the ids and versions listed, nothing read again.
func BenchmarkSnapshotListed(b *testing.B) {
	benchmarkSnapshot(b, true)
}

func benchmarkSnapshot(b *testing.B, list bool) {
	ctx := context.Background()
	st := store.NewMemory(store.Options{})
	if err := st.CreateRuleSet(ctx, store.RuleSet{Name: "duel", Body: duelRules}); err != nil {
		b.Fatal(err)
	}
	if err := st.CreateConfiguration(ctx, store.Configuration{Name: "duel", RuleSetName: "duel", RequestTimeoutSeconds: 600}); err != nil {
		b.Fatal(err)
	}
	ticket := func(i int) store.Ticket {
		return store.Ticket{TicketId: fmt.Sprintf("t%d", i), ConfigurationName: "duel", Status: store.StatusSearching,
			StartTime: time.Unix(0, 0).Add(time.Duration(i) * time.Millisecond), Players: []store.Player{{PlayerId: fmt.Sprintf("p%d", i)}}}
	}
	for i := range 1000 {
		if _, err := st.CreateTicket(ctx, ticket(i)); err != nil {
			b.Fatal(err)
		}
	}
	var c snapshotCache
	if _, _, err := c.read(ctx, st, "duel", nil, true); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 1000
	for b.Loop() {
		arrived := []store.Ticket{ticket(n), ticket(n + 1)}
		arrived[0].Version, arrived[1].Version = 1, 1
		n += 2
		if _, _, err := c.read(ctx, st, "duel", arrived, list); err != nil {
			b.Fatal(err)
		}
		c.drop([]string{arrived[0].TicketId, arrived[1].TicketId})
	}
}
