package matchmaker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// BenchmarkSearchGameSessions10kRedis is SearchGameSessions with a filter
// and a sort over a fleet of 10,000 ACTIVE sessions on a real Redis, while
// another writer fills one session a search (so each search reads one
// change), repeating one search (same) or with a new filter each call
// (distinct): the issue 12 target is p99 under 20 ms.
func BenchmarkSearchGameSessions10kRedis(b *testing.B) {
	st := benchRedis(b)
	ctx := context.Background()
	const fleetID = "fleet-bench"
	if err := st.CreateFleet(ctx, store.Fleet{FleetId: fleetID, Name: "bench", ScriptId: "s", CreationTime: time.Unix(0, 0)}); err != nil {
		b.Fatal(err)
	}
	const n = 10000
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("arn:aws:gamelift:local::gamesession/%s/gs-%d", fleetID, i)
		mode := "duel"
		if i%2 == 1 {
			mode = "ctf"
		}
		gs := store.GameSession{GameSessionId: ids[i], FleetId: fleetID, Name: fmt.Sprint("room-", i), MaximumPlayerSessionCount: 8,
			Status: store.GameSessionActive, PlayerSessionCreationPolicy: store.AcceptAll, Location: "local",
			GameProperties: []store.GameProperty{{Key: "mode", Value: mode}}, CreationTime: time.Unix(int64(i), 0)}
		if _, _, err := st.CreateGameSession(ctx, gs, store.CreatorLimit{}); err != nil {
			b.Fatal(err)
		}
	}
	svc, err := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Region: "local"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	search := func(b *testing.B, filter func(i int) string) {
		in := &SearchGameSessionsInput{FleetId: fleetID, Limit: 20, FilterExpression: filter(-1), SortExpression: "creationTimeMillis DESC"}
		if _, err := svc.SearchGameSessions(ctx, in); err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			ps := store.PlayerSession{PlayerSessionId: fmt.Sprint("psess-", b.Name(), i), PlayerId: fmt.Sprint("p-", i), GameSessionId: ids[i%n],
				FleetId: fleetID, Status: store.PlayerSessionReserved, CreationTime: time.Unix(0, 0)}
			if _, err := st.CreatePlayerSessions(ctx, ids[i%n], []store.PlayerSession{ps}); err != nil {
				b.Fatal(err)
			}
			in.FilterExpression = filter(i)
			b.StartTimer()
			start := time.Now()
			out, err := svc.SearchGameSessions(ctx, in)
			lat = append(lat, time.Since(start))
			if err != nil || len(out.GameSessions) != 20 {
				b.Fatalf("search: %d sessions, %v", len(out.GameSessions), err)
			}
		}
		reportLatency(b, lat)
	}
	const filter = "hasAvailablePlayerSessions = true AND gameSessionProperties.mode = 'duel'"
	// The same search again and again, as a backend looking for a session
	// to join makes it: the kept view follows the one change.
	b.Run("same", func(b *testing.B) { search(b, func(int) string { return filter }) })
	// A new FilterExpression each call: every session is evaluated.
	b.Run("distinct", func(b *testing.B) {
		search(b, func(i int) string { return fmt.Sprintf("%s AND creationTimeMillis > %d", filter, -2-i) })
	})
}
