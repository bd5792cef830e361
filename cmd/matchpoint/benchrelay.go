package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/client"
)

// benchRelayFlags are the settings of `bench relay`.
type benchRelayFlags struct {
	region   string
	sessions int
	players  int
	hz       int
	size     int
	udp      bool
	idle     bool
	duration time.Duration
	cpu      []cpuSource
}

func runBenchRelay(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench relay", "Load relays with bots on loopback: place sessions through NATS, connect their players\nand have every player broadcast to its session at a fixed rate; report messages\ndelivered per second and one-way latency percentiles.", stderr)
	var nf natsFlags
	nf.register(fs)
	var b benchRelayFlags
	fs.StringVar(&b.region, "region", defaultRegion, "region whose relays take the sessions")
	fs.IntVar(&b.sessions, "sessions", 10, "game sessions to place (at most 1000)")
	fs.IntVar(&b.players, "players", 8, "players per session (2 to 200)")
	fs.IntVar(&b.hz, "hz", 30, "messages each player broadcasts per second (1 to 1000)")
	fs.IntVar(&b.size, "size", 64, "payload bytes (16 to 1200)")
	fs.BoolVar(&b.udp, "udp", true, "send over the UDP fast path (false: WebSocket)")
	fs.BoolVar(&b.idle, "idle", false, "connect the players and send nothing (the relay's cost of idle players: pings and pongs)")
	fs.DurationVar(&b.duration, "duration", 10*time.Second, "how long to send, or with --idle to stay connected (at most 2m)")
	var cf cpuFlags
	cf.register(fs, "delivered message (the relay's, e.g. --cpu-metrics-urls http://127.0.0.1:9100/metrics)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	var err error
	if b.cpu, err = cf.sources(); err != nil {
		fmt.Fprintf(stderr, "matchpoint bench relay: %v\n", err)
		return 2
	}
	if b.sessions < 1 || b.sessions > 1000 || b.players < 2 || b.players > 200 || b.hz < 1 || b.hz > 1000 ||
		b.size < 16 || b.size > 1200 || b.duration <= 0 || b.duration > 2*time.Minute {
		fmt.Fprintln(stderr, "matchpoint bench relay: --sessions 1..1000, --players 2..200, --hz 1..1000, --size 16..1200, --duration (0, 2m]")
		return 2
	}
	conn, err := nf.connect(ctx, "matchpoint-bench", nil)
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint bench relay: %v\n", err)
		return 1
	}
	defer conn.Close()
	res, err := benchRelay(ctx, conn, b)
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint bench relay: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	return 0
}

// relayResult is what a relay load run measured.
type relayResult struct {
	players             int
	elapsed             time.Duration
	sent, delivered     int64
	p50, p90, p99, p999 time.Duration
	transport           string
	// expected is what every send reaching every other player delivers.
	expected int64
	// cpu reports the measured processes' CPU per delivered message.
	cpu string
}

func (r relayResult) String() string {
	s := fmt.Sprintf("%d players over %s for %s: sent %d (%.0f/s), delivered %d (%.0f/s)\none-way latency p50 %s  p90 %s  p99 %s  p99.9 %s",
		r.players, r.transport, r.elapsed.Round(time.Millisecond), r.sent, float64(r.sent)/r.elapsed.Seconds(),
		r.delivered, float64(r.delivered)/r.elapsed.Seconds(),
		r.p50.Round(time.Microsecond), r.p90.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.p999.Round(time.Microsecond))
	if r.expected > 0 {
		s += fmt.Sprintf("\nloss %.2f%% (%d of %d broadcast deliveries missing)", 100*float64(r.expected-r.delivered)/float64(r.expected), max(0, r.expected-r.delivered), r.expected)
	}
	if r.cpu != "" {
		s += "\n" + r.cpu
	}
	return s
}

// latencySamples keeps up to a bound of latency samples, every one until it
// is full, then one in step.
type latencySamples struct {
	mu   sync.Mutex
	seen int64
	buf  []time.Duration
}

const maxLatencySamples = 1 << 20

