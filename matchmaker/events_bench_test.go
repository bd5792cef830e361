package matchmaker

import (
	"context"
	"testing"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// BenchmarkDeliver is what follows the log append of every event: its
// publication on a real (embedded) NATS server, the metrics and the
// forming loop's notification.
func BenchmarkDeliver(b *testing.B) {
	conn := bustest.Connect(b, bustest.RunServer(b), bus.Options{})
	s, err := New(Options{Store: store.NewMemory(store.Options{}), Logger: quiet, Publisher: conn, FormingDisabled: true})
	if err != nil {
		b.Fatal(err)
	}
	cfg := store.Configuration{Name: "duel-standalone"}
	payload := []byte(`{"version":"0","detail-type":"GameLift Matchmaking Event","detail":{"type":"MatchmakingSearching"}}`)
	ids := []string{"d0c95030-8d82-40a3-80a2-52ce619e1f6c"}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s.deliver(ctx, cfg, EventMatchmakingSearching, payload, 1, ids)
	}
}
