// DTLS: the fast path of a relay with a TLS certificate, one association per
// peer, bound by the verify identity exchange (docs/protocol.md 8).

package relay

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/pion/dtls/v3"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// DTLS association timings.
const (
	verifyTimeout = 5 * time.Second        // a DTLS association must send -14 within it
	refusalLinger = 250 * time.Millisecond // a refused DTLS association stays open this long
)

// listenDTLS opens fp's DTLS listener on ua, resolved from addr.
func (fp *fastPath) listenDTLS(ua *net.UDPAddr, addr string) error {
	ln, err := dtls.ListenWithOptions("udp", ua, dtls.WithCertificates(fp.srv.opts.TLS.Certificates...),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret))
	if err != nil {
		return fmt.Errorf("relay: dtls listen on %s: %w", addr, err)
	}
	fp.ln, fp.port = ln, ln.Addr().(*net.UDPAddr).Port
	return nil
}

// acceptLoop accepts DTLS associations, each served by its own goroutine.
func (fp *fastPath) acceptLoop() {
	defer fp.wg.Done()
	for {
		c, err := fp.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || errors.Is(err, dtls.ErrConnClosed) {
				return
			}
			fp.mu.RLock()
			closed := fp.closed
			fp.mu.RUnlock()
			if closed {
				return
			}
			continue
		}
		fp.mu.Lock()
		if fp.closed {
			fp.mu.Unlock()
			c.Close()
			return
		}
		fp.assocs[c] = struct{}{}
		fp.wg.Add(1)
		fp.mu.Unlock()
		go fp.serveDTLS(c)
	}
}

// serveDTLS runs one DTLS association: the handshake, the verify identity
// exchange (-14/-15) that binds it to a peer, then its packets.
func (fp *fastPath) serveDTLS(c net.Conn) {
	defer fp.wg.Done()
	defer func() {
		fp.mu.Lock()
		delete(fp.assocs, c)
		fp.mu.Unlock()
		c.Close()
	}()
	m := fp.srv.m
	deadline := time.Now().Add(verifyTimeout)
	if dc, ok := c.(*dtls.Conn); ok {
		ctx, cancel := context.WithDeadline(fp.srv.baseCtx, deadline)
		err := dc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			return
		}
	}
	buf := make([]byte, protocol.MaxFrameSize+1)
	var in protocol.Packet
	var out outgoing
	if err := c.SetReadDeadline(deadline); err != nil {
		return
	}
	n, err := c.Read(buf)
	if err != nil {
		return
	}
	bd := fp.verify(c, buf[:n], &in, &out.Packet)
	if bd == nil {
		// Linger briefly before closing, so that a refusal is read before the
		// close alert (a DTLS client may see the close first otherwise).
		if err := c.SetReadDeadline(time.Now().Add(refusalLinger)); err != nil {
			return
		}
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return
	}
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if !fp.decode(buf[:n], &in) {
			continue
		}
		if in.OpCode == protocol.OpUDPConnect {
			m.dropUDP(dropOpCode)
			continue
		}
		fp.handle(bd, nil, &in, &out)
	}
}

// verify handles the first record of a DTLS association, which must be -14 with
// the peer id and connect token of a logged-in peer; it answers -15 and returns
// the binding, or nil after a refusal.
func (fp *fastPath) verify(c net.Conn, b []byte, in, out *protocol.Packet) *binding {
	if !fp.decode(b, in) {
		return nil
	}
	m := fp.srv.m
	if in.OpCode != protocol.OpVerifyIdentity {
		m.dropUDP(dropUnbound)
		return nil
	}
	v := in.VerifyIdentity
	out.Reset()
	out.OpCode = protocol.OpVerifyIdentityResult
	out.Sender = protocol.PeerServer
	out.SetMessage(protocol.MessageVerifyIdentityResult)
	fp.mu.Lock()
	p := fp.byToken[v.ConnectToken]
	if p == nil || p.id != v.PeerID || subtle.ConstantTimeCompare([]byte(p.connectToken), []byte(v.ConnectToken)) != 1 {
		fp.mu.Unlock()
		m.refuseBind(dropBadToken, bindBadToken)
		out.SequenceNumber = 1 // every UDP packet is sequenced (docs/protocol.md 9)
		if _, err := c.Write(protocol.AppendPacket(nil, out)); err == nil {
			m.udpOut.Inc()
		}
		return nil
	}
	// The association proves the most there is: it replaces any binding. It is
	// the peer's fast path before -15 leaves, and the link's fastMu, taken
	// first, holds every fast message behind -15: a client that has read -15
	// gets its fast messages over DTLS from then on, none before it.
	bd := &binding{fp: fp, peer: p, proof: proofDTLS, dconn: c}
	if old := fp.byPeer[p]; old != nil {
		fp.unbindLocked(old)
	}
	fp.byPeer[p] = bd
	bd.heard.Store(true)
	l := p.link
	l.fastMu.Lock()
	p.fast.Store(&sinkBox{s: bd})
	fp.mu.Unlock()
	m.udpIn.Inc()
	out.VerifyIdentityResult = protocol.VerifyIdentityResult{Success: true, PeerID: p.id}
	out.Reliable = false
	l.fastTail = protocol.AppendPacketTail(l.fastTail[:0], out)
	if !bd.sendTailLocked(out.OpCode, l.fastTail, nil) {
		bd.close(0, "")
		return nil
	}
	return bd
}
