package adminhttp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

func TestEndpoints(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "matchpoint_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	h := New(Options{Gatherer: reg})
	if code, body := get(t, h, "/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("healthz: %d %s", code, body)
	}
	if code, _ := get(t, h, "/readyz"); code != 200 {
		t.Fatalf("readyz with no checks: %d", code)
	}
	redisDown := errors.New("dial tcp 127.0.0.1:6379: connection refused")
	h.AddCheck("redis", func(context.Context) error { return redisDown })
	h.AddCheck("nats", func(context.Context) error { return nil })
	if code, body := get(t, h, "/readyz"); code != 503 || !strings.Contains(body, "connection refused") || strings.Contains(body, "nats") {
		t.Fatalf("readyz with redis down: %d %s", code, body)
	}
	h.AddCheck("redis", func(context.Context) error { return nil })
	h.SetDraining()
	if code, body := get(t, h, "/readyz"); code != 503 || !strings.Contains(body, "draining") {
		t.Fatalf("readyz while draining: %d %s", code, body)
	}
	if code, body := get(t, h, "/metrics"); code != 200 || !strings.Contains(body, "matchpoint_test_total 3") {
		t.Fatalf("metrics: %d %s", code, body)
	}
	if code, _ := get(t, h, "/debug/pprof/"); code != 404 {
		t.Fatalf("pprof must be off by default, got %d", code)
	}
	if code, _ := get(t, New(Options{Pprof: true}), "/debug/pprof/"); code != 200 {
		t.Fatalf("pprof on: %d", code)
	}
}

// TestGate: while the process runs, and while it drains, every request
// reaches the service; once it stops serving only the operator's endpoints
// do, the rest is refused.
func TestGate(t *testing.T) {
	h := New(Options{Gatherer: prometheus.NewRegistry()})
	mux := http.NewServeMux()
	mux.Handle("GET /readyz", h)
	mux.Handle("GET /metrics", h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "service ok") })
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "api") })
	g := h.Gate(mux)
	if code, body := get(t, g, "/v1/tickets"); code != 200 || body != "api" {
		t.Fatalf("before the drain: %d %s", code, body)
	}
	h.SetDraining()
	if code, body := get(t, g, "/v1/tickets"); code != 200 || body != "api" {
		t.Fatalf("while draining: %d %s", code, body)
	}
	if code, body := get(t, g, "/readyz"); code != 503 || !strings.Contains(body, "draining") {
		t.Fatalf("readyz while draining: %d %s", code, body)
	}
	h.StopServing()
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/tickets", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "draining") || rec.Header().Get("Connection") != "close" {
		t.Fatalf("the API once the process stops serving: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if code, body := get(t, g, "/healthz"); code != 200 || body != "service ok" {
		t.Fatalf("healthz while draining: %d %s", code, body)
	}
	if code, body := get(t, g, "/readyz"); code != 503 || !strings.Contains(body, "draining") {
		t.Fatalf("readyz while draining: %d %s", code, body)
	}
	if code, _ := get(t, g, "/metrics"); code != 200 {
		t.Fatalf("metrics while draining: %d", code)
	}
}
