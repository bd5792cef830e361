package relay

import (
	"io"
	"net"
	"testing"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// broadcastPlayers is the size of the sessions the broadcast tests and
// benchmarks route in: one sender and 7 recipients.
const broadcastPlayers = 8

// broadcastIn is a 64-byte message from peer 1 to all players.
func broadcastIn() *protocol.Packet {
	return &protocol.Packet{OpCode: 100, Sender: 1, TargetGroup: protocol.GroupAllPlayers, Reliable: true,
		Payload: make([]byte, 64)}
}

// newWSTestSession returns a session of players whose reliable sinks are
// WebSocket connections: corked (their frames stay queued) when conns is
// false, otherwise on loopback TCP connections written with raw writes, whose
// client ends read and discard everything.
func newWSTestSession(tb testing.TB, players int, conns bool) (*session, []*wsConn) {
	tb.Helper()
	srv := newBareServer(tb)
	sess := newSession(srv, GameSessionInfo{GameSessionID: "gsess-broadcast"}, players)
	var ln net.Listener
	if conns {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { ln.Close() })
	}
	rt := newRoutes()
	ws := make([]*wsConn, players)
	for i := range players {
		w := &wsConn{srv: srv, corked: !conns, readerDone: make(chan struct{}), writerDone: make(chan struct{})}
		if conns {
			client, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { client.Close() })
			go func() { _, _ = io.Copy(io.Discard, client) }()
			nc, err := ln.Accept()
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { nc.Close() })
			w.nc, w.raw = nc, newRawWriter(nc)
		}
		ws[i] = w
		rt = rt.with(&peer{id: int32(i + 1), sess: sess, link: &link{}, reliable: w})
	}
	sess.routes.Store(rt)
	return sess, ws
}

// BenchmarkBroadcastRoute measures routing one 64-byte message from a player to
// the 7 others of its session, on the relay alone: over the WebSocket into the
// recipients' queues (corked: encoding and queueing only) and written to
// loopback TCP connections, and over UDP into a reader's batch written with
// one sendmmsg. One op is one message delivered 7 times.
func BenchmarkBroadcastRoute(b *testing.B) {
	b.Run("websocket-queue", func(b *testing.B) {
		sess, ws := newWSTestSession(b, broadcastPlayers, false)
		sender := sess.routes.Load().peers[1]
		in, out := broadcastIn(), &protocol.Packet{}
		b.ReportAllocs()
		for b.Loop() {
			sess.forward(sender, in, out, false)
			for _, w := range ws {
				w.pending, w.frames = w.pending[:0], 0
			}
		}
	})
	b.Run("websocket-write", func(b *testing.B) {
		sess, _ := newWSTestSession(b, broadcastPlayers, true)
		sender := sess.routes.Load().peers[1]
		in, out := broadcastIn(), &protocol.Packet{}
		b.ReportAllocs()
		for b.Loop() {
			sess.forward(sender, in, out, false)
		}
	})
	b.Run("udp-batch", func(b *testing.B) {
		tp := newBatchTestPath(b, broadcastPlayers, 1)
		for _, c := range tp.clients {
			go func() {
				buf := make([]byte, protocol.MaxFrameSize)
				for {
					if _, err := c.Read(buf); err != nil {
						return
					}
				}
			}()
		}
		sb := tp.fp.readers[0].send
		sess := tp.peers[0].sess
		in, out := broadcastIn(), &protocol.Packet{}
		in.Reliable = false
		b.ReportAllocs()
		for b.Loop() {
			sess.forwardVia(tp.peers[0], in, out, true, sb)
			sb.flush()
		}
	})
}
