package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
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
	if err != nil || none.count != 0 || !strings.Contains(none.timeToMatchString(), "--metrics-url") {
		t.Errorf("metrics without the histogram: %+v %q, %v; want an empty histogram that says to check --metrics-url", none, none.timeToMatchString(), err)
	}
}

// TestBenchGameSessionsAgainstDev runs bench gamesessions briefly against
// the dev stack: it creates its fleet, and every phase reports its
// percentiles with no failed call.
func TestBenchGameSessionsAgainstDev(t *testing.T) {
	a := startDev(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var stdout, stderr strings.Builder
	code := runBench(ctx, []string{"gamesessions", "--url", a.API, "--sessions", "3", "--rate", "100", "--duration", "300ms",
		"--workers", "4", "--search-sessions", "20", "--search-rate", "0"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}
	t.Log(out)
	if strings.Contains(out, "failed:") {
		t.Fatalf("failed calls:\n%s", out)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^fleet fleet-\S+ \(created: no --fleet given`),
		regexp.MustCompile(`(?m)^create: sent 3, accepted 3 in \S+: \d+ sessions/s$`),
		regexp.MustCompile(`(?m)^create: latency p50 \S+  p90 \S+  p99 \S+  max \S+$`),
		regexp.MustCompile(`(?m)^players: 1 sessions of 200 players created in \S+ for 31 calls at most$`),
		regexp.MustCompile(`(?m)^players: sent [1-9]\d*, accepted [1-9]\d* in \S+: \d+ calls/s$`),
		regexp.MustCompile(`(?m)^players: latency p50 `),
		regexp.MustCompile(`(?m)^search: 20 ACTIVE sessions in the fleet`),
		regexp.MustCompile(`(?m)^search: the first search \(it loads the fleet.s copy\) took \S+$`),
		regexp.MustCompile(`(?m)^search: sent [1-9]\d*, accepted [1-9]\d* in \S+: \d+ searches/s$`),
		regexp.MustCompile(`(?m)^search: latency p50 `),
		regexp.MustCompile(`(?m)^search: \d+\.\d sessions per answer$`),
		regexp.MustCompile(`(?m)^search: in the handler \([1-9]\d* requests, from the API's matchpoint_api_request_seconds\): p50 \S+  p90 \S+  p99 \S+; \d+\.\d\d% over 10ms$`),
		regexp.MustCompile(`(?m)^players: in the process: \d+\.\d KB allocated per call, \d+ collections, \d+ MB of heap in use at the end$`),
		regexp.MustCompile(`(?m)^search: in the process: \d+\.\d KB allocated per search, \d+ collections, \d+ MB of heap in use at the end$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("the report lacks %s:\n%s", want, out)
		}
	}
	// The handler's histogram counts the calls of the phase, no more.
	accepted := regexp.MustCompile(`(?m)^players: sent \d+, accepted (\d+) `).FindStringSubmatch(out)
	handled := regexp.MustCompile(`(?m)^players: in the handler \((\d+) requests, from the API's matchpoint_api_request_seconds\): p50 \S+  p90 \S+  p99 \S+; \d+\.\d\d% over 10ms$`).FindStringSubmatch(out)
	if accepted == nil || handled == nil || accepted[1] != handled[1] {
		t.Errorf("players: accepted %v, in the handler %v: want the same count\n%s", accepted, handled, out)
	}
	// The fill of the players phase is counted as the sessions say.
	if m := regexp.MustCompile(`players: sent (\d+), accepted (\d+)`).FindStringSubmatch(out); m == nil || m[1] != m[2] {
		t.Errorf("players: %v", m)
	}
}

// TestBenchGameSessionsFlags: a bad flag is refused before any call, with
// exit code 2 and the flag named.
func TestBenchGameSessionsFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--phases", "create,bogus"}, `--phases: unknown phase "bogus"`},
		{[]string{"--phases", ","}, "--phases: name at least one"},
		{[]string{"--rate", "0"}, "--rate: want 1 to 100000, got 0"},
		{[]string{"--sessions", "0"}, "--sessions: want 1 to 10000"},
		{[]string{"--search-sessions", "-1"}, "--search-sessions"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--api-key", "nosecret"}, "--api-key: want ID:SECRET"},
		{[]string{"--url", "ftp://x"}, "--url"},
		{[]string{"--filter", " "}, "--filter"},
		{[]string{"--cpu-pids", "x"}, "--cpu-pids"},
	} {
		var stdout, stderr strings.Builder
		code := runBench(context.Background(), append([]string{"gamesessions"}, tc.args...), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want 2 and %q", tc.args, code, stderr.String(), stdout.String(), tc.want)
		}
	}
}

// TestBenchFailureKind: failures count by exception type, or by transport
// error without the connection's addresses, so one kind is one report line.
func TestBenchFailureKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&gameLiftError{Type: "GameSessionFullException", Message: "full", status: 400}, "GameSessionFullException"},
		{&gameLiftError{status: 502}, "HTTP 502"},
		{fmt.Errorf("transport: %w", &net.OpError{Op: "read", Net: "tcp", Source: &net.TCPAddr{Port: 50960}, Err: os.ErrDeadlineExceeded}), "transport: read: i/o timeout"},
	} {
		if got := failureKind(tc.err); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.err, got, tc.want)
		}
	}
}

// servedIn makes requests that each take d to serve. Inside a synctest
// bubble the Sleep is on the bubble's fake clock: it advances time at once,
// nothing waits.
func servedIn(d time.Duration) func() benchRequest {
	return func() benchRequest {
		return benchRequest{do: func(int64) string { time.Sleep(d); return "" }, close: func() {}}
	}
}

// TestRunPacedCountsTheWait checks that a paced run measures each request
// from the time it was due (no coordinated omission), on synctest's clock:
// a server that keeps up shows its own time, one that falls behind shows
// the requests waiting behind it, which timing from the send would hide;
// how late each was sent is reported beside it.
func TestRunPacedCountsTheWait(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		service              time.Duration
		p50                  time.Duration
		maxLo, maxHi         time.Duration
		lateP50              time.Duration
		lateMaxLo, lateMaxHi time.Duration
	}{
		// Due every 1 ms; 500 µs each: no request waits.
		{name: "keeps up", service: 500 * time.Microsecond, p50: 500 * time.Microsecond, maxLo: 500 * time.Microsecond, maxHi: 500 * time.Microsecond},
		// Due every 1 ms; 2 ms each: the i-th starts at 2i ms, so it waits
		// i ms and takes i+2 ms. 25 fit in 50 ms; the one or two left queued
		// when the run ends (the pacer's last select may go either way) are
		// served after them.
		{name: "falls behind", service: 2 * time.Millisecond, p50: 15 * time.Millisecond, maxLo: 27 * time.Millisecond, maxHi: 28 * time.Millisecond,
			lateP50: 13 * time.Millisecond, lateMaxLo: 25 * time.Millisecond, lateMaxHi: 26 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				res := runPaced(t.Context(), 50*time.Millisecond, 1, 1000, servedIn(tc.service))
				if res.p50 != tc.p50 || res.max < tc.maxLo || res.max > tc.maxHi {
					t.Errorf("%d requests: p50 %v, max %v; want %v and %v to %v", res.accepted, res.p50, res.max, tc.p50, tc.maxLo, tc.maxHi)
				}
				if res.late == nil {
					t.Fatal("a paced run reports no send delays")
				}
				if res.late[0] != tc.lateP50 || res.late[3] < tc.lateMaxLo || res.late[3] > tc.lateMaxHi {
					t.Errorf("sent after due: p50 %v, max %v; want %v and %v to %v", res.late[0], res.late[3], tc.lateP50, tc.lateMaxLo, tc.lateMaxHi)
				}
				if !strings.Contains(res.String(), "sent after due") {
					t.Errorf("the report leaves out the send delays:\n%s", res)
				}
			})
		})
	}
	// As fast as the workers go, nothing is due: no send delay to report.
	synctest.Test(t, func(t *testing.T) {
		res := runPaced(t.Context(), 5*time.Millisecond, 1, 0, servedIn(time.Millisecond))
		if res.late != nil || strings.Contains(res.String(), "sent after due") {
			t.Errorf("unpaced run reports send delays:\n%s", res)
		}
	})
}

