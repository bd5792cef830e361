package relay

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/connlimit"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// errFull marks a placement refused for lack of room.
var errFull = errors.New("relay: full")

// Server is a relay: it hosts game sessions created by placements from the bus and
// admits their players over WebSocket. Create it with New, run it with Run, stop it
// by cancelling Run's context or with Shutdown.
type Server struct {
	opts     Options
	bus      *bus.Conn
	log      *slog.Logger
	m        *metrics
	ln       net.Listener
	http     *http.Server
	upgrader websocket.Upgrader
	endpoint bus.Endpoint
	baseCtx  context.Context
	pool     sync.Pool // *protocol.Packet scratch for sends off a connection goroutine
	bufs     sync.Pool // *[]byte of MaxFrameSize+1: WebSocket read buffers, held only while a message is handled
	fast     *fastPath // nil with DisableUDP
	fastPort int       // advertised UDP port, 0 without UDP
	caCert   []byte    // PEM CA certificate for the login result

	mu           sync.Mutex
	sessions     map[string]*session
	placements   map[string]*placed   // by match id
	cancelled    map[string]withdrawn // by match id: tries the matchmaker cancelled
	reservations map[string]*session  // player session id -> its session
	conns        map[*wsConn]struct{}
	creating     int
	draining     bool

	players    atomic.Int64
	wg         sync.WaitGroup // sessions and connections
	shutdown   chan struct{}
	force      chan struct{}
	stopOnce   sync.Once
	forceOnce  sync.Once
	runDone    chan struct{}
	runStarted atomic.Bool
	ready      chan struct{} // closed once Run serves placements and players
}

// placed is the record of one placement, kept for idempotency while its session
// lives and for PlayerSessionTTL after.
type placed struct {
	done        chan struct{}
	reply       bus.PlacementReply
	fingerprint string
	sess        *session
	psids       []string
	endedAt     time.Time
	// attempt is the latest try of the match id this record answered;
	// created is set when the placement created its session (not a backfill).
	attempt int
	created bool
}

// withdrawn records the tries of a match id that the matchmaker cancelled
// (bus.PlacementCancel): requests of those tries are refused until their
// deadline, after which the bus refuses them anyway.
type withdrawn struct {
	attempt int
	until   time.Time
}

// New creates a relay on c and opens its WebSocket listener. Nothing is served
// until Run.
func New(c *bus.Conn, opts Options) (*Server, error) {
	if c == nil {
		return nil, errors.New("relay: nil bus connection")
	}
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	caCert, err := caCertOf(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", opts.ListenAddr)
	if err != nil {
		return nil, fmt.Errorf("relay: listen on %s: %w", opts.ListenAddr, err)
	}
	tcpAddr := ln.Addr().(*net.TCPAddr)
	ln = connlimit.Wrap(ln, opts.MaxConnectionsPerIP, m.refusedConns)
	s := &Server{
		caCert:       caCert,
		opts:         opts,
		bus:          c,
		log:          opts.Logger.With("relayId", opts.RelayID),
		m:            m,
		ln:           ln,
		baseCtx:      context.Background(),
		sessions:     make(map[string]*session),
		placements:   make(map[string]*placed),
		cancelled:    make(map[string]withdrawn),
		reservations: make(map[string]*session),
		conns:        make(map[*wsConn]struct{}),
		shutdown:     make(chan struct{}),
		force:        make(chan struct{}),
		runDone:      make(chan struct{}),
		ready:        make(chan struct{}),
	}
	s.pool.New = func() any { return new(protocol.Packet) }
	s.bufs.New = func() any { b := make([]byte, protocol.MaxFrameSize+1); return &b }
	// A small read buffer keeps idle connections cheap (frames are read through
	// it into pooled buffers); the write buffer holds a whole 4 KiB payload, so
	// such messages go out as one WebSocket frame.
	s.upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096,
		CheckOrigin: func(*http.Request) bool { return true }}
	if !opts.DisableUDP {
		if s.fast, err = listenFastDefault(s, opts, tcpAddr); err != nil {
			ln.Close()
			return nil, err
		}
		s.fastPort = s.fast.port
		if opts.PublicUDPPort != 0 {
			s.fastPort = opts.PublicUDPPort
		}
	}
	if opts.TLS != nil {
		ln = tls.NewListener(ln, opts.TLS)
		s.ln = ln
	}
	s.endpoint = endpointOf(opts, tcpAddr)
	s.endpoint.UDPPort = s.fastPort
	mux := http.NewServeMux()
	mux.HandleFunc("/websocket", s.serveWebSocket)
	mux.HandleFunc("/{$}", s.serveWebSocket)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: opts.HTTPReadTimeout,
		WriteTimeout: opts.HTTPWriteTimeout, IdleTimeout: opts.HTTPIdleTimeout,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	return s, nil
}

