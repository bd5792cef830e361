package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/pion/dtls/v3"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// Fast path timings (docs/protocol.md 8 and 11).
const (
	connectFirstRetry = 100 * time.Millisecond // -5 retry: 100 ms, doubling
	connectMaxRetry   = 5 * time.Second        // capped at 5 s
	connectAttempts   = 6                      // then the client stays on the WebSocket
	keepAliveInterval = 10 * time.Second       // a -2 over UDP at least this often
)

// fastConn is the client's bound fast path: a connected UDP socket or a DTLS
// association.
type fastConn struct {
	conn net.Conn

	mu  sync.Mutex // guards seq, buf, pkt
	seq protocol.SeqCounter
	buf []byte
	pkt protocol.Packet
}

// FastBound reports whether the fast path is bound: fast messages then travel by
// UDP (or DTLS).
func (c *Client) FastBound() bool { return c.fast != nil }

// bindFast binds the fast path: DTLS with verify identity for a wss:// relay,
// else the unsecured UDP handshake with the connect token.
func (c *Client) bindFast(ctx context.Context) (*fastConn, error) {
	host := c.url.Hostname()
	addr := net.JoinHostPort(host, strconv.Itoa(int(c.result.FastPort)))
	if c.url.Scheme == "wss" {
		return c.bindDTLS(ctx, host, addr)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("relay client: udp dial %s: %w", addr, err)
	}
	if uc, ok := conn.(*net.UDPConn); ok {
		// Room for bursts (a fan-out of many senders); an error keeps the default.
		_ = uc.SetReadBuffer(1 << 20)
	}
	f := &fastConn{conn: conn}
	if err := f.handshake(ctx, c.peerID, c.result.ConnectToken); err != nil {
		conn.Close()
		return nil, err
	}
	return f, nil
}

