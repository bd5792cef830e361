package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	shared "github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
	"github.com/matchpoint-dev/matchpoint/relay/client"
)

const (
	apiKeyID     = "it"
	apiKeySecret = "it-secret"
	region       = "local"
	// leaseTTL is the matchmakers' --lease-ttl: the takeover time after a
	// crash.
	leaseTTL = 2 * time.Second
	// Drain timeouts of the processes; SIGTERM must end them with status 0
	// within these plus exitGrace.
	matchmakerDrain = 3 * time.Second
	relayDrain      = 2 * time.Second
	exitGrace       = 5 * time.Second
)

var quiet = slog.New(slog.DiscardHandler)

// duelRules is a 1v1 rule set: two teams of one, skills within 100.
const duelRules = `{"name":"duel","ruleLanguageVersion":"1.0",
 "playerAttributes":[{"name":"skill","type":"number","default":1000}],
 "teams":[{"name":"red","minPlayers":1,"maxPlayers":1},{"name":"blue","minPlayers":1,"maxPlayers":1}],
 "rules":[{"name":"Close","type":"batchDistance","batchAttribute":"skill","maxDistance":100}]}`

// clusterOptions shape a cluster.
type clusterOptions struct {
	matchmakers int
	relays      int
	// placementTimeout is the matchmakers' --placement-timeout (default 5s).
	placementTimeout time.Duration
	// playerSessionTTL is the relays' --player-session-ttl (default 60s).
	playerSessionTTL time.Duration
}

// cluster is one test's Matchpoint: a redis-server, an in-process NATS
// server on a fixed port, matchmaker and relay processes, and the test's own
// bus connection, which records session events.
type cluster struct {
	t     *testing.T
	opts  clusterOptions
	redis *redistest.Server
	// store reads what the matchmakers stored (match ids, the event log),
	// which the API does not show.
	store       store.Store
	nats        *embedded.Server
	bus         *bus.Conn
	matchmakers []*matchmakerProc
	relays      []*relayProc
	sessions    *sessionLog
}

type matchmakerProc struct {
	*proc
	api string
}

type relayProc struct {
	*proc
	id    string
	ws    string
	admin string
	port  int
}

func newCluster(t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	if o.placementTimeout == 0 {
		o.placementTimeout = 5 * time.Second
	}
	if o.playerSessionTTL == 0 {
		o.playerSessionTTL = time.Minute
	}
	c := &cluster{t: t, opts: o, redis: redistest.Start(t), sessions: &sessionLog{ended: map[string]bus.SessionEnded{}}}
	rc := c.redis.Client(t)
	c.store = store.NewRedis(rc, store.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nats, err := embedded.Run(ctx, embedded.Options{Port: freePort(t), JetStream: true})
	if err != nil {
		t.Fatalf("start NATS: %v", err)
	}
	t.Cleanup(nats.Shutdown)
	c.nats = nats
	conn, err := bus.Connect(ctx, nats.URL(), bus.Options{Name: "integration-test", Logger: quiet})
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(conn.Close)
	c.bus = conn
	stop, err := conn.SubscribeSessionEvents(context.Background(), "", "", bus.SessionHandlers{Ended: c.sessions.add})
	if err != nil {
		t.Fatalf("subscribe to session events: %v", err)
	}
	t.Cleanup(stop)
	for i := range o.relays {
		c.relays = append(c.relays, c.startRelay(i))
	}
	for i := range o.matchmakers {
		c.matchmakers = append(c.matchmakers, c.startMatchmaker(i))
	}
	for _, m := range c.matchmakers {
		waitReady(t, m.proc, m.api+"/readyz")
	}
	for _, r := range c.relays {
		waitReady(t, r.proc, r.admin+"/readyz")
	}
	return c
}

func (c *cluster) startMatchmaker(i int) *matchmakerProc {
	c.t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(c.t))
	p := startProc(c.t, fmt.Sprintf("matchmaker-%d", i), "matchmaker",
		"--redis-url", "redis://"+c.redis.Addr+"/0",
		"--nats-url", c.nats.URL(),
		"--api-key", apiKeyID+":"+apiKeySecret,
		"--queue-regions", region,
		"--lease-ttl", leaseTTL.String(),
		"--forming-interval", "50ms",
		"--placement-timeout", c.opts.placementTimeout.String(),
		"--drain-timeout", matchmakerDrain.String(),
		"--http-addr", addr,
	)
	return &matchmakerProc{proc: p, api: "http://" + addr}
}

