package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

const benchUsage = `usage: matchpoint bench tickets|relay|gamesessions [flags]

bench tickets   load a running matchmaker with StartMatchmaking requests through the REST
                API for a bounded time; report accepted tickets per second and the latency
                percentiles. With --rate 0 it sends as fast as --workers allow; with --rate R
                it paces R requests per second so that latency is measured at a given load,
                each request's from the time it was due (a wait for a free worker counts).
bench relay     place sessions on the relays of a region through NATS, connect bots with
                their player sessions and have each broadcast at --hz; report delivered
                messages per second and one-way latency percentiles.
bench gamesessions
                measure the game-session control plane through the GameLift JSON face, in
                phases (--phases create,players,search): CreateGameSession to ACTIVE,
                CreatePlayerSessions of 4 players paced at --rate, and SearchGameSessions
                with a filter and a sort over --search-sessions ACTIVE sessions; report
                each one's latency percentiles.
`

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "relay" {
		return runBenchRelay(ctx, args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "gamesessions" {
		return runBenchGameSessions(ctx, args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "tickets" {
		fmt.Fprint(stderr, benchUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return 0
		}
		return 2
	}
	fs := newFlagSet("bench tickets", "Load a matchmaker with tickets and report throughput and latency.", stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "matchmaker API URL")
	key := fs.String("api-key", "dev:dev-secret", "API key ID:SECRET (the secret is the bearer token)")
	configuration := fs.String("configuration", "duel", "configuration the tickets join")
	duration := fs.Duration("duration", 10*time.Second, "how long to send (at most 5m)")
	workers := fs.Int("workers", 64, "concurrent requests at most")
	rate := fs.Int("rate", 0, "requests per second to pace (0: as fast as possible)")
	metricsURL := fs.String("metrics-url", "", "Prometheus metrics of the matchmaker that forms the configuration's matches, to report the tickets' time to match (default: --url/metrics; \"off\" skips it)")
	var cf cpuFlags
	cf.register(fs, "accepted ticket (e.g. the matchmaker's pid and --cpu-redis redis://127.0.0.1:6379)")
	if code := parseFlags(fs, args[1:]); code >= 0 {
		return code
	}
	cpuSources, err := cf.sources()
	if err != nil {
		fmt.Fprintf(stderr, "matchpoint bench tickets: %v\n", err)
		return 2
	}
	if *duration <= 0 || *duration > 5*time.Minute || *workers < 1 || *workers > 4096 || *rate < 0 {
		fmt.Fprintln(stderr, "matchpoint bench tickets: --duration must be in (0, 5m], --workers in [1, 4096], --rate >= 0")
		return 2
	}
	_, secret, ok := bytes.Cut([]byte(*key), []byte(":"))
	if !ok {
		fmt.Fprintln(stderr, "matchpoint bench tickets: --api-key: want ID:SECRET")
		return 2
	}
	if *metricsURL == "" {
		*metricsURL = *url + "/metrics"
	}
	var before histogram
	var scrapeErr error
	if *metricsURL != "off" {
		before, scrapeErr = scrapeTimeToMatch(ctx, *metricsURL, *configuration)
	}
	probe := startPhaseProbe(ctx, *url+"/metrics", "rest", "POST /v1/tickets")
	cpu := startCPU(ctx, cpuSources)
	res := benchTickets(ctx, *url+"/v1/tickets", string(secret), *configuration, *duration, *workers, *rate)
	fmt.Fprintln(stdout, res)
	handler, process := probe.report(ctx, res.accepted, "ticket")
	fmt.Fprintln(stdout, handler)
	fmt.Fprintln(stdout, process)
	if *metricsURL != "off" {
		// After the matches of the run are formed, so that forming is counted.
		fmt.Fprintln(stdout, timeToMatchLine(ctx, *metricsURL, *configuration, before, scrapeErr))
	}
	if line := cpu.report(ctx, res.accepted, "accepted ticket"); line != "" {
		fmt.Fprintln(stdout, line)
	}
	if res.accepted == 0 {
		return 1
	}
	return 0
}

// timeToMatchLine reports the time to match of the tickets matched during
// the run, from the forming matchmaker's histogram, or why it cannot.
func timeToMatchLine(ctx context.Context, url, configuration string, before histogram, err error) string {
	if err != nil {
		return fmt.Sprintf("time to match: not measured: %v", err)
	}
	after, err := settledTimeToMatch(ctx, url, configuration, 10*time.Second)
	if err != nil {
		return fmt.Sprintf("time to match: not measured: %v", err)
	}
	run, err := after.since(before)
	if err != nil {
		return fmt.Sprintf("time to match: not measured: %v", err)
	}
	return run.timeToMatchString()
}

type benchResult struct {
	// unit names what a request is, per second ("tickets"; default "requests").
	unit               string
	elapsed            time.Duration
	sent, accepted     int64
	failed             map[string]int64
	p50, p90, p99, max time.Duration
	// late holds, for a paced run, the percentiles (p50, p90, p99, max) of
	// how long after its due time each accepted request was sent: the
	// generator's own delay (a busy worker, the pacer woken late), which the
	// latency includes.
	late *[4]time.Duration
}

func (r benchResult) String() string {
	unit := r.unit
	if unit == "" {
		unit = "requests"
	}
	s := fmt.Sprintf("sent %d, accepted %d in %s: %.0f %s/s\nlatency p50 %s  p90 %s  p99 %s  max %s",
		r.sent, r.accepted, r.elapsed.Round(time.Millisecond), float64(r.accepted)/r.elapsed.Seconds(), unit,
		r.p50.Round(time.Microsecond), r.p90.Round(time.Microsecond), r.p99.Round(time.Microsecond), r.max.Round(time.Microsecond))
	keys := make([]string, 0, len(r.failed))
	for k := range r.failed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if r.late != nil {
		s += fmt.Sprintf("\nsent after due (the generator's delay, in the latency) p50 %s  p90 %s  p99 %s  max %s",
			r.late[0].Round(time.Microsecond), r.late[1].Round(time.Microsecond), r.late[2].Round(time.Microsecond), r.late[3].Round(time.Microsecond))
	}
	for _, k := range keys {
		s += fmt.Sprintf("\nfailed: %s x%d", k, r.failed[k])
	}
	return s
}

// benchTickets sends StartMatchmaking requests until duration passes, each
// with a new player, and measures each request's latency. Each worker keeps
// one HTTP/1.1 keep-alive connection and writes its requests itself, as wrk
// does: net/http's client costs several times more CPU per request, and the
// generator shares the machine with the matchmaker it measures.
func benchTickets(ctx context.Context, url, secret, configuration string, duration time.Duration, workers, rate int) benchResult {
	target, err := parseBenchURL(url)
	if err != nil {
		return benchResult{unit: "tickets", failed: map[string]int64{err.Error(): 1}, sent: 1}
	}
	run := rand.Text()[:8]
	res := runPaced(ctx, duration, workers, rate, func() benchRequest {
		c := &benchConn{target: target, secret: secret}
		return benchRequest{close: c.close, do: func(n int64) string {
			c.body = fmt.Appendf(c.body[:0], `{"ConfigurationName":%q,"Players":[{"PlayerId":"bench-%s-%d","PlayerAttributes":{"skill":{"N":%d}}}]}`, configuration, run, n, 1000+n%500)
			status, err := c.post()
			switch {
			case err != nil:
				return "transport: " + err.Error()
			case status != http.StatusCreated && status != http.StatusOK:
				return fmt.Sprintf("HTTP %d", status)
			}
			return ""
		}}
	})
	res.unit = "tickets"
	return res
}

// benchRequest is one worker's way of sending the n-th request of a run:
// do answers "" when it is accepted, else the kind of failure; close
// releases the worker's connection.
type benchRequest struct {
	do    func(n int64) string
	close func()
}

// runPaced sends requests from workers until duration passes, paced at rate
// per second (0: as fast as the workers go), and measures each request's
// latency. Paced, a request's latency runs from the time it was due, not
// from when a worker got to send it: a server that falls behind makes the
// requests behind it wait, and that wait counts (no coordinated omission).
// newWorker makes each worker's requester.
func runPaced(ctx context.Context, duration time.Duration, workers, rate int, newWorker func() benchRequest) benchResult {
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var seq atomic.Int64
	jobs := make(chan time.Time, workers)
	results := make([]benchWorker, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range results {
		wg.Add(1)
		go func(bw *benchWorker) {
			defer wg.Done()
			bw.failed = map[string]int64{}
			req := newWorker()
			defer req.close()
			for due := range jobs {
				n := seq.Add(1)
				sent := time.Now()
				if due.IsZero() {
					due = sent
				}
				failure := req.do(n)
				d := time.Since(due)
				if failure != "" {
					bw.failed[failure]++
					continue
				}
				bw.lat = append(bw.lat, d)
				bw.late = append(bw.late, sent.Sub(due))
			}
		}(&results[w])
	}
	pace(ctx, start, rate, jobs)
	close(jobs)
	wg.Wait()
	res := benchResult{failed: map[string]int64{}}
	var lat, late []time.Duration
	for _, bw := range results {
		lat = append(lat, bw.lat...)
		late = append(late, bw.late...)
		res.accepted += int64(len(bw.lat))
		res.sent += int64(len(bw.lat))
		for k, v := range bw.failed {
			res.failed[k] += v
			res.sent += v
		}
	}
	res.elapsed = time.Since(start)
	res.p50, res.p90, res.p99, res.max = percentiles(lat)
	if rate > 0 {
		var l [4]time.Duration
		l[0], l[1], l[2], l[3] = percentiles(late)
		res.late = &l
	}
	return res
}

// pace sends on jobs until ctx ends: at rate per second from start, or as
// fast as jobs is taken with rate 0. The i-th job is due at start + i/rate,
// so a late tick is made up for instead of lost, as a ticker would lose it.
// A job is the time it was due, or the zero time with rate 0.
func pace(ctx context.Context, start time.Time, rate int, jobs chan<- time.Time) {
	var interval time.Duration
	if rate > 0 {
		interval = time.Second / time.Duration(rate)
	}
	next := start
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		var due time.Time
		if interval > 0 {
			if wait := time.Until(next); wait > 0 {
				timer.Reset(wait)
				select {
				case <-ctx.Done():
					return
				case <-timer.C:
				}
			}
			due = next
			next = next.Add(interval)
		}
		select {
		case <-ctx.Done():
			return
		case jobs <- due:
		}
	}
}

// percentiles sorts lat and returns its 50th, 90th and 99th percentiles and
// its maximum (all 0 when it is empty).
func percentiles(lat []time.Duration) (p50, p90, p99, max time.Duration) {
	if len(lat) == 0 {
		return 0, 0, 0, 0
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1]
}
