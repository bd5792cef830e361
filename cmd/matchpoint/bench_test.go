package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestBenchTicketsRequests checks the load generator's requests and its
// accounting against a server that refuses every tenth request: each request
// is an authenticated StartMatchmaking with a new player, the workers keep
// their connections alive, and every request is counted once.
func TestBenchTicketsRequests(t *testing.T) {
	var mu sync.Mutex
	players := map[string]bool{}
	conns := map[string]bool{}
	var bad []string
	n := 0
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			ConfigurationName string
			Players           []struct {
				PlayerId         string
				PlayerAttributes map[string]map[string]float64
			}
		}
		err := json.NewDecoder(r.Body).Decode(&in)
		mu.Lock()
		defer mu.Unlock()
		n++
		conns[r.RemoteAddr] = true
		switch {
		case r.Method != http.MethodPost || r.URL.Path != "/v1/tickets":
			bad = append(bad, r.Method+" "+r.URL.Path)
		case r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("Content-Type") != "application/json":
			bad = append(bad, "headers "+r.Header.Get("Authorization")+" "+r.Header.Get("Content-Type"))
		case err != nil || in.ConfigurationName != "duel" || len(in.Players) != 1 || in.Players[0].PlayerAttributes["skill"] == nil:
			bad = append(bad, "body")
		case players[in.Players[0].PlayerId]:
			bad = append(bad, "player id reused: "+in.Players[0].PlayerId)
		default:
			players[in.Players[0].PlayerId] = true
		}
		if n%10 == 0 {
			http.Error(w, `{"message":"no"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"MatchmakingTicket":{"TicketId":"x"}}`))
	}))
	srv.Start()
	defer srv.Close()

	const workers = 4
	res := benchTickets(context.Background(), srv.URL+"/v1/tickets", "s3cret", "duel", 300*time.Millisecond, workers, 0)
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("bad requests: %q", bad[:min(len(bad), 5)])
	}
	if res.sent != int64(n) || res.sent == 0 {
		t.Fatalf("sent %d, the server saw %d", res.sent, n)
	}
	if want := int64(n / 10); res.failed["HTTP 400"] != want || res.accepted != res.sent-want {
		t.Fatalf("accepted %d, failed %v; want %d refused of %d", res.accepted, res.failed, want, n)
	}
	if len(conns) > workers {
		t.Fatalf("%d connections for %d workers: keep-alive not kept", len(conns), workers)
	}
	if res.p50 <= 0 || res.p50 > res.p99 || res.p99 > res.max {
		t.Fatalf("percentiles out of order: p50 %s p99 %s max %s", res.p50, res.p99, res.max)
	}
}

// TestBenchTicketsReconnects: a server that closes the connection after every
// response is still measured (the worker dials again), and a server that is
// gone is reported as transport failures, not as accepted tickets.
func TestBenchTicketsReconnects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusCreated)
	}))
	res := benchTickets(context.Background(), srv.URL+"/v1/tickets", "s", "duel", 200*time.Millisecond, 2, 0)
	if res.accepted == 0 || len(res.failed) != 0 {
		t.Fatalf("with Connection: close: accepted %d, failed %v", res.accepted, res.failed)
	}
	srv.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	res = benchTickets(context.Background(), "http://"+addr+"/v1/tickets", "s", "duel", 100*time.Millisecond, 2, 0)
	if res.accepted != 0 || res.sent == 0 {
		t.Fatalf("no server: accepted %d of %d", res.accepted, res.sent)
	}
	for k := range res.failed {
		if !strings.HasPrefix(k, "transport: ") {
			t.Fatalf("no server: failure %q, want a transport error", k)
		}
	}
}

func TestParseBenchURL(t *testing.T) {
	for _, tc := range []struct {
		in, addr, host, path string
		tls                  bool
		err                  string
	}{
		{in: "http://127.0.0.1:8080/v1/tickets", addr: "127.0.0.1:8080", host: "127.0.0.1:8080", path: "/v1/tickets"},
		{in: "https://mm.example/v1/tickets", addr: "mm.example:443", host: "mm.example", path: "/v1/tickets", tls: true},
		{in: "http://mm.example/v1/tickets", addr: "mm.example:80", host: "mm.example", path: "/v1/tickets"},
		{in: "ftp://mm.example/v1/tickets", err: "want http://HOST[:PORT]"},
		{in: "/v1/tickets", err: "want http://HOST[:PORT]"},
		{in: "http://[::1/v1", err: "--url"},
	} {
		got, err := parseBenchURL(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != (benchTarget{addr: tc.addr, host: tc.host, path: tc.path, tls: tc.tls}) {
			t.Errorf("%s: %+v, %v", tc.in, got, err)
		}
	}
}

// TestTimeToMatchFromMetrics: bench tickets reads the run's time to match
// from a real Prometheus exposition: the samples added during the run, of
// the configuration asked for, quantiles interpolated within buckets.
func TestTimeToMatchFromMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: timeToMatchMetric, Buckets: []float64{0.01, 0.02, 0.05, 0.1, 0.15}}, []string{"configuration"})
	reg.MustRegister(h)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	url := srv.URL + "/metrics"
	observe := func(cfg string, n int, v float64) {
		for range n {
			h.WithLabelValues(cfg).Observe(v)
		}
	}
	observe("duel", 7, 3) // before the run
	before, err := scrapeTimeToMatch(t.Context(), url, "duel")
	if err != nil || before.count != 7 {
		t.Fatalf("before: %+v, %v", before, err)
	}
	observe("duel", 50, 0.015)
	observe("duel", 40, 0.03)
	observe("duel", 10, 0.15)
	observe("other", 100, 0.001)
	after, err := settledTimeToMatch(t.Context(), url, "duel", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	run, err := after.since(before)
	if err != nil || run.count != 100 {
		t.Fatalf("run: %+v, %v", run, err)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 20 * time.Millisecond}, {0.9, 50 * time.Millisecond}, {0.99, 145 * time.Millisecond}} {
		if got := run.quantile(c.q); (got - c.want).Abs() > time.Microsecond {
			t.Errorf("quantile(%v) = %s, want %s", c.q, got, c.want)
		}
	}
	if got := after.quantile(0.99); got != 150*time.Millisecond {
		t.Errorf("beyond the last bound: quantile(0.99) = %s, want the last bound 150ms", got)
	}
	if _, err := before.since(after); err == nil {
		t.Error("a histogram that shrank: no error")
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	if _, err := scrapeTimeToMatch(t.Context(), notFound.URL, "duel"); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("a URL without metrics: %v, want HTTP 404", err)
	}
	empty := httptest.NewServer(promhttp.HandlerFor(prometheus.NewRegistry(), promhttp.HandlerOpts{}))
	defer empty.Close()
	none, err := scrapeTimeToMatch(t.Context(), empty.URL, "duel")
	if err != nil || none.count != 0 || !strings.Contains(none.String(), "--metrics-url") {
		t.Errorf("metrics without the histogram: %+v %q, %v; want an empty histogram that says to check --metrics-url", none, none, err)
	}
}
