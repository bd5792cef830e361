package relay_test

import (
	"context"
	"encoding/binary"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// benchWindow is how many messages a benchmark keeps in flight.
const benchWindow = 32

// latencies collects one-way latencies recorded by a receive handler.
type latencies struct {
	got     atomic.Int64
	samples []time.Duration
	start   time.Time
}

func (l *latencies) record(payload []byte) {
	sent := int64(binary.LittleEndian.Uint64(payload))
	i := l.got.Add(1) - 1
	if int(i) < len(l.samples) {
		l.samples[i] = time.Duration(time.Since(l.start).Nanoseconds() - sent)
	}
}

// report reports p50, p99 and the deliveries per second over elapsed.
func (l *latencies) report(b *testing.B, delivered int, elapsed time.Duration) {
	s := l.samples[:min(len(l.samples), int(l.got.Load()))]
	slices.Sort(s)
	if len(s) > 0 {
		b.ReportMetric(float64(s[len(s)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(s[len(s)*99/100].Microseconds()), "p99-µs")
	}
	b.ReportMetric(float64(delivered)/elapsed.Seconds(), "deliveries/s")
}

// BenchmarkForward64 measures relaying a 64-byte message from A to B over
// WebSocket on loopback, with benchWindow messages in flight.
func BenchmarkForward64(b *testing.B) {
	benchForward64(b, testOptions())
}

// BenchmarkForward64PerIPCap is BenchmarkForward64 with the connections
// accepted through the per-IP cap (Options.MaxConnectionsPerIP).
func BenchmarkForward64PerIPCap(b *testing.B) {
	opts := testOptions()
	opts.MaxConnectionsPerIP = 100
	benchForward64(b, opts)
}

func benchForward64(b *testing.B, opts relay.Options) {
	h := newHarness(b, opts)
	reply := h.place(request(2))
	l := &latencies{samples: make([]time.Duration, b.N), start: time.Now()}
	credit := make(chan struct{}, benchWindow)
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{OnMessage: func(m client.Message) {
		l.record(m.Payload)
		credit <- struct{}{}
	}})
	for range benchWindow {
		credit <- struct{}{}
	}
	payload := make([]byte, 64)
	target := client.ToPlayer(2)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		<-credit
		binary.LittleEndian.PutUint64(payload, uint64(time.Since(l.start).Nanoseconds()))
		if err := a.Send(ctx, 100, target, payload, true); err != nil {
			b.Fatal(err)
		}
	}
	for l.got.Load() < int64(b.N) {
		time.Sleep(100 * time.Microsecond) // benchmark: polls for the last deliveries, off the measured path
	}
	b.StopTimer()
	l.report(b, b.N, b.Elapsed())
}

// BenchmarkFanOut10 measures a 64-byte message from one player to a group of 10
// others over WebSocket on loopback; each op is one message delivered 10 times.
func BenchmarkFanOut10(b *testing.B) {
	const members = 10
	h := newHarness(b, testOptions())
	reply := h.place(request(members + 1))
	l := &latencies{samples: make([]time.Duration, b.N*members), start: time.Now()}
	credit := make(chan struct{}, benchWindow*members)
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	ctx := context.Background()
	for i := 1; i <= members; i++ {
		c := h.mustDial(reply.PlayerSessions[i].PlayerSessionID, client.Options{OnMessage: func(m client.Message) {
			l.record(m.Payload)
			credit <- struct{}{}
		}, OnEvent: func(client.Event) {}})
		if err := c.JoinGroup(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
	relaytest.Eventually(b, "group of 10", func() bool { return relaytest.MetricValue(h.reg, "relay_players", "") == members+1 })
	time.Sleep(50 * time.Millisecond) // benchmark: lets the joins' traffic settle before the timer starts
	for range benchWindow * members {
		credit <- struct{}{}
	}
	payload := make([]byte, 64)
	target := client.ToGroup(1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for range members {
			<-credit
		}
		binary.LittleEndian.PutUint64(payload, uint64(time.Since(l.start).Nanoseconds()))
		if err := a.Send(ctx, 100, target, payload, true); err != nil {
			b.Fatal(err)
		}
	}
	for l.got.Load() < int64(b.N*members) {
		time.Sleep(100 * time.Microsecond) // benchmark: polls for the last deliveries, off the measured path
	}
	b.StopTimer()
	l.report(b, b.N*members, b.Elapsed())
}
