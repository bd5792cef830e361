package storetest

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func benchSetup(b *testing.B, s store.Store) {
	b.Helper()
	ctx := b.Context()
	if err := s.CreateRuleSet(ctx, store.RuleSet{Name: ruleSetName, Body: "{}"}); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateConfiguration(ctx, store.Configuration{Name: cfgA, RuleSetName: ruleSetName}); err != nil {
		b.Fatal(err)
	}
}

func benchTicket(i int) store.Ticket {
	skill := float64(i % 3000)
	tk := ticket(fmt.Sprintf("bench-%d", i), cfgA, store.StatusSearching, i%1000, fmt.Sprintf("player-%d", i))
	tk.Players[0].PlayerAttributes = map[string]store.AttributeValue{"skill": {N: &skill}}
	tk.Players[0].LatencyInMs = map[string]int{"us-west-2": 40, "eu-west-1": 90}
	tk.Deadline = base().Add(120e9)
	return tk
}

// BenchmarkCreateTicket measures CreateTicket of a one-player ticket with
// attributes and latencies on an empty store.
func BenchmarkCreateTicket(b *testing.B, s store.Store) {
	benchSetup(b, s)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.CreateTicket(ctx, benchTicket(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateTicketParallel measures CreateTicket throughput from
// GOMAXPROCS*16 concurrent callers, as an API server under load makes them.
func BenchmarkCreateTicketParallel(b *testing.B, s store.Store) {
	benchSetup(b, s)
	ctx := b.Context()
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.CreateTicket(ctx, benchTicket(int(next.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCreateTicketWithEventParallel is BenchmarkCreateTicketParallel
// through CreateTicketWithEvent, with an event payload of the size of a
// one-player MatchmakingSearching event: what StartMatchmaking costs the
// store.
func BenchmarkCreateTicketWithEventParallel(b *testing.B, s store.Store, serverCPU ServerCPU) {
	benchSetup(b, s)
	ctx := b.Context()
	payload := eventPayload()
	var next atomic.Int64
	cpu := serverCPU.start(b)
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := s.CreateTicketWithEvent(ctx, benchTicket(int(next.Add(1))), payload); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	cpu.report(b, b.N, "ticket")
}

// ServerCPU reads the CPU time the store's server has used so far (Redis's
// INFO cpu); nil for a store in the process.
type ServerCPU func() (time.Duration, error)

// serverCPUMeter sums a server's CPU over the timed parts of a benchmark.
type serverCPUMeter struct {
	read  ServerCPU
	from  time.Duration
	spent time.Duration
}

// start starts a meter at the server's CPU time now.
func (f ServerCPU) start(b *testing.B) *serverCPUMeter {
	m := &serverCPUMeter{read: f}
	m.resume(b)
	return m
}

// now reads the server's CPU time; false without a reader.
func (m *serverCPUMeter) now(b *testing.B) (time.Duration, bool) {
	if m.read == nil {
		return 0, false
	}
	t, err := m.read()
	if err != nil {
		b.Fatal(err)
	}
	return t, true
}

// resume starts a timed part.
func (m *serverCPUMeter) resume(b *testing.B) {
	if t, ok := m.now(b); ok {
		m.from = t
	}
}

// pause ends a timed part.
func (m *serverCPUMeter) pause(b *testing.B) {
	if t, ok := m.now(b); ok {
		m.spent += t - m.from
	}
}

// report ends the last timed part and reports the server's CPU per unit
// (n units in all).
func (m *serverCPUMeter) report(b *testing.B, n int, unit string) {
	if m.read == nil || n == 0 {
		return
	}
	m.pause(b)
	b.ReportMetric(float64(m.spent.Nanoseconds())/1e3/float64(n), "server-µs/"+unit)
}

// eventPayload is an event payload of the size of a one-player matchmaking
// event.
func eventPayload() []byte {
	payload := make([]byte, 700)
	for i := range payload {
		payload[i] = 'e'
	}
	return payload
}

// BenchmarkUpdateTicketsWithEvents measures what the match former's commit
// of a pass of 1v1 matches costs the store: UpdateTicketsWithEvents of 25
// matches, 50 SEARCHING one-player tickets to COMPLETED with two events a
// match (PotentialMatchCreated and MatchmakingSucceeded), the tickets
// created outside the timer. It reports the time per ticket and, with
// serverCPU, the server's CPU per ticket.
func BenchmarkUpdateTicketsWithEvents(b *testing.B, s store.Store, serverCPU ServerCPU) {
	const matches = 25
	benchSetup(b, s)
	ctx := b.Context()
	payload := eventPayload()
	tickets := make([]store.Ticket, 2*matches)
	events := make([]store.NewEvent, 0, 2*matches)
	next := 0
	cpu := serverCPU.start(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		cpu.pause(b)
		events = events[:0]
		for i := range tickets {
			tickets[i] = benchTicket(next)
			next++
			if _, err := s.CreateTicket(ctx, tickets[i]); err != nil {
				b.Fatal(err)
			}
			tickets[i].Version, tickets[i].Status = 1, store.StatusCompleted
			if i%2 == 1 {
				ids := []string{tickets[i-1].TicketId, tickets[i].TicketId}
				events = append(events, store.NewEvent{TicketIds: ids, Payload: payload}, store.NewEvent{TicketIds: ids, Payload: payload})
			}
		}
		cpu.resume(b)
		b.StartTimer()
		if _, _, err := s.UpdateTicketsWithEvents(ctx, cfgA, tickets, events); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tickets)), "ns/ticket")
	cpu.report(b, b.N*len(tickets), "ticket")
}

// BenchmarkClaim measures Claim of a 10-ticket match (the tickets are
// created outside the timer).
func BenchmarkClaim(b *testing.B, s store.Store) {
	const size, batch = 10, 200
	benchSetup(b, s)
	ctx := b.Context()
	claim := make([]store.TicketVersion, size)
	next := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if i%batch == 0 {
			b.StopTimer()
			for range batch * size {
				if _, err := s.CreateTicket(ctx, benchTicket(next)); err != nil {
					b.Fatal(err)
				}
				next++
			}
			b.StartTimer()
		}
		first := next - (batch-i%batch)*size
		for j := range claim {
			claim[j] = store.TicketVersion{ID: fmt.Sprintf("bench-%d", first+j), Version: 1}
		}
		if err := s.Claim(ctx, cfgA, fmt.Sprintf("match-%d", i), claim, store.StatusPlacing); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPool measures reading a pool of 10,000 searching tickets, the
// match former's input every cycle: whole (SearchingTickets) and as ids and
// versions only (SearchingVersions).
func BenchmarkPool(b *testing.B, s store.Store) {
	const pool = 10000
	benchSetup(b, s)
	ctx := b.Context()
	for i := range pool {
		if _, err := s.CreateTicket(ctx, benchTicket(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("SearchingTickets", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ts, err := s.SearchingTickets(ctx, cfgA)
			if err != nil || len(ts) != pool {
				b.Fatalf("pool of %d tickets (%v), want %d", len(ts), err, pool)
			}
		}
	})
	b.Run("SearchingVersions", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			vs, err := s.SearchingVersions(ctx, cfgA)
			if err != nil || len(vs) != pool {
				b.Fatalf("pool of %d versions (%v), want %d", len(vs), err, pool)
			}
		}
	})
}

// BenchmarkCreatePlayerSessions measures CreatePlayerSessions of 4 players
// into ACTIVE game sessions of 200 players, a new session every 50 calls,
// as the players phase of `matchpoint bench gamesessions` makes them.
func BenchmarkCreatePlayerSessions(b *testing.B, s store.Store) {
	ctx := b.Context()
	if err := s.CreateFleet(ctx, fleet(fleetA, 0)); err != nil {
		b.Fatal(err)
	}
	const perSession = 50
	var gs store.GameSession
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if i%perSession == 0 {
			b.StopTimer()
			gs = gameSession(fleetA, fmt.Sprintf("gs-%d", i/perSession), 4*perSession, i/perSession)
			if _, _, err := s.CreateGameSession(ctx, gs, store.CreatorLimit{}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		ps := make([]store.PlayerSession, 4)
		for j := range ps {
			id := fmt.Sprintf("%d-%d", i, j)
			ps[j] = playerSession(gs.GameSessionId, "psess-"+id, "player-"+id, i)
		}
		if _, err := s.CreatePlayerSessions(ctx, gs.GameSessionId, ps); err != nil {
			b.Fatal(err)
		}
	}
}
