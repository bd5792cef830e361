package relay

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// closeGrace is how long the relay waits for the client's close frame after
// sending its own, before it closes the TCP connection.
const closeGrace = time.Second

// wsConn is one client WebSocket: the reliable sink of its peer. Senders append
// whole WebSocket frames (header and encoded packet) to pending under mu, and
// the first sender to find no write in progress writes them itself: every frame
// queued by then leaves with one system call, without waking another goroutine
// (see writeNow). A write that would wait for the client, a TLS connection and
// the close are handed to a goroutine started for them (drain). Queueing never
// waits for the network and allocates nothing once the buffers have grown, and
// an idle connection has no writer goroutine.
type wsConn struct {
	srv *Server
	c   *websocket.Conn
	nc  net.Conn   // c's connection, written to directly
	raw *rawWriter // non-blocking writes on nc's socket; nil (TLS): writes go through drain
	ip  netip.Addr

	// lastRead is when the client last sent anything, a pong included (unix
	// nanoseconds); the pinger closes the connection with 4004 when it is too old.
	lastRead atomic.Int64
	// clientClosed: the client sent a close frame (a deliberate leave).
	clientClosed atomic.Bool
	// pingEvery is the ping period of the session the connection logged into,
	// when its script sets one (nanoseconds); 0: Options.PingInterval.
	pingEvery atomic.Int64
	// nextPing is when the pinger (Server.pings) next pings the connection
	// (unix nanoseconds).
	nextPing atomic.Int64

	mu      sync.Mutex
	pending []byte // frames not yet written
	frames  int    // messages in pending (control frames not counted)
	spare   []byte
	writing bool // a goroutine owns the write side; it stays set once the connection is finished
	// corked holds the frames queued during the login until the session has
	// handled it (uncork): the client must not read its login result before its
	// peer is routable, as with a reconnect it would send to a peer not yet
	// replaced.
	corked      bool
	closing     bool
	closeCode   int
	closeReason string

	readerDone chan struct{}
	writerDone chan struct{} // closed when the close frame is sent or a write failed, and the TCP connection closed
}

// WebSocket frame opcodes the relay sends (RFC 6455 5.2), with the FIN bit.
const (
	frameBinary = 0x82
	frameClose  = 0x88
	framePing   = 0x89
	framePong   = 0x8a
)

// maxInlineWrites bounds the writes a sender makes for other senders' frames
// before it hands the rest to a drain goroutine.
const maxInlineWrites = 4

// appendFrameHeader appends the header of an unmasked frame of n bytes.
func appendFrameHeader(b []byte, op byte, n int) []byte {
	switch {
	case n < 126:
		return append(b, op, byte(n))
	case n <= 0xffff:
		return append(b, op, 126, byte(n>>8), byte(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, op, 127), uint64(n))
	}
}

// enqueue implements sink.
func (w *wsConn) enqueue(p *protocol.Packet) bool {
	p.Reliable = true
	p.SequenceNumber = 0
	w.mu.Lock()
	if !w.admitLocked() {
		return false
	}
	w.pending = appendFrameHeader(w.pending, frameBinary, p.FrameSize())
	w.pending = protocol.AppendPacket(w.pending, p)
	w.frames++
	w.startLocked()
	return true
}

// enqueueOut implements sink: it queues o's WebSocket frame, encoded once for
// all its recipients. When the connection is idle (nothing queued, no write
// in progress) the frame goes from o's buffer to the socket, uncopied
// (writeShared); otherwise it is copied to the queue.
func (w *wsConn) enqueueOut(o *outgoing) bool {
	frame := o.wsFrame()
	w.mu.Lock()
	if !w.admitLocked() {
		return false
	}
	if w.writing || w.corked || w.raw == nil || len(w.pending) > 0 {
		w.pending = append(w.pending, frame...)
		w.frames++
		w.startLocked()
		return true
	}
	w.writing = true
	w.mu.Unlock()
	w.writeShared(frame)
	return true
}

// admitLocked reports whether a frame may be queued: not when the connection
// is closing or its queue is full, which closes it. Refused, it unlocks w.mu.
func (w *wsConn) admitLocked() bool {
	if w.closing {
		w.mu.Unlock()
		return false
	}
	if len(w.pending) > w.srv.opts.SendQueueBytes {
		w.closing, w.closeCode, w.closeReason = true, protocol.ClosePolicyViolation, "send queue full"
		w.drainLocked()
		w.mu.Unlock()
		w.srv.m.drop(dropQueueFull)
		return false
	}
	return true
}

