package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/cmd/internal/adminhttp"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/api"
	"github.com/matchpoint-dev/matchpoint/matchmaker/dashboard"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

// matchmakerFlags are the settings of the matchmaker service, shared by
// `matchmaker` and `dev`.
type matchmakerFlags struct {
	httpAddr         string
	apiKeys          string
	region           string
	accountID        string
	queueRegions     string
	leaseTTL         time.Duration
	interval         time.Duration
	minInterval      time.Duration
	placementTimeout time.Duration
	webhookSecret    string
	script           string
	pprof            bool
	drainTimeout     time.Duration
	drainGrace       time.Duration
	maxConnsPerIP    int
	// apiOnly runs no forming loop (matchmaker --api-only).
	apiOnly bool
	// defaultQueue makes the matchmaker create the game session queue
	// "default" holding the --queue-regions, unless it exists (dev).
	defaultQueue bool
}

func (m *matchmakerFlags) register(fs *flag.FlagSet, httpAddr, keys string, drain, grace time.Duration) {
	fs.StringVar(&m.httpAddr, "http-addr", httpAddr, "address of the API (REST /v1/, GameLift JSON on POST /), /healthz, /readyz and /metrics")
	fs.StringVar(&m.apiKeys, "api-key", keys, "API keys as ID:SECRET, comma-separated: REST clients send 'Authorization: Bearer SECRET', AWS SDKs sign with ID and SECRET")
	fs.StringVar(&m.region, "region", defaultRegion, "region name in ARNs and events")
	fs.StringVar(&m.accountID, "account-id", "000000000000", "account id in ARNs and events")
	fs.StringVar(&m.queueRegions, "queue-regions", "", "comma-separated relay regions, in order of preference, for WITH_QUEUE configurations that name none of their own")
	fs.DurationVar(&m.leaseTTL, "lease-ttl", 10*time.Second, "how long a configuration stays owned by a matchmaker that stopped renewing (takeover time after a crash)")
	fs.DurationVar(&m.interval, "forming-interval", 200*time.Millisecond, "longest time between forming passes of a configuration (expansions and timeouts are seen this often)")
	fs.DurationVar(&m.minInterval, "forming-min-interval", 10*time.Millisecond, "shortest time between forming passes of a configuration: a new ticket, or a pass that formed matches, brings the next pass forward to this")
	fs.DurationVar(&m.placementTimeout, "placement-timeout", 30*time.Second, "how long a match may take to be placed on a relay, retries included")
	fs.StringVar(&m.webhookSecret, "webhook-secret", "", "key of the HMAC-SHA256 signature (X-Matchpoint-Signature) of webhook deliveries")
	fs.StringVar(&m.script, "script", "", "name of the server script new game sessions run (scripts upload NAME FILE)")
	fs.BoolVar(&m.pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/ on --http-addr")
	fs.DurationVar(&m.drainGrace, "drain-grace", grace, "on SIGTERM, how long to go on serving every request while /readyz answers 503, for load balancers to notice; then new API requests are refused and the drain begins")
	fs.DurationVar(&m.drainTimeout, "drain-timeout", drain, "after --drain-grace, how long to finish placements in flight and requests before exiting")
	fs.IntVar(&m.maxConnsPerIP, "max-connections-per-ip", 512, "connections one client IP address may hold open on --http-addr; more are closed as they are accepted (0: no limit; a load balancer in front is one address)")
}

// check refuses negative durations and limits, naming the flag.
func (m *matchmakerFlags) check() error {
	if err := nonNegative(map[string]time.Duration{"drain-grace": m.drainGrace, "drain-timeout": m.drainTimeout}); err != nil {
		return err
	}
	return nonNegative(map[string]int{"max-connections-per-ip": m.maxConnsPerIP})
}

// keys parses --api-key.
func (m *matchmakerFlags) keys() (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range splitList(m.apiKeys) {
		id, secret, ok := strings.Cut(kv, ":")
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("--api-key: %q is not ID:SECRET", kv)
		}
		out[id] = secret
	}
	if len(out) == 0 {
		return nil, errors.New("--api-key: at least one ID:SECRET is required")
	}
	return out, nil
}

