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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/connlimit"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

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
	pool     sync.Pool // *outgoing scratch for sends off a connection goroutine
	// minPing is the shortest ping interval a script set (nanoseconds; 0: none),
	// for the pinger's period.
	minPing    atomic.Int64
	pingChange chan struct{} // wakes the pinger when minPing is lowered
	bufs       sync.Pool     // *[]byte of MaxFrameSize+1: WebSocket read buffers, held only while a message is handled
	fast       *fastPath     // nil with DisableUDP
	fastPort   int           // advertised UDP port, 0 without UDP
	caCert     []byte        // PEM CA certificate for the login result

	ledger *ledger // placements, cancelled tries and reserved player sessions, under its own mutex

	mu       sync.Mutex // guards the four fields below
	sessions map[string]*session
	conns    map[*wsConn]struct{}
	creating int
	draining bool

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
		caCert:     caCert,
		opts:       opts,
		bus:        c,
		log:        opts.Logger.With("relayId", opts.RelayID),
		m:          m,
		ln:         ln,
		baseCtx:    context.Background(),
		sessions:   make(map[string]*session),
		ledger:     newLedger(),
		conns:      make(map[*wsConn]struct{}),
		shutdown:   make(chan struct{}),
		force:      make(chan struct{}),
		runDone:    make(chan struct{}),
		ready:      make(chan struct{}),
		pingChange: make(chan struct{}, 1),
	}
	s.pool.New = func() any { return new(outgoing) }
	s.bufs.New = func() any { b := make([]byte, protocol.MaxFrameSize+1); return &b }
	// A small read buffer keeps idle connections cheap (frames are read through
	// it into pooled buffers). The relay writes its frames to the connection
	// itself (wsConn), so gorilla's write buffer, taken from a pool only when its
	// own writers are used, is never allocated.
	s.upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferPool: &sync.Pool{},
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

// Addr is the address of the WebSocket listener.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Endpoint is where players connect, as placement replies give it.
func (s *Server) Endpoint() bus.Endpoint { return s.endpoint }

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
	stopReserves, err := s.bus.ServeReserves(ctx, s.opts.RelayID, s.reservePlayers)
	if err != nil {
		stopPlacements()
		stopRelayPlacements()
		stopCancels()
		s.closeListeners()
		return fmt.Errorf("relay: serve reserves: %w", err)
	}
	stopUpdates, err := s.bus.ServeSessionUpdates(ctx, s.opts.RelayID, s.updateSession)
	if err != nil {
		stopPlacements()
		stopRelayPlacements()
		stopCancels()
		stopReserves()
		s.closeListeners()
		return fmt.Errorf("relay: serve session updates: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.http.Serve(s.ln) }()
	if s.fast != nil {
		s.fast.start()
	}
	hbStop := make(chan struct{})
	hbDone := make(chan struct{})
	go s.heartbeats(hbStop, hbDone)
	pingsDone := make(chan struct{})
	go s.pings(hbStop, pingsDone)
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
	stopReserves()
	stopUpdates()
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
	<-pingsDone
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
			s.ledger.prune(now, s.opts.PlayerSessionTTL)
		}
	}
}

func (s *Server) publishHeartbeat() {
	s.mu.Lock()
	h := bus.Heartbeat{RelayID: s.opts.RelayID, Region: s.opts.Region, Endpoint: s.endpoint,
		MaxSessions: s.opts.MaxSessions, MaxPlayers: s.opts.MaxSessions * s.opts.MaxPlayersPerSession,
		Sessions: len(s.sessions), Players: int(s.players.Load()), Draining: s.draining, Fleets: s.opts.Fleets,
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

// getOutgoing returns a cleared scratch outgoing packet; putOutgoing gives it
// back.
func (s *Server) getOutgoing() *outgoing {
	o := s.pool.Get().(*outgoing)
	o.Reset()
	o.fresh()
	return o
}

func (s *Server) putOutgoing(o *outgoing) {
	o.Payload = nil
	s.pool.Put(o)
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