// TestPhaseProbe: from one scrape before and one after, the handler line
// counts the requests of the phase, of the face and action asked for, the
// process line divides what was allocated by the phase's requests and
// counts its collections, and each says why when it cannot.
func TestPhaseProbe(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: requestSecondsMetric, Buckets: []float64{0.001, 0.005, 0.01, 0.02}}, []string{"face", "action"})
	allocated := prometheus.NewCounter(prometheus.CounterOpts{Name: allocatedMetric})
	heap := prometheus.NewGauge(prometheus.GaugeOpts{Name: heapInUseMetric})
	gcs := prometheus.NewSummary(prometheus.SummaryOpts{Name: collectionsMetric})
	reg.MustRegister(h, allocated, heap, gcs)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	url := srv.URL + "/metrics"
	observe := func(face, action string, n int, v float64) {
		for range n {
			h.WithLabelValues(face, action).Observe(v)
		}
	}
	// Before the phase.
	observe("gamelift", "CreatePlayerSessions", 5, 0.5)
	allocated.Add(5e6)
	gcs.Observe(0.001)
	p := startPhaseProbe(t.Context(), url, "gamelift", "CreatePlayerSessions")
	none := startPhaseProbe(t.Context(), url, "gamelift", "DescribeGameSessions")
	observe("gamelift", "CreatePlayerSessions", 97, 0.0005)
	observe("gamelift", "CreatePlayerSessions", 3, 0.015)
	observe("gamelift", "SearchGameSessions", 50, 0.015)
	observe("rest", "CreatePlayerSessions", 50, 0.015)
	allocated.Add(1.5e6)
	for range 3 {
		gcs.Observe(0.001)
	}
	heap.Set(68e6)

	handler, process := p.report(t.Context(), 100, "call")
	if want := "in the handler (100 requests, from the API's matchpoint_api_request_seconds): p50 520µs  p90 930µs  p99 16.67ms; 3.00% over 10ms"; handler != want {
		t.Errorf("handler:\n got %s\nwant %s", handler, want)
	}
	if want := "in the process: 15.0 KB allocated per call, 3 collections, 68 MB of heap in use at the end"; process != want {
		t.Errorf("process:\n got %s\nwant %s", process, want)
	}
	if _, process := p.report(t.Context(), 0, "call"); !strings.Contains(process, "not measured") {
		t.Errorf("no request: %q, want not measured", process)
	}
	if handler, _ := none.report(t.Context(), 100, "call"); !strings.Contains(handler, "not measured") || !strings.Contains(handler, `action="DescribeGameSessions"`) {
		t.Errorf("an action without requests: %q, want not measured naming it", handler)
	}
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	handler, process = startPhaseProbe(t.Context(), notFound.URL, "rest", "POST /v1/tickets").report(t.Context(), 100, "call")
	for _, line := range []string{handler, process} {
		if !strings.Contains(line, "not measured") || !strings.Contains(line, "HTTP 404") {
			t.Errorf("a URL without metrics: %q, want not measured with HTTP 404", line)
		}
	}
	bare := httptest.NewServer(promhttp.HandlerFor(prometheus.NewRegistry(), promhttp.HandlerOpts{}))
	defer bare.Close()
	if _, process := startPhaseProbe(t.Context(), bare.URL, "rest", "POST /v1/tickets").report(t.Context(), 100, "call"); !strings.Contains(process, "not measured") || !strings.Contains(process, allocatedMetric) {
		t.Errorf("metrics without the runtime's: %q, want not measured naming %s", process, allocatedMetric)
	}
}
