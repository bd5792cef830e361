package relay_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// benchPlayers places a session of n players and dials them with opts, each with
// its own OnMessage built by onMessage(i).
func benchPlayers(b *testing.B, h *harness, n int, udp bool, onMessage func(i int) func(client.Message)) []*client.Client {
	b.Helper()
	reply := h.place(request(n))
	cs := make([]*client.Client, n)
	for i := range n {
		cs[i] = h.mustDial(reply.PlayerSessions[i].PlayerSessionID, client.Options{UDP: udp, OnMessage: onMessage(i),
			OnEvent: func(client.Event) {}})
		if udp && !cs[i].FastBound() {
			b.Fatal("client not bound")
		}
	}
	return cs
}

func benchRelayOptions() relay.Options {
	o := testOptions()
	o.ConnectionIdleTimeout = time.Minute
	o.MaxSessions = 1000
	return o
}

// BenchmarkForwardUDP64 measures relaying a 64-byte fast message from A to B over
// UDP on loopback, with benchWindow messages in flight (a datagram lost on the
// way gives its credit back after 50 ms and counts as lost).
func BenchmarkForwardUDP64(b *testing.B) {
	benchForward(b, true)
}

// BenchmarkForwardWebSocketFast64 is BenchmarkForwardUDP64 without UDP: the fast
// messages fall back to the WebSocket.
func BenchmarkForwardWebSocketFast64(b *testing.B) {
	benchForward(b, false)
}

func benchForward(b *testing.B, udp bool) {
	h := newHarness(b, benchRelayOptions())
	l := &latencies{samples: make([]time.Duration, b.N), start: time.Now()}
	credit := make(chan struct{}, benchWindow)
	cs := benchPlayers(b, h, 2, udp, func(i int) func(client.Message) {
		if i == 0 {
			return nil
		}
		return func(m client.Message) {
			l.record(m.Payload)
			select {
			case credit <- struct{}{}:
			default:
			}
		}
	})
	for range benchWindow {
		credit <- struct{}{}
	}
	a := cs[0]
	payload := make([]byte, 64)
	target := client.ToPlayer(cs[1].PeerID())
	ctx := context.Background()
	timer := time.NewTimer(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		select {
		case <-credit:
		default:
			timer.Reset(50 * time.Millisecond)
			select {
			case <-credit:
			case <-timer.C:
			}
			timer.Stop()
		}
		binary.LittleEndian.PutUint64(payload, uint64(time.Since(l.start).Nanoseconds()))
		if err := a.Send(ctx, 100, target, payload, false); err != nil {
			b.Fatal(err)
		}
	}
	end := waitDelivered(&l.got, int64(b.N))
	b.StopTimer()
	l.report(b, int(l.got.Load()), end.Sub(start))
	b.ReportMetric(float64(int64(b.N)-l.got.Load())/float64(b.N)*100, "lost-%")
}

// waitDelivered waits until got reaches n, or 1 s without progress (datagrams
// lost), and returns when the last delivery was seen.
func waitDelivered(got *atomic.Int64, n int64) time.Time {
	last, since := got.Load(), time.Now()
	for last < n && time.Since(since) < time.Second {
		time.Sleep(100 * time.Microsecond) // benchmark: polls for the last deliveries
		if v := got.Load(); v != last {
			last, since = v, time.Now()
		}
	}
	return since
}

// BenchmarkLatency50k measures one-way latency A -> relay -> B at a paced
// 50,000 messages/s (64-byte fast messages), over UDP and over the WebSocket.
// With pairs=1 one sender paces all of it: Go sleeps no shorter than about a
// millisecond, so it sends in bursts of tens of messages that queue behind one
// another, and the figure is mostly that queue. With pairs=50, 50 sessions of
// two players each send 1,000 messages/s on their own goroutine, their ticks
// spread over the millisecond: the same load as many players make it.
func BenchmarkLatency50k(b *testing.B) {
	for _, udp := range []bool{true, false} {
		name := "websocket"
		if udp {
			name = "udp"
		}
		for _, pairs := range []int{1, 50} {
			b.Run(fmt.Sprintf("%s/pairs=%d", name, pairs), func(b *testing.B) {
				benchLatency(b, udp, pairs, 50000)
			})
		}
	}
}

