package relay

import (
	"log/slog"
	"runtime"
	rtmetrics "runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// bareServer is a Server with what reservations and logins use: options,
// a logger and a ledger (no bus, no listener).
func bareServer() *Server {
	return &Server{opts: Options{PlayerSessionTTL: time.Minute}, log: slog.New(slog.DiscardHandler), ledger: newLedger()}
}

// reserveAt reserves players in sess at now and records them in the
// ledger, as a reserve request (id) does after its bus round trip.
func reserveAt(tb testing.TB, srv *Server, sess *session, id string, players []bus.Player, now time.Time) {
	out, err := sess.reserve(players, now, true)
	if err != nil {
		tb.Error(err)
		return
	}
	pl := &placed{done: make(chan struct{}), until: now.Add(5 * time.Second)}
	srv.ledger.settle(reservePrefix+id, pl, sess, bus.PlacementReply{PlayerSessions: out}, nil)
}

// BenchmarkSessionReserve is the relay's side of one CreatePlayerSessions
// of 4 players without the bus: the reservations in a session of 200
// players (50 requests each) and their ids in the ledger. live-B/player,
// live-objects/player and scan-B/player are what stays on the heap per
// reserved player (bytes, objects, bytes scanned for pointers), the
// players' ids as the bus decoded them included.
func BenchmarkSessionReserve(b *testing.B) {
	srv := bareServer()
	var sess *session
	players := make([]bus.Player, 4)
	b.ReportAllocs()
	before := HeapInUse()
	n := 0
	for b.Loop() {
		if n%50 == 0 {
			sess = newSession(srv, GameSessionInfo{GameSessionID: "gs-" + strconv.Itoa(n)}, 200)
		}
		id := strconv.Itoa(n)
		for i := range players {
			p := strconv.Itoa(i)
			players[i] = bus.Player{PlayerID: "player-" + id + "-" + p, PlayerSessionID: "psess-" + id + "-" + p}
		}
		reserveAt(b, srv, sess, id, players, time.Now())
		n++
	}
	after := HeapInUse()
	runtime.KeepAlive(sess)
	b.ReportMetric(float64(after.Bytes-before.Bytes)/float64(4*n), "live-B/player")
	b.ReportMetric(float64(after.Objects-before.Objects)/float64(4*n), "live-objects/player")
	b.ReportMetric(float64(after.Scannable-before.Scannable)/float64(4*n), "scan-B/player")
}

// BenchmarkLoginLookup is what a login looks up among 200,000 reserved
// player sessions (1,000 sessions of 200): its session in the ledger, then
// its reservation and matched player in the session.
func BenchmarkLoginLookup(b *testing.B) {
	srv := bareServer()
	const sessions, per = 1000, 200
	psids := make([]string, 0, sessions*per)
	players := make([]bus.Player, 4)
	for s := range sessions {
		sess := newSession(srv, GameSessionInfo{GameSessionID: "gs-" + strconv.Itoa(s)}, per)
		for r := range per / len(players) {
			id := strconv.Itoa(s) + "-" + strconv.Itoa(r)
			for i := range players {
				players[i] = bus.Player{PlayerID: "player-" + id + "-" + strconv.Itoa(i), PlayerSessionID: "psess-" + id + "-" + strconv.Itoa(i)}
				// A login's id is its own copy, decoded from its packet.
				psids = append(psids, strings.Clone(players[i].PlayerSessionID))
			}
			reserveAt(b, srv, sess, id, players, time.Now())
		}
	}
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		psid := psids[i%len(psids)]
		i += 7919
		sess := srv.ledger.sessionOf(psid)
		if sess == nil {
			b.Fatalf("%s not in the ledger", psid)
		}
		if _, mp, refusal := sess.reserved(psid, now); refusal != protocol.RefusalNone || mp.PlayerSessionID != psid {
			b.Fatalf("%s not reserved in its session", psid)
		}
	}
}

// HeapUse is the heap in use: bytes, objects and scannable bytes (those of
// objects with pointers, up to their last pointer). The relay_test
// package's benchmarks read it too.
type HeapUse struct{ Bytes, Objects, Scannable int64 }

// HeapInUse is the heap in use after a collection, and how much of it the
// collector scans for pointers.
func HeapInUse() HeapUse {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	scan := []rtmetrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	rtmetrics.Read(scan)
	return HeapUse{Bytes: int64(m.HeapAlloc), Objects: int64(m.HeapObjects), Scannable: int64(scan[0].Value.Uint64())}
}

// BenchmarkReservationsSteady is a session under sustained
// CreatePlayerSessions in its steady state: each op reserves one player and
// moves time on so that 2,000 reservations are made per 2×PlayerSessionTTL,
// and every 16th op is a session tick that forgets the reservations stale
// by then (and, with them, compacts the session's table).
func BenchmarkReservationsSteady(b *testing.B) {
	const ttl, window = time.Minute, 2000
	s := newSession(bareServer(), GameSessionInfo{GameSessionID: "gs"}, 1<<30)
	now := time.Unix(1000, 0)
	step := 2 * ttl / window
	players := make([][]bus.Player, 8192)
	for i := range players {
		id := strconv.Itoa(i)
		players[i] = []bus.Player{{PlayerID: "player-" + id, PlayerSessionID: "psess-" + id}}
	}
	for i := range 2 * window {
		if _, err := s.reserve(players[i%len(players)], now, true); err != nil {
			b.Fatal(err)
		}
		now = now.Add(step)
	}
	b.ReportAllocs()
	n := 2 * window
	for b.Loop() {
		if _, err := s.reserve(players[n%len(players)], now, true); err != nil {
			b.Fatal(err)
		}
		now = now.Add(step)
		if n%16 == 0 {
			s.forgetStaleReservations(now)
		}
		n++
	}
}

// BenchmarkGCWithReservations is a full collection with one P (as a relay
// pinned to one core runs) while the relay holds 1.4 million reservations,
// as under 3,000 CreatePlayerSessions of 4 players a second: 3,500
// sessions of 400 (those that can still log in and those expired but not
// yet forgotten), with their ids in the ledger. ns/op is the collection's
// wall time; live-MB the heap the reservations keep.
func BenchmarkGCWithReservations(b *testing.B) {
	srv := bareServer()
	const sessions, per = 3500, 400
	players := make([]bus.Player, 4)
	before := HeapInUse()
	all := make([]*session, sessions)
	for s := range sessions {
		all[s] = newSession(srv, GameSessionInfo{GameSessionID: "gs-" + strconv.Itoa(s)}, 1<<20)
		for r := range per / len(players) {
			id := strconv.Itoa(s) + "-" + strconv.Itoa(r)
			for i := range players {
				players[i] = bus.Player{PlayerID: "player-" + id + "-" + strconv.Itoa(i), PlayerSessionID: newID("psess-")}
			}
			reserveAt(b, srv, all[s], id, players, time.Now())
		}
	}
	after := HeapInUse()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for b.Loop() {
		runtime.GC()
	}
	runtime.KeepAlive(all)
	b.ReportMetric(float64(after.Bytes-before.Bytes)/1e6, "live-MB")
	b.ReportMetric(float64(after.Scannable-before.Scannable)/1e6, "scan-MB")
}
