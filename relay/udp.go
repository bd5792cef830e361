package relay

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// UDP binding timings (docs/protocol.md 8).
const (
	ackFirstResend = 100 * time.Millisecond // -6 resend: 100 ms, doubling
	ackResends     = 8                      // -6 resends at most
)

// fastPath is the relay's UDP listener, plain or DTLS, and the bindings of its
// peers' fast paths.
type fastPath struct {
	srv     *Server
	conns   []*net.UDPConn // plain UDP, one reader each (SO_REUSEPORT); nil with DTLS
	readers []*udpReader   // the readers of conns
	ln      net.Listener   // DTLS; nil with plain UDP
	port    int            // the local port
	wg      sync.WaitGroup // reader goroutines

	mu       sync.RWMutex
	bindings map[netip.AddrPort]*binding // plain UDP source address -> binding
	byPeer   map[*peer]*binding
	byToken  map[string]*peer      // connect token -> peer
	byIPPeer map[ipPeer][]*peer    // stock clients: (WebSocket IP, peer id) -> peers, oldest first
	assocs   map[net.Conn]struct{} // DTLS associations, bound or not
	closed   bool
}

// ipPeer is a WebSocket IP and a peer id: what a stock client's -5 is matched by.
type ipPeer struct {
	ip netip.Addr
	id int32
}

// proof is what the datagram that bound a peer's fast path proved, weakest
// first (docs/protocol.md 8).
type proof uint8

const (
	proofIP    proof = iota + 1 // tokenless -5 from the IP of the peer's WebSocket (stock clients)
	proofToken                  // -5 with the peer's connect token
	proofDTLS                   // -14 with the connect token on a DTLS association
)

// binding is the fast path of one peer: a UDP source address or a DTLS
// association. It is the peer's fast sink once the client has been heard on it.
type binding struct {
	fp     *fastPath
	peer   *peer
	proof  proof              // guarded by fp.mu
	addr   netip.AddrPort     // plain UDP
	conn   *net.UDPConn       // plain UDP: the socket that received the binding's datagrams
	dconn  net.Conn           // DTLS
	filter protocol.SeqFilter // owned by the goroutine reading this binding
	heard  atomic.Bool
	closed atomic.Bool

	mu      sync.Mutex // guards resend
	resend  *time.Timer
	resends int
}

// newFastPath returns a fast path of s with no socket yet.
func newFastPath(s *Server) *fastPath {
	return &fastPath{srv: s, bindings: make(map[netip.AddrPort]*binding), byPeer: make(map[*peer]*binding),
		byToken: make(map[string]*peer), byIPPeer: make(map[ipPeer][]*peer), assocs: make(map[net.Conn]struct{})}
}

// listenFast opens the UDP (or, with a TLS certificate, DTLS) listener on addr.
func listenFast(s *Server, addr string) (*fastPath, error) {
	fp := newFastPath(s)
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("relay: udp address %s: %w", addr, err)
	}
	if s.opts.TLS != nil {
		return fp, fp.listenDTLS(ua, addr)
	}
	readers := udpReaders()
	lc := net.ListenConfig{}
	if readers > 1 {
		lc.Control = reusePort
	}
	for i := range readers {
		if i > 0 {
			ua = &net.UDPAddr{IP: ua.IP, Port: fp.port, Zone: ua.Zone}
		}
		pc, err := lc.ListenPacket(context.Background(), "udp", ua.String())
		if err != nil {
			if i > 0 {
				break // fewer readers: the first sockets serve
			}
			return nil, fmt.Errorf("relay: udp listen on %s: %w", addr, err)
		}
		c := pc.(*net.UDPConn)
		// Large socket buffers absorb bursts of fan-out; errors only mean the
		// system keeps its defaults.
		_ = c.SetReadBuffer(4 << 20)
		_ = c.SetWriteBuffer(4 << 20)
		r, err := newUDPReader(c, s.m)
		if err != nil {
			c.Close()
			for _, c := range fp.conns {
				c.Close()
			}
			return nil, err
		}
		fp.conns = append(fp.conns, c)
		fp.readers = append(fp.readers, r)
		fp.port = c.LocalAddr().(*net.UDPAddr).Port
	}
	return fp, nil
}