func (l *latencySamples) add(d time.Duration) {
	l.mu.Lock()
	l.seen++
	if len(l.buf) < maxLatencySamples {
		l.buf = append(l.buf, d)
	} else {
		l.buf[l.seen%maxLatencySamples] = d
	}
	l.mu.Unlock()
}

func benchRelay(ctx context.Context, conn *bus.Conn, b benchRelayFlags) (relayResult, error) {
	run := rand.Text()[:8]
	var clients []*client.Client
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	var lat latencySamples
	var delivered atomic.Int64
	onMessage := func(m client.Message) {
		if len(m.Payload) < 8 {
			return
		}
		sent := int64(binary.LittleEndian.Uint64(m.Payload))
		lat.add(time.Duration(time.Now().UnixNano() - sent))
		delivered.Add(1)
	}
	for s := 0; s < b.sessions; s++ {
		req := bus.PlacementRequest{MatchID: fmt.Sprintf("bench-%s-%d", run, s), Configuration: "bench", Region: b.region,
			MaxPlayers: b.players, Deadline: time.Now().Add(10 * time.Second)}
		for p := 0; p < b.players; p++ {
			req.Players = append(req.Players, bus.Player{PlayerID: fmt.Sprintf("bot-%s-%d-%d", run, s, p)})
		}
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		reply, err := conn.RequestPlacement(pctx, req)
		// A relay that has just started may not serve its region yet.
		for errors.Is(err, bus.ErrNoResponders) && pctx.Err() == nil {
			time.Sleep(50 * time.Millisecond)
			reply, err = conn.RequestPlacement(pctx, req)
		}
		cancel()
		if err != nil {
			return relayResult{}, fmt.Errorf("place session %d: %w", s, err)
		}
		host := reply.Endpoint.IPAddress
		if host == "" {
			host = reply.Endpoint.DNSName
		}
		url := "ws://" + net.JoinHostPort(host, strconv.Itoa(reply.Endpoint.TCPPort)) + "/websocket"
		for _, ps := range reply.PlayerSessions {
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			c, err := client.Dial(dctx, url, ps.PlayerSessionID, nil, client.Options{UDP: b.udp, OnMessage: onMessage})
			cancel()
			if err != nil {
				return relayResult{}, fmt.Errorf("connect a bot of session %d: %w", s, err)
			}
			clients = append(clients, c)
		}
	}
	transport := "WebSocket"
	if b.udp {
		transport = "UDP"
		deadline := time.Now().Add(5 * time.Second)
		for _, c := range clients {
			for !c.FastBound() && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	runCtx, cancel := context.WithTimeout(ctx, b.duration)
	defer cancel()
	var sent atomic.Int64
	var wg sync.WaitGroup
	cpu := startCPU(ctx, b.cpu)
	start := time.Now()
	for i, c := range clients {
		if b.idle {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := make([]byte, b.size)
			interval := time.Second / time.Duration(b.hz)
			// Spread the players' ticks over the interval.
			next := start.Add(interval * time.Duration(i%b.players) / time.Duration(b.players))
			for {
				wait := time.Until(next)
				if wait > 0 {
					select {
					case <-runCtx.Done():
						return
					case <-time.After(wait):
					}
				} else if runCtx.Err() != nil {
					return
				}
				next = next.Add(interval)
				binary.LittleEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
				if err := c.Send(runCtx, 1, client.ToAll(), payload, !b.udp); err == nil {
					sent.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if b.idle {
		<-runCtx.Done()
	}
	elapsed := time.Since(start)
	time.Sleep(200 * time.Millisecond) // let the last messages arrive
	cpuLine := cpu.report(ctx, delivered.Load(), "delivered message")
	lat.mu.Lock()
	samples := append([]time.Duration(nil), lat.buf...)
	lat.mu.Unlock()
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	pct := func(p float64) time.Duration {
		if len(samples) == 0 {
			return 0
		}
		return samples[min(len(samples)-1, int(p*float64(len(samples))))]
	}
	return relayResult{players: len(clients), elapsed: elapsed, sent: sent.Load(), delivered: delivered.Load(),
		p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), p999: pct(0.999), transport: transport,
		expected: sent.Load() * int64(b.players-1), cpu: cpuLine}, nil
}
