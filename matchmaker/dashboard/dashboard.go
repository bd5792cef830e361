// Package dashboard is Matchpoint's operator web page: live queue depth and
// time to match per configuration, recent matches with their teams and rule
// evaluation metrics, relays with their capacity, sessions and draining state,
// fleets with their relays and game session counts, the newest game sessions
// with their player sessions, and a rule set playground that runs the offline simulation of
// matchmaker/simulate. It is plain HTML, CSS and JavaScript embedded in the
// binary (no build step, nothing loaded from elsewhere) and a few JSON
// endpoints that require the same API key as the REST API.
//
// The matchmaker mounts it at /dashboard/ on its HTTP address:
//
//	d, err := dashboard.New(dashboard.Options{
//		Store:     st,                                // store.Store
//		Bus:       conn,                              // *bus.Conn, for relay heartbeats
//		GameSessions: st,                             // fleets and game sessions
//		Authorize: dashboard.BearerAuthorizer(keys),  // API key id -> secret
//	})
//	mux.Handle("/dashboard/", d)
//	err = d.Run(ctx) // follows relay heartbeats until ctx ends: run it beside the HTTP server
//
// docs/dashboard.md describes each panel and endpoint.
package dashboard

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

//go:embed static
var staticFiles embed.FS

// Store is what the dashboard reads from the matchmaker's store; a
// store.Store (Redis or memory) satisfies it.
type Store interface {
	// ListConfigurations gives the configurations shown in the queues panel.
	ListConfigurations(ctx context.Context) ([]store.Configuration, error)
	// SearchingVersions gives the queue depth (SEARCHING tickets) without
	// decoding the tickets.
	SearchingVersions(ctx context.Context, configuration string) ([]store.TicketVersion, error)
	// EventsAfter gives the configuration's event log: matches, time to match.
	EventsAfter(ctx context.Context, configuration string, after uint64, limit int) ([]store.Event, error)
}

// Heartbeats is where the dashboard follows the relays; a *bus.Conn
// satisfies it.
type Heartbeats interface {
	SubscribeHeartbeats(ctx context.Context, region string, fn func(bus.Heartbeat)) (stop func(), err error)
}

// Defaults of Options.
const (
	DefaultPrefix               = "/dashboard/"
	DefaultWindow               = 15 * time.Minute
	DefaultRecentMatches        = 50
	DefaultRefreshInterval      = time.Second
	DefaultRelayForget          = 5 * time.Minute
	DefaultMaxPlaygroundTickets = 1000
	DefaultMaxPlaygroundBytes   = 1 << 20
	DefaultMaxSimulations       = 2
)

// Options configure a Dashboard. Store and Authorize are required.
type Options struct {
	// Store is the matchmaker's store.
	Store Store
	// Bus, when set, is followed by Run for relay heartbeats; without it the
	// relays panel says that relays are not followed.
	Bus Heartbeats
	// Authorize decides whether a request to a JSON endpoint carries a valid
	// API key (see BearerAuthorizer). The page itself and its static files
	// need no key: they hold no data.
	Authorize func(*http.Request) bool
	// Prefix is the path the dashboard is mounted at, with a trailing slash
	// (default "/dashboard/"). The handler expects full request paths: mount
	// it on Prefix without stripping it.
	Prefix string
	// Window is how far back time to match and event counts go (default 15m).
	Window time.Duration
	// RecentMatches is how many matches are kept per configuration (default 50).
	RecentMatches int
	// RefreshInterval is the least time between two reads of the store
	// (default 1s); requests in between are served what was read last.
	RefreshInterval time.Duration
	// RelayForget drops a relay silent for this long (default 5m). A relay is
	// shown as silent after three missed heartbeats.
	RelayForget time.Duration
	// MaxPlaygroundTickets bounds the tickets of one playground run
	// (default 1000); MaxPlaygroundBytes its request body (default 1 MiB);
	// MaxSimulations how many run at once (default 2).
	MaxPlaygroundTickets int
	MaxPlaygroundBytes   int64
	MaxSimulations       int
	// GameSessions, when set, feeds the fleets and game sessions panels
	// (the matchmaker's store); without it they say that game sessions are
	// not shown.
	GameSessions GameSessions
	// PendingPlacements, when set, gives by configuration the matches this
	// process is placing that wait for relay capacity
	// (matchmaker.Service.PendingPlacements); the queues panel shows them.
	PendingPlacements func() map[string]int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives the dashboard's logs (default slog.Default()).
	Logger *slog.Logger
}

// Dashboard is the dashboard's http.Handler. Run follows the relays.
type Dashboard struct {
	opts   Options
	mux    *http.ServeMux
	static http.Handler
	stats  *stats
	relays *relays
	sims   chan struct{}
}