// start runs the reader goroutines; close stops them.
func (fp *fastPath) start() {
	if fp.ln != nil {
		fp.wg.Add(1)
		go fp.acceptLoop()
		return
	}
	for _, r := range fp.readers {
		fp.wg.Add(1)
		go fp.readLoop(r)
	}
}

// close closes the listener and every association and waits for the readers.
func (fp *fastPath) close() {
	fp.mu.Lock()
	fp.closed = true
	for _, bd := range fp.byPeer {
		fp.unbindLocked(bd)
	}
	for c := range fp.assocs {
		c.Close()
	}
	fp.mu.Unlock()
	if fp.ln != nil {
		fp.ln.Close()
	}
	for _, c := range fp.conns {
		c.Close()
	}
	fp.wg.Wait()
}

// readLoop is the reader of one plain UDP socket. It receives the datagrams
// queued on the socket with one system call (recvmmsg on Linux), handles them,
// then writes the datagrams they produced with one more (sendmmsg): reusable
// buffers and one packet pair, so that receiving and sending allocate nothing.
// With SO_REUSEPORT the kernel gives all datagrams of one source address to the
// same socket, so a binding is only ever read by one reader.
func (fp *fastPath) readLoop(r *udpReader) {
	defer fp.wg.Done()
	var in protocol.Packet
	var out outgoing
	for {
		n, err := r.recv.read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		for i := range n {
			b, from := r.recv.datagram(i)
			fp.datagram(r.conn, r.send, b, from, &in, &out)
		}
		r.send.flush()
	}
}

// datagram handles one plain UDP datagram received on socket c from an address;
// the datagrams it sends join batch sb (nil: they are written at once).
func (fp *fastPath) datagram(c *net.UDPConn, sb *sendBatch, b []byte, from netip.AddrPort, in *protocol.Packet, out *outgoing) {
	if !fp.decode(b, in) {
		return
	}
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	if in.OpCode == protocol.OpUDPConnect {
		fp.connect(c, in, from)
		return
	}
	fp.mu.RLock()
	bd := fp.bindings[from]
	fp.mu.RUnlock()
	if bd == nil {
		fp.srv.m.dropUDP(dropUnbound)
		return
	}
	fp.handle(bd, sb, in, out)
}

// connect handles an unsecured UDP connect (-5): it binds from to the peer the
// connect token names, or for a stock client (no token) to the peer with the
// sender's id whose WebSocket comes from the same IP, then acknowledges with -6.
// A binding moves only with the connect token, and is never replaced by a -5
// that proves less than it (bindRefusalLocked).
func (fp *fastPath) connect(c *net.UDPConn, in *protocol.Packet, from netip.AddrPort) {
	m := fp.srv.m
	fp.mu.Lock()
	var p *peer
	pr := proofIP
	if tok := in.UDPConnect.ConnectToken; tok != "" {
		p, pr = fp.byToken[tok], proofToken
		if p == nil || p.id != in.Sender {
			fp.mu.Unlock()
			m.refuseBind(dropBadToken, bindBadToken)
			return
		}
	} else if p = fp.stockPeerLocked(ipPeer{from.Addr(), in.Sender}, from); p == nil {
		fp.mu.Unlock()
		m.refuseBind(dropUnbound, bindNoPeer)
		return
	}
	bd := fp.bindings[from]
	if bd == nil || bd.peer != p {
		if reason := fp.bindRefusalLocked(p, bd, pr); reason != "" {
			fp.mu.Unlock()
			m.refuseBind(dropBindRefused, reason)
			return
		}
		if bd != nil {
			fp.unbindLocked(bd)
		}
		if old := fp.byPeer[p]; old != nil {
			fp.unbindLocked(old)
		}
		bd = &binding{fp: fp, peer: p, proof: pr, addr: from, conn: c}
		fp.bindings[from] = bd
		fp.byPeer[p] = bd
	} else {
		bd.proof = max(bd.proof, pr)
	}
	fp.mu.Unlock()
	if !bd.filter.Accept(in.SequenceNumber) {
		m.dropUDP(dropSequence)
		return
	}
	if !p.link.allow(fp.srv.opts.MaxMessagesPerSecond, time.Now()) {
		m.dropUDP(dropRateLimited)
		return
	}
	m.udpIn.Inc()
	bd.ack()
}