// enqueueControl queues a control frame (ping, pong) with payload data, at most
// 125 bytes.
func (w *wsConn) enqueueControl(op byte, data string) bool {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		return false
	}
	w.pending = append(appendFrameHeader(w.pending, op, len(data)), data...)
	w.startLocked()
	return true
}

// startLocked ends the queueing of a frame: with a write in progress it leaves
// the frame to that writer, otherwise this goroutine becomes the writer. It
// unlocks w.mu.
func (w *wsConn) startLocked() {
	if w.writing || w.corked {
		w.mu.Unlock()
		return
	}
	w.writing = true
	w.mu.Unlock()
	w.writeNow()
}

// uncork lets the frames queued during the login go.
func (w *wsConn) uncork() {
	w.mu.Lock()
	w.corked = false
	if len(w.pending) == 0 && !w.closing {
		w.mu.Unlock()
		return
	}
	w.startLocked()
}

// drainLocked hands the write side to a drain goroutine unless a writer has it
// (which drains or finishes in turn). w.mu is held.
func (w *wsConn) drainLocked() {
	if !w.writing {
		w.writing = true
		go w.drain(nil, 0, 0)
	}
}

// close implements sink: what is queued is written, then the close frame.
func (w *wsConn) close(code int, reason string) {
	w.mu.Lock()
	if !w.closing {
		w.closing, w.closeCode, w.closeReason = true, code, reason
	}
	w.drainLocked()
	w.mu.Unlock()
}

// take hands the queued frames to the writer, keeping prev (its last buffer,
// written) as the next spare. With nothing queued it ends the writer's turn, or
// reports that the connection is to be finished.
func (w *wsConn) take(prev []byte) (buf []byte, frames int, finish bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if prev != nil && w.spare == nil {
		w.spare = prev[:0]
	}
	if len(w.pending) == 0 {
		if w.closing {
			return nil, 0, true
		}
		w.writing = false
		return nil, 0, false
	}
	// Swap buffers only when there is something to write: the writer owns buf
	// until it hands it back as spare, so pending and spare never share a
	// backing array.
	buf, frames = w.pending, w.frames
	w.pending, w.spare, w.frames = w.spare[:0], nil, 0
	return buf, frames, false
}

// writeNow writes the queued frames on the calling goroutine, a sender, which
// owns the write side: each write takes whatever is queued by then, and never
// waits for the client (a non-blocking system call). What the socket does not
// take at once, a close, a TLS connection and a sender that wrote
// maxInlineWrites times go to a drain goroutine.
func (w *wsConn) writeNow() {
	if w.raw == nil {
		go w.drain(nil, 0, 0)
		return
	}
	var prev []byte
	for range maxInlineWrites {
		buf, frames, finish := w.take(prev)
		switch {
		case finish:
			go w.drain(nil, 0, 0)
			return
		case buf == nil:
			return
		}
		n, err := w.raw.try(buf)
		if err != nil {
			w.abort()
			return
		}
		if n < len(buf) {
			go w.drain(buf, n, frames)
			return
		}
		w.count(frames, len(buf))
		prev = buf
	}
	go w.drain(prev, len(prev), 0)
}

// writeShared writes frame, a message whose bytes other connections share, on
// the calling goroutine, which owns the write side of an idle connection, then
// goes on as writeNow. What the socket does not take at once is copied to a
// buffer of the connection's and handed to a drain goroutine: frame is not
// kept after the call.
func (w *wsConn) writeShared(frame []byte) {
	n, err := w.raw.try(frame)
	if err != nil {
		w.abort()
		return
	}
	if n < len(frame) {
		w.mu.Lock()
		buf := append(w.spare[:0], frame[n:]...)
		w.spare = nil
		w.mu.Unlock()
		w.count(0, n)
		go w.drain(buf, 0, 1)
		return
	}
	w.count(1, n)
	w.writeNow()
}

// drain is the write side's goroutine while a write must wait: it writes
// buf[off:] (holding frames messages), then what is queued, with blocking writes
// bounded by WriteTimeout, and finishes the connection when it is closing and
// everything is written.
func (w *wsConn) drain(buf []byte, off, frames int) {
	for {
		if off < len(buf) {
			if err := w.nc.SetWriteDeadline(time.Now().Add(w.srv.opts.WriteTimeout)); err != nil {
				w.abort()
				return
			}
			if _, err := w.nc.Write(buf[off:]); err != nil {
				w.abort()
				return
			}
			w.count(frames, len(buf))
		}
		var finish bool
		buf, frames, finish = w.take(buf)
		off = 0
		switch {
		case finish:
			w.finish()
			return
		case buf == nil:
			return
		}
	}
}

