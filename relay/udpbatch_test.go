package relay

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// batchTestPath is a fast path with sockets readers (SO_REUSEPORT), not started,
// and a session of players, each bound to a UDP socket of its own on 127.0.0.1.
type batchTestPath struct {
	fp      *fastPath
	peers   []*peer
	clients []*net.UDPConn
	addr    netip.AddrPort // where the clients send to
}

func newBatchTestPath(t testing.TB, players, sockets int) *batchTestPath {
	return newBatchTestPathOn(t, "127.0.0.1:0", players, sockets)
}

// newBatchTestPathOn is newBatchTestPath with the relay's sockets on listen.
func newBatchTestPathOn(t testing.TB, listen string, players, sockets int) *batchTestPath {
	t.Helper()
	srv := newBareServer(t)
	fp := newFastPath(srv)
	t.Cleanup(fp.close)
	lc := net.ListenConfig{Control: reusePort}
	addr := listen
	for range sockets {
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			t.Skipf("%d sockets on one port: %v", sockets, err)
		}
		c := pc.(*net.UDPConn)
		if err := c.SetReadBuffer(1 << 20); err != nil {
			t.Fatal(err)
		}
		r, err := newUDPReader(c, srv.m)
		if err != nil {
			t.Fatal(err)
		}
		fp.conns = append(fp.conns, c)
		fp.readers = append(fp.readers, r)
		addr = c.LocalAddr().String()
	}
	loopback := netip.MustParseAddr("127.0.0.1")
	srv.fast = fp
	sess := newSession(srv, GameSessionInfo{GameSessionID: "gsess-batch"}, players)
	tp := &batchTestPath{fp: fp, addr: netip.AddrPortFrom(loopback, uint16(fp.conns[0].LocalAddr().(*net.UDPAddr).Port))}
	rt := newRoutes()
	for i := range players {
		c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.SetReadBuffer(1 << 20); err != nil {
			t.Fatal(err)
		}
		p := &peer{id: int32(i + 1), sess: sess, link: &link{}, ip: loopback,
			reliable: nopSink{}, connectToken: string(rune('a' + i))}
		rt = rt.with(p)
		fp.register(p)
		from := c.LocalAddr().(*net.UDPAddr).AddrPort()
		bd := &binding{fp: fp, peer: p, addr: from, conn: fp.conns[0]}
		fp.bindings[from] = bd
		fp.byPeer[p] = bd
		bd.hear()
		tp.peers = append(tp.peers, p)
		tp.clients = append(tp.clients, c)
	}
	sess.routes.Store(rt)
	return tp
}

// broadcast is the datagram player id sends to all the others with sequence
// number seq; its payload is the sender and the sequence number.
func broadcast(id, seq int32) []byte {
	return protocol.AppendPacket(nil, &protocol.Packet{OpCode: 5, SequenceNumber: seq, Sender: id,
		TargetGroup: protocol.GroupAllPlayers, Payload: []byte{byte(id), byte(seq)}})
}

// receiveAll reads n datagrams on c and checks that their sequence numbers are
// 1, 2, ... n; it returns the payloads.
func receiveAll(t *testing.T, c *net.UDPConn, n int) [][]byte {
	t.Helper()
	buf := make([]byte, protocol.MaxFrameSize)
	var p protocol.Packet
	var payloads [][]byte
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("%v after %d of %d datagrams", err, i, n)
		}
		if err := protocol.DecodePacket(buf[:k], &p); err != nil {
			t.Fatal(err)
		}
		if p.SequenceNumber != int32(i+1) {
			t.Fatalf("datagram %d has sequence number %d", i+1, p.SequenceNumber)
		}
		payloads = append(payloads, append([]byte(nil), p.Payload...))
	}
	return payloads
}

// TestUDPBatchOrder queues broadcasts of every player on the relay's sockets
// before the readers start, so that they are read and sent in batches: every
// recipient gets all of them, numbered 1, 2, ... without a gap, and each
// sender's in the order sent. The relay's sockets are IPv4, or dual stack (IPv4
// peers as mapped IPv6 addresses).
func TestUDPBatchOrder(t *testing.T) {
	for _, listen := range []string{"127.0.0.1:0", ":0"} {
		t.Run(listen, func(t *testing.T) { testUDPBatchOrder(t, listen) })
	}
}

func testUDPBatchOrder(t *testing.T, listen string) {
	const players, each = 8, 12
	tp := newBatchTestPathOn(t, listen, players, 2)
	relayAddr := tp.addr
	for seq := int32(1); seq <= each; seq++ {
		for i, c := range tp.clients {
			if _, err := c.WriteToUDPAddrPort(broadcast(int32(i+1), seq), relayAddr); err != nil {
				t.Fatal(err)
			}
		}
	}
	tp.fp.start()
	for i, c := range tp.clients {
		next := make(map[byte]byte)
		for _, pl := range receiveAll(t, c, (players-1)*each) {
			from, seq := pl[0], pl[1]
			if from == byte(i+1) {
				t.Fatalf("player %d got its own broadcast", i+1)
			}
			if seq != next[from]+1 {
				t.Fatalf("player %d got %d's message %d after %d", i+1, from, seq, next[from])
			}
			next[from] = seq
		}
	}
	// The reader counts a batch once its send returns, which may be after
	// the clients read it: wait for the count, then check it went no further.
	want := float64(players * (players - 1) * each)
	poll.Must(t, 5*time.Second, func() string {
		return fmt.Sprintf("%v datagrams counted sent, want %v", counterValue(t, tp.fp.srv.m.udpOut), want)
	}, func() bool { return counterValue(t, tp.fp.srv.m.udpOut) >= want })
	if v := counterValue(t, tp.fp.srv.m.udpOut); v != want {
		t.Fatalf("%v datagrams counted sent, want %v", v, want)
	}
}