// bindRefusalLocked returns why a -5 proving pr may not bind peer p to an
// address bound to at (nil: to nobody), or "" when it may: p's own binding
// elsewhere moves only with the connect token, and neither binding is replaced
// by a datagram that proves less than it did. fp.mu is held.
func (fp *fastPath) bindRefusalLocked(p *peer, at *binding, pr proof) string {
	if old := fp.byPeer[p]; old != nil && pr < max(proofToken, old.proof) {
		return bindNoTokenRebind
	}
	if at != nil && pr < at.proof {
		return bindAddressTaken
	}
	return ""
}

// stockPeerLocked picks the peer a token-less -5 from an address binds: among
// the peers with that id whose WebSocket comes from that IP, the one already
// bound to the address (a repeated -5), else the newest without a binding, else
// the newest (which the -5 may not re-bind). fp.mu is held.
func (fp *fastPath) stockPeerLocked(k ipPeer, from netip.AddrPort) *peer {
	cands := fp.byIPPeer[k]
	if bd := fp.bindings[from]; bd != nil && slices.Contains(cands, bd.peer) {
		return bd.peer
	}
	for i := len(cands) - 1; i >= 0; i-- {
		if fp.byPeer[cands[i]] == nil {
			return cands[i]
		}
	}
	if len(cands) > 0 {
		return cands[len(cands)-1]
	}
	return nil
}

// handle processes a valid packet received on a binding: the sender must be the
// bound peer and the sequence number newer than the newest accepted. The
// datagrams it sends join batch sb (nil: they are written at once).
func (fp *fastPath) handle(bd *binding, sb *sendBatch, in *protocol.Packet, out *outgoing) {
	m := fp.srv.m
	p := bd.peer
	if in.Sender != p.id {
		m.dropUDP(dropSpoofed)
		return
	}
	if !bd.filter.Accept(in.SequenceNumber) {
		m.dropUDP(dropSequence)
		return
	}
	now := time.Now()
	if !p.link.allow(fp.srv.opts.MaxMessagesPerSecond, now) {
		m.dropUDP(dropRateLimited)
		return
	}
	bd.hear()
	sess := p.sess
	sess.lastActivity.Store(now.UnixNano())
	switch {
	case protocol.IsDeveloperOpCode(in.OpCode):
		in.Reliable = false
		if sess.viaScript(in) {
			m.udpIn.Inc()
			sess.postCopy(evData, p, in)
			return
		}
		if protocol.RouteOf(in).Kind == protocol.TargetServer {
			m.dropUDP(dropNoScript)
			return
		}
		m.udpIn.Inc()
		sess.forwardVia(p, in, out, true, sb)
	case in.OpCode == protocol.OpUDPConnectClientAck && bd.dconn == nil:
		m.udpIn.Inc()
	case in.OpCode == protocol.OpUDPConnectClientAck, in.OpCode == protocol.OpVerifyIdentity:
		m.dropUDP(dropOpCode)
	case in.OpCode == protocol.OpPing:
		m.udpIn.Inc()
		out.Reset()
		out.OpCode = protocol.OpPingResult
		out.Sender = protocol.PeerServer
		out.SetMessage(protocol.MessagePingResult)
		out.PingResult = protocol.PingResult{ID: in.Ping.ID, ClientTime: in.Ping.ClientTime, ServerTime: now.UnixNano()}
		bd.send(&out.Packet, sb)
	default:
		m.udpIn.Inc()
		sess.postCopy(evGroup, p, in)
	}
}

