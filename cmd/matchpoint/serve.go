package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/cmd/internal/adminhttp"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

func runMatchmaker(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := newFlagSet("matchmaker", "Run a matchmaker: the API (REST and GameLift JSON), the event streams, and the forming\nloop of the configurations it owns. Run as many as you need against one Redis and one\nNATS cluster: each configuration is owned by one matchmaker at a time.", stderr)
	var mm matchmakerFlags
	mm.register(fs, "0.0.0.0:8080", "", 30*time.Second, 5*time.Second)
	fs.BoolVar(&mm.apiOnly, "api-only", false, "serve the API and event streams and place accepted matches, but form no matches (own no configuration): for API processes scaled apart from the formers; timeouts are swept by the formers")
	var rf redisFlags
	rf.register(fs)
	var nf natsFlags
	nf.register(fs)
	var lf logFlags
	lf.register(fs)
	var gf gcFlags
	gf.register(fs, 0)
	var ts timerSlackFlag
	ts.register(fs)
	var hf httpFlags
	hf.register(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	log, err := lf.logger(stderr)
	if err == nil {
		err = errors.Join(ts.check(), gf.apply(log, os.LookupEnv))
	}
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint matchmaker: %v\n", err)
		return 2
	}
	if _, err := mm.keys(); err != nil {
		fmt.Fprintf(stderr, "matchpoint matchmaker: %v\n", err)
		return 2
	}
	if err := errors.Join(mm.check(), hf.check()); err != nil {
		fmt.Fprintf(stderr, "matchpoint matchmaker: %v\n", err)
		return 2
	}
	ts.apply(log, "matchmaker")
	raiseOpenFilesLimit(log)
	routeRedisLogs(log)
	rc, err := rf.client()
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint matchmaker: %v\n", err)
		return 2
	}
	defer rc.Close()
	conn, err := nf.connect(ctx, "matchmaker", log)
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	defer conn.Close()
	reg := prometheus.NewRegistry()
	stack, err := newMatchmakerStack(&mm, store.NewRedis(rc, rf.storeOptions()), conn, reg, log)
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	defer stack.Close()
	ln, err := listen("http-addr", mm.httpAddr, mm.maxConnsPerIP, refusedConnections(reg).WithLabelValues("api"))
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	log.Info("matchmaker running", "http", ln.Addr().String(), "nats", nf.url)
	err = runUntilDone(ctx, drainPlan{grace: mm.drainGrace, timeout: mm.drainTimeout}, &hf, stack.admin, log,
		// After the grace the matchmaker takes no new API requests but still
		// answers its health endpoints.
		[]httpServer{{ln, stack.admin.Gate(stack.handler)}},
		func(c context.Context) error { return stack.svc.Run(c) },
		func(c context.Context) error { return stack.dashboard.Run(c) },
	)
	if err != nil {
		log.Error("matchmaker stopped", "err", err)
		return 1
	}
	return 0
}