func endpointOf(o Options, addr *net.TCPAddr) bus.Endpoint {
	e := bus.Endpoint{IPAddress: o.PublicIP, DNSName: o.PublicDNS, TCPPort: o.PublicTCPPort}
	if e.TCPPort == 0 {
		e.TCPPort = addr.Port
	}
	if e.IPAddress == "" && e.DNSName == "" {
		e.IPAddress = "127.0.0.1"
		if !addr.IP.IsUnspecified() {
			e.IPAddress = addr.IP.String()
		}
	}
	return e
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

// Addr is the address of the WebSocket listener.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Endpoint is where players connect, as placement replies give it.
func (s *Server) Endpoint() bus.Endpoint { return s.endpoint }

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

// RelayID is the relay's id.
func (s *Server) RelayID() string { return s.opts.RelayID }

// Run serves placements, heartbeats and WebSocket connections until ctx is done or
// Shutdown is called, then drains: it refuses new placements (DRAINING), lets the
// sessions end by themselves for up to DrainTimeout, ends the others (reason
// DRAINED, close 1001) and returns once every session and connection is gone.
func (s *Server) Run(ctx context.Context) error {
	if !s.runStarted.CompareAndSwap(false, true) {
		return errors.New("relay: Run called twice")
	}
	defer close(s.runDone)
	s.baseCtx = context.WithoutCancel(ctx)
	stopPlacements, err := s.bus.ServePlacements(ctx, s.opts.Region, "", s.place)
	if err != nil {
		s.closeListeners()
		return fmt.Errorf("relay: serve placements: %w", err)
	}
	stopRelayPlacements, err := s.bus.ServeRelayPlacements(ctx, s.opts.Region, s.opts.RelayID, s.place)
	if err != nil {
		stopPlacements()
		s.closeListeners()
		return fmt.Errorf("relay: serve relay placements: %w", err)
	}
	stopCancels, err := s.bus.ServePlacementCancels(ctx, s.opts.Region, s.cancelPlacement)
	if err != nil {
		stopPlacements()
		stopRelayPlacements()
		s.closeListeners()
		return fmt.Errorf("relay: serve placement cancels: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(s.ln) }()
	if s.fast != nil {
		s.fast.start()
	}
	hbStop := make(chan struct{})
	hbDone := make(chan struct{})
	go s.heartbeats(hbStop, hbDone)
	s.log.Info("relay running", "region", s.opts.Region, "addr", s.ln.Addr().String())
	close(s.ready)

	var runErr error
	select {
	case <-ctx.Done():
	case <-s.shutdown:
	case err := <-serveErr:
		runErr = fmt.Errorf("relay: http server: %w", err)
	}
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	stopPlacements()
	stopRelayPlacements()
	stopCancels()
	s.publishHeartbeat()
	s.drain()
	s.http.Close()
	if runErr == nil {
		if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
			runErr = fmt.Errorf("relay: http server: %w", err)
		}
	}
	s.closeConns(protocol.CloseGoingAway, "relay shut down")
	s.wg.Wait()
	if s.fast != nil {
		s.fast.close()
	}
	close(hbStop)
	<-hbDone
	s.publishHeartbeat()
	s.log.Info("relay stopped")
	return runErr
}

// Ready is closed once Run has subscribed to its region's placements (on the
// NATS server, not only in this process) and serves players: from then on a
// placement for the region can reach this relay.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Shutdown drains the relay as Run does when its context ends, and waits until Run
// has returned. When ctx ends first, the remaining sessions are ended at once, Run
// is still waited for, and ctx's error is returned.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.shutdown) })
	if !s.runStarted.Load() {
		return s.closeListeners()
	}
	select {
	case <-s.runDone:
		return nil
	case <-ctx.Done():
		s.forceOnce.Do(func() { close(s.force) })
		<-s.runDone
		return fmt.Errorf("relay: shutdown: %w", ctx.Err())
	}
}

// closeListeners closes the listeners of a relay that does not run.
func (s *Server) closeListeners() error {
	if s.fast != nil {
		s.fast.close()
	}
	return s.ln.Close()
}

// drain waits for the sessions to end, up to DrainTimeout, then ends the rest.
func (s *Server) drain() {
	deadline := time.NewTimer(s.opts.DrainTimeout)
	defer deadline.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for {
		s.mu.Lock()
		n := len(s.sessions) + s.creating
		s.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-poll.C:
			continue
		case <-deadline.C:
		case <-s.force:
		}
		break
	}
	s.mu.Lock()
	for _, sess := range s.sessions {
		sess.requestEnd(bus.EndDrained, "relay drained")
	}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		n := len(s.sessions) + s.creating
		s.mu.Unlock()
		if n == 0 {
			return
		}
		<-poll.C
	}
}