func (c *cluster) startRelay(i int) *relayProc {
	c.t.Helper()
	port, admin := freePort(c.t), freePort(c.t)
	id := fmt.Sprintf("relay-%d", i)
	p := startProc(c.t, id, "relay",
		"--nats-url", c.nats.URL(),
		"--relay-id", id,
		"--region", region,
		"--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--admin-addr", fmt.Sprintf("127.0.0.1:%d", admin),
		"--public-ip", "127.0.0.1",
		"--player-session-ttl", c.opts.playerSessionTTL.String(),
		"--empty-timeout", "300ms",
		"--heartbeat-interval", "200ms",
		"--drain-timeout", relayDrain.String(),
	)
	return &relayProc{proc: p, id: id, port: port, ws: fmt.Sprintf("ws://127.0.0.1:%d/websocket", port), admin: fmt.Sprintf("http://127.0.0.1:%d", admin)}
}

// waitReady waits up to 20s for url to answer 200.
func waitReady(t *testing.T, p *proc, url string) {
	t.Helper()
	ready := false
	var err error
	shared.Until(20*time.Second, func() bool {
		var resp *http.Response
		if resp, err = http.Get(url); err == nil {
			resp.Body.Close()
			ready = resp.StatusCode == http.StatusOK
		}
		return ready || !p.running()
	})
	switch {
	case ready:
	case !p.running():
		t.Fatalf("%s exited before it was ready: %v", p.name, p.err)
	default:
		t.Fatalf("%s not ready within 20s (%s: %v)", p.name, url, err)
	}
}

// stop sends SIGTERM to every process still running and checks that each
// exits 0 within its drain timeout plus exitGrace.
func (c *cluster) stop() {
	c.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(c.matchmakers)+len(c.relays))
	term := func(p *proc, limit time.Duration) {
		if !p.running() {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.terminate(limit); err != nil {
				errs <- err
			}
		}()
	}
	for _, m := range c.matchmakers {
		term(m.proc, matchmakerDrain+exitGrace)
	}
	for _, r := range c.relays {
		term(r.proc, relayDrain+exitGrace)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		c.t.Error(err)
	}
}

// sessionLog records the SessionEnded events the test's bus connection
// receives.
type sessionLog struct {
	mu    sync.Mutex
	ended map[string]bus.SessionEnded
}

func (l *sessionLog) add(e bus.SessionEnded) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ended[e.GameSessionARN] = e
}

// waitEnded waits for the SessionEnded event of the session with that ARN.
func (c *cluster) waitEnded(arn string, timeout time.Duration) bus.SessionEnded {
	c.t.Helper()
	var e bus.SessionEnded
	shared.Must(c.t, timeout, func() string { return "the SessionEnded of " + arn }, func() bool {
		c.sessions.mu.Lock()
		defer c.sessions.mu.Unlock()
		var ok bool
		e, ok = c.sessions.ended[arn]
		return ok
	})
	return e
}

// call sends one REST request to a matchmaker and decodes the answer into
// out (when not nil and the status is 2xx).
func (m *matchmakerProc) call(ctx context.Context, method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.api+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+apiKeySecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %s: %w", method, path, data, err)
		}
	}
	return resp.StatusCode, nil
}

// must is call for the test goroutine: any error fails the test.
func (m *matchmakerProc) must(t *testing.T, method, path string, in, out any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := m.call(ctx, method, path, in, out); err != nil {
		t.Fatal(err)
	}
}

// createDuel creates the duel rule set and a WITH_QUEUE configuration named
// name that uses it.
func (m *matchmakerProc) createDuel(t *testing.T, name, backfillMode string) {
	t.Helper()
	m.must(t, "POST", "/v1/rulesets", map[string]any{"Name": "duel", "RuleSetBody": duelRules}, nil)
	m.must(t, "POST", "/v1/configurations", map[string]any{"Name": name, "RuleSetName": "duel", "RequestTimeoutSeconds": 60,
		"AcceptanceRequired": false, "FlexMatchMode": "WITH_QUEUE", "BackfillMode": backfillMode}, nil)
}

// startTicket starts a one-player ticket; the player id is the ticket id
// with a "p-" prefix.
func (m *matchmakerProc) startTicket(ctx context.Context, configuration, id string, skill float64) error {
	_, err := m.call(ctx, "POST", "/v1/tickets", map[string]any{"TicketId": id, "ConfigurationName": configuration,
		"Players": []map[string]any{{"PlayerId": "p-" + id, "PlayerAttributes": map[string]any{"skill": map[string]any{"N": skill}}}}}, nil)
	return err
}

func (m *matchmakerProc) mustStart(t *testing.T, configuration, id string, skill float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.startTicket(ctx, configuration, id, skill); err != nil {
		t.Fatal(err)
	}
}

// describe reads tickets, ten at a time; missing ids are absent from the map.
func (m *matchmakerProc) describe(ctx context.Context, ids []string) (map[string]matchmaker.MatchmakingTicket, error) {
	out := make(map[string]matchmaker.MatchmakingTicket, len(ids))
	for start := 0; start < len(ids); start += matchmaker.MaxDescribeTickets {
		q := url.Values{}
		for _, id := range ids[start:min(start+matchmaker.MaxDescribeTickets, len(ids))] {
			q.Add("id", id)
		}
		var res matchmaker.DescribeMatchmakingOutput
		if _, err := m.call(ctx, "GET", "/v1/tickets?"+q.Encode(), nil, &res); err != nil {
			return nil, err
		}
		for _, tk := range res.TicketList {
			out[tk.TicketId] = tk
		}
	}
	return out, nil
}

