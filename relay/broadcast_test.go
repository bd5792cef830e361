package relay

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

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
// client ends it returns.
func newWSTestSession(tb testing.TB, players int, conns bool) (*session, []*wsConn, []net.Conn) {
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
	var clients []net.Conn
	for i := range players {
		w := &wsConn{srv: srv, corked: !conns, readerDone: make(chan struct{}), writerDone: make(chan struct{})}
		if conns {
			client, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { client.Close() })
			nc, err := ln.Accept()
			if err != nil {
				tb.Fatal(err)
			}
			tb.Cleanup(func() { nc.Close() })
			w.nc, w.raw = nc, newRawWriter(nc)
			clients = append(clients, client)
		}
		ws[i] = w
		rt = rt.with(&peer{id: int32(i + 1), sess: sess, link: &link{}, reliable: w})
	}
	sess.routes.Store(rt)
	return sess, ws, clients
}

// wsFrames decodes the binary frames of b, unmasked as the relay sends them.
func wsFrames(b []byte) ([]protocol.Packet, error) {
	var out []protocol.Packet
	for len(b) > 0 {
		if len(b) < 2 || b[0] != frameBinary {
			return nil, fmt.Errorf("frame starts with % x, want a binary frame", b[:min(len(b), 2)])
		}
		n, h := int(b[1]), 2
		switch n {
		case 126:
			n, h = int(binary.BigEndian.Uint16(b[2:])), 4
		case 127:
			n, h = int(binary.BigEndian.Uint64(b[2:])), 10
		}
		if h+n > len(b) {
			return nil, fmt.Errorf("frame of %d bytes with %d left", n, len(b)-h)
		}
		var p protocol.Packet
		if err := protocol.DecodePacket(b[h:h+n], &p); err != nil {
			return nil, err
		}
		p.Payload = append([]byte(nil), p.Payload...)
		out = append(out, p)
		b = b[h+n:]
	}
	return out, nil
}

// TestBroadcastEncodedOnce routes broadcasts from player 1 to players whose
// fast path is a UDP binding (2 to 4) or the WebSocket (5 to 8), reusing one
// outgoing packet: the UDP recipients each get their own sequence numbers,
// unreliable, the WebSocket recipients the same reliable, unsequenced frame,
// each message with its own payload, and a payload over the UDP limit goes
// over the WebSocket to everyone.
func TestBroadcastEncodedOnce(t *testing.T) {
	tp := newBatchTestPath(t, broadcastPlayers, 1)
	var ws []*wsConn
	for i, p := range tp.peers {
		w := &wsConn{srv: tp.fp.srv, corked: true}
		p.reliable = w
		ws = append(ws, w)
		if i >= 4 {
			tp.fp.unbind(p)
		}
	}
	sb := tp.fp.readers[0].send
	sess := tp.peers[0].sess
	in := broadcastIn()
	in.Reliable = false
	out := &outgoing{}
	large := make([]byte, protocol.MaxUDPPayloadSize+1)
	large[0] = 3
	for _, pl := range [][]byte{{1}, {2, 2}, large} {
		in.Payload = pl
		sess.forwardVia(tp.peers[0], in, out, true, sb)
	}
	sb.flush()
	for i, p := range tp.peers[1:] {
		w := ws[i+1]
		var got []protocol.Packet
		if i < 3 {
			buf := make([]byte, protocol.MaxFrameSize)
			for j := range 2 {
				if err := tp.clients[i+1].SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
					t.Fatal(err)
				}
				n, err := tp.clients[i+1].Read(buf)
				if err != nil {
					t.Fatalf("player %d, datagram %d: %v", p.id, j+1, err)
				}
				var d protocol.Packet
				if err := protocol.DecodePacket(buf[:n], &d); err != nil {
					t.Fatal(err)
				}
				if d.Reliable || d.SequenceNumber != int32(j+1) {
					t.Fatalf("player %d, datagram %d: reliable %v, sequence number %d", p.id, j+1, d.Reliable, d.SequenceNumber)
				}
				d.Payload = append([]byte(nil), d.Payload...)
				got = append(got, d)
			}
		}
		frames, err := wsFrames(w.pending)
		if err != nil {
			t.Fatalf("player %d: %v", p.id, err)
		}
		for _, f := range frames {
			if !f.Reliable || f.SequenceNumber != 0 {
				t.Fatalf("player %d: WebSocket frame reliable %v, sequence number %d", p.id, f.Reliable, f.SequenceNumber)
			}
		}
		got = append(got, frames...)
		if len(got) != 3 {
			t.Fatalf("player %d got %d messages, want 3", p.id, len(got))
		}
		for j, want := range [][]byte{{1}, {2, 2}, large} {
			g := got[j]
			if g.Sender != 1 || g.OpCode != in.OpCode || g.TargetGroup != protocol.GroupAllPlayers || string(g.Payload) != string(want) {
				t.Fatalf("player %d, message %d: sender %d, op code %d, group %d, %d-byte payload starting %v", p.id, j+1,
					g.Sender, g.OpCode, g.TargetGroup, len(g.Payload), g.Payload[:1])
			}
		}
	}
	if len(ws[0].pending) != 0 {
		t.Fatal("the sender got its own broadcast")
	}
}