// closeConns closes every remaining connection.
func (s *Server) closeConns(code int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.close(code, reason)
	}
}

// heartbeats publishes a heartbeat every HeartbeatInterval and forgets old
// placement records, until stop is closed.
func (s *Server) heartbeats(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(s.opts.HeartbeatInterval)
	defer t.Stop()
	s.publishHeartbeat()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			s.publishHeartbeat()
			s.prune(now)
		}
	}
}

func (s *Server) publishHeartbeat() {
	s.mu.Lock()
	h := bus.Heartbeat{RelayID: s.opts.RelayID, Region: s.opts.Region, Endpoint: s.endpoint,
		MaxSessions: s.opts.MaxSessions, MaxPlayers: s.opts.MaxSessions * s.opts.MaxPlayersPerSession,
		Sessions: len(s.sessions), Players: int(s.players.Load()), Draining: s.draining,
		IntervalMs: int(s.opts.HeartbeatInterval.Milliseconds()), SentAt: time.Now()}
	s.mu.Unlock()
	if h.IntervalMs == 0 {
		h.IntervalMs = 1
	}
	ctx, cancel := s.publishContext()
	defer cancel()
	if err := s.bus.PublishHeartbeat(ctx, h); err != nil {
		s.log.Warn("publish heartbeat", "err", err)
	}
}

// prune forgets placements whose session ended more than PlayerSessionTTL ago,
// and cancellations whose requests are past their deadline.
func (s *Server) prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, w := range s.cancelled {
		if now.After(w.until) {
			delete(s.cancelled, id)
		}
	}
	for id, pl := range s.placements {
		if !pl.endedAt.IsZero() && now.Sub(pl.endedAt) > s.opts.PlayerSessionTTL {
			delete(s.placements, id)
			for _, psid := range pl.psids {
				delete(s.reservations, psid)
			}
		}
	}
}

// place answers a placement request: a new session, a backfill into a running
// one, or the earlier answer for a match id already placed.
func (s *Server) place(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
	reply := s.placeMatch(ctx, req)
	reply.MatchID, reply.RelayID = req.MatchID, s.opts.RelayID
	result := "ok"
	if reply.Error != nil {
		result = string(reply.Error.Code)
	}
	s.m.placements.WithLabelValues(result).Inc()
	return reply
}

func refusal(code bus.ErrorCode, format string, args ...any) bus.PlacementReply {
	return bus.PlacementReply{Error: &bus.ReplyError{Code: code, Message: fmt.Sprintf(format, args...)}}
}

func fingerprint(req bus.PlacementRequest) string {
	ids := make([]string, len(req.Players))
	for i, p := range req.Players {
		ids[i] = p.PlayerID
	}
	slices.Sort(ids)
	return req.Configuration + "\x00" + req.GameSessionID + "\x00" + strings.Join(ids, "\x00")
}