// benchLatency sends b.N messages at rate per second from the first player
// to the second of pairs two-player sessions, message i from pair i%pairs at
// start + i/rate, and reports the one-way latencies.
func benchLatency(b *testing.B, udp bool, pairs, rate int) {
	h := newHarness(b, benchRelayOptions())
	l := &latencies{samples: make([]time.Duration, b.N), start: time.Now()}
	senders := make([]*client.Client, pairs)
	targets := make([]protocol.Target, pairs)
	for p := range pairs {
		cs := benchPlayers(b, h, 2, udp, func(i int) func(client.Message) {
			if i == 0 {
				return nil
			}
			return func(m client.Message) { l.record(m.Payload) }
		})
		senders[p], targets[p] = cs[0], client.ToPlayer(cs[1].PeerID())
	}
	ctx := context.Background()
	// A lone sender sleeps only when 200 µs ahead, to keep up; one of many
	// sleeps until each message is due.
	slack := time.Duration(0)
	if pairs == 1 {
		slack = 200 * time.Microsecond
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, pairs)
	for p := range pairs {
		wg.Go(func() {
			payload := make([]byte, 64)
			for i := p; i < b.N; i += pairs {
				due := time.Duration(i) * time.Second / time.Duration(rate)
				if ahead := due - time.Since(start); ahead > slack {
					time.Sleep(ahead) // benchmark: paces the offered load
				}
				binary.LittleEndian.PutUint64(payload, uint64(time.Since(l.start).Nanoseconds()))
				if err := senders[p].Send(ctx, 100, targets[p], payload, !udp); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	end := waitDelivered(&l.got, int64(b.N))
	b.StopTimer()
	l.report(b, int(l.got.Load()), end.Sub(start))
	b.ReportMetric(float64(int64(b.N)-l.got.Load())/float64(b.N)*100, "lost-%")
}

// BenchmarkBroadcast30Hz runs sessions of 8 players in which every player
// broadcasts a 64-byte fast message to the 7 others 30 times a second over UDP.
// One op is one 30 Hz tick of every session; delivered-msgs/s is what the clients
// received.
func BenchmarkBroadcast30Hz(b *testing.B) {
	for _, sessions := range []int{50, 200} {
		b.Run(fmt.Sprintf("sessions=%d", sessions), func(b *testing.B) {
			const players, hz = 8, 30
			h := newHarness(b, benchRelayOptions())
			var delivered atomic.Int64
			groups := make([][]*client.Client, sessions)
			for s := range groups {
				groups[s] = benchPlayers(b, h, players, true, func(int) func(client.Message) {
					return func(client.Message) { delivered.Add(1) }
				})
			}
			payload := make([]byte, 64)
			ctx := context.Background()
			tick := time.Second / hz
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				// Spread the tick's sends over the tick, one session after the other.
				for s, g := range groups {
					due := time.Duration(i)*tick + time.Duration(s)*tick/time.Duration(sessions)
					if ahead := due - time.Since(start); ahead > 0 {
						time.Sleep(ahead) // benchmark: paces the offered load
					}
					for _, c := range g {
						if err := c.Send(ctx, 1, client.ToAll(), payload, false); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			sent := time.Since(start)
			want := int64(b.N * sessions * players * (players - 1))
			elapsed := waitDelivered(&delivered, want).Sub(start)
			b.StopTimer()
			b.ReportMetric(float64(delivered.Load())/elapsed.Seconds(), "delivered-msgs/s")
			b.ReportMetric(float64(want)/sent.Seconds(), "offered-msgs/s")
			b.ReportMetric(float64(want-delivered.Load())/float64(want)*100, "lost-%")
		})
	}
}

// BenchmarkIdlePlayers measures the memory the relay holds for idle logged-in
// WebSocket players: 2,000 raw connections (hand-made handshake, no client-side
// buffers), heap and stacks before and after, reported per 1,000 players. Each
// run does the whole measurement: run it with -benchtime 1x.
func BenchmarkIdlePlayers(b *testing.B) {
	const n, perSession = 2000, 200
	opts := benchRelayOptions()
	opts.MaxPlayersPerSession = perSession
	h := newHarness(b, opts)
	var psids []string
	for range n / perSession {
		req := request(perSession)
		req.MaxPlayers = perSession
		for _, ps := range h.place(req).PlayerSessions {
			psids = append(psids, ps.PlayerSessionID)
		}
	}
	heap0, stack0 := inUse()
	conns := make([]net.Conn, 0, n)
	b.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	b.ResetTimer()
	for _, psid := range psids {
		c, err := rawWebSocketLogin(h.relay.Addr().String(), psid)
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	relaytest.Eventually(b, "players logged in", func() bool { return relaytest.MetricValue(h.reg, "relay_players", "") == n })
	b.StopTimer()
	heap1, stack1 := inUse()
	perK := func(v uint64) float64 { return float64(v) / (n / 1000) / (1 << 20) }
	total := perK(heap1 + stack1 - heap0 - stack0)
	b.ReportMetric(total, "MiB/1000-players")
	b.ReportMetric(total*10, "MiB/10000-players")
	b.ReportMetric(perK(heap1-heap0), "heap-MiB/1000")
	b.ReportMetric(perK(stack1-stack0), "stack-MiB/1000")
}

// inUse returns the heap and stack bytes in use after a garbage collection.
func inUse() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// rawWebSocketLogin opens a WebSocket by hand and logs in with a stock login; it
// returns the connection without any buffer of its own.
func rawWebSocketLogin(addr, psid string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET /websocket HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := c.Write([]byte(req)); err != nil {
		c.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(c, 256)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("upgrade: %v %v", resp, err)
	}
	p := protocol.Packet{OpCode: protocol.OpLogin, TargetPlayer: protocol.PeerServer, Reliable: true}
	p.SetMessage(protocol.MessageLogin)
	p.Login = protocol.LoginCommand{PlayerSessionID: psid, ClientVersion: protocol.ClientVersionRealtime}
	frame := protocol.AppendPacket(nil, &p)
	// One masked binary frame (mask key 0: the payload is unchanged).
	ws := append([]byte{0x82, 0x80 | byte(len(frame)), 0, 0, 0, 0}, frame...)
	if _, err := c.Write(ws); err != nil {
		c.Close()
		return nil, err
	}
	hdr := make([]byte, 2)
	if _, err := br.Read(hdr); err != nil {
		c.Close()
		return nil, err
	}
	if hdr[0] != 0x82 {
		c.Close()
		return nil, fmt.Errorf("login result frame starts % x", hdr)
	}
	return c, nil
}
