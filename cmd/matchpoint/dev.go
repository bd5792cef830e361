package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay"
)

//go:embed sample/duel-rules.json
var sampleRules string

// The sample resources `dev` creates.
const (
	sampleRuleSet       = "duel"
	sampleConfiguration = "duel"
	// sampleQueue is the game session queue the matchmaker creates for dev
	// (matchmakerFlags.defaultQueue).
	sampleQueue = "default"
	// defaultRegion is the default --region of the matchmaker, the relay and
	// dev: a relay serves the matchmaker's region unless told otherwise, so
	// that fleets, whose home region is the matchmaker's, have a relay
	// without naming a location.
	defaultRegion = "us-east-1"
)

func runDev(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("dev", "Run everything in one process for development: an embedded NATS server, the in-memory\nstore, the matchmaker (API, forming loop) and a relay, with a sample rule set and\nconfiguration. Nothing is kept when it stops.", stderr)
	var mm matchmakerFlags
	mm.register(fs, "127.0.0.1:8080", "dev:dev-secret", 5*time.Second, 0)
	var lf logFlags
	lf.register(fs)
	var gf gcFlags
	gf.register(fs, devGCPercent)
	var ts timerSlackFlag
	ts.register(fs)
	var hf httpFlags
	hf.register(fs)
	relayAddr := fs.String("relay-addr", "127.0.0.1:7000", "address of the relay's WebSocket listener (players connect here)")
	maxSessions := fs.Int("max-sessions", relay.DefaultMaxSessions, "game sessions the relay hosts at most (bench gamesessions seeds 10,000 for its search phase)")
	natsPort := fs.Int("nats-port", 0, "port of the embedded NATS server (0: a free port)")
	sample := fs.Bool("sample", true, "create the sample rule set and configuration \""+sampleConfiguration+"\"")
	useTLS := fs.Bool("tls", false, "serve the relay over TLS (wss) and DTLS with a generated development certificate; clients get its CA in the login result")
	caFile := fs.String("tls-ca-file", filepath.Join(os.TempDir(), "matchpoint-dev-ca.pem"), "with --tls, where to write the development CA (PEM) for clients to trust")
	redisURL := fs.String("redis-url", "", "keep tickets in the Redis at this URL instead of in memory (redis://host:port/db)")
	rf := redisFlags{prefix: "mp:", retention: time.Hour}
	rf.registerWindows(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	log, err := lf.logger(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint dev: %v\n", err)
		return 2
	}
	if err := errors.Join(mm.check(), hf.check(), ts.check(), gf.apply(log, os.LookupEnv)); err != nil {
		fmt.Fprintf(stderr, "matchpoint dev: %v\n", err)
		return 2
	}
	ts.apply(log, "dev")
	raiseOpenFilesLimit(log)
	if mm.queueRegions == "" {
		mm.queueRegions = mm.region
	}
	st := store.Store(store.NewMemory(store.Options{}))
	if *redisURL != "" {
		routeRedisLogs(log)
		rf.url = *redisURL
		rc, err := rf.client()
		if err != nil {
			fmt.Fprintf(stderr, "matchpoint dev: %v\n", err)
			return 2
		}
		defer rc.Close()
		st = store.NewRedis(rc, rf.storeOptions())
	}
	if err := dev(ctx, &mm, &hf, st, devRelay{addr: *relayAddr, tls: *useTLS, caFile: *caFile, maxSessions: *maxSessions}, *natsPort, *sample, stdout, log, nil); err != nil {
		fmt.Fprintf(stderr, "matchpoint dev: %v\n", err)
		return 1
	}
	return 0
}

// devAddrs are where a running dev stack listens.
type devAddrs struct {
	API, Relay, NATS string
	// CACertPEM is the relay's development CA with --tls.
	CACertPEM []byte
}

// dev runs the dev stack until ctx ends. ready, when not nil, receives the
// listening addresses once everything is up.
// devRelay is the dev stack's relay listener.
type devRelay struct {
	addr string
	tls  bool
	// caFile receives the development CA with tls; "" writes none.
	caFile string
	// maxSessions is the relay's Options.MaxSessions (0: its default).
	maxSessions int
}

func dev(ctx context.Context, mm *matchmakerFlags, hf *httpFlags, st store.Store, rd devRelay, natsPort int, sample bool, stdout io.Writer, log *slog.Logger, ready chan<- devAddrs) error {
	// The embedded server's start-up notices are noise here; its warnings are not.
	natsLog := slog.New(minLevel{log.Handler(), slog.LevelWarn})
	nats, err := embedded.Run(ctx, embedded.Options{Port: natsPort, JetStream: true, Logger: natsLog.With("component", "nats")})
	if err != nil {
		return fmt.Errorf("start embedded NATS: %w", err)
	}
	defer nats.Shutdown()
	// In process: the matchmaker and the relay reach the embedded server
	// through a pipe rather than loopback TCP, so the bus costs no system
	// call (--nats-port still serves other processes); what no one
	// subscribes to (matchmaking events, most of the time) is not sent.
	conn, err := bus.Connect(ctx, nats.URL(), bus.Options{Name: "matchpoint-dev", Logger: log, InProcess: nats.NATS(), Interest: nats.Interest})
	if err != nil {
		return fmt.Errorf("connect to embedded NATS: %w", err)
	}
	defer conn.Close()

	reg := prometheus.NewRegistry()
	mm.defaultQueue = true
	if q, err := st.GetQueue(ctx, sampleQueue); err == nil {
		log.Info("the game session queue exists; left as it is", "queue", sampleQueue, "regions", q.Regions)
	}
	stack, err := newMatchmakerStack(mm, st, conn, reg, log)
	if err != nil {
		return err
	}
	defer stack.Close()
	scripts, err := scriptWatcher(ctx, conn, reg, log)
	if err != nil {
		return err
	}
	defer scripts.Close()
	ro := relay.Options{
		ScriptFactory: scripts.New,
		RelayID:       "dev-relay",
		Region:        mm.region,
		ListenAddr:    rd.addr,
		MaxSessions:   rd.maxSessions,
		PublicIP:      "127.0.0.1",
		PublicDNS:     "localhost",
		Logger:        log.With("component", "relay"),
		Registerer:    reg,
		// On SIGTERM the relay's sessions go on for the stack's drain.
		DrainTimeout:     mm.drainTimeout,
		HTTPReadTimeout:  hf.readTimeout,
		HTTPWriteTimeout: hf.writeTimeout,
		HTTPIdleTimeout:  hf.idleTimeout,
	}
	scheme, caNote := "ws", ""
	if rd.tls {
		if ro.TLS, ro.CACertPEM, err = relay.DevCertificate(); err != nil {
			return fmt.Errorf("generate the development certificate: %w", err)
		}
		scheme = "wss"
		if rd.caFile != "" {
			if err := os.WriteFile(rd.caFile, ro.CACertPEM, 0o644); err != nil {
				return fmt.Errorf("--tls-ca-file: %w", err)
			}
			caNote = fmt.Sprintf("  relay CA   %s   (trust it: NODE_EXTRA_CA_CERTS=%s, or the Go client's Options.RootCAs)\n", rd.caFile, rd.caFile)
		}
	}
	rl, err := relay.New(conn, ro)
	if err != nil {
		return fmt.Errorf("start relay: %w", err)
	}
	if sample {
		if err := createSample(ctx, stack.svc, log); err != nil {
			return err
		}
	}
	ln, err := listen("http-addr", mm.httpAddr, mm.maxConnsPerIP, refusedConnections(reg).WithLabelValues("api"))
	if err != nil {
		return err
	}
	keys, _ := mm.keys()
	var id, secret string
	for id, secret = range keys {
		break
	}
	url := "http://" + ln.Addr().String()
	banner := fmt.Sprintf(`Matchpoint dev is running.
  API        %s   (REST under /v1/, GameLift JSON on POST /)
  dashboard  %s/dashboard/#key=%s
  API key    id %q, secret %q   (REST: Authorization: Bearer %s)
  relay      %s://%s/websocket   (region %q)
%s  NATS       %s
  sample     rule set %q, configuration %q (WITH_QUEUE on region %q)

Try it:
  curl -s -H 'Authorization: Bearer %s' -X POST %s/v1/tickets \
    -d '{"TicketId":"ana","ConfigurationName":"%s","Players":[{"PlayerId":"ana","PlayerAttributes":{"skill":{"N":1000}}}]}'
  curl -s -H 'Authorization: Bearer %s' -X POST %s/v1/tickets \
    -d '{"TicketId":"bo","ConfigurationName":"%s","Players":[{"PlayerId":"bo","PlayerAttributes":{"skill":{"N":1050}}}]}'
  curl -sN -H 'Authorization: Bearer %s' '%s/v1/events?configuration=%s'
  go run ./cmd/chat --api %s --api-key %s --ticket ana   # and --ticket bo, in another terminal
`, url, url, secret, id, secret, secret, scheme, rl.Addr().String(), mm.region, caNote, nats.URL(), sampleRuleSet, sampleConfiguration, mm.region,
		secret, url, sampleConfiguration, secret, url, sampleConfiguration, secret, url, sampleConfiguration, url, secret)

	// Announce the stack once its relay takes placements, so that a match
	// formed at once is placed rather than refused for want of a relay.
	announce := func(c context.Context) error {
		select {
		case <-rl.Ready():
			fmt.Fprint(stdout, banner)
			if ready != nil {
				ready <- devAddrs{API: url, Relay: rl.Addr().String(), NATS: nats.URL(), CACertPEM: ro.CACertPEM}
			}
		case <-c.Done():
		}
		<-c.Done()
		return nil
	}
	return runUntilDone(ctx, drainPlan{grace: mm.drainGrace, timeout: mm.drainTimeout}, hf, stack.admin, log,
		[]httpServer{{ln, stack.admin.Gate(stack.handler)}},
		stack.svc.Run, rl.Run, stack.dashboard.Run, announce)
}

// createSample creates the sample rule set and configuration. One that
// exists already (dev --redis-url run again) is left as it is.
func createSample(ctx context.Context, svc *matchmaker.Service, log *slog.Logger) error {
	_, err := svc.CreateMatchmakingRuleSet(ctx, &matchmaker.CreateMatchmakingRuleSetInput{Name: sampleRuleSet, RuleSetBody: sampleRules})
	if exists(err) {
		log.Info("the sample rule set exists; left as it is", "rule_set", sampleRuleSet)
	} else if err != nil {
		return fmt.Errorf("create the sample rule set: %w", err)
	}
	timeout, acceptance, mode := 120, false, matchmaker.ModeWithQueue
	queue := "arn:aws:gamelift:us-east-1:000000000000:gamesessionqueue/" + sampleQueue
	_, err = svc.CreateMatchmakingConfiguration(ctx, &matchmaker.CreateMatchmakingConfigurationInput{
		Name: sampleConfiguration, RuleSetName: sampleRuleSet, RequestTimeoutSeconds: &timeout,
		AcceptanceRequired: &acceptance, FlexMatchMode: &mode, GameSessionQueueArns: []string{queue},
	})
	if exists(err) {
		log.Info("the sample configuration exists; left as it is", "configuration", sampleConfiguration)
	} else if err != nil {
		return fmt.Errorf("create the sample configuration: %w", err)
	}
	return nil
}

// exists reports whether err says that the resource to create exists.
func exists(err error) bool {
	var e *matchmaker.Error
	return errors.As(err, &e) && e.Conflict
}

// minLevel is a slog handler that drops records below a level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

// Enabled reports whether the record's level is at least the minimum.
func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

// WithAttrs keeps the minimum on derived handlers.
func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.level}
}

// WithGroup keeps the minimum on derived handlers.
func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.level}
}
