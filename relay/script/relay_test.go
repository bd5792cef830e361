package script_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

// relayEnv is a real relay on loopback and a bus connection acting as the
// matchmaker, on one embedded NATS server.
type relayEnv struct {
	tb      testing.TB
	srv     *relay.Server
	mm      *bus.Conn
	url     string
	metrics *prometheus.Registry
	logs    *syncBuffer

	mu    sync.Mutex
	ended map[string]bus.SessionEnded
}

var matchSeq atomic.Int64

// startRelay runs a relay whose sessions get their scripts from factory (nil:
// no script) on nats, until the test ends. Relay and script logs go to logs;
// metrics, when set, receives the relay's metrics; tune, when given, changes
// the relay's options.
func startRelay(tb testing.TB, nats *embedded.Server, factory relay.ScriptFactory, logs *syncBuffer, metrics *prometheus.Registry,
	tune ...func(*relay.Options)) *relayEnv {
	tb.Helper()
	logger := discardLogger()
	if logs != nil {
		logger = logs.logger()
	}
	base := func(o *relay.Options) {
		*o = relay.Options{Region: "e2e", ScriptFactory: factory, MaxSessions: 1000,
			HeartbeatInterval: 100 * time.Millisecond, DrainTimeout: 200 * time.Millisecond, Logger: logger}
		if metrics != nil {
			o.Registerer = metrics
		}
	}
	srv := relaytest.RunServer(tb, nats, append([]func(*relay.Options){base}, tune...)...)
	mm := bustest.Connect(tb, nats, bus.Options{Logger: discardLogger()})
	e := &relayEnv{tb: tb, srv: srv, mm: mm, url: relaytest.URL(srv), metrics: metrics,
		logs: logs, ended: make(map[string]bus.SessionEnded)}
	stopEvents, err := mm.SubscribeSessionEvents(context.Background(), "", "", bus.SessionHandlers{Ended: func(v bus.SessionEnded) {
		e.mu.Lock()
		e.ended[v.GameSessionID] = v
		e.mu.Unlock()
	}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(stopEvents)
	return e
}

// logger returns a text logger writing to b.
func (b *syncBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(b, nil)) }

// place asks for a game session of n players running scriptName, with room for
// maxPlayers.
func (e *relayEnv) place(scriptName string, n, maxPlayers int) bus.PlacementReply {
	e.tb.Helper()
	players := make([]bus.Player, n)
	for i := range players {
		players[i] = bus.Player{PlayerID: fmt.Sprintf("player-%d", i+1), Team: "red"}
	}
	return relaytest.Place(e.tb, e.mm, bus.PlacementRequest{MatchID: fmt.Sprintf("match-%d", matchSeq.Add(1)),
		Configuration: "e2e", Region: "e2e", Script: scriptName, Players: players, MaxPlayers: maxPlayers,
		Deadline: time.Now().Add(5 * time.Second)})
}

// dial logs a real client in with a player session of reply.
func (e *relayEnv) dial(reply bus.PlacementReply, i int, opts client.Options) *client.Client {
	e.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	opts.GameSessionID = reply.GameSessionID
	if opts.Logger == nil {
		opts.Logger = discardLogger()
	}
	c, err := client.Dial(ctx, e.url, reply.PlayerSessions[i].PlayerSessionID, nil, opts)
	if err != nil {
		e.tb.Fatalf("dial player %d: %v", i+1, err)
	}
	e.tb.Cleanup(func() { c.Close() })
	return c
}

func (e *relayEnv) endedOf(id string) (bus.SessionEnded, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.ended[id]
	return v, ok
}

// scriptEnv is a relayEnv whose relay takes its scripts from a bus.ScriptStore
// through a Watcher, on embedded NATS with JetStream.
type scriptEnv struct {
	*relayEnv
	reg     *bus.ScriptStore
	watcher *script.Watcher
}

// newScriptEnv starts NATS with JetStream, a script store, a watcher (callback
// budget budget, 0 for the default) and a relay using the watcher as its
// ScriptFactory. Script counters and relay metrics share one registry; tune
// changes the relay's options.
func newScriptEnv(t *testing.T, budget time.Duration, tune ...func(*relay.Options)) *scriptEnv {
	t.Helper()
	nats := bustest.RunJetStreamServer(t)
	sc := bustest.Connect(t, nats, bus.Options{Logger: discardLogger()})
	reg, err := bus.NewScriptStore(t.Context(), sc, bus.ScriptStoreOptions{Check: script.Check})
	if err != nil {
		t.Fatal(err)
	}
	metrics := prometheus.NewRegistry()
	logs := &syncBuffer{}
	w, err := script.NewWatcher(context.Background(), sc, reg, script.WatcherOptions{
		Script: script.Options{CallbackBudget: budget, Registerer: metrics, Logger: logs.logger(),
			LaunchParameters: []string{"region=e2e", "loggingLevel:info"}},
		Logger: discardLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return &scriptEnv{relayEnv: startRelay(t, nats, w.New, logs, metrics, tune...), reg: reg, watcher: w}
}

// upload stores a version of name and waits until the relay's watcher holds it.
func (e *scriptEnv) upload(name string, source []byte) int {
	e.tb.Helper()
	v, err := e.reg.Upload(context.Background(), name, source)
	if err != nil {
		e.tb.Fatalf("upload %s: %v", name, err)
	}
	relaytest.Eventually(e.tb, "the watcher to load "+name, func() bool { got, _ := e.watcher.Version(name); return got == v })
	return v
}

// next returns the next message c receives, failing after 3 s.
func next(t testing.TB, c *client.Client) client.Message {
	t.Helper()
	select {
	case m, ok := <-c.Messages():
		if !ok {
			t.Fatalf("connection of peer %d ended: %v", c.PeerID(), c.Err())
		}
		return m
	case <-time.After(3 * time.Second):
		t.Fatalf("peer %d received nothing", c.PeerID())
	}
	return client.Message{}
}

// expect checks the next message of c.
func expect(t testing.TB, c *client.Client, opCode, sender int32, payload string) {
	t.Helper()
	m := next(t, c)
	if m.OpCode != opCode || m.Sender != sender || string(m.Payload) != payload {
		t.Fatalf("peer %d got op %d from %d %q; want op %d from %d %q", c.PeerID(), m.OpCode, m.Sender, m.Payload,
			opCode, sender, payload)
	}
}

func send(t testing.TB, c *client.Client, opCode int32, to protocol.Target, payload string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Send(ctx, opCode, to, []byte(payload), true); err != nil {
		t.Fatalf("peer %d send: %v", c.PeerID(), err)
	}
}

// TestRelayDocumentationExample runs the GameLift documentation's example script,
// unchanged, on a relay with two real clients: the accept message, op 111
// answered with 112 to the red team, onSendToPlayer's "Reject" filter, the
// disconnect notification, the tick loop and its logs.
func TestRelayDocumentationExample(t *testing.T) {
	e := newScriptEnv(t, 0)
	src, err := os.ReadFile("testdata/gamelift_example.js")
	if err != nil {
		t.Fatal(err)
	}
	e.upload("example", src)
	reply := e.place("example", 2, 4)

	// onPlayerAccepted: "Peer N accepted", op 113, with the player as sender.
	c1 := e.dial(reply, 0, client.Options{})
	expect(t, c1, 113, 1, "Peer 1 accepted")
	c2 := e.dial(reply, 1, client.Options{})
	expect(t, c2, 113, 2, "Peer 2 accepted")

	// Both join RED_TEAM_GROUP (1); op 111 to the server is answered with 112,
	// carrying the payload, to the red team, from the server.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range []*client.Client{c1, c2} {
		if err := c.JoinGroup(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	relaytest.Eventually(t, "both players in the red team", func() bool { return c1.IsInGroup(1) && c2.IsInGroup(1) })
	send(t, c1, 111, client.ToServer(), "attack at dawn")
	expect(t, c1, 112, -1, "attack at dawn")
	expect(t, c2, 112, -1, "attack at dawn")

	// onSendToPlayer refuses payloads containing "Reject"; others are delivered.
	send(t, c1, 7, client.ToPlayer(2), "Reject this")
	send(t, c1, 7, client.ToPlayer(2), "hello")
	expect(t, c2, 7, 1, "hello")
	if n := counterValue(t, e.metrics, "relay_dropped_packets_total", "script_refused"); n != 1 {
		t.Errorf("script_refused drops = %v, want 1", n)
	}
	// onSendToGroup allows.
	send(t, c2, 8, client.ToGroup(1), "team")
	expect(t, c1, 8, 2, "team")

	// The tick loop (1 s) logs the active players through the session's logger.
	relaytest.Eventually(t, "a tick with 2 active players", func() bool { return strings.Contains(e.logs.String(), "activePlayers: 2") })

	// onPlayerDisconnect tells the others, op 114 from the server.
	c2.Close()
	expect(t, c1, 114, -1, "Peer 2 disconnected")

	logs := e.logs.String()
	for _, want := range []string{
		`msg="Starting process with args: region=e2e,loggingLevel:info"`,
		`msg="Ready to host games..."`,
		`msg="Tick... 0 activePlayers: 0"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	tick := ""
	for line := range strings.Lines(logs) {
		if strings.Contains(line, "activePlayers: 2") {
			tick = line
		}
	}
	for _, want := range []string{"gameSessionId=" + reply.GameSessionID, "script=example", "script_version=1"} {
		if !strings.Contains(tick, want) {
			t.Errorf("tick log %q lacks %s", tick, want)
		}
	}
	if n := e.srv.Stats().Sessions; n != 1 {
		t.Errorf("%d sessions; the example keeps its session for 120 s", n)
	}
}

// waitEnded returns how the session id ended, failing after 30 s.
func (e *relayEnv) waitEnded(id string) bus.SessionEnded {
	e.tb.Helper()
	var ended bus.SessionEnded
	relaytest.EventuallyWithin(e.tb, 30*time.Second, "session "+id+" to end", func() bool {
		v, ok := e.endedOf(id)
		ended = v
		return ok
	})
	return ended
}

// exampleScript is the documentation's example script with its tick loop
// every tickTime ms and its end-of-game check after minimumElapsedTime s.
func exampleScript(t testing.TB, tickTime, minimumElapsedTime int) []byte {
	t.Helper()
	src, err := os.ReadFile("testdata/gamelift_example.js")
	if err != nil {
		t.Fatal(err)
	}
	out := string(src)
	for _, r := range [][2]string{
		{"const tickTime = 1000;", fmt.Sprintf("const tickTime = %d;", tickTime)},
		{"const minimumElapsedTime = 120;", fmt.Sprintf("const minimumElapsedTime = %d;", minimumElapsedTime)},
	} {
		if !strings.Contains(out, r[0]) {
			t.Fatalf("the example script lacks %q", r[0])
		}
		out = strings.Replace(out, r[0], r[1], 1)
	}
	return []byte(out)
}

// TestRelayScriptEndsItsSession: on a relay whose empty, idle and player
// session timeouts are far shorter than the example script's end-of-game check,
// the script's sessions, the one its players left and the one nobody joined,
// run until the script calls processEnding (issue 13, item 10).
func TestRelayScriptEndsItsSession(t *testing.T) {
	e := newScriptEnv(t, 0, func(o *relay.Options) {
		o.EmptySessionTimeout, o.IdleTimeout, o.PlayerSessionTTL = 20*time.Millisecond, time.Second, 2*time.Second
	})
	e.upload("example", exampleScript(t, 100, 2))
	left := e.place("example", 1, 2)
	nobody := e.place("example", 1, 2)
	c := e.dial(left, 0, client.Options{})
	expect(t, c, 113, 1, "Peer 1 accepted")
	c.Close()
	for name, id := range map[string]string{"left": left.GameSessionID, "nobody": nobody.GameSessionID} {
		if got := e.waitEnded(id); got.Reason != bus.EndScript {
			t.Errorf("session %s ended %s (%s), want %s", name, got.Reason, got.Message, bus.EndScript)
		}
	}
	if n := strings.Count(e.logs.String(), "All players disconnected. Ending game"); n != 2 {
		t.Errorf("the script ended %d sessions, want 2", n)
	}
}

// TestRelayScriptedSessionTimeouts: with Options.ScriptedSessionTimeouts the
// relay's empty timeout ends a scripted session that the example script would
// keep for 120 s.
func TestRelayScriptedSessionTimeouts(t *testing.T) {
	e := newScriptEnv(t, 0, func(o *relay.Options) {
		o.EmptySessionTimeout, o.ScriptedSessionTimeouts = 20*time.Millisecond, true
	})
	src, err := os.ReadFile("testdata/gamelift_example.js")
	if err != nil {
		t.Fatal(err)
	}
	e.upload("example", src)
	reply := e.place("example", 1, 2)
	c := e.dial(reply, 0, client.Options{})
	expect(t, c, 113, 1, "Peer 1 accepted")
	c.Close()
	if got := e.waitEnded(reply.GameSessionID); got.Reason != bus.EndEmpty {
		t.Errorf("session ended %s (%s), want %s", got.Reason, got.Message, bus.EndEmpty)
	}
}

// gameLoopScript broadcasts the state of the game to every player at 20 Hz
// (setInterval, 50 ms) once two players are in, and ends the session with
// processEnding after ticks ticks.
func gameLoopScript(ticks int) []byte {
	return fmt.Appendf(nil, `'use strict';
const TICKS = %d, OP_MOVE = 10, OP_STATE = 11;
let session, loop, tick = 0;
const positions = {};
function step() {
	if (session.getPlayers().size < 2) return;
	tick++;
	const state = JSON.stringify({ tick: tick, positions: positions });
	session.sendGroupMessage(session.newTextGameMessage(OP_STATE, session.getServerId(), state), session.getAllPlayersGroupId());
	if (tick === TICKS) {
		clearInterval(loop);
		session.getLogger().info('game over after ' + tick + ' ticks');
		session.processEnding();
	}
}
exports.ssExports = {
	configuration: { maxPlayers: 2 },
	init: (s) => { session = s; },
	onStartGameSession: () => { loop = setInterval(step, 50); },
	onMessage: (m) => { if (m.opCode === OP_MOVE) positions[m.sender] = m.getPayloadAsText(); },
};`, ticks)
}

// TestRelayGameLoop: a 20 Hz game loop broadcasts the state to two real clients,
// then ends the session (close 4002, SCRIPT). The WebSocket client receives every
// tick in order; the one bound to the fast path gets the states by UDP, newest
// first (a datagram may be lost, or arrive after the close and be dropped).
func TestRelayGameLoop(t *testing.T) {
	const ticks = 20
	e := newScriptEnv(t, 0)
	e.upload("loop", gameLoopScript(ticks))
	reply := e.place("loop", 2, 2)
	c1 := e.dial(reply, 0, client.Options{})
	send(t, c1, 10, client.ToServer(), "3,4")
	c2 := e.dial(reply, 1, client.Options{UDP: true})
	if !c2.FastBound() {
		t.Fatal("peer 2 did not bind UDP")
	}

	type state struct {
		Tick      int               `json:"tick"`
		Positions map[string]string `json:"positions"`
	}
	var first time.Time
	var st state
	for i := 1; i <= ticks; i++ {
		m := next(t, c1)
		if err := json.Unmarshal(m.Payload, &st); err != nil || m.OpCode != 11 || m.Sender != -1 || st.Tick != i {
			t.Fatalf("peer 1, tick %d: op %d from %d %q (%v)", i, m.OpCode, m.Sender, m.Payload, err)
		}
		if i == 1 {
			first = time.Now()
		}
	}
	if st.Positions["1"] != "3,4" {
		t.Errorf("last state %+v lacks player 1's move", st)
	}
	if d := time.Since(first); d < (ticks-1)*50*time.Millisecond*8/10 {
		t.Errorf("%d ticks in %v: faster than 20 Hz", ticks, d)
	}
	got, last := 0, 0
	for m := range c2.Messages() {
		var st2 state
		if err := json.Unmarshal(m.Payload, &st2); err != nil || m.OpCode != 11 || st2.Tick <= last {
			t.Fatalf("peer 2 after tick %d: op %d %q (%v)", last, m.OpCode, m.Payload, err)
		}
		got, last = got+1, st2.Tick
	}
	if got < ticks/2 {
		t.Errorf("peer 2 received %d of %d ticks over UDP", got, ticks)
	}
	t.Logf("peer 2 received %d of %d ticks by the fast path", got, ticks)
	for _, c := range []*client.Client{c1, c2} {
		select {
		case <-c.Done():
		case <-time.After(3 * time.Second):
			t.Fatalf("peer %d still connected after the last tick", c.PeerID())
		}
		if code := c.CloseCode(); code != protocol.CloseSessionEnded {
			t.Errorf("peer %d closed with %d, want %d", c.PeerID(), code, protocol.CloseSessionEnded)
		}
	}
	relaytest.Eventually(t, "the session ended event", func() bool { _, ok := e.endedOf(reply.GameSessionID); return ok })
	if ev, _ := e.endedOf(reply.GameSessionID); ev.Reason != bus.EndScript {
		t.Errorf("session ended with %s, want %s", ev.Reason, bus.EndScript)
	}
	if !strings.Contains(e.logs.String(), "game over after 20 ticks") {
		t.Error("the script's last log line is missing")
	}
}

// ask sends op 5 to the server and returns the script's answer.
func ask(t testing.TB, c *client.Client) string {
	t.Helper()
	send(t, c, 5, client.ToServer(), "version?")
	m := next(t, c)
	return string(m.Payload)
}

// TestRelayLiveUpdate: sessions placed after an upload run the new version,
// through real clients; sessions running before keep theirs.
func TestRelayLiveUpdate(t *testing.T) {
	e := newScriptEnv(t, 0)
	e.upload("game", versioned("v1"))
	a := e.place("game", 2, 2)
	a1, a2 := e.dial(a, 0, client.Options{}), e.dial(a, 1, client.Options{})
	if got := ask(t, a1); got != "v1" {
		t.Fatalf("session A runs %s, want v1", got)
	}

	if v := e.upload("game", versioned("v2")); v != 2 {
		t.Fatalf("second upload is version %d", v)
	}
	b := e.place("game", 2, 2)
	b1, b2 := e.dial(b, 0, client.Options{}), e.dial(b, 1, client.Options{})
	for _, c := range []*client.Client{b1, b2} {
		if got := ask(t, c); got != "v2" {
			t.Errorf("session B, peer %d runs %s, want v2", c.PeerID(), got)
		}
	}
	for _, c := range []*client.Client{a1, a2} {
		if got := ask(t, c); got != "v1" {
			t.Errorf("session A, peer %d runs %s after the update, want v1", c.PeerID(), got)
		}
	}
}

// TestRelayContainsFailingScripts: a script that throws and one that loops
// forever in onMessage run on the same relay as a good one; the errors and
// interrupts are counted, the defaults apply, and the good session's clients are
// served all along.
func TestRelayContainsFailingScripts(t *testing.T) {
	const budget = 50 * time.Millisecond
	e := newScriptEnv(t, budget)
	e.upload("thrower", []byte(`exports.ssExports = {
	onMessage: function (m) { null.boom(); },
	onSendToPlayer: function (m) { throw new Error('no filter today'); },
};`))
	e.upload("looper", []byte(`var session;
exports.ssExports = {
	init: function (s) { session = s; },
	onMessage: function (m) {
		if (m.opCode === 1) { while (true) {} }
		session.sendReliableMessage(session.newTextGameMessage(2, -1, 'alive'), m.sender);
	},
};`))
	e.upload("good", versioned("ok"))
	th := e.place("thrower", 2, 2)
	lo := e.place("looper", 1, 1)
	gd := e.place("good", 2, 2)
	t1, t2 := e.dial(th, 0, client.Options{}), e.dial(th, 1, client.Options{})
	l1 := e.dial(lo, 0, client.Options{})
	g1, g2 := e.dial(gd, 0, client.Options{}), e.dial(gd, 1, client.Options{})

	// The looping session spends 8 budgets; meanwhile the good session answers.
	const loops = 8
	for range loops {
		send(t, l1, 1, client.ToServer(), "spin")
	}
	var slowest time.Duration
	for i := range 10 {
		c := []*client.Client{g1, g2}[i%2]
		start := time.Now()
		if got := ask(t, c); got != "ok" {
			t.Fatalf("good session answered %q", got)
		}
		slowest = max(slowest, time.Since(start))
	}
	if slowest > loops*budget/2 {
		t.Errorf("the good session's slowest round trip took %v while the other looped", slowest)
	}
	t.Logf("good session's slowest round trip while the looper spun: %v", slowest)

	// The looper is interrupted each time and serves its player afterwards.
	send(t, l1, 2, client.ToServer(), "still there?")
	expect(t, l1, 2, -1, "alive")
	if n := counterValue(t, e.metrics, "matchpoint_script_interrupts_total", "onMessage", "looper"); n != loops {
		t.Errorf("looper interrupts = %v, want %d", n, loops)
	}

	// The thrower's onSendToPlayer throws: the default (deliver) applies.
	send(t, t1, 5, client.ToServer(), "anyone?")
	send(t, t1, 6, client.ToPlayer(2), "delivered anyway")
	expect(t, t2, 6, 1, "delivered anyway")
	for _, cb := range []string{"onMessage", "onSendToPlayer"} {
		if n := counterValue(t, e.metrics, "matchpoint_script_errors_total", cb, "thrower"); n != 1 {
			t.Errorf("thrower %s errors = %v, want 1", cb, n)
		}
	}
	logs := e.logs.String()
	for _, want := range []string{"script callback interrupted", "TypeError", "no filter today"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	if n := e.srv.Stats().Sessions; n != 3 {
		t.Errorf("%d sessions running, want 3", n)
	}
}

// TestRelayScriptPlayerData: the PlayerData of a player session, from a
// placement's players or a later reservation (CreatePlayerSessions), reaches
// the script as player.playerData and in getMatchedPlayers(): Matchpoint's
// extension, GameLift's Realtime script API has no access to it.
func TestRelayScriptPlayerData(t *testing.T) {
	e := newScriptEnv(t, 0)
	e.upload("data", []byte(`
var session;
exports.ssExports = {
	init: function (s) { session = s; },
	onPlayerAccepted: function (p) {
		var all = session.getMatchedPlayers().map(function (m) { return m.playerId + "=" + m.playerData; }).join(",");
		session.sendReliableMessage(session.newTextGameMessage(60, session.getServerId(), p.playerId + ":" + p.playerData + " " + all), p.peerId);
	},
};`))
	reply := relaytest.Place(t, e.mm, bus.PlacementRequest{MatchID: fmt.Sprintf("match-%d", matchSeq.Add(1)),
		Configuration: "e2e", Region: "e2e", Script: "data", MaxPlayers: 3, Deadline: time.Now().Add(5 * time.Second),
		Players: []bus.Player{{PlayerID: "ana", PlayerData: `{"deck":"blue"}`}, {PlayerID: "bo"}}})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	reserved, err := e.mm.RequestReserve(ctx, bus.ReserveRequest{RequestID: "r-1", RelayID: reply.RelayID, GameSessionID: reply.GameSessionID,
		Deadline: time.Now().Add(5 * time.Second), Players: []bus.Player{{PlayerID: "cy", PlayerSessionID: "psess-cy", PlayerData: "late"}}})
	if err != nil {
		t.Fatal(err)
	}
	const matched = `ana={"deck":"blue"},bo=,cy=late`
	expect(t, e.dial(reply, 0, client.Options{}), 60, -1, `ana:{"deck":"blue"} `+matched)
	expect(t, e.dial(reply, 1, client.Options{}), 60, -1, "bo: "+matched)
	reply.PlayerSessions = reserved.PlayerSessions
	expect(t, e.dial(reply, 0, client.Options{}), 60, -1, "cy:late "+matched)
}
