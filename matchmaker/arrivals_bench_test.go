package matchmaker

import (
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// BenchmarkInbox is a forming pass's share of the arrivals at 2,000
// tickets/s: 21 tickets handed to the loop, then drained by its pass.
func BenchmarkInbox(b *testing.B) {
	var in inbox
	t := store.Ticket{TicketId: "d0c95030-8d82-40a3-80a2-52ce619e1f6c", ConfigurationName: "duel-standalone"}
	b.ReportAllocs()
	for b.Loop() {
		for range 21 {
			in.add(t)
		}
		if len(in.drain()) != 21 {
			b.Fatal("drained a different count")
		}
	}
}
