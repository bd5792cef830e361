package relay

import (
	"encoding/binary"
	"errors"
	"io"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// closeGrace is how long the relay waits for the client's close frame after
// sending its own, before it closes the TCP connection.
const closeGrace = time.Second

// wsConn is one client WebSocket: the reliable sink of its peer. Senders append
// encoded frames to pending under mu; the writer goroutine swaps the buffer out and
// writes one WebSocket message per frame, so queueing never waits for the network
// and allocates nothing once the buffers have grown.
type wsConn struct {
	srv *Server
	c   *websocket.Conn
	ip  netip.Addr

	// lastRead is when the client last sent anything, a pong included (unix
	// nanoseconds); the writer closes the connection with 4004 when it is too old.
	lastRead atomic.Int64
	// clientClosed: the client sent a close frame (a deliberate leave).
	clientClosed atomic.Bool
	// pingEvery is the ping period of the session the connection logged into,
	// when its script sets one (nanoseconds); 0: Options.PingInterval.
	pingEvery atomic.Int64

	mu          sync.Mutex
	pending     []byte
	spare       []byte
	closing     bool
	closeCode   int
	closeReason string

	wake       chan struct{}
	readerDone chan struct{}
	writerDone chan struct{}
}

// enqueue implements sink.
func (w *wsConn) enqueue(p *protocol.Packet) bool {
	p.Reliable = true
	p.SequenceNumber = 0
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		return false
	}
	if len(w.pending) > w.srv.opts.SendQueueBytes {
		w.closing, w.closeCode, w.closeReason = true, protocol.ClosePolicyViolation, "send queue full"
		w.mu.Unlock()
		w.srv.m.drop(dropQueueFull)
		w.signal()
		return false
	}
	w.pending = protocol.AppendPacket(w.pending, p)
	w.mu.Unlock()
	w.signal()
	return true
}

// close implements sink: the writer sends what is queued, then the close frame.
func (w *wsConn) close(code int, reason string) {
	w.mu.Lock()
	if !w.closing {
		w.closing, w.closeCode, w.closeReason = true, code, reason
	}
	w.mu.Unlock()
	w.signal()
}

// enqueueLogin queues a successful login result and, before the writer can
// take it, runs publish, which makes the player routable (an atomic store,
// under no lock): the player cannot receive its login result before it can be
// sent to, and whatever is sent to it queues behind its login result. publish
// runs even when the connection is closing, so that the player's departure
// finds it.
func (w *wsConn) enqueueLogin(p *protocol.Packet, publish func()) {
	p.Reliable = true
	p.SequenceNumber = 0
	w.mu.Lock()
	if !w.closing {
		w.pending = protocol.AppendPacket(w.pending, p)
	}
	publish()
	w.mu.Unlock()
	w.signal()
}

func (w *wsConn) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// writeLoop is the connection's writer goroutine, owned by serveWebSocket. It ends
// after the close frame, or when a write fails, closing the TCP connection.
func (w *wsConn) writeLoop() {
	defer close(w.writerDone)
	defer w.c.Close()
	every := w.pingInterval()
	ping := time.NewTicker(every)
	defer ping.Stop()
	for {
		select {
		case <-w.wake:
			if d := w.pingInterval(); d != every {
				every = d
				ping.Reset(d)
			}
		case now := <-ping.C:
			if !w.keepAlive(now) {
				return
			}
			continue
		}
		for {
			w.mu.Lock()
			closing, code, reason := w.closing, w.closeCode, w.closeReason
			if len(w.pending) == 0 {
				w.mu.Unlock()
				if closing {
					w.finish(code, reason)
					return
				}
				break
			}
			// Swap buffers only when there is something to write: the writer owns
			// buf until it hands it back as spare, so pending and spare never
			// share a backing array.
			buf := w.pending
			w.pending, w.spare = w.spare[:0], nil
			w.mu.Unlock()
			err := w.writeFrames(buf)
			w.mu.Lock()
			w.spare = buf[:0]
			w.mu.Unlock()
			if err != nil {
				w.close(protocol.CloseNormal, "")
				return
			}
		}
	}
}

// keepAlive sends a WebSocket ping carrying the send time, or closes the
// connection with 4004 when the client has been silent too long. It reports false
// when the writer must stop.
func (w *wsConn) keepAlive(now time.Time) bool {
	if now.Sub(time.Unix(0, w.lastRead.Load())) >= w.idleTimeout() {
		w.close(protocol.CloseIdle, "no traffic and no pong")
		return true
	}
	var stamp [8]byte
	binary.BigEndian.PutUint64(stamp[:], uint64(now.UnixNano()))
	if err := w.c.WriteControl(websocket.PingMessage, stamp[:], now.Add(w.srv.opts.WriteTimeout)); err != nil {
		w.close(protocol.CloseNormal, "")
		return false
	}
	return true
}

// setPingInterval makes d the connection's ping period (the writer picks it up
// when woken); d <= 0 keeps Options.PingInterval.
func (w *wsConn) setPingInterval(d time.Duration) {
	if d > 0 {
		w.pingEvery.Store(int64(d))
		w.signal()
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

// writeFrames writes each frame of buf as one binary message.
func (w *wsConn) writeFrames(buf []byte) error {
	if err := w.c.SetWriteDeadline(time.Now().Add(w.srv.opts.WriteTimeout)); err != nil {
		return err
	}
	n := 0
	total := len(buf)
	for len(buf) > 0 {
		size, k := protowire.ConsumeVarint(buf)
		end := k + int(size)
		if k < 0 || end > len(buf) {
			return errors.New("relay: corrupt send queue")
		}
		if err := w.c.WriteMessage(websocket.BinaryMessage, buf[:end]); err != nil {
			return err
		}
		buf = buf[end:]
		n++
	}
	w.srv.m.wsOut.Add(float64(n))
	w.srv.m.wsBytesOut.Add(float64(total))
	return nil
}

// finish sends the close frame and waits briefly for the client's answer (the
// reader ends when it arrives) so that the close frame is not lost to a reset.
func (w *wsConn) finish(code int, reason string) {
	msg := websocket.FormatCloseMessage(code, reason)
	if err := w.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(w.srv.opts.WriteTimeout)); err != nil {
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
	w := &wsConn{srv: s, c: c, ip: ip, wake: make(chan struct{}, 1), readerDone: make(chan struct{}),
		writerDone: make(chan struct{})}
	w.lastRead.Store(time.Now().UnixNano())
	c.SetPongHandler(w.pong)
	s.mu.Lock()
	s.conns[w] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go w.serveConn(r.URL.Query().Get("gameSessionId"))
}

// serveConn runs a connection: this goroutine reads, a writer goroutine it owns
// writes. The Server's wait group owns it.
func (w *wsConn) serveConn(gameSessionID string) {
	s := w.srv
	defer func() {
		s.mu.Lock()
		delete(s.conns, w)
		s.mu.Unlock()
		s.wg.Done()
	}()
	go w.writeLoop()
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
	out protocol.Packet
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
	p.reliable.enqueue(out)
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
	if !sess.call(ev) {
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
	r.w.enqueue(out)
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