func (s *Server) placeMatch(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
	fp := fingerprint(req)
	s.mu.Lock()
	if w, ok := s.cancelled[req.MatchID]; ok && req.Attempt <= w.attempt {
		s.mu.Unlock()
		return refusal(bus.CodeExpired, "try %d of match %q was cancelled by the matchmaker", req.Attempt, req.MatchID)
	}
	if pl := s.placements[req.MatchID]; pl != nil {
		pl.attempt = max(pl.attempt, req.Attempt)
		s.mu.Unlock()
		select {
		case <-pl.done:
		case <-ctx.Done():
			return refusal(bus.CodeExpired, "placement of match %q still in progress", req.MatchID)
		}
		if pl.fingerprint != fp {
			return refusal(bus.CodeConflict, "match %q was placed with other players", req.MatchID)
		}
		s.m.placements.WithLabelValues("repeat").Inc()
		return pl.reply
	}
	if s.draining {
		s.mu.Unlock()
		return refusal(bus.CodeDraining, "relay %s is draining", s.opts.RelayID)
	}
	var target *session
	if req.GameSessionID != "" {
		target = s.sessions[req.GameSessionID]
		if target == nil {
			s.mu.Unlock()
			return refusal(bus.CodeInvalid, "game session %q is not running on relay %s", req.GameSessionID, s.opts.RelayID)
		}
	} else {
		if n := len(s.sessions) + s.creating; n >= s.opts.MaxSessions {
			s.mu.Unlock()
			return refusal(bus.CodeFull, "%d of %d sessions", n, s.opts.MaxSessions)
		}
		if max := min(req.MaxPlayers, s.opts.MaxPlayersPerSession); len(req.Players) > max {
			s.mu.Unlock()
			return refusal(bus.CodeInvalid, "%d players, at most %d per session", len(req.Players), max)
		}
	}
	pl := &placed{done: make(chan struct{}), fingerprint: fp, attempt: req.Attempt, created: target == nil}
	s.placements[req.MatchID] = pl
	s.creating++
	s.mu.Unlock()

	var reply bus.PlacementReply
	var sess *session
	var err error
	if target != nil {
		reply, err = s.backfill(target, req)
		sess = target
	} else {
		sess, reply, err = s.create(req)
	}

	s.mu.Lock()
	s.creating--
	if err != nil {
		delete(s.placements, req.MatchID)
	} else {
		pl.sess = sess
		for _, ps := range reply.PlayerSessions {
			pl.psids = append(pl.psids, ps.PlayerSessionID)
			s.reservations[ps.PlayerSessionID] = sess
		}
		if target == nil {
			s.sessions[sess.id] = sess
			s.m.sessions.Set(float64(len(s.sessions)))
			s.wg.Add(1)
			go sess.run(s.tick())
		} else if sess.ended.Load() {
			pl.endedAt = time.Now()
		}
	}
	pl.reply = reply
	close(pl.done)
	s.mu.Unlock()
	if err == nil && target == nil {
		ctx, cancel := s.publishContext()
		defer cancel()
		if err := s.bus.PublishSessionStarted(ctx, bus.SessionStarted{SessionRef: sess.ref(), Endpoint: s.endpoint,
			MaxPlayers: sess.maxPlayers, StartedAt: sess.info.CreatedAt}); err != nil {
			s.log.Warn("publish session started", "err", err)
		}
		sess.log.Info("game session created", "matchId", req.MatchID, "players", len(req.Players))
	}
	return reply
}

