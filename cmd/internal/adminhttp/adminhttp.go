// Package adminhttp serves the operator's endpoints of a Matchpoint process:
// /healthz (the process is up), /readyz (every dependency check passes),
// /metrics (Prometheus) and, when enabled, /debug/pprof.
package adminhttp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports whether one dependency (Redis, NATS, a listener) is usable.
type Check func(ctx context.Context) error

// Options configure the handler.
type Options struct {
	// Gatherer is the Prometheus registry served on /metrics; nil serves no
	// /metrics.
	Gatherer prometheus.Gatherer
	// Pprof serves net/http/pprof under /debug/pprof/.
	Pprof bool
	// CheckTimeout bounds each readiness check (default 2s).
	CheckTimeout time.Duration
}

// Handler serves the admin endpoints. Add readiness checks with AddCheck; mark
// the process as draining with SetDraining, after which /readyz fails so that
// load balancers stop sending traffic while work finishes; call StopServing
// once they have had the time to notice, to refuse what still comes (Gate).
type Handler struct {
	mux  *http.ServeMux
	opts Options

	mu       sync.Mutex
	checks   map[string]Check
	draining bool
	stopped  bool
}

// New returns a Handler.
func New(opts Options) *Handler {
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 2 * time.Second
	}
	h := &Handler{mux: http.NewServeMux(), opts: opts, checks: map[string]Check{}}
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	h.mux.HandleFunc("GET /readyz", h.ready)
	if opts.Gatherer != nil {
		h.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{}))
	}
	if opts.Pprof {
		h.mux.HandleFunc("/debug/pprof/", pprof.Index)
		h.mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		h.mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		h.mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		h.mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return h
}

// AddCheck registers a readiness check under a name shown in /readyz.
func (h *Handler) AddCheck(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = c
}

// SetDraining makes /readyz fail with "draining".
func (h *Handler) SetDraining() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.draining = true
}

// Draining reports whether SetDraining was called.
func (h *Handler) Draining() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.draining
}

// StopServing makes Gate refuse every request but the operator's endpoints.
// It implies SetDraining.
func (h *Handler) StopServing() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.draining, h.stopped = true, true
}

func (h *Handler) stoppedServing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stopped
}

// Gate returns a handler that passes every request to next until
// StopServing, draining or not: while /readyz answers "draining", requests
// that load balancers still send are served. After StopServing it passes only
// the operator's endpoints (/healthz, /readyz, /metrics, /debug/pprof/), so
// that load balancers keep reading "draining" and metrics keep being scraped
// until the process exits, and it refuses every other request with 503 and
// closes the connection, so that clients go to another process.
func (h *Handler) Gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.stoppedServing() && !operatorPath(r.URL.Path) {
			w.Header().Set("Connection", "close")
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "draining"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func operatorPath(p string) bool {
	switch p {
	case "/healthz", "/readyz", "/metrics":
		return true
	}
	return strings.HasPrefix(p, "/debug/pprof/")
}

// Ready runs every check and returns the failures by name.
func (h *Handler) Ready(ctx context.Context) map[string]string {
	h.mu.Lock()
	checks := make(map[string]Check, len(h.checks))
	for n, c := range h.checks {
		checks[n] = c
	}
	draining := h.draining
	h.mu.Unlock()
	failed := map[string]string{}
	if draining {
		failed["process"] = "draining"
	}
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		cctx, cancel := context.WithTimeout(ctx, h.opts.CheckTimeout)
		err := checks[n](cctx)
		cancel()
		if err != nil {
			failed[n] = err.Error()
		}
	}
	return failed
}

func (h *Handler) ready(w http.ResponseWriter, r *http.Request) {
	failed := h.Ready(r.Context())
	if len(failed) > 0 {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "failed": failed})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// ServeHTTP serves the admin endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