// register makes p bindable: by its connect token, and for stock clients by its
// WebSocket IP and peer id.
func (fp *fastPath) register(p *peer) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	fp.byToken[p.connectToken] = p
	k := ipPeer{p.ip, p.id}
	fp.byIPPeer[k] = append(fp.byIPPeer[k], p)
}

// unregister forgets p and removes its binding.
func (fp *fastPath) unregister(p *peer) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if fp.byToken[p.connectToken] == p {
		delete(fp.byToken, p.connectToken)
	}
	k := ipPeer{p.ip, p.id}
	if c := removePeerPtr(fp.byIPPeer[k], p); len(c) == 0 {
		delete(fp.byIPPeer, k)
	} else {
		fp.byIPPeer[k] = c
	}
	if bd := fp.byPeer[p]; bd != nil {
		fp.unbindLocked(bd)
	}
}

// unbind removes p's binding, keeping p bindable.
func (fp *fastPath) unbind(p *peer) {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if bd := fp.byPeer[p]; bd != nil {
		fp.unbindLocked(bd)
	}
}

// unbindLocked removes a binding; fp.mu is held.
func (fp *fastPath) unbindLocked(bd *binding) {
	if fp.byPeer[bd.peer] == bd {
		delete(fp.byPeer, bd.peer)
	}
	if bd.dconn == nil && fp.bindings[bd.addr] == bd {
		delete(fp.bindings, bd.addr)
	}
	bd.closed.Store(true)
	if box := bd.peer.fast.Load(); box != nil && box.s == sink(bd) {
		bd.peer.fast.CompareAndSwap(box, nil)
	}
	bd.mu.Lock()
	if bd.resend != nil {
		bd.resend.Stop()
	}
	bd.mu.Unlock()
	if bd.dconn != nil {
		bd.dconn.Close()
	}
}

func removePeerPtr(ps []*peer, p *peer) []*peer {
	for i, q := range ps {
		if q == p {
			out := make([]*peer, 0, len(ps)-1)
			out = append(out, ps[:i]...)
			return append(out, ps[i+1:]...)
		}
	}
	return ps
}

// hear marks the binding as heard from: the relay starts sending fast messages
// over it and stops resending -6.
func (bd *binding) hear() {
	if bd.heard.Load() || !bd.heard.CompareAndSwap(false, true) {
		return
	}
	bd.mu.Lock()
	if bd.resend != nil {
		bd.resend.Stop()
	}
	bd.mu.Unlock()
	bd.fp.mu.RLock()
	current := bd.fp.byPeer[bd.peer] == bd
	bd.fp.mu.RUnlock()
	if current && !bd.closed.Load() {
		bd.peer.fast.Store(&sinkBox{s: bd})
	}
}

// ack sends -6 and, until the client is heard, resends it (100 ms doubling, 8
// times).
func (bd *binding) ack() {
	bd.sendAck()
	if bd.heard.Load() {
		return
	}
	bd.mu.Lock()
	defer bd.mu.Unlock()
	if bd.resend == nil {
		bd.resend = time.AfterFunc(ackFirstResend, bd.resendAck)
	}
}

// resendAck runs on a timer: it sends -6 again unless the client was heard.
func (bd *binding) resendAck() {
	if bd.heard.Load() || bd.closed.Load() {
		return
	}
	bd.sendAck()
	bd.mu.Lock()
	defer bd.mu.Unlock()
	bd.resends++
	if bd.resends < ackResends {
		bd.resend.Reset(ackFirstResend << bd.resends)
	}
}

func (bd *binding) sendAck() {
	out := bd.fp.srv.getOutgoing()
	defer bd.fp.srv.putOutgoing(out)
	out.OpCode = protocol.OpUDPConnectServerAck
	out.Sender = protocol.PeerServer
	bd.enqueue(&out.Packet)
}

