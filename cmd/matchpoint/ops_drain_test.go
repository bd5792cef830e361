package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/internal/freeport"
	"github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
	"github.com/matchpoint-dev/matchpoint/relay/client"
)

// freeAddr returns a loopback address with a port free at the time of the
// call, for the flags that take no port 0 a test could read back.
func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// probe is one GET of an operator endpoint: its status, the failed readiness
// checks it names, or the error of a request that got no answer.
type probe struct {
	code   int
	failed map[string]string
	err    error
}

func get(url string) probe {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return probe{err: err}
	}
	defer resp.Body.Close()
	var body struct{ Failed map[string]string }
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &body)
	return probe{code: resp.StatusCode, failed: body.Failed}
}

// waitFor is the shared poll (poll.Must) of url's answers: it fails the test
// with the last answer when want does not accept one within 20s.
func waitFor(t *testing.T, url, what string, want func(probe) bool) {
	t.Helper()
	var p probe
	poll.Must(t, 20*time.Second, func() string { return fmt.Sprintf("%s: %s answers %+v", what, url, p) }, func() bool {
		p = get(url)
		return want(p)
	})
}

// watchDrain checks that every answer of /readyz is 503 "draining" and that
// /metrics answers, until the endpoints stop answering as the process shuts
// its servers down; then it waits for done to yield the process's result. It
// returns the result, how many answers it saw and when the last came.
func watchDrain[T any](t *testing.T, base string, done <-chan T) (T, int, time.Time) {
	t.Helper()
	seen, last := 0, time.Now()
	sample := time.NewTicker(100 * time.Millisecond) // the probes' sampling period, as the drain goes by
	defer sample.Stop()
	for ; ; <-sample.C {
		p := get(base + "/readyz")
		m := get(base + "/metrics")
		if p.err != nil || m.err != nil {
			break
		}
		if p.code != http.StatusServiceUnavailable || p.failed["process"] != "draining" {
			t.Fatalf("/readyz during the drain: %+v, want 503 with process: draining", p)
		}
		if m.code != http.StatusOK {
			t.Fatalf("/metrics during the drain: %+v", m)
		}
		seen, last = seen+1, time.Now()
	}
	select {
	case r := <-done:
		return r, seen, last
	case <-time.After(20 * time.Second):
		t.Fatal("the process did not return within 20s of closing its endpoints")
	}
	var zero T
	return zero, seen, last
}