// TestUDPBatchDrops puts a spoofed and an unbound datagram in the middle of one
// read batch: only they are dropped, and counted.
func TestUDPBatchDrops(t *testing.T) {
	tp := newBatchTestPath(t, 3, 1)
	relayAddr := tp.addr
	stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	send := func(c *net.UDPConn, b []byte) {
		t.Helper()
		if _, err := c.WriteToUDPAddrPort(b, relayAddr); err != nil {
			t.Fatal(err)
		}
	}
	send(tp.clients[0], broadcast(1, 1))
	send(tp.clients[1], broadcast(2, 1))
	send(tp.clients[2], broadcast(1, 2)) // player 3 claims to be player 1
	send(stranger, broadcast(3, 1))
	send(tp.clients[0], broadcast(1, 3))
	send(tp.clients[2], broadcast(3, 1))
	tp.fp.start()
	want := [][]string{
		{"\x02\x01", "\x03\x01"},
		{"\x01\x01", "\x01\x03", "\x03\x01"},
		{"\x01\x01", "\x02\x01", "\x01\x03"},
	}
	for i, c := range tp.clients {
		got := receiveAll(t, c, len(want[i]))
		for j, pl := range got {
			if string(pl) != want[i][j] {
				t.Fatalf("player %d: datagram %d is % x, want % x", i+1, j+1, pl, want[i][j])
			}
		}
	}
	for reason, c := range tp.fp.srv.m.drops {
		want := 0.0
		if reason == dropSpoofed || reason == dropUnbound {
			want = 1
		}
		if v := counterValue(t, c); v != want {
			t.Fatalf("%v datagrams dropped as %s, want %v", v, reason, want)
		}
	}
}

// TestUDPBatchJoinsHeldBatch checks the ordering rule: while a batch holds a
// peer's datagrams, sends to that peer from another reader's batch or from
// outside any batch join it; once it is written they go their own way.
func TestUDPBatchJoinsHeldBatch(t *testing.T) {
	tp := newBatchTestPath(t, 2, 2)
	b1, b2 := tp.fp.readers[0].send, tp.fp.readers[1].send
	bd := tp.fp.byPeer[tp.peers[1]]
	out := &protocol.Packet{OpCode: 5, Sender: 1}
	bd.send(out, b1)
	bd.send(out, b2)
	bd.enqueue(out)
	if b1.n != 3 || b2.n != 0 {
		t.Fatalf("batches hold %d and %d datagrams, want 3 and 0", b1.n, b2.n)
	}
	b1.flush()
	if l := tp.peers[1].link.batch.Load(); l != nil {
		t.Fatal("the link still points at a written batch")
	}
	bd.send(out, b2)
	bd.enqueue(out)
	if b2.n != 2 {
		t.Fatalf("batch 2 holds %d datagrams, want 2", b2.n)
	}
	b2.flush()
	receiveAll(t, tp.clients[1], 5)
}

// TestUDPBatchConcurrentSenders runs both readers on a stream of broadcasts
// while another goroutine sends to the same peers outside any batch (as the
// session goroutine does): every recipient sees its sequence numbers without a
// gap or a reordering.
func TestUDPBatchConcurrentSenders(t *testing.T) {
	const players, each, direct = 4, 60, 60
	tp := newBatchTestPath(t, players, 2)
	tp.fp.start()
	relayAddr := tp.addr
	var wg sync.WaitGroup
	wg.Go(func() {
		out := &outgoing{Packet: protocol.Packet{OpCode: 6, Sender: protocol.PeerServer, Payload: []byte{0, 0}}}
		for range direct {
			out.fresh()
			for _, p := range tp.peers {
				p.send(out, true, nil)
			}
		}
	})
	for i, c := range tp.clients {
		wg.Go(func() {
			for seq := int32(1); seq <= each; seq++ {
				if _, err := c.WriteToUDPAddrPort(broadcast(int32(i+1), seq), relayAddr); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for _, c := range tp.clients {
		receiveAll(t, c, (players-1)*each+direct)
	}
	wg.Wait()
}

// TestUDPBatchAllocations checks that reading a batch of datagrams, routing
// them and writing the batch allocates nothing.
func TestUDPBatchAllocations(t *testing.T) {
	tp := newBatchTestPath(t, 3, 1)
	r := tp.fp.readers[0]
	relayAddr := tp.addr
	frames := make([][]byte, 8)
	for i := range frames {
		frames[i] = broadcast(1, int32(i+1))
	}
	drain := make([]byte, protocol.MaxFrameSize)
	var in protocol.Packet
	var out outgoing
	allocs := testing.AllocsPerRun(100, func() {
		tp.fp.byPeer[tp.peers[0]].filter.Reset()
		for _, f := range frames {
			if _, err := tp.clients[0].WriteToUDPAddrPort(f, relayAddr); err != nil {
				t.Fatal(err)
			}
		}
		for got := 0; got < len(frames); {
			n, err := r.recv.read()
			if err != nil {
				t.Fatal(err)
			}
			for i := range n {
				b, from := r.recv.datagram(i)
				tp.fp.datagram(r.conn, r.send, b, from, &in, &out)
			}
			got += n
		}
		r.send.flush()
		for _, c := range tp.clients[1:] {
			for range frames {
				if _, err := c.Read(drain); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per batch", allocs)
	}
	for reason, c := range tp.fp.srv.m.drops {
		if v := counterValue(t, c); v != 0 {
			t.Fatalf("%v datagrams dropped as %s", v, reason)
		}
	}
}