func runRelay(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := newFlagSet("relay", "Run a relay: it takes placements for its region from NATS, hosts their game sessions\nand relays the players' messages (WebSocket at /websocket).", stderr)
	var nf natsFlags
	nf.register(fs)
	var lf logFlags
	lf.register(fs)
	var gf gcFlags
	gf.register(fs, 0)
	var ts timerSlackFlag
	ts.register(fs)
	var o relay.Options
	fs.StringVar(&o.RelayID, "relay-id", "", "unique id of this relay (default: host name and a random suffix)")
	fs.StringVar(&o.Region, "region", defaultRegion, "region (location) whose placements this relay takes (the matchmaker's --region by default)")
	fs.Var(fleetsFlag{&o.Fleets}, "fleet", "id of a fleet whose game sessions this relay hosts (repeatable, or a comma-separated list; default: every fleet of --region)")
	fs.StringVar(&o.ListenAddr, "listen", relay.DefaultListenAddr, "address of the WebSocket listener")
	fs.StringVar(&o.PublicIP, "public-ip", "", "IP address players connect to (default: the listener's)")
	fs.StringVar(&o.PublicDNS, "public-dns", "", "DNS name players connect to")
	fs.IntVar(&o.PublicTCPPort, "public-port", 0, "port players connect to, when a proxy or NAT maps it (default: the listener's)")
	fs.IntVar(&o.MaxSessions, "max-sessions", relay.DefaultMaxSessions, "game sessions this relay hosts at most")
	fs.IntVar(&o.MaxPlayersPerSession, "max-players", relay.DefaultMaxPlayersPerSession, "players per game session at most")
	fs.DurationVar(&o.PlayerSessionTTL, "player-session-ttl", relay.DefaultPlayerSessionTTL, "how long a reserved player session stays usable")
	fs.DurationVar(&o.EmptySessionTimeout, "empty-timeout", relay.DefaultEmptySessionTimeout, "end a game session empty for this long")
	fs.DurationVar(&o.IdleTimeout, "idle-timeout", relay.DefaultIdleTimeout, "end a game session without messages for this long")
	fs.BoolVar(&o.ScriptedSessionTimeouts, "scripted-session-timeouts", false, "apply --empty-timeout, --idle-timeout and the end of sessions nobody joined to sessions whose script is loaded too (Matchpoint's own; by default, as in GameLift Realtime, such a session ends when its script calls processEnding)")
	fs.DurationVar(&o.DrainTimeout, "drain-timeout", relay.DefaultDrainTimeout, "on SIGTERM, how long game sessions may go on before the relay closes them")
	fs.DurationVar(&o.HeartbeatInterval, "heartbeat-interval", relay.DefaultHeartbeatInterval, "time between heartbeats (capacity, sessions) on NATS")
	fs.StringVar(&o.UDPAddr, "udp-addr", "", "address of the UDP (fast path) listener (default: the WebSocket listener's port, on UDP)")
	fs.IntVar(&o.PublicUDPPort, "public-udp-port", 0, "UDP port players send to, when a proxy or NAT maps it (default: the listener's)")
	fs.BoolVar(&o.DisableUDP, "disable-udp", false, "offer no UDP path: fast messages travel over the WebSocket")
	fs.DurationVar(&o.ReconnectGrace, "reconnect-grace", relay.DefaultReconnectGrace, "how long a dropped player may reconnect with its token and keep its peer id (negative: never)")
	fs.DurationVar(&o.PingInterval, "ping-interval", relay.DefaultPingInterval, "time between WebSocket pings; a connection silent for 3 intervals is closed")
	fs.IntVar(&o.MaxMessagesPerSecond, "max-messages-per-second", 0, "messages a player may send per second; excess is dropped and counted (0: no limit)")
	fs.IntVar(&o.MaxConnectionsPerIP, "max-connections-per-ip", 0, "connections one client IP address may hold open on --listen (HTTP and WebSocket); more are closed as they are accepted (0: no limit)")
	certFile := fs.String("tls-cert", "", "PEM certificate (chain) of the relay: turns on TLS for the WebSocket (wss) and DTLS for UDP (with --tls-key)")
	keyFile := fs.String("tls-key", "", "PEM private key of --tls-cert")
	caFile := fs.String("tls-ca", "", "PEM CA certificate handed to clients in the login result, for clients that pin it")
	adminAddr := fs.String("admin-addr", "0.0.0.0:9100", "address of /healthz, /readyz and /metrics")
	adminPerIP := fs.Int("admin-max-connections-per-ip", 64, "connections one client IP address may hold open on --admin-addr; more are closed as they are accepted (0: no limit)")
	var hf httpFlags
	hf.register(fs)
	scripts := fs.Bool("script-registry", true, "run the server scripts that placements name, loading their newest versions from NATS JetStream (matchpoint scripts upload); false runs every session without a script")
	pprofOn := fs.Bool("pprof", false, "serve net/http/pprof under /debug/pprof/ on --admin-addr")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	log, err := lf.logger(stderr)
	if err == nil {
		err = errors.Join(ts.check(), gf.apply(log, os.LookupEnv))
	}
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint relay: %v\n", err)
		return 2
	}
	if err := relayTLS(&o, *certFile, *keyFile, *caFile); err != nil {
		fmt.Fprintf(stderr, "matchpoint relay: %v\n", err)
		return 2
	}
	if err := errors.Join(hf.check(), nonNegative(map[string]int{"max-connections-per-ip": o.MaxConnectionsPerIP, "admin-max-connections-per-ip": *adminPerIP})); err != nil {
		fmt.Fprintf(stderr, "matchpoint relay: %v\n", err)
		return 2
	}
	o.HTTPReadTimeout, o.HTTPWriteTimeout, o.HTTPIdleTimeout = hf.readTimeout, hf.writeTimeout, hf.idleTimeout
	ts.apply(log, "relay")
	raiseOpenFilesLimit(log)
	conn, err := nf.connect(ctx, "relay-"+o.Region, log)
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	defer conn.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	o.Logger = log.With("component", "relay")
	o.Registerer = reg
	if *scripts {
		w, err := scriptWatcher(ctx, conn, reg, log)
		if err != nil {
			log.Error("start", "err", fmt.Errorf("%w (run with --script-registry=false to host sessions without server scripts)", err))
			return 1
		}
		defer w.Close()
		o.ScriptFactory = w.New
	}
	rl, err := relay.New(conn, o)
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	admin := adminhttp.New(adminhttp.Options{Gatherer: reg, Pprof: *pprofOn})
	admin.AddCheck("nats", func(context.Context) error {
		if !conn.Connected() {
			return errors.New("not connected to NATS")
		}
		return nil
	})
	ln, err := listen("admin-addr", *adminAddr, *adminPerIP, refusedConnections(reg).WithLabelValues("admin"))
	if err != nil {
		log.Error("start", "err", err)
		return 1
	}
	// The relay has no grace: players reach it directly, not through a load
	// balancer that reads /readyz.
	err = runUntilDone(ctx, drainPlan{timeout: o.DrainTimeout}, &hf, admin, log, []httpServer{{ln, admin}},
		// Run drains when its context ends: no new placements, sessions go on
		// for up to DrainTimeout, then connections close.
		func(c context.Context) error { return rl.Run(c) },
	)
	if err != nil {
		log.Error("relay stopped", "err", err)
		return 1
	}
	return 0
}