// count records messages written in one write of bytes.
func (w *wsConn) count(frames, bytes int) {
	if frames > 0 {
		w.srv.m.wsOut.Add(float64(frames))
	}
	w.srv.m.wsBytesOut.Add(float64(bytes))
}

// abort ends a connection whose write failed: nothing more is queued, and the
// TCP connection is closed, which ends the reader.
func (w *wsConn) abort() {
	w.mu.Lock()
	if !w.closing {
		w.closing, w.closeCode = true, protocol.CloseNormal
	}
	w.mu.Unlock()
	w.end()
}

// end closes the TCP connection (as the WebSocket's Close does, without a
// close frame); the write side is over.
func (w *wsConn) end() {
	w.nc.Close()
	close(w.writerDone)
}

// keepAlive runs on the pinger when the connection's ping is due: it closes
// the connection with 4004 when the client has been silent too long, otherwise
// queues a ping carrying the send time.
func (w *wsConn) keepAlive(now time.Time) {
	if now.Sub(time.Unix(0, w.lastRead.Load())) >= w.idleTimeout() {
		w.close(protocol.CloseIdle, "no traffic and no pong")
		return
	}
	w.nextPing.Store(now.Add(w.pingInterval()).UnixNano())
	var stamp [8]byte
	binary.BigEndian.PutUint64(stamp[:], uint64(now.UnixNano()))
	w.enqueueControl(framePing, string(stamp[:]))
}

// setPingInterval makes d the connection's ping period, from now; d <= 0 keeps
// Options.PingInterval.
func (w *wsConn) setPingInterval(d time.Duration) {
	if d > 0 {
		w.pingEvery.Store(int64(d))
		w.nextPing.Store(time.Now().Add(d).UnixNano())
		w.srv.usePingInterval(d)
	}
}

// pingInterval is the connection's ping period.
func (w *wsConn) pingInterval() time.Duration {
	if d := w.pingEvery.Load(); d > 0 {
		return time.Duration(d)
	}
	return w.srv.opts.PingInterval
}

// idleTimeout is how long the connection may stay silent: ConnectionIdleTimeout,
// raised to 3 of its session's ping periods so that a script's slow pings are
// never taken for silence.
func (w *wsConn) idleTimeout() time.Duration {
	idle := w.srv.opts.ConnectionIdleTimeout
	if d := w.pingEvery.Load(); d > 0 {
		idle = max(idle, 3*time.Duration(d))
	}
	return idle
}

// pong records a pong: the client is alive, and the round-trip time of the ping
// it answers.
func (w *wsConn) pong(data string) error {
	now := time.Now()
	w.lastRead.Store(now.UnixNano())
	if len(data) == 8 {
		sent := int64(binary.BigEndian.Uint64([]byte(data)))
		if rtt := now.UnixNano() - sent; rtt >= 0 && rtt < int64(time.Minute) {
			w.srv.m.wsRTT.Observe(time.Duration(rtt).Seconds())
		}
	}
	return nil
}

// pingReceived answers a client's WebSocket ping with a pong queued behind the
// frames before it (gorilla's own handler would write it at once, between two
// of the relay's writes).
func (w *wsConn) pingReceived(data string) error {
	w.lastRead.Store(time.Now().UnixNano())
	w.enqueueControl(framePong, data)
	return nil
}

// closeReceived answers a client's close frame with the same code, after what
// is queued.
func (w *wsConn) closeReceived(code int, _ string) error {
	w.close(code, "")
	return nil
}

// finish sends the close frame, waits briefly for the client's answer (the
// reader ends when it arrives) so that the close frame is not lost to a reset,
// and ends the connection.
func (w *wsConn) finish() {
	defer w.end()
	w.mu.Lock()
	code, reason := w.closeCode, w.closeReason
	w.mu.Unlock()
	msg := websocket.FormatCloseMessage(code, reason)
	frame := append(appendFrameHeader(make([]byte, 0, 4+len(msg)), frameClose, len(msg)), msg...)
	if err := w.nc.SetWriteDeadline(time.Now().Add(w.srv.opts.WriteTimeout)); err != nil {
		return
	}
	if _, err := w.nc.Write(frame); err != nil {
		return
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-w.readerDone:
	case <-t.C:
	}
}