// TestOpsRelayDrainKeepsHealthEndpoints runs `matchpoint relay` with a live
// game session and stops it: through its whole drain /readyz answers 503
// draining and /metrics answers, then the relay exits 0.
func TestOpsRelayDrainKeepsHealthEndpoints(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	nats, err := embedded.Run(ctx, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Shutdown()
	admin := freeAddr(t)
	const drain = 3 * time.Second
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	exit := make(chan int, 1)
	go func() {
		exit <- run(runCtx, []string{"relay", "--nats-url", nats.URL(), "--region", "ops", "--listen", "127.0.0.1:0",
			"--admin-addr", admin, "--drain-timeout", drain.String(), "--script-registry=false"}, io.Discard, io.Discard)
	}()
	base := "http://" + admin
	waitFor(t, base+"/readyz", "the relay starts", func(p probe) bool { return p.code == http.StatusOK })

	conn, err := bus.Connect(ctx, nats.URL(), bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := bus.PlacementRequest{MatchID: "ops-drain", Configuration: "ops", Region: "ops", MaxPlayers: 2,
		Deadline: time.Now().Add(10 * time.Second), Players: []bus.Player{{PlayerID: "ana"}, {PlayerID: "bo"}}}
	reply, err := conn.RequestPlacement(ctx, req)
	if err != nil {
		t.Fatalf("place a session: %v", err)
	}
	url := "ws://" + net.JoinHostPort(reply.Endpoint.IPAddress, strconv.Itoa(reply.Endpoint.TCPPort)) + "/websocket"
	ana, err := client.Dial(ctx, url, reply.PlayerSessions[0].PlayerSessionID, nil, client.Options{})
	if err != nil {
		t.Fatalf("ana connects: %v", err)
	}
	defer ana.Close()

	stopped := time.Now()
	stop()
	waitFor(t, base+"/readyz", "the relay drains", func(p probe) bool { return p.code == http.StatusServiceUnavailable })
	code, seen, last := watchDrain(t, base, exit)
	if code != 0 {
		t.Fatalf("the relay exited %d, want 0", code)
	}
	if took := last.Sub(stopped); took < drain-500*time.Millisecond || seen < 10 {
		t.Fatalf("the relay's endpoints answered for %v after SIGTERM (%d answers); its live session should have kept it draining for %v", took, seen, drain)
	}
	if p := get(base + "/readyz"); p.err == nil {
		t.Fatalf("/readyz still answers after the relay exited: %+v", p)
	}
}

// TestOpsDevDrainKeepsHealthEndpoints stops the dev stack with a live game
// session: its API port answers /readyz with 503 draining and /metrics until
// the drain ends, refuses new API requests, and the stack returns no error.
func TestOpsDevDrainKeepsHealthEndpoints(t *testing.T) {
	const drain = 3 * time.Second
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	mm := matchmakerFlags{httpAddr: "127.0.0.1:0", apiKeys: "dev:dev-secret", region: "us-east-1", accountID: "000000000000",
		queueRegions: defaultRegion, leaseTTL: 2 * time.Second, interval: 20 * time.Millisecond, placementTimeout: 5 * time.Second, drainTimeout: drain}
	ready := make(chan devAddrs, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() {
		done <- dev(ctx, &mm, &httpFlags{}, store.NewMemory(store.Options{}), devRelay{addr: "127.0.0.1:0"}, 0, true, io.Discard, log, ready)
	}()
	var a devAddrs
	select {
	case a = <-ready:
	case err := <-done:
		t.Fatalf("dev stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("dev did not start within 20s")
	}
	sessions, _ := matchTwo(t, a)
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	ana, err := client.Dial(cctx, "ws://"+a.Relay+"/websocket", sessions[0], nil, client.Options{})
	if err != nil {
		t.Fatalf("ana connects: %v", err)
	}
	defer ana.Close()

	stopped := time.Now()
	stop()
	waitFor(t, a.API+"/readyz", "dev drains", func(p probe) bool { return p.code == http.StatusServiceUnavailable })
	// /readyz fails a moment before the API stops serving (dev has no
	// grace, but the two are separate steps): wait for the API's refusal.
	waitFor(t, a.API+"/v1/configurations", "dev's API refuses requests", func(p probe) bool { return p.code == http.StatusServiceUnavailable })
	if code := call(t, "POST", a.API+"/v1/tickets", `{"ConfigurationName":"duel","Players":[{"PlayerId":"cy"}]}`, nil); code != http.StatusServiceUnavailable {
		t.Fatalf("a new ticket during the drain: HTTP %d, want 503", code)
	}
	err, seen, last := watchDrain(t, a.API, done)
	if err != nil {
		t.Fatalf("dev: %v", err)
	}
	if took := last.Sub(stopped); took < drain-500*time.Millisecond || seen < 10 {
		t.Fatalf("dev's endpoints answered for %v after the stop (%d answers); its live session should have kept it draining for %v", took, seen, drain)
	}
}

// TestOpsMatchmakerDrain runs `matchpoint matchmaker` and stops it, checking
// what docs/operations.md (Upgrades) says: from SIGTERM /readyz answers 503
// draining while API requests are still served, for --drain-grace; then API
// requests are refused with 503 while /readyz and /metrics answer; then the
// process exits 0. No answer ever goes back to ready or serving.
func TestOpsMatchmakerDrain(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	nats, err := embedded.Run(ctx, embedded.Options{JetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	defer nats.Shutdown()
	addr := freeAddr(t)
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var stderr syncBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(runCtx, []string{"matchmaker", "--redis-url", "redis://" + rs.Addr + "/0", "--nats-url", nats.URL(),
			"--http-addr", addr, "--api-key", "ops:ops-secret", "--drain-grace", "3s", "--drain-timeout", "2s"}, &stderr, &stderr)
	}()
	defer func() {
		if t.Failed() {
			t.Logf("matchmaker log:\n%s", stderr.String())
		}
	}()
	base := "http://" + addr
	waitFor(t, base+"/readyz", "the matchmaker starts", func(p probe) bool { return p.code == http.StatusOK })
	api := func() probe {
		req, _ := http.NewRequest("GET", base+"/v1/configurations", nil)
		req.Header.Set("Authorization", "Bearer ops-secret")
		c := http.Client{Timeout: 2 * time.Second}
		resp, err := c.Do(req)
		if err != nil {
			return probe{err: err}
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return probe{code: resp.StatusCode}
	}
	if p := api(); p.code != http.StatusOK {
		t.Fatalf("the API before SIGTERM: %+v", p)
	}

	stop()
	waitFor(t, base+"/readyz", "the matchmaker drains", func(p probe) bool { return p.code == http.StatusServiceUnavailable })
	// The phases, in order: serving (API 200), refusing (API 503), gone.
	served, refused := 0, 0
	for {
		r, a := get(base+"/readyz"), api()
		if r.err != nil || a.err != nil {
			break
		}
		if r.code != http.StatusServiceUnavailable || r.failed["process"] != "draining" {
			t.Fatalf("/readyz during the drain: %+v, want 503 with process: draining", r)
		}
		switch {
		case a.code == http.StatusOK && refused == 0:
			served++
		case a.code == http.StatusServiceUnavailable:
			refused++
		default:
			t.Fatalf("the API during the drain, after %d served and %d refused requests: %+v", served, refused, a)
		}
		time.Sleep(50 * time.Millisecond) // the sampling period of the probes, which watch the phases go by
	}
	if served == 0 {
		t.Fatal("no API request was served while /readyz answered 503 draining: a load balancer that has not yet seen it fails its requests")
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("the matchmaker exited %d, want 0", code)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the matchmaker did not exit within 30s of closing its endpoints")
	}
}