// relayTLS loads the relay's certificate into o.
func relayTLS(o *relay.Options, certFile, keyFile, caFile string) error {
	if certFile == "" && keyFile == "" {
		if caFile != "" {
			return errors.New("--tls-ca needs --tls-cert and --tls-key")
		}
		return nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	o.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		if o.CACertPEM, err = os.ReadFile(caFile); err != nil {
			return fmt.Errorf("--tls-ca: %w", err)
		}
	}
	return nil
}

// scriptWatcher loads server scripts from the JetStream registry and keeps
// them current.
func scriptWatcher(ctx context.Context, conn *bus.Conn, reg prometheus.Registerer, log *slog.Logger) (*script.Watcher, error) {
	sreg, err := bus.NewScriptStore(ctx, conn, bus.ScriptStoreOptions{})
	if err != nil {
		return nil, fmt.Errorf("script store: %w", err)
	}
	w, err := script.NewWatcher(ctx, conn, sreg, script.WatcherOptions{
		Script: script.Options{Logger: log.With("component", "script"), Registerer: reg},
		Logger: log.With("component", "scripts"),
	})
	if err != nil {
		return nil, fmt.Errorf("script watcher: %w", err)
	}
	return w, nil
}

// httpServer is a listener of a process and the handler it serves. It
// serves through the drain, so that /readyz answers 503 "draining" and
// /metrics is scraped until the process exits.
type httpServer struct {
	ln      net.Listener
	handler http.Handler
}

// drainPlan is what a process does on SIGTERM: for grace it serves as before
// but /readyz answers 503, then its parts get timeout to finish.
type drainPlan struct {
	grace   time.Duration
	timeout time.Duration
}

// runUntilDone serves servers and runs the parts of a process until ctx ends
// (SIGTERM) or one fails. On SIGTERM it marks the process draining, so that
// /readyz fails and load balancers stop sending work, and goes on serving
// every request and running every part for plan.grace, while they notice.
// Then Gates refuse all but the operator's endpoints, the parts' context ends
// and they get plan.timeout to finish while the servers go on serving; then
// it shuts the servers down, letting requests in flight finish within what is
// left of plan.timeout, and returns the first error that is not a
// cancellation. A part that fails ends the grace at once.
func runUntilDone(ctx context.Context, plan drainPlan, hf *httpFlags, admin *adminhttp.Handler, log *slog.Logger, servers []httpServer, parts ...func(context.Context) error) error {
	partCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	errs := make(chan error, len(parts)+len(servers))
	srvs := make([]*http.Server, len(servers))
	var served sync.WaitGroup
	for i, s := range servers {
		srv := hf.server(s.handler, log)
		srvs[i] = srv
		served.Add(1)
		go func() {
			defer served.Done()
			if err := srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("http %s: %w", s.ln.Addr(), err)
			}
		}()
	}
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- p(partCtx)
		}()
	}
	var first error
	select {
	case <-ctx.Done():
		log.Info("draining", "grace", plan.grace, "timeout", plan.timeout)
		admin.SetDraining()
		grace := time.NewTimer(plan.grace)
		select {
		case <-grace.C:
		case first = <-errs:
		}
		grace.Stop()
	case first = <-errs:
	}
	admin.StopServing()
	deadline := time.Now().Add(plan.timeout)
	cancel()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(plan.timeout + 10*time.Second):
		log.Warn("parts did not stop in time; exiting")
	}
	// Requests in flight get what is left of the drain, and at least a
	// moment to receive their answers.
	sctx, scancel := context.WithDeadline(context.Background(), later(deadline, time.Now().Add(time.Second)))
	defer scancel()
	for i, srv := range srvs {
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("http shutdown", "addr", servers[i].ln.Addr().String(), "err", err)
		}
	}
	served.Wait()
	if first != nil && !errors.Is(first, context.Canceled) {
		return first
	}
	return nil
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