// enqueue implements sink: it sends p at once, or in the batch that holds the
// peer's earlier datagrams.
func (bd *binding) enqueue(p *protocol.Packet) bool { return bd.send(p, nil) }

// enqueueOut implements sink: it sends o at once, or in the batch that holds
// the peer's earlier datagrams.
func (bd *binding) enqueueOut(o *outgoing) bool { return bd.sendOut(o, nil) }

// send sends p as one datagram (UDP does not wait for the receiver), see
// sendTail; it sets p.Reliable to false.
func (bd *binding) send(p *protocol.Packet, sb *sendBatch) bool {
	if bd.closed.Load() {
		return false
	}
	l := bd.peer.link
	p.Reliable = false
	l.fastMu.Lock()
	l.fastTail = protocol.AppendPacketTail(l.fastTail[:0], p)
	return bd.sendTailLocked(p.OpCode, l.fastTail, sb)
}

// sendOut sends o's packet as one datagram with the fields o encoded once for
// all its recipients, see sendTail.
func (bd *binding) sendOut(o *outgoing, sb *sendBatch) bool {
	if bd.closed.Load() {
		return false
	}
	tail := o.udpTail()
	bd.peer.link.fastMu.Lock()
	return bd.sendTailLocked(o.OpCode, tail, sb)
}

// sendTailLocked sends the packet of op code opCode and other fields tail
// (protocol.AppendPacketTail) as one datagram stamped with the peer's next
// sequence number: into the batch that holds the peer's earlier datagrams if
// there is one, else into batch sb of the calling UDP reader, else (sb nil, or
// DTLS, which encrypts per association) at once. The link's fastMu is held; it
// unlocks it.
func (bd *binding) sendTailLocked(opCode int32, tail []byte, sb *sendBatch) bool {
	l := bd.peer.link
	if bd.dconn == nil {
		held := l.batch.Load()
		if held != nil && held.add(l, bd.addr, opCode, tail, true) || sb != nil && sb.add(l, bd.addr, opCode, tail, false) {
			l.fastMu.Unlock()
			return true
		}
	}
	l.fastBuf = protocol.AppendPacketWithTail(l.fastBuf[:0], opCode, l.fastSeq.Next(), tail)
	var err error
	if bd.dconn != nil {
		_, err = bd.dconn.Write(l.fastBuf)
	} else {
		_, err = bd.conn.WriteToUDPAddrPort(l.fastBuf, bd.addr)
	}
	n := len(l.fastBuf)
	l.fastMu.Unlock()
	if err != nil {
		return false
	}
	bd.fp.srv.m.udpOut.Inc()
	bd.fp.srv.m.udpBytesOut.Add(float64(n))
	return true
}

// close implements sink: the binding is removed.
func (bd *binding) close(int, string) {
	bd.fp.mu.Lock()
	defer bd.fp.mu.Unlock()
	if bd.fp.byPeer[bd.peer] == bd {
		bd.fp.unbindLocked(bd)
	}
}

// listenFastDefault opens the fast path on Options.UDPAddr, by default on the
// WebSocket listener's host and port.
func listenFastDefault(s *Server, opts Options, tcpAddr *net.TCPAddr) (*fastPath, error) {
	if opts.UDPAddr != "" {
		return listenFast(s, opts.UDPAddr)
	}
	host, port, err := net.SplitHostPort(opts.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("relay: listen address %q: %w", opts.ListenAddr, err)
	}
	fp, err := listenFast(s, net.JoinHostPort(host, strconv.Itoa(tcpAddr.Port)))
	if err != nil && port == "0" {
		// The free TCP port chosen for us may be taken on UDP: take a free one.
		return listenFast(s, net.JoinHostPort(host, "0"))
	}
	return fp, err
}

// UDPAddr is the address of the UDP (or DTLS) listener, nil with DisableUDP.
func (s *Server) UDPAddr() net.Addr {
	if s.fast == nil {
		return nil
	}
	if s.fast.ln != nil {
		return s.fast.ln.Addr()
	}
	return s.fast.conns[0].LocalAddr()
}
