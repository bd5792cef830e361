package relay_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay"
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
	before := relay.HeapInUse()
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
	after := relay.HeapInUse()
	b.ReportMetric(float64(after.Bytes-before.Bytes)/float64(4*n), "live-B/player")
	b.ReportMetric(float64(after.Objects-before.Objects)/float64(4*n), "live-objects/player")
	b.ReportMetric(float64(after.Scannable-before.Scannable)/float64(4*n), "scan-B/player")
}
