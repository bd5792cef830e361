package relay_test

import (
	"context"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// BenchmarkReservePlayers is one CreatePlayerSessions of 4 players as the
// relay serves it: a reserve request over the bus (an embedded NATS server
// on loopback) into a game session, 50 per session of 200 players, with the
// reservations kept as a relay under that load keeps them. live-B/player is
// the heap the relay (and the bench's caller) hold per reserved player
// afterwards, sessions and request records included, live-objects/player
// the heap objects (what the garbage collector marks) and scan-B/player the
// bytes it scans for pointers.
func BenchmarkReservePlayers(b *testing.B) {
	opts := testOptions()
	opts.MaxSessions = 10000
	h := newHarness(b, opts)
	ctx := context.Background()
	var gs string
	req := bus.ReserveRequest{RelayID: h.relay.RelayID(), Players: make([]bus.Player, 4)}
	b.ReportAllocs()
	before := liveHeap()
	n := 0
	for b.Loop() {
		if n%50 == 0 {
			b.StopTimer()
			p := gameSessionRequest(200)
			h.place(p)
			gs = p.GameSessionARN
			b.StartTimer()
		}
		id := strconv.Itoa(n)
		req.RequestID, req.GameSessionID, req.Deadline = "r-"+id, gs, time.Now().Add(5*time.Second)
		for i := range req.Players {
			p := strconv.Itoa(i)
			req.Players[i] = bus.Player{PlayerID: "player-" + id + "-" + p, PlayerSessionID: "psess-" + id + "-" + p}
		}
		if _, err := h.mm.RequestReserve(ctx, req); err != nil {
			b.Fatal(err)
		}
		n++
	}
	after := liveHeap()
	b.ReportMetric(float64(after.bytes-before.bytes)/float64(4*n), "live-B/player")
	b.ReportMetric(float64(after.objects-before.objects)/float64(4*n), "live-objects/player")
	b.ReportMetric(float64(after.scannable-before.scannable)/float64(4*n), "scan-B/player")
}

// heap is the heap in use: bytes, objects and scannable bytes (those of
// objects with pointers, up to their last pointer).
type heap struct{ bytes, objects, scannable int64 }

// liveHeap is the heap in use after a collection, and how much of it the
// collector scans for pointers.
func liveHeap() heap {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	scan := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(scan)
	return heap{bytes: int64(m.HeapAlloc), objects: int64(m.HeapObjects), scannable: int64(scan[0].Value.Uint64())}
}
