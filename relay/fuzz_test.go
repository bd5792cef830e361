package relay

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// nopSink is a reliable sink that accepts everything.
type nopSink struct{}

func (nopSink) enqueue(*protocol.Packet) bool { return true }
func (nopSink) enqueueOut(*outgoing) bool     { return true }
func (nopSink) close(int, string)             {}

// fuzzBound and fuzzUnbound are the source addresses of fuzzed datagrams: the
// first is bound to peer 3, the second to nobody.
var (
	fuzzBound   = netip.MustParseAddrPort("127.0.0.1:9")
	fuzzUnbound = netip.MustParseAddrPort("127.0.0.1:10")
)

// newBareServer returns a Server with default options and metrics but no
// bus, listeners or sessions, for tests of its parts.
func newBareServer(t testing.TB) *Server {
	t.Helper()
	opts, err := Options{Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMetrics(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{opts: opts, m: m, log: opts.Logger, baseCtx: context.Background()}
	srv.pool.New = func() any { return new(outgoing) }
	return srv
}

// newTestFastPath returns a fast path of a relay without bus, with one session
// whose peers 1 to 3 are logged in from 127.0.0.1; peer 3 (connect token "c", as
// in docs/protocol.md) is bound to fuzzBound and heard.
func newTestFastPath(t testing.TB) *fastPath {
	t.Helper()
	srv := newBareServer(t)
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	fp := newFastPath(srv)
	fp.conns = []*net.UDPConn{conn}
	t.Cleanup(fp.close)
	srv.fast = fp
	sess := newSession(srv, GameSessionInfo{GameSessionID: "gsess-test"}, 8)
	rt := newRoutes()
	var last *peer
	for id := int32(1); id <= 3; id++ {
		p := &peer{id: id, sess: sess, link: &link{}, ip: fuzzBound.Addr(), reliable: nopSink{},
			connectToken: string(rune('a' + id - 1))}
		rt = rt.with(p)
		fp.register(p)
		last = p
	}
	sess.routes.Store(rt)
	bd := &binding{fp: fp, peer: last, proof: proofToken, addr: fuzzBound, conn: conn}
	fp.bindings[fuzzBound] = bd
	fp.byPeer[last] = bd
	bd.hear()
	return fp
}

// FuzzUDPDatagram feeds arbitrary datagrams, from a bound or an unbound address,
// to the UDP receive path: it must never panic, and the bindings it creates stay
// bounded by the peers (one address each).
func FuzzUDPDatagram(f *testing.F) {
	f.Add(byte(0), []byte{0x14, 0x08, 0x02, 0x10, 0x07, 0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x28, 0x03, 0x7a, 0x01, 0xff})
	fp := newTestFastPath(f)
	var in protocol.Packet
	var out outgoing
	f.Fuzz(func(t *testing.T, src byte, data []byte) {
		from := fuzzBound
		if src%2 == 1 {
			from = fuzzUnbound
		}
		fp.datagram(fp.conns[0], nil, data, from, &in, &out)
		fp.mu.RLock()
		n := len(fp.bindings)
		fp.mu.RUnlock()
		if n > 2 {
			t.Fatalf("%d bindings for 2 source addresses", n)
		}
	})
}

// TestUDPReceiveAllocations checks that receiving a developer datagram from a
// bound address and forwarding it allocates nothing.
func TestUDPReceiveAllocations(t *testing.T) {
	fp := newTestFastPath(t)
	frame := protocol.AppendPacket(nil, &protocol.Packet{OpCode: 5, SequenceNumber: 1, Sender: 3, TargetPlayer: 1,
		Payload: make([]byte, 64)})
	var in protocol.Packet
	var out outgoing
	seq := int32(1)
	allocs := testing.AllocsPerRun(1000, func() {
		seq++
		frame[4] = byte(seq%120) + 1 // keep the sequence number a one-byte varint
		fp.bindings[fuzzBound].filter.Reset()
		fp.datagram(fp.conns[0], nil, frame, fuzzBound, &in, &out)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per datagram", allocs)
	}
	for reason, c := range fp.srv.m.drops {
		if v := counterValue(t, c); v != 0 {
			t.Fatalf("%v datagrams dropped as %s", v, reason)
		}
	}
	if v := counterValue(t, fp.srv.m.udpIn); v < 1000 {
		t.Fatalf("%v datagrams received", v)
	}
}

func counterValue(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestStockBindingChoice checks which peer a token-less -5 binds when several
// sessions have a peer with its sender id from the same IP: the one bound to
// its address, else the newest without a binding; when all are bound elsewhere
// it binds none, since a binding moves only with the connect token.
func TestStockBindingChoice(t *testing.T) {
	fp := newTestFastPath(t)
	ip := fuzzBound.Addr()
	sess := newSession(fp.srv, GameSessionInfo{GameSessionID: "gsess-other"}, 8)
	older := &peer{id: 3, sess: sess, link: &link{}, ip: ip, reliable: nopSink{}, connectToken: "x"}
	newer := &peer{id: 3, sess: sess, link: &link{}, ip: ip, reliable: nopSink{}, connectToken: "y"}
	fp.register(older)
	fp.register(newer)
	connect := func(from netip.AddrPort) *peer {
		p := protocol.Packet{OpCode: protocol.OpUDPConnect, SequenceNumber: 1, Sender: 3, TargetPlayer: -1}
		p.SetMessage(protocol.MessageUDPConnect)
		var in protocol.Packet
		var out outgoing
		fp.datagram(fp.conns[0], nil, protocol.AppendPacket(nil, &p), from, &in, &out)
		fp.mu.RLock()
		defer fp.mu.RUnlock()
		if bd := fp.bindings[from]; bd != nil {
			return bd.peer
		}
		return nil
	}
	if got := connect(netip.AddrPortFrom(ip, 20)); got != newer {
		t.Fatal("the newest unbound peer was not chosen")
	}
	if got := connect(netip.AddrPortFrom(ip, 21)); got != older {
		t.Fatal("the next unbound peer was not chosen")
	}
	// A repeated -5 keeps its peer.
	if got := connect(netip.AddrPortFrom(ip, 20)); got != newer {
		t.Fatal("a repeated -5 changed the bound peer")
	}
	// All bound: no tokenless -5 moves a binding.
	if got := connect(netip.AddrPortFrom(ip, 22)); got != nil {
		t.Fatal("a tokenless -5 re-bound a bound peer")
	}
	if v := counterValue(t, fp.srv.m.bindRefusals[bindNoTokenRebind]); v != 1 {
		t.Fatalf("%v tokenless re-bindings refused, want 1", v)
	}
	fp.mu.RLock()
	still := fp.bindings[netip.AddrPortFrom(ip, 20)]
	fp.mu.RUnlock()
	if still == nil || still.peer != newer {
		t.Fatal("the refused -5 unbound the newest peer")
	}
	// Another IP binds nobody.
	if got := connect(netip.MustParseAddrPort("192.0.2.1:5")); got != nil {
		t.Fatal("a -5 from another IP was bound")
	}
	fp.unregister(newer)
	if box := newer.fast.Load(); box != nil {
		t.Fatal("an unregistered peer keeps its fast sink")
	}
}