// serveWebSocket upgrades a client connection and hands it to a goroutine of its
// own (serveConn): returning from the HTTP handler frees the HTTP server's
// per-connection buffers and deep stack, which an idle player would otherwise keep.
func (s *Server) serveWebSocket(rw http.ResponseWriter, r *http.Request) {
	c, err := s.upgrader.Upgrade(rw, r, nil)
	if err != nil {
		return
	}
	// The HTTP server's read and write timeouts bound the handshake only: the
	// WebSocket sets its own deadlines (login, writes, pings).
	if err := c.NetConn().SetDeadline(time.Time{}); err != nil {
		c.Close()
		return
	}
	c.SetReadLimit(protocol.MaxFrameSize)
	var ip netip.Addr
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		ip = ap.Addr().Unmap()
	}
	w := &wsConn{srv: s, c: c, nc: c.NetConn(), ip: ip, corked: true, readerDone: make(chan struct{}),
		writerDone: make(chan struct{})}
	w.raw = newRawWriter(w.nc)
	w.lastRead.Store(time.Now().UnixNano())
	c.SetPongHandler(w.pong)
	c.SetPingHandler(w.pingReceived)
	c.SetCloseHandler(w.closeReceived)
	w.nextPing.Store(time.Now().Add(s.opts.PingInterval).UnixNano())
	s.mu.Lock()
	s.conns[w] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go w.serveConn(r.URL.Query().Get("gameSessionId"))
}

// serveConn runs a connection: this goroutine reads; it then closes the write
// side and waits for its end. The Server's wait group owns it.
func (w *wsConn) serveConn(gameSessionID string) {
	s := w.srv
	defer func() {
		s.mu.Lock()
		delete(s.conns, w)
		s.mu.Unlock()
		s.wg.Done()
	}()
	w.read(gameSessionID)
	close(w.readerDone)
	w.close(protocol.CloseNormal, "")
	<-w.writerDone
}

// reader holds the read side of a connection: its scratch packets and, while a
// message is handled, a pooled read buffer (an idle connection holds none).
type reader struct {
	w   *wsConn
	buf *[]byte
	in  protocol.Packet
	out outgoing
}

// release returns the read buffer to the pool; the last frame is then invalid.
func (r *reader) release() {
	if r.buf != nil {
		r.w.srv.bufs.Put(r.buf)
		r.buf = nil
	}
}

// next reads one message into a pooled buffer. It returns the message type and
// the frame, valid until the next call or release.
func (r *reader) next() (int, []byte, error) {
	r.release()
	typ, src, err := r.w.c.NextReader()
	if err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
			r.w.clientClosed.Store(true)
		}
		return 0, nil, err
	}
	r.w.lastRead.Store(time.Now().UnixNano())
	r.buf = r.w.srv.bufs.Get().(*[]byte)
	buf := *r.buf
	n := 0
	for {
		if n == len(buf) {
			return 0, nil, websocket.ErrReadLimit
		}
		k, err := src.Read(buf[n:])
		n += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, nil, err
		}
	}
	r.w.srv.m.wsIn.Inc()
	r.w.srv.m.wsBytesIn.Add(float64(n))
	return typ, buf[:n], nil
}

// read runs the connection: login, then packets until the connection ends.
func (w *wsConn) read(gameSessionID string) {
	s := w.srv
	r := &reader{w: w}
	defer r.release()
	sess, p := r.login(gameSessionID)
	if p == nil {
		return
	}
	w.setPingInterval(sess.pingInterval)
	defer func() {
		sess.post(&event{kind: evDisconnect, peer: p, dropped: w.dropped()})
	}()
	ev := &event{peer: p, done: make(chan struct{}, 1)}
	for {
		typ, frame, err := r.next()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				s.m.drop(dropTooLarge)
			}
			return
		}
		if typ != websocket.BinaryMessage {
			s.m.drop(dropTextFrame)
			w.close(protocol.CloseProtocolError, "text frames are not accepted")
			return
		}
		if drop, err := decodeClient(frame, &r.in, false); err != nil {
			s.m.drop(drop)
			if drop == dropMalformed {
				w.close(protocol.CloseProtocolError, truncateReason(err.Error()))
				return
			}
			continue
		}
		now := time.Now()
		if !p.link.allow(s.opts.MaxMessagesPerSecond, now) {
			s.m.drop(dropRateLimited)
			continue
		}
		sess.lastActivity.Store(now.UnixNano())
		switch {
		case protocol.IsDeveloperOpCode(r.in.OpCode):
			r.in.Reliable = true
			if sess.viaScript(&r.in) {
				if !sess.scriptedNow(p, &r.in) {
					s.m.drop(dropSessionEnding)
				}
				continue
			}
			if protocol.RouteOf(&r.in).Kind == protocol.TargetServer {
				s.m.drop(dropNoScript)
				continue
			}
			sess.forward(p, &r.in, &r.out, false)
		case r.in.OpCode == protocol.OpLogin:
			s.m.drop(dropSecondLogin)
		case r.in.OpCode == protocol.OpPing:
			r.pong(p)
		default:
			ev.kind, ev.pkt = evGroup, &r.in
			if !sess.call(ev) {
				s.m.drop(dropSessionEnding)
			}
		}
	}
}