// handshake sends -5 with the connect token until -6 arrives (100 ms doubling,
// capped at 5 s, connectAttempts times), then -7.
func (f *fastConn) handshake(ctx context.Context, peerID int32, token string) error {
	buf := make([]byte, protocol.MaxFrameSize+1)
	var in protocol.Packet
	wait := connectFirstRetry
	for range connectAttempts {
		f.mu.Lock()
		p := &f.pkt
		p.Reset()
		p.OpCode = protocol.OpUDPConnect
		p.TargetPlayer = protocol.PeerServer
		p.Sender = peerID
		p.SetMessage(protocol.MessageUDPConnect)
		p.UDPConnect.ConnectToken = token
		err := f.writeLocked()
		f.mu.Unlock()
		if err != nil {
			return err
		}
		deadline := time.Now().Add(wait)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		if err := f.conn.SetReadDeadline(deadline); err != nil {
			return fmt.Errorf("relay client: udp: %w", err)
		}
		for {
			n, err := f.conn.Read(buf)
			if err != nil {
				break
			}
			if protocol.DecodePacket(buf[:n], &in) == nil && in.OpCode == protocol.OpUDPConnectServerAck {
				if err := f.conn.SetReadDeadline(time.Time{}); err != nil {
					return fmt.Errorf("relay client: udp: %w", err)
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				p.Reset()
				p.OpCode = protocol.OpUDPConnectClientAck
				p.TargetPlayer = protocol.PeerServer
				p.Sender = peerID
				p.SetMessage(protocol.MessageUDPConnect)
				return f.writeLocked()
			}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("relay client: udp connect: %w", err)
		}
		wait = min(2*wait, connectMaxRetry)
	}
	return errors.New("relay client: udp connect: no answer from the relay")
}

// bindDTLS opens a DTLS association to addr verifying the relay's certificate for
// host, and binds it with the verify identity exchange (-14/-15).
func (c *Client) bindDTLS(ctx context.Context, host, addr string) (*fastConn, error) {
	roots := c.opts.RootCAs
	if roots == nil && len(c.result.CACert) > 0 {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(c.result.CACert) {
			return nil, errors.New("relay client: dtls: the login result's CA certificate does not parse")
		}
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("relay client: dtls address %s: %w", addr, err)
	}
	dc, err := dtls.DialWithOptions("udp", ua, dtls.WithRootCAs(roots), dtls.WithServerName(host),
		dtls.WithExtendedMasterSecret(dtls.RequestExtendedMasterSecret))
	if err != nil {
		return nil, fmt.Errorf("relay client: dtls dial %s: %w", addr, err)
	}
	if err := dc.HandshakeContext(ctx); err != nil {
		dc.Close()
		return nil, fmt.Errorf("relay client: dtls handshake with %s: %w", addr, err)
	}
	f := &fastConn{conn: dc}
	f.mu.Lock()
	p := &f.pkt
	p.Reset()
	p.OpCode = protocol.OpVerifyIdentity
	p.Sender = c.peerID
	p.Payload = c.payload
	p.SetMessage(protocol.MessageVerifyIdentity)
	p.VerifyIdentity = protocol.VerifyIdentityCommand{PeerID: c.peerID, ConnectToken: c.result.ConnectToken}
	f.buf = protocol.AppendPacket(f.buf[:0], p)
	p.Payload = nil
	_, err = dc.Write(f.buf)
	f.mu.Unlock()
	if err != nil {
		dc.Close()
		return nil, fmt.Errorf("relay client: dtls verify identity: %w", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := dc.SetReadDeadline(deadline); err != nil {
		dc.Close()
		return nil, fmt.Errorf("relay client: dtls: %w", err)
	}
	buf := make([]byte, protocol.MaxFrameSize+1)
	var in protocol.Packet
	for {
		n, err := dc.Read(buf)
		if err != nil {
			dc.Close()
			return nil, fmt.Errorf("relay client: dtls verify identity result: %w", err)
		}
		if protocol.DecodePacket(buf[:n], &in) != nil || in.OpCode != protocol.OpVerifyIdentityResult {
			continue
		}
		if !in.VerifyIdentityResult.Success {
			dc.Close()
			return nil, errors.New("relay client: dtls verify identity refused")
		}
		if err := dc.SetReadDeadline(time.Time{}); err != nil {
			dc.Close()
			return nil, fmt.Errorf("relay client: dtls: %w", err)
		}
		return f, nil
	}
}

// writeLocked stamps the next sequence number on f.pkt and sends it; f.mu is held.
func (f *fastConn) writeLocked() error {
	f.pkt.SequenceNumber = f.seq.Next()
	f.pkt.Reliable = false
	f.buf = protocol.AppendPacket(f.buf[:0], &f.pkt)
	f.pkt.Payload = nil
	if _, err := f.conn.Write(f.buf); err != nil {
		return fmt.Errorf("relay client: udp send: %w", err)
	}
	return nil
}

// sendData sends a developer message over the fast path.
func (f *fastConn) sendData(c *Client, opCode int32, target protocol.Target, payload []byte) error {
	if c.closed.Load() {
		return ErrClosed
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := fillMessage(&f.pkt, c.peerID, opCode, target, payload); err != nil {
		return err
	}
	return f.writeLocked()
}

// sendPing sends a -2 over the fast path.
func (f *fastConn) sendPing(peerID int32, id uint32) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &f.pkt
	p.Reset()
	p.OpCode = protocol.OpPing
	p.Sender = peerID
	p.TargetPlayer = protocol.PeerServer
	p.SetMessage(protocol.MessagePing)
	p.Ping = protocol.PingCommand{ID: id, ClientTime: time.Now().UnixNano()}
	err := f.writeLocked()
	p.Message = protocol.MessageNone
	return err
}

// fastReadLoop reads the fast path until it is closed: datagrams newer than the
// newest kept are dispatched, older ones dropped; every keepAliveInterval of
// silence it sends a -2 to keep NAT bindings open. readLoop owns it and closes
// the connection to stop it.
func (c *Client) fastReadLoop(done chan<- struct{}) {
	defer close(done)
	f := c.fast
	buf := make([]byte, protocol.MaxFrameSize+1)
	var in protocol.Packet
	var filter protocol.SeqFilter
	next := time.Now().Add(keepAliveInterval)
	if err := f.conn.SetReadDeadline(next); err != nil {
		return
	}
	for {
		n, err := f.conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !c.closed.Load() {
				if err := f.sendPing(c.peerID, c.pingSeq.Add(1)); err != nil {
					c.opts.Logger.Debug("relay client: udp keepalive", "err", err)
				}
				next = time.Now().Add(keepAliveInterval)
				if err := f.conn.SetReadDeadline(next); err != nil {
					return
				}
				continue
			}
			if errors.Is(err, net.ErrClosed) || errors.Is(err, dtls.ErrConnClosed) || c.closed.Load() {
				return
			}
			var oe *net.OpError
			if errors.As(err, &oe) {
				// An ICMP error on a connected socket (relay gone): keep reading until closed.
				continue
			}
			return
		}
		if err := protocol.DecodePacket(buf[:n], &in); err != nil {
			c.opts.Logger.Debug("relay client: undecodable datagram", "err", err)
			continue
		}
		if !filter.Accept(in.SequenceNumber) {
			continue
		}
		c.dispatch(&in)
	}
}

// Ping measures the round-trip time to the relay with a protocol ping (op -2,
// answered by -3), over the fast path when it is bound, else over the WebSocket.
// A ping lost on UDP is not retried: ctx bounds the wait.
func (c *Client) Ping(ctx context.Context) (time.Duration, error) {
	id := c.pingSeq.Add(1)
	ch := make(chan struct{})
	c.pmu.Lock()
	c.pings[id] = ch
	c.pmu.Unlock()
	defer func() {
		c.pmu.Lock()
		delete(c.pings, id)
		c.pmu.Unlock()
	}()
	start := time.Now()
	var err error
	if c.fast != nil {
		err = c.fast.sendPing(c.peerID, id)
	} else {
		c.wmu.Lock()
		p := &c.wpkt
		p.Reset()
		p.OpCode = protocol.OpPing
		p.Sender = c.peerID
		p.TargetPlayer = protocol.PeerServer
		p.Reliable = true
		p.SetMessage(protocol.MessagePing)
		p.Ping = protocol.PingCommand{ID: id, ClientTime: start.UnixNano()}
		err = c.writeLocked(ctx)
		p.Message = protocol.MessageNone
		c.wmu.Unlock()
	}
	if err != nil {
		return 0, err
	}
	select {
	case <-ch:
		return time.Since(start), nil
	case <-c.done:
		return 0, ErrClosed
	case <-ctx.Done():
		return 0, fmt.Errorf("relay client: ping: %w", ctx.Err())
	}
}
