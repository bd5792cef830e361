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

// BenchmarkSweepReservationsRedis times out, on a real Redis, 1,000
// reservations unused for PlayerSessionTimeout, spread over 4 game
// sessions of a fleet: one sweep of the service per op, the reservations
// created between ops outside the timer. It reports the cost per
// reservation, which bounds how many reservations a second one sweeper
// can keep up with.
func BenchmarkSweepReservationsRedis(b *testing.B) { benchSweepReservations(b, benchRedis(b)) }

// BenchmarkSweepReservationsMemory is BenchmarkSweepReservationsRedis on
// the memory store, where the player sessions timed out by the ops before
// stay (as they do for the retention): its cost must not grow with them.
func BenchmarkSweepReservationsMemory(b *testing.B) {
	benchSweepReservations(b, store.NewMemory(store.Options{}))
}

func benchSweepReservations(b *testing.B, st store.Store) {
	ctx := context.Background()
	created := time.Now().UTC()
	now := created
	svc, err := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Region: "local",
		Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	const fleet, sessions, perOp = "fleet-bench", 4, 1000
	if err := st.CreateFleet(ctx, store.Fleet{FleetId: fleet, FleetArn: "arn:aws:gamelift:local::fleet/" + fleet, Name: fleet,
		ScriptId: "script-1", Locations: []string{"local"}, CreationTime: created}); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, sessions)
	for i := range ids {
		gs := store.GameSession{GameSessionId: fmt.Sprintf("arn:aws:gamelift:local::gamesession/%s/gs-%d", fleet, i), FleetId: fleet,
			MaximumPlayerSessionCount: 1 << 20, Status: store.GameSessionActive, PlayerSessionCreationPolicy: store.AcceptAll, CreationTime: created}
		if _, _, err := st.CreateGameSession(ctx, gs, store.CreatorLimit{}); err != nil {
			b.Fatal(err)
		}
		ids[i] = gs.GameSessionId
	}
	n := 0
	reserve := func(b *testing.B) {
		for call := range perOp / 25 {
			gsID := ids[call%sessions]
			ps := make([]store.PlayerSession, 25)
			for i := range ps {
				n++
				ps[i] = store.PlayerSession{PlayerSessionId: fmt.Sprint("psess-", n), PlayerId: fmt.Sprint("p-", n), GameSessionId: gsID,
					FleetId: fleet, Status: store.PlayerSessionReserved, CreationTime: now}
			}
			if _, err := st.CreatePlayerSessions(ctx, gsID, ps); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	swept := 0
	for b.Loop() {
		b.StopTimer()
		reserve(b)
		now = now.Add(PlayerSessionTimeout)
		b.StartTimer()
		got, err := svc.sweepReservations(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if got != perOp {
			b.Fatalf("swept %d reservations, want %d", got, perOp)
		}
		swept += got
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(swept), "ns/reservation")
}