// TestBroadcastSharedFrameConcurrent has every player of a session broadcast
// on its own goroutine, with its own outgoing packet reused for each message,
// to players on loopback TCP connections with small socket buffers, so that
// frames are written straight from a sender's buffer, queued behind others and
// left half written to a drain goroutine: every player gets every other
// player's messages intact and in order.
func TestBroadcastSharedFrameConcurrent(t *testing.T) {
	const each, size = 200, 1000
	sess, ws, clients := newWSTestSession(t, broadcastPlayers, true)
	// Every message may be queued at once when the readers are slow (a
	// loaded machine): the queue's limit is not what this test is about.
	sess.srv.opts.SendQueueBytes = broadcastPlayers * each * 2 * size
	for _, w := range ws {
		if err := w.nc.(*net.TCPConn).SetWriteBuffer(4096); err != nil {
			t.Fatal(err)
		}
	}
	rt := sess.routes.Load()
	var wg sync.WaitGroup
	for _, sender := range rt.all {
		wg.Go(func() {
			in, out := broadcastIn(), &outgoing{}
			in.Payload = make([]byte, size)
			for k := range each {
				for i := range in.Payload {
					in.Payload[i] = byte(sender.id)
				}
				binary.BigEndian.PutUint32(in.Payload, uint32(k))
				sess.forward(sender, in, out, false)
			}
		})
	}
	sample := &outgoing{Packet: *broadcastIn()}
	sample.Payload = make([]byte, size)
	want := (broadcastPlayers - 1) * each * len(sample.wsFrame())
	for i, c := range clients {
		wg.Go(func() {
			buf := make([]byte, 0, want)
			if err := c.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
				t.Error(err)
				return
			}
			for len(buf) < want {
				n, err := c.Read(buf[len(buf):cap(buf)])
				if err != nil {
					t.Errorf("player %d after %d of %d bytes: %v", i+1, len(buf), want, err)
					return
				}
				buf = buf[:len(buf)+n]
			}
			frames, err := wsFrames(buf)
			if err != nil {
				t.Errorf("player %d: %v", i+1, err)
				return
			}
			next := map[int32]uint32{}
			for _, p := range frames {
				if p.Sender == int32(i+1) {
					t.Errorf("player %d got its own message", i+1)
					return
				}
				if k := binary.BigEndian.Uint32(p.Payload); k != next[p.Sender] {
					t.Errorf("player %d got message %d of %d after %d", i+1, k, p.Sender, next[p.Sender])
					return
				}
				for _, b := range p.Payload[4:] {
					if b != byte(p.Sender) {
						t.Errorf("player %d got a corrupted message %d of %d", i+1, next[p.Sender], p.Sender)
						return
					}
				}
				next[p.Sender]++
			}
		})
	}
	wg.Wait()
}

// discardBatch empties b without writing it.
func discardBatch(b *sendBatch) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, l := range b.links {
		l.batch.Store(nil)
		b.links[i] = nil
	}
	b.links, b.n = b.links[:0], 0
}

// BenchmarkBroadcastRoute measures routing one 64-byte message from a player to
// the 7 others of its session, on the relay alone: over the WebSocket into the
// recipients' queues (corked: encoding and queueing only) and written to
// loopback TCP connections, and over UDP into a reader's batch, discarded
// (encoding and queueing only) or written with one sendmmsg. One op is one
// message delivered 7 times.
func BenchmarkBroadcastRoute(b *testing.B) {
	b.Run("websocket-queue", func(b *testing.B) {
		sess, ws, _ := newWSTestSession(b, broadcastPlayers, false)
		sender := sess.routes.Load().peers[1]
		in, out := broadcastIn(), &outgoing{}
		b.ReportAllocs()
		for b.Loop() {
			sess.forward(sender, in, out, false)
			for _, w := range ws {
				w.pending, w.frames = w.pending[:0], 0
			}
		}
	})
	b.Run("websocket-write", func(b *testing.B) {
		sess, _, clients := newWSTestSession(b, broadcastPlayers, true)
		for _, c := range clients {
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
		sender := sess.routes.Load().peers[1]
		in, out := broadcastIn(), &outgoing{}
		b.ReportAllocs()
		for b.Loop() {
			sess.forward(sender, in, out, false)
		}
	})
	// udp routes the broadcast into a UDP batch, then empties the batch
	// with done; read makes the clients read what they are sent.
	udp := func(b *testing.B, read bool, done func(*sendBatch)) {
		tp := newBatchTestPath(b, broadcastPlayers, 1)
		if read {
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
		}
		sb := tp.fp.readers[0].send
		sess := tp.peers[0].sess
		in, out := broadcastIn(), &outgoing{}
		in.Reliable = false
		b.ReportAllocs()
		for b.Loop() {
			sess.forwardVia(tp.peers[0], in, out, true, sb)
			done(sb)
		}
	}
	b.Run("udp-queue", func(b *testing.B) { udp(b, false, discardBatch) })
	b.Run("udp-batch", func(b *testing.B) { udp(b, true, (*sendBatch).flush) })
}
