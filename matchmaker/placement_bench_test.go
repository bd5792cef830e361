package matchmaker

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay"
)

// claimedMatch is a duel whose two tickets are claimed (PLACING), ready for
// the rest of the worker's path.
type claimedMatch struct {
	id      string
	matched []matchedTicket
	ids     []string
}

// placementBench is a service, a worker (not running its loop) and one real
// relay on loopback NATS.
type placementBench struct {
	st  store.Store
	svc *Service
	w   *former
	cfg store.Configuration
}

func newPlacementBench(b *testing.B, st store.Store) *placementBench {
	b.Helper()
	nats := bustest.RunServer(b)
	mmConn := bustest.Connect(b, nats, bus.Options{Logger: quiet})
	relayConn := bustest.Connect(b, nats, bus.Options{Logger: quiet})
	rl, err := relay.New(relayConn, relay.Options{RelayID: "relay-1", Region: "local", ListenAddr: "127.0.0.1:0",
		MaxSessions: 1 << 20, DrainTimeout: 100 * time.Millisecond, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	rctx, rcancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- rl.Run(rctx) }()
	b.Cleanup(func() {
		rcancel()
		<-runErr
	})
	svc, err := New(Options{Store: st, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	ctx := context.Background()
	if _, err := svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "duel", RuleSetBody: duelRules}); err != nil {
		b.Fatal(err)
	}
	timeout, mode, acceptance := 600, ModeWithQueue, false
	if _, err := svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "duel", RuleSetName: "duel",
		RequestTimeoutSeconds: &timeout, AcceptanceRequired: &acceptance, FlexMatchMode: &mode}); err != nil {
		b.Fatal(err)
	}
	cfg, err := st.GetConfiguration(ctx, "duel")
	if err != nil {
		b.Fatal(err)
	}
	w, err := newFormer(formerOptions{Store: st, Service: svc, Placer: &BusPlacer{Conn: mmConn}, Regions: []string{"local"}, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	waitHeartbeatB(b, mmConn)
	return &placementBench{st: st, svc: svc, w: w, cfg: cfg}
}

func waitHeartbeatB(b *testing.B, c *bus.Conn) {
	b.Helper()
	got := make(chan struct{}, 1)
	stop, err := c.SubscribeHeartbeats(context.Background(), "", func(bus.Heartbeat) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		b.Fatal("the relay sent no heartbeat within 5s")
	}
}

// prepare creates n duels and claims each, as a forming pass would.
func (p *placementBench) prepare(b *testing.B, n int) []claimedMatch {
	b.Helper()
	ctx := context.Background()
	out := make([]claimedMatch, n)
	for i := range out {
		m := claimedMatch{id: newUUID()}
		var claims []store.TicketVersion
		for j, team := range []string{"a", "b"} {
			id := fmt.Sprintf("m%d-%d", i, j)
			skill := 1000.0
			res, err := p.svc.StartMatchmaking(ctx, &StartMatchmakingInput{TicketId: id, ConfigurationName: "duel",
				Players: []store.Player{{PlayerId: "p-" + id, PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &skill}}}}})
			if err != nil {
				b.Fatal(err)
			}
			m.ids = append(m.ids, res.MatchmakingTicket.TicketId)
			m.matched = append(m.matched, matchedTicket{TicketId: id, Team: team})
		}
		tickets, err := p.st.GetTickets(ctx, m.ids...)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range tickets {
			claims = append(claims, store.TicketVersion{ID: t.TicketId, Version: t.Version})
		}
		if err := p.st.Claim(ctx, "duel", m.id, claims, store.StatusPlacing); err != nil {
			b.Fatal(err)
		}
		out[i] = m
	}
	return out
}

// complete runs the worker's path after a claim (matchProposed, reading the
// tickets, the placement on the relay, placementSucceeded) and returns its
// duration: match claimed -> tickets COMPLETED.
func (p *placementBench) complete(b *testing.B, m claimedMatch) time.Duration {
	ctx := context.Background()
	start := time.Now()
	if err := p.svc.matchProposed(ctx, p.cfg, m.id, m.matched, nil); err != nil {
		b.Error(err)
		return 0
	}
	tickets, err := p.st.GetTickets(ctx, m.ids...)
	if err != nil {
		b.Error(err)
		return 0
	}
	p.w.place(ctx, p.cfg, m.id, tickets, nil)
	return time.Since(start)
}

