package relay_test

import (
	"context"
	"runtime"
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
// afterwards, sessions and request records included, and
// live-objects/player the heap objects: what the garbage collector marks.
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
}

// heap is the heap in use: bytes and objects.
type heap struct{ bytes, objects int64 }

// liveHeap is the heap in use after a collection.
func liveHeap() heap {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return heap{bytes: int64(m.HeapAlloc), objects: int64(m.HeapObjects)}
}