// matchmakerStack is the matchmaker service and its HTTP faces, wired
// together.
type matchmakerStack struct {
	svc *matchmaker.Service
	// stopFollowing ends the service's heartbeat and session event
	// subscriptions (Close).
	stopFollowing func()
	dashboard     *dashboard.Dashboard
	admin         *adminhttp.Handler
	handler       http.Handler
}

func newMatchmakerStack(m *matchmakerFlags, st store.Store, conn *bus.Conn, reg *prometheus.Registry, log *slog.Logger) (*matchmakerStack, error) {
	keys, err := m.keys()
	if err != nil {
		return nil, err
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &matchmakerStack{}
	var defaultQueue *store.Queue
	if m.defaultQueue {
		defaultQueue = &store.Queue{Name: "default", Regions: splitList(m.queueRegions)}
	}
	// Server scripts are uploaded through the API, and configurations and
	// fleets name them, when NATS has JetStream.
	var apiOpts []api.Option
	var scriptExists func(context.Context, string) (bool, error)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	scripts, err := bus.NewScriptStore(ctx, conn, bus.ScriptStoreOptions{Check: script.Check})
	cancel()
	if err != nil {
		log.Warn("the API cannot store server scripts", "err", err)
	} else {
		scriptExists = scripts.Exists
	}
	svc, stopFollowing, err := newMatchmakerService(conn, log, matchmaker.Options{
		ScriptExists:  scriptExists,
		DefaultQueue:  defaultQueue,
		Registerer:    reg,
		Store:         st,
		Publisher:     conn,
		Logger:        log.With("component", "matchmaker"),
		Region:        m.region,
		AccountID:     m.accountID,
		WebhookSecret: []byte(m.webhookSecret),
		// PLACING tickets whose matchmaker died mid-placement fail soon
		// after the placement would have given up.
		PlacingTimeout:   m.placementTimeout + 10*time.Second,
		Placer:           &matchmaker.BusPlacer{Conn: conn, Script: m.script},
		Bus:              conn,
		LeaseTTL:         m.leaseTTL,
		Interval:         m.interval,
		MinInterval:      m.minInterval,
		PlacementTimeout: m.placementTimeout,
		Regions:          splitList(m.queueRegions),
		FormingDisabled:  m.apiOnly,
	})
	if err != nil {
		return nil, err
	}
	s.svc, s.stopFollowing = svc, stopFollowing
	s.admin = adminhttp.New(adminhttp.Options{Gatherer: reg, Pprof: m.pprof})
	s.admin.AddCheck("nats", func(context.Context) error {
		if !conn.Connected() {
			return errors.New("not connected to NATS")
		}
		return nil
	})
	s.admin.AddCheck("configurations", svc.CheckConfigurations)
	s.admin.AddCheck("store", func(ctx context.Context) error {
		_, err := st.ListConfigurations(ctx)
		return err
	})
	if scripts != nil {
		apiOpts = append(apiOpts, api.WithScripts(scripts))
	}
	apiMetrics, err := api.NewMetrics(reg)
	if err != nil {
		s.Close()
		return nil, err
	}
	apiOpts = append(apiOpts, api.WithMetrics(apiMetrics))
	apiHandler := api.New(svc, keys, log.With("component", "api"), apiOpts...)
	dash, err := dashboard.New(dashboard.Options{
		Store:        st,
		GameSessions: st,
		Bus:          conn,
		Authorize:    dashboard.BearerAuthorizer(keys),
		// The matches this process places that wait for relay capacity.
		PendingPlacements: svc.PendingPlacements,
		Logger:            log.With("component", "dashboard"),
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.dashboard = dash
	mux := http.NewServeMux()
	mux.Handle("/dashboard/", dash)
	mux.Handle("GET /readyz", s.admin)
	mux.Handle("GET /metrics", s.admin)
	mux.Handle("/debug/pprof/", s.admin)
	mux.Handle("/", apiHandler)
	s.handler = mux
	return s, nil
}

// Close stops following the relays, then closes the service: nothing the
// bus delivers afterwards reaches the registry.
func (s *matchmakerStack) Close() {
	s.stopFollowing()
	s.svc.Close()
}
