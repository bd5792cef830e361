package script_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

// benchLoopScript is a 20 Hz game loop: every 50 ms it moves every player and
// broadcasts the state (about 180 bytes of JSON for 8 players) to the session by
// the fast path. It never ends the session.
const benchLoopScript = `'use strict';
let session, tick = 0;
const pos = {};
exports.ssExports = {
	configuration: { maxPlayers: 8 },
	init: (s) => { session = s; },
	onPlayerAccepted: (p) => { pos[p.peerId] = { x: p.peerId, y: 0 }; },
	onPlayerDisconnect: (id) => { delete pos[id]; },
	onStartGameSession: () => {
		setInterval(() => {
			tick++;
			for (const id in pos) { pos[id].x = (pos[id].x + 1) % 100; pos[id].y = (pos[id].y + 3) % 100; }
			const msg = session.newTextGameMessage(11, session.getServerId(), JSON.stringify({ tick: tick, pos: pos }));
			session.sendGroupMessage(msg, session.getAllPlayersGroupId());
		}, 50);
	},
};`

// lateness is a histogram of how late ticks arrive, in 100 µs buckets up to 1 s.
type lateness struct {
	buckets [10001]atomic.Int64
}

func (l *lateness) observe(d time.Duration) {
	i := min(max(int(d/(100*time.Microsecond)), 0), len(l.buckets)-1)
	l.buckets[i].Add(1)
}

// quantile returns the q quantile, in milliseconds.
func (l *lateness) quantile(q float64) float64 {
	var total int64
	for i := range l.buckets {
		total += l.buckets[i].Load()
	}
	if total == 0 {
		return 0
	}
	rank := int64(q * float64(total))
	var seen int64
	for i := range l.buckets {
		if seen += l.buckets[i].Load(); seen > rank {
			return float64(i) / 10
		}
	}
	return float64(len(l.buckets)-1) / 10
}

// BenchmarkGameLoopSessions measures how many sessions of 8 players one relay
// keeps on time with a 20 Hz game-loop script (benchLoopScript), all on
// loopback with the 8 x sessions WebSocket clients in the same process. One op
// is one tick period (50 ms) of the whole relay. Metrics: ticks/s is the rate
// at which each player receives ticks (20 when the loops keep up), late-p50-ms
// and late-p99-ms how much longer than 50 ms a player waited between two ticks,
// and deliveries/s the state messages received by all players.
func BenchmarkGameLoopSessions(b *testing.B) {
	for _, sessions := range []int{50, 100, 200, 400} {
		b.Run(fmt.Sprintf("sessions=%d", sessions), func(b *testing.B) {
			benchGameLoop(b, sessions)
		})
	}
}

func benchGameLoop(b *testing.B, sessions int) {
	const players = 8
	f, err := script.NewFactory("loop.js", []byte(benchLoopScript), script.Options{Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	e := startRelay(b, bustest.RunServer(b), f.New, nil, nil)
	var measuring atomic.Bool
	var delivered atomic.Int64
	late := &lateness{}
	clients := make([]*client.Client, 0, sessions*players)
	for range sessions {
		reply := e.place("loop", players, players)
		for i := range players {
			var last time.Time
			clients = append(clients, e.dial(reply, i, client.Options{OnEvent: func(client.Event) {},
				OnMessage: func(client.Message) {
					now := time.Now()
					if measuring.Load() {
						delivered.Add(1)
						if !last.IsZero() {
							late.observe(now.Sub(last) - 50*time.Millisecond)
						}
					}
					last = now
				}}))
		}
	}
	time.Sleep(200 * time.Millisecond) // benchmark: lets the logins' traffic settle before the load starts
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	measuring.Store(true)
	start := time.Now()
	for range b.N {
		<-tick.C
	}
	measuring.Store(false)
	elapsed := time.Since(start)
	b.StopTimer()
	n := float64(delivered.Load())
	b.ReportMetric(n/elapsed.Seconds()/float64(len(clients)), "ticks/s")
	b.ReportMetric(late.quantile(0.5), "late-p50-ms")
	b.ReportMetric(late.quantile(0.99), "late-p99-ms")
	b.ReportMetric(n/elapsed.Seconds(), "deliveries/s")
}

// BenchmarkScriptForward64 measures the cost a script adds on the relay's
// forward path: a 64-byte message from player A to player B over WebSocket on
// loopback, 32 in flight, through a real relay and clients. none: no script
// (the sender's reader forwards); no-callback: a script without onSendToPlayer
// (the message goes through the session goroutine, no JavaScript runs);
// passthrough: onSendToPlayer returns true; example: the GameLift
// documentation's example script (getPayloadAsText().includes("Reject")).
func BenchmarkScriptForward64(b *testing.B) {
	example, err := os.ReadFile("testdata/gamelift_example.js")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		source []byte
	}{
		{"none", nil},
		{"no-callback", []byte(`exports.ssExports = {};`)},
		{"passthrough", []byte(`exports.ssExports = { onSendToPlayer: function (m) { return true; } };`)},
		{"example", example},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var factory relay.ScriptFactory
			if bc.source != nil {
				f, err := script.NewFactory(bc.name, bc.source, script.Options{Logger: discardLogger()})
				if err != nil {
					b.Fatal(err)
				}
				factory = f.New
			}
			benchScriptForward(b, factory)
		})
	}
}

func benchScriptForward(b *testing.B, factory relay.ScriptFactory) {
	const window = 32
	e := startRelay(b, bustest.RunServer(b), factory, nil, prometheus.NewRegistry())
	reply := e.place("bench", 2, 2)
	origin := time.Now()
	lat := make([]time.Duration, b.N)
	var got atomic.Int64
	credit := make(chan struct{}, window)
	a := e.dial(reply, 0, client.Options{OnMessage: func(client.Message) {}, OnEvent: func(client.Event) {}})
	e.dial(reply, 1, client.Options{OnEvent: func(client.Event) {}, OnMessage: func(m client.Message) {
		if m.OpCode != 100 {
			return
		}
		sent := time.Duration(binary.LittleEndian.Uint64(m.Payload))
		if i := got.Add(1) - 1; int(i) < len(lat) {
			lat[i] = time.Since(origin) - sent
		}
		credit <- struct{}{}
	}})
	for range window {
		credit <- struct{}{}
	}
	payload := make([]byte, 64)
	target := client.ToPlayer(2)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		<-credit
		binary.LittleEndian.PutUint64(payload, uint64(time.Since(origin)))
		if err := a.Send(ctx, 100, target, payload, true); err != nil {
			b.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); got.Load() < int64(b.N) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Microsecond) // benchmark: polls for the last deliveries
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