// cancelPlacement withdraws the tries of a match up to pc.Attempt: a session
// one of them created is ended (reason CANCELLED) unless a player has joined
// it or a later try found it, and requests of those tries that arrive later
// are refused. Backfill placements are never cancelled.
func (s *Server) cancelPlacement(pc bus.PlacementCancel) {
	s.mu.Lock()
	w := s.cancelled[pc.MatchID]
	s.cancelled[pc.MatchID] = withdrawn{attempt: max(w.attempt, pc.Attempt), until: maxTime(w.until, pc.Deadline)}
	pl := s.placements[pc.MatchID]
	s.mu.Unlock()
	if pl == nil || !pl.created {
		return
	}
	// A session being created is finished first, then ended.
	<-pl.done
	s.mu.Lock()
	if s.placements[pc.MatchID] != pl || pl.attempt > pc.Attempt || pl.sess == nil || pl.sess.joined() {
		s.mu.Unlock()
		return
	}
	delete(s.placements, pc.MatchID)
	for _, psid := range pl.psids {
		delete(s.reservations, psid)
	}
	s.mu.Unlock()
	s.m.placements.WithLabelValues("cancelled").Inc()
	pl.sess.requestEnd(bus.EndCancelled, fmt.Sprintf("the matchmaker cancelled try %d of match %s", pc.Attempt, pc.MatchID))
	pl.sess.log.Info("placement cancelled by the matchmaker", "matchId", pc.MatchID, "attempt", pc.Attempt)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// tick is the period of each session's timeout checks.
func (s *Server) tick() time.Duration {
	o := &s.opts
	t := min(o.HeartbeatInterval, o.EmptySessionTimeout/4, o.IdleTimeout/4, o.PlayerSessionTTL/4)
	return max(t, 5*time.Millisecond)
}

// create makes the session of a new match.
func (s *Server) create(req bus.PlacementRequest) (*session, bus.PlacementReply, error) {
	now := time.Now()
	id := newID("gsess-")
	info := GameSessionInfo{
		GameSessionID:    id,
		GameSessionARN:   "arn:aws:gamelift:" + s.opts.Region + "::gamesession/" + s.opts.RelayID + "/" + id,
		MatchID:          req.MatchID,
		Configuration:    req.Configuration,
		ConfigurationARN: req.ConfigurationARN,
		Region:           s.opts.Region,
		RelayID:          s.opts.RelayID,
		ScriptName:       req.Script,
		GameProperties:   append([]bus.GameProperty(nil), req.GameProperties...),
		GameSessionData:  req.GameSessionData,
		MatchmakerData:   req.MatchmakerData,
		BackfillMode:     req.BackfillMode,
		MaxPlayers:       min(req.MaxPlayers, s.opts.MaxPlayersPerSession),
		CreatedAt:        now,
	}
	sess := newSession(s, info, info.MaxPlayers)
	players, err := sess.reserve(req.Players, now)
	if err != nil {
		return nil, refusal(bus.CodeInvalid, "%v", err), err
	}
	if s.opts.ScriptFactory != nil {
		if sess.script, err = s.opts.ScriptFactory(sess.Info()); err != nil {
			s.log.Error("script factory failed", "matchId", req.MatchID, "script", req.Script, "err", err)
			return nil, refusal(bus.CodeInternal, "script %q: %v", req.Script, err), err
		}
		if err := sess.configure(len(req.Players)); err != nil {
			return nil, refusal(bus.CodeInvalid, "script %q: %v", req.Script, err), err
		}
	}
	return sess, s.replyFor(sess, players), nil
}

// backfill reserves player sessions for new players of a running session.
func (s *Server) backfill(sess *session, req bus.PlacementRequest) (bus.PlacementReply, error) {
	players, err := sess.reserve(req.Players, time.Now())
	switch {
	case errors.Is(err, errFull):
		return refusal(bus.CodeFull, "game session %s: %v", sess.id, err), err
	case err != nil:
		return refusal(bus.CodeInvalid, "game session %s: %v", sess.id, err), err
	}
	return s.replyFor(sess, players), nil
}

func (s *Server) replyFor(sess *session, players []bus.PlayerSession) bus.PlacementReply {
	e := s.endpoint
	return bus.PlacementReply{GameSessionID: sess.id, GameSessionARN: sess.arn, Endpoint: &e, PlayerSessions: players}
}

// removeSession forgets an ended session; its placement records and player
// session ids stay until prune, so that repeats get the same answer and late
// logins are told the session ended.
func (s *Server) removeSession(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sess.id)
	s.m.sessions.Set(float64(len(s.sessions)))
	now := time.Now()
	for _, pl := range s.placements {
		if pl.sess == sess {
			pl.endedAt = now
		}
	}
}

// sessionOf returns the session that reserved player session psid.
func (s *Server) sessionOf(psid string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reservations[psid]
}

func (s *Server) getPacket() *protocol.Packet {
	p := s.pool.Get().(*protocol.Packet)
	p.Reset()
	return p
}

func (s *Server) putPacket(p *protocol.Packet) {
	p.Payload = nil
	s.pool.Put(p)
}

// Stats is a snapshot of what a relay hosts.
type Stats struct {
	Sessions int
	Players  int
	Draining bool
}

// Stats returns the relay's current numbers.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Sessions: len(s.sessions), Players: int(s.players.Load()), Draining: s.draining}
}

// newID returns prefix followed by 128 random bits in base32 (crypto/rand).
func newID(prefix string) string { return prefix + strings.ToLower(rand.Text()) }

// newToken returns an unguessable token (128 random bits).
func newToken() string { return rand.Text() }