// New returns a Dashboard. It fails when Store or Authorize is missing or
// Prefix is not an absolute path with a trailing slash.
func New(opts Options) (*Dashboard, error) {
	if opts.Store == nil {
		return nil, errors.New("dashboard: Options.Store is required")
	}
	if opts.Authorize == nil {
		return nil, errors.New("dashboard: Options.Authorize is required (the JSON endpoints need the API key)")
	}
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	if !strings.HasPrefix(opts.Prefix, "/") || !strings.HasSuffix(opts.Prefix, "/") {
		return nil, errors.New("dashboard: Options.Prefix must start and end with '/'")
	}
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.RecentMatches <= 0 {
		opts.RecentMatches = DefaultRecentMatches
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	if opts.RelayForget <= 0 {
		opts.RelayForget = DefaultRelayForget
	}
	if opts.MaxPlaygroundTickets <= 0 {
		opts.MaxPlaygroundTickets = DefaultMaxPlaygroundTickets
	}
	if opts.MaxPlaygroundBytes <= 0 {
		opts.MaxPlaygroundBytes = DefaultMaxPlaygroundBytes
	}
	if opts.MaxSimulations <= 0 {
		opts.MaxSimulations = DefaultMaxSimulations
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	d := &Dashboard{
		opts:   opts,
		mux:    http.NewServeMux(),
		static: http.StripPrefix(opts.Prefix+"static/", http.FileServerFS(sub)),
		stats:  newStats(opts),
		relays: newRelays(opts.Now, opts.RelayForget),
		sims:   make(chan struct{}, opts.MaxSimulations),
	}
	p := opts.Prefix
	d.mux.HandleFunc("GET "+p+"{$}", d.serveIndex)
	d.mux.Handle("GET "+p+"static/", d.static)
	d.mux.HandleFunc("GET "+p+"api/overview", d.authorized(d.serveOverview))
	d.mux.HandleFunc("GET "+p+"api/matches", d.authorized(d.serveMatches))
	d.mux.HandleFunc("GET "+p+"api/relays", d.authorized(d.serveRelays))
	d.mux.HandleFunc("GET "+p+"api/fleets", d.authorized(d.serveFleets))
	d.mux.HandleFunc("GET "+p+"api/gamesessions", d.authorized(d.serveGameSessions))
	d.mux.HandleFunc("GET "+p+"api/playersessions", d.authorized(d.servePlayerSessions))
	d.mux.HandleFunc("POST "+p+"api/playground", d.authorized(d.servePlayground))
	allow := map[string]string{p + "api/overview": "GET", p + "api/matches": "GET", p + "api/relays": "GET", p + "api/playground": "POST",
		p + "api/fleets": "GET", p + "api/gamesessions": "GET", p + "api/playersessions": "GET"}
	d.mux.HandleFunc(p+"api/", func(w http.ResponseWriter, r *http.Request) {
		if m, ok := allow[r.URL.Path]; ok {
			w.Header().Set("Allow", m)
			writeError(w, http.StatusMethodNotAllowed, r.URL.Path+": use "+m)
			return
		}
		writeError(w, http.StatusNotFound, "no such dashboard endpoint: "+r.Method+" "+r.URL.Path)
	})
	return d, nil
}

// ServeHTTP serves the page, its static files and the JSON endpoints.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	d.mux.ServeHTTP(w, r)
}

// Run follows relay heartbeats on Options.Bus until ctx ends; without a Bus
// it only waits for ctx. It returns nil when ctx ends, or the error of the
// subscription.
func (d *Dashboard) Run(ctx context.Context) error {
	if d.opts.Bus == nil {
		<-ctx.Done()
		return nil
	}
	stop, err := d.opts.Bus.SubscribeHeartbeats(ctx, "", d.relays.observe)
	if err != nil {
		return err
	}
	d.relays.setFollowed(true)
	<-ctx.Done()
	stop()
	d.relays.setFollowed(false)
	return nil
}

// BearerAuthorizer returns an Authorize function that accepts
// "Authorization: Bearer SECRET" for any secret of keys (API key id ->
// secret), as the REST API does. Secrets are compared in constant time.
func BearerAuthorizer(keys map[string]string) func(*http.Request) bool {
	secrets := make([][]byte, 0, len(keys))
	for _, s := range keys {
		if s != "" {
			secrets = append(secrets, []byte(s))
		}
	}
	return func(r *http.Request) bool {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || got == "" {
			return false
		}
		match := 0
		for _, s := range secrets {
			match |= subtle.ConstantTimeCompare([]byte(got), s)
		}
		return match == 1
	}
}

func (d *Dashboard) authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if !d.opts.Authorize(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="matchpoint"`)
			writeError(w, http.StatusUnauthorized, "Authorization: want \"Bearer <API key secret>\", the key of the REST API")
			return
		}
		next(w, r)
	}
}

func (d *Dashboard) serveIndex(w http.ResponseWriter, _ *http.Request) {
	page, err := staticFiles.ReadFile("static/index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the page is missing from the binary")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(page)
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error string `json:"error"`
	// Errors are the rule set's validation errors, each with its JSON path.
	Errors []fieldError `json:"errors,omitempty"`
}

type fieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// writeStoreError answers 503 for a store read that failed.
func writeStoreError(w http.ResponseWriter, err error) {
	writeError(w, http.StatusServiceUnavailable, "the store cannot be read: "+err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// relays tracks the heartbeats of every relay.
type relays struct {
	now    func() time.Time
	forget time.Duration

	mu       sync.Mutex
	followed bool
	byID     map[string]relaySeen
}

type relaySeen struct {
	hb       bus.Heartbeat
	received time.Time
}

// maxRelays bounds how many relays are tracked, whatever arrives on the bus.
const maxRelays = 10000

func newRelays(now func() time.Time, forget time.Duration) *relays {
	return &relays{now: now, forget: forget, byID: map[string]relaySeen{}}
}

func (r *relays) setFollowed(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.followed = on
}

func (r *relays) observe(hb bus.Heartbeat) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := hb.Region + "\x00" + hb.RelayID
	if _, ok := r.byID[key]; !ok && len(r.byID) >= maxRelays {
		return
	}
	r.byID[key] = relaySeen{hb: hb, received: r.now()}
}