// waitTickets waits until every ticket satisfies done, and returns them.
func (m *matchmakerProc) waitTickets(t *testing.T, ids []string, timeout time.Duration, what string, done func(matchmaker.MatchmakingTicket) bool) map[string]matchmaker.MatchmakingTicket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last map[string]matchmaker.MatchmakingTicket
	var lastErr error
	if !shared.Until(timeout, func() bool {
		got, err := m.describe(ctx, ids)
		if err != nil {
			lastErr = err
			return false
		}
		last = got
		for _, id := range ids {
			if tk, ok := got[id]; !ok || !done(tk) {
				return false
			}
		}
		return true
	}) {
		var b strings.Builder
		for _, id := range ids {
			tk, ok := last[id]
			if !ok {
				fmt.Fprintf(&b, "\n  %s: not found", id)
			} else if !done(tk) {
				fmt.Fprintf(&b, "\n  %s: %s %s %s", id, tk.Status, tk.StatusReason, tk.StatusMessage)
			}
		}
		t.Fatalf("tickets not %s within %v (last error: %v):%s", what, timeout, lastErr, b.String())
	}
	return last
}

func completed(tk matchmaker.MatchmakingTicket) bool { return tk.Status == store.StatusCompleted }
func terminal(tk matchmaker.MatchmakingTicket) bool  { return tk.Status.Terminal() }

// playerSession is a ticket's (single) player session id.
func playerSession(t *testing.T, tk matchmaker.MatchmakingTicket) string {
	t.Helper()
	ci := tk.GameSessionConnectionInfo
	if ci == nil || len(ci.MatchedPlayerSessions) != 1 || ci.MatchedPlayerSessions[0].PlayerSessionId == "" {
		t.Fatalf("ticket %s: connection info %+v", tk.TicketId, ci)
	}
	return ci.MatchedPlayerSessions[0].PlayerSessionId
}

// relayOf returns the relay a COMPLETED ticket's session is on.
func (c *cluster) relayOf(t *testing.T, tk matchmaker.MatchmakingTicket) *relayProc {
	t.Helper()
	ci := tk.GameSessionConnectionInfo
	for _, r := range c.relays {
		if ci != nil && ci.Port == r.port && ci.IpAddress == "127.0.0.1" {
			return r
		}
	}
	t.Fatalf("ticket %s: connection info %+v names no relay of the cluster", tk.TicketId, ci)
	return nil
}

// connect logs the ticket's player in on its relay.
func (c *cluster) connect(t *testing.T, tk matchmaker.MatchmakingTicket) *client.Client {
	t.Helper()
	r := c.relayOf(t, tk)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, r.ws, playerSession(t, tk), nil, client.Options{Logger: quiet})
	if err != nil {
		t.Fatalf("ticket %s: connect to %s: %v", tk.TicketId, r.id, err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

// exchange sends a message from one client to another and waits for it,
// sending again every 250ms: the relay enqueues a player's LoginResult
// before it adds the player to its routing snapshot, so a message to a peer
// that has only just logged in may find no recipient.
func exchange(t *testing.T, from, to *client.Client, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resend := time.NewTicker(250 * time.Millisecond)
	defer resend.Stop()
	for {
		if err := from.Send(ctx, 1, client.ToPlayer(to.PeerID()), []byte(text), true); err != nil {
			t.Fatalf("send %q: %v", text, err)
		}
		select {
		case m := <-to.Messages():
			if string(m.Payload) == text && m.Sender == from.PeerID() {
				return
			}
		case <-resend.C:
		case <-ctx.Done():
			t.Fatalf("peer %d did not receive %q from peer %d", to.PeerID(), text, from.PeerID())
		}
	}
}

// metric reads one unlabelled gauge or counter from a Prometheus endpoint;
// it returns -1 when the metric is absent.
func metric(url, name string) (float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return -1, nil
}

// owner waits for exactly one matchmaker to own a configuration and returns
// its index.
func (c *cluster) owner(t *testing.T, timeout time.Duration) int {
	t.Helper()
	owners, last := 0, -1
	shared.Must(t, timeout, func() string { return fmt.Sprintf("one owner of the configuration (%d matchmakers own it)", owners) }, func() bool {
		owners, last = 0, -1
		for i, m := range c.matchmakers {
			if !m.running() {
				continue
			}
			n, err := metric(m.api+"/metrics", "matchpoint_worker_owned_configurations")
			if err == nil && n > 0 {
				owners++
				last = i
			}
		}
		return owners == 1
	})
	return last
}