// check fails the benchmark unless every ticket of the matches is COMPLETED.
func (p *placementBench) check(b *testing.B, matches []claimedMatch) {
	b.Helper()
	var ids []string
	for _, m := range matches {
		ids = append(ids, m.ids...)
	}
	tickets, err := p.st.GetTickets(context.Background(), ids...)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range tickets {
		if t.Status != store.StatusCompleted {
			b.Fatalf("ticket %s is %s (%s)", t.TicketId, t.Status, t.StatusMessage)
		}
	}
}

func report(b *testing.B, lat []time.Duration, wall time.Duration) {
	reportLatency(b, lat)
	b.ReportMetric(float64(len(lat))/wall.Seconds(), "placements/s")
}

// reportLatency reports the median and 99th percentile of lat.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(f float64) float64 {
		return float64(lat[min(len(lat)-1, int(f*float64(len(lat))))]) / float64(time.Millisecond)
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// inFlights are the numbers of placements in flight at once the benchmarks
// run with.
var inFlights = []int{1, 8, 32}

// benchmarkPlacement measures match claimed -> tickets COMPLETED for duels
// placed on one relay over loopback NATS, one at a time and with several in
// flight (the placements per second one relay sustains).
func benchmarkPlacement(b *testing.B, open func(b *testing.B) store.Store) {
	for _, inFlight := range inFlights {
		b.Run(fmt.Sprintf("inflight=%d", inFlight), func(b *testing.B) {
			p := newPlacementBench(b, open(b))
			matches := p.prepare(b, b.N)
			lat := make([]time.Duration, len(matches))
			work := make(chan int)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range inFlight {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range work {
						lat[i] = p.complete(b, matches[i])
					}
				}()
			}
			for i := range matches {
				work <- i
			}
			close(work)
			wg.Wait()
			wall := time.Since(start)
			b.StopTimer()
			p.check(b, matches)
			report(b, lat, wall)
		})
	}
}

func BenchmarkPlacementMemory(b *testing.B) {
	benchmarkPlacement(b, func(*testing.B) store.Store { return store.NewMemory(store.Options{}) })
}

func BenchmarkPlacementRedis(b *testing.B) {
	benchmarkPlacement(b, func(b *testing.B) store.Store { return benchRedis(b) })
}

// BenchmarkRelayPlacement measures BusPlacer.Place alone (a placement
// request over loopback NATS, the relay creating the session and reserving
// two player sessions, the reply): the relay's share of a placement, without
// the matchmaker's store.
func BenchmarkRelayPlacement(b *testing.B) {
	for _, inFlight := range inFlights {
		b.Run(fmt.Sprintf("inflight=%d", inFlight), func(b *testing.B) {
			p := newPlacementBench(b, store.NewMemory(store.Options{}))
			placer := p.w.opts.Placer
			lat := make([]time.Duration, b.N)
			work := make(chan int)
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range inFlight {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range work {
						pl := Placement{Configuration: p.cfg, MatchID: newUUID(), Regions: []string{"local"}, Tickets: []store.Ticket{
							{TicketId: fmt.Sprintf("t%d-a", i), Players: []store.Player{{PlayerId: fmt.Sprintf("p%d-a", i), Team: "a"}}},
							{TicketId: fmt.Sprintf("t%d-b", i), Players: []store.Player{{PlayerId: fmt.Sprintf("p%d-b", i), Team: "b"}}},
						}}
						ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
						t0 := time.Now()
						if _, err := placer.Place(ctx, pl); err != nil {
							b.Error(err)
						}
						lat[i] = time.Since(t0)
						cancel()
					}
				}()
			}
			for i := range lat {
				work <- i
			}
			close(work)
			wg.Wait()
			wall := time.Since(start)
			b.StopTimer()
			report(b, lat, wall)
		})
	}
}