// pong answers a protocol ping on the WebSocket (docs/protocol.md 11).
func (r *reader) pong(p *peer) {
	out := &r.out
	out.Reset()
	out.OpCode = protocol.OpPingResult
	out.Sender = protocol.PeerServer
	out.SetMessage(protocol.MessagePingResult)
	out.PingResult = protocol.PingResult{ID: r.in.Ping.ID, ClientTime: r.in.Ping.ClientTime, ServerTime: time.Now().UnixNano()}
	p.reliable.enqueue(&out.Packet)
}

// login reads and decides the first packet. It returns the peer when admitted;
// otherwise it has refused the login (result, close 4000) or the client left.
func (r *reader) login(gameSessionID string) (*session, *peer) {
	w, s := r.w, r.w.srv
	if err := w.c.SetReadDeadline(time.Now().Add(s.opts.LoginTimeout)); err != nil {
		return nil, nil
	}
	typ, frame, err := r.next()
	var ne interface{ Timeout() bool }
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		r.refuse(protocol.RefusalLoginTimeout, "no login within "+s.opts.LoginTimeout.String())
		return nil, nil
	case errors.Is(err, websocket.ErrReadLimit):
		s.m.refusedLogins.WithLabelValues(protocol.RefusalMalformedLogin.String()).Inc()
		return nil, nil
	case err != nil:
		return nil, nil
	}
	if typ != websocket.BinaryMessage {
		r.refuse(protocol.RefusalMalformedLogin, "text frames are not accepted")
		return nil, nil
	}
	if _, err := decodeClient(frame, &r.in, false); err != nil {
		r.refuse(protocol.RefusalMalformedLogin, err.Error())
		return nil, nil
	}
	if r.in.OpCode != protocol.OpLogin {
		r.refuse(protocol.RefusalMalformedLogin, "the first packet must be a login (op 0)")
		return nil, nil
	}
	sess := s.ledger.sessionOf(r.in.Login.PlayerSessionID)
	if sess == nil || (gameSessionID != "" && gameSessionID != sess.id && gameSessionID != sess.arn) {
		r.refuse(protocol.RefusalUnknownPlayerSession, "player session not reserved in this game session")
		return nil, nil
	}
	ev := &event{kind: evLogin, login: &r.in, sink: w, ip: w.ip, done: make(chan struct{}, 1)}
	ok := sess.call(ev)
	w.uncork()
	if !ok {
		ev.refusal, ev.refuseMsg = protocol.RefusalSessionEnded, "the game session has ended"
	}
	if ev.refusal != protocol.RefusalNone {
		r.refuse(ev.refusal, ev.refuseMsg)
		return nil, nil
	}
	if err := w.c.SetReadDeadline(time.Time{}); err != nil {
		return nil, nil
	}
	return sess, ev.peer
}

// dropped reports whether the connection ended without the client meaning it: no
// close frame from the client, and the relay closed it only for idleness (if at
// all). Such a peer is held for a reconnect.
func (w *wsConn) dropped() bool {
	if w.clientClosed.Load() {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.closing || w.closeCode == protocol.CloseIdle || w.closeCode == protocol.CloseNormal
}

// refuse sends a refused login result, counts it and closes with 4000.
func (r *reader) refuse(why protocol.Refusal, msg string) {
	s := r.w.srv
	s.m.refusedLogins.WithLabelValues(why.String()).Inc()
	out := &r.out
	out.Reset()
	out.OpCode = protocol.OpLoginResult
	out.Sender = protocol.PeerServer
	out.SetMessage(protocol.MessageLoginResult)
	out.LoginResult.Refusal = why
	out.LoginResult.Message = truncateString(msg, protocol.MaxStringSize)
	r.w.enqueue(&out.Packet)
	r.w.close(protocol.CloseLoginRefused, why.String())
	s.log.Debug("login refused", "refusal", why.String(), "message", msg)
	// Wait for the client's close answer so the refusal reaches it.
	if err := r.w.c.SetReadDeadline(time.Now().Add(closeGrace)); err != nil {
		return
	}
	for {
		if _, _, err := r.w.c.NextReader(); err != nil {
			return
		}
	}
}

func truncateReason(s string) string { return truncateString(s, maxCloseReason) }

// truncateString cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncateString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
