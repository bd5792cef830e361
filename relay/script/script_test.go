package script_test

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

func TestRefusals(t *testing.T) {
	type check func(in *script.Instance, s *fakeSession) bool
	calls := map[string]check{
		"onPlayerConnect": func(in *script.Instance, s *fakeSession) bool {
			return in.OnPlayerConnect(s, relay.Player{PeerID: 1, PlayerSessionID: "psess-1"}, []byte("token"))
		},
		"onPlayerJoinGroup":  func(in *script.Instance, s *fakeSession) bool { return in.OnPlayerJoinGroup(s, 3, 1) },
		"onPlayerLeaveGroup": func(in *script.Instance, s *fakeSession) bool { return in.OnPlayerLeaveGroup(s, 3, 1) },
		"onSendToPlayer": func(in *script.Instance, s *fakeSession) bool {
			return in.OnSendToPlayer(s, relay.Message{OpCode: 5, Sender: 1, TargetPlayer: 2, Payload: []byte("x")})
		},
		"onSendToGroup": func(in *script.Instance, s *fakeSession) bool {
			return in.OnSendToGroup(s, relay.Message{OpCode: 5, Sender: 1, TargetGroup: 3, Payload: []byte("x")})
		},
		"onHealthCheck": func(in *script.Instance, s *fakeSession) bool { return in.OnHealthCheck(s) },
	}
	bodies := []struct {
		name string
		body string // function body; "" leaves the callback out
		want bool
	}{
		{"false refuses", "return false;", false},
		{"true allows", "return true;", true},
		{"missing allows", "", true},
		{"undefined allows", "return;", true},
		{"falsy non-boolean allows", "return 0;", true},
		{"throw allows", "throw new Error('boom');", true},
		{"async false refuses", "return Promise.resolve(false);", false},
	}
	for cb, call := range calls {
		for _, b := range bodies {
			t.Run(cb+"/"+b.name, func(t *testing.T) {
				src := "exports.ssExports = {};"
				if b.body != "" {
					src = "exports.ssExports = { " + cb + ": function () { " + b.body + " } };"
				}
				in, s := newInstance(t, src, script.Options{})
				var got bool
				s.do(func() { got = call(in, s) })
				if got != b.want {
					t.Errorf("%s with %q = %v, want %v", cb, b.body, got, b.want)
				}
			})
		}
	}
}

func TestThrowIsLoggedWithStackAndCounted(t *testing.T) {
	reg := prometheus.NewRegistry()
	src := `
function check(msg) { return msg.getPayloadAsText().nope.deeper; }
exports.ssExports = { onSendToPlayer: function (msg) { return check(msg) === 1 ? true : false; } };`
	in, s := newInstance(t, src, script.Options{Registerer: reg})
	var ok bool
	s.do(func() { ok = in.OnSendToPlayer(s, relay.Message{OpCode: 1, Payload: []byte("hi")}) })
	if !ok {
		t.Error("a throwing onSendToPlayer refused; want the default (deliver)")
	}
	logs := s.logText()
	for _, want := range []string{"script callback failed", "callback=onSendToPlayer", "TypeError", "at check (test.js:2:", "script=test.js"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if n := counterValue(t, reg, "matchpoint_script_errors_total", "onSendToPlayer", "test.js"); n != 1 {
		t.Errorf("errors counter = %v, want 1", n)
	}
}

// counterValue returns the value of the counter of a name and label values (in
// the order of the label names: callback, script).
func counterValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := true
			for i, l := range m.GetLabel() {
				if i >= len(labels) || l.GetValue() != labels[i] {
					match = false
				}
			}
			if match {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no metric %s%v", name, labels)
	return 0
}

func TestInfiniteLoopInterruptedOtherSessionsRun(t *testing.T) {
	reg := prometheus.NewRegistry()
	src := `
var n = 0;
exports.ssExports = {
	onMessage: function (msg) {
		if (msg.opCode === 1) { while (true) { n++; } }
		n++;
		session.sendMessage(session.newTextGameMessage(2, -1, "n=" + n), msg.sender);
	},
	init: function (s) { session = s; },
};
var session;`
	budget := 50 * time.Millisecond
	f, err := script.NewFactory("loop.js", []byte(src), script.Options{CallbackBudget: budget, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	looping, ls := startInstance(t, f)
	other, os := startInstance(t, f)

	start := time.Now()
	loopDone := make(chan time.Duration, 1)
	go ls.do(func() {
		looping.OnMessage(ls, relay.Message{OpCode: 1, Sender: 1})
		loopDone <- time.Since(start)
	})
	// While the first session loops, the other answers at once.
	for i := range 5 {
		os.do(func() { other.OnMessage(os, relay.Message{OpCode: 2, Sender: 7}) })
		if got := len(os.sent()); got != i+1 {
			t.Fatalf("other session sent %d messages, want %d", got, i+1)
		}
	}
	select {
	case <-loopDone:
		t.Log("the looping callback ended before the other session's callbacks finished")
	default:
	}
	elapsed := <-loopDone
	if elapsed < budget || elapsed > budget+500*time.Millisecond {
		t.Errorf("looping callback returned after %v, want about %v", elapsed, budget)
	}
	if !strings.Contains(ls.logText(), "ran past its time budget") {
		t.Errorf("no interrupt log:\n%s", ls.logText())
	}
	if n := counterValue(t, reg, "matchpoint_script_interrupts_total", "onMessage", "loop.js"); n != 1 {
		t.Errorf("interrupts counter = %v, want 1", n)
	}
	// The interrupted instance still works.
	ls.do(func() { looping.OnMessage(ls, relay.Message{OpCode: 2, Sender: 3}) })
	if got := ls.sent(); len(got) != 1 || got[0].to != 3 {
		t.Errorf("after the interrupt the script sent %+v, want one message to 3", got)
	}
}

func TestTopLevelLoopFailsLoad(t *testing.T) {
	_, err := script.NewFactory("spin.js", []byte("for (;;) {}"), script.Options{CallbackBudget: 20 * time.Millisecond, Logger: discardLogger()})
	if err == nil || !strings.Contains(err.Error(), "time budget") {
		t.Fatalf("NewFactory of a looping script: %v, want a budget error", err)
	}
}

func TestTimersRunOnSessionGoroutine(t *testing.T) {
	src := `
var session, ticks = 0, iv;
exports.ssExports = {
	init: function (s) { session = s; },
	onStartGameSession: function () {
		var cancelled = setTimeout(function () { session.sendMessage(session.newTextGameMessage(9, -1, "cancelled"), 1); }, 20);
		clearTimeout(cancelled);
		setTimeout(function (a, b) { session.sendMessage(session.newTextGameMessage(1, -1, a + b), 1); }, 10, "x", "y");
		iv = setInterval(function () {
			ticks++;
			session.sendMessage(session.newTextGameMessage(2, -1, "tick" + ticks), 1);
			if (ticks === 3) { clearInterval(iv); }
		}, 5);
	},
};`
	_, s := newInstance(t, src, script.Options{})
	relaytest.Eventually(t, "timers", func() bool { return len(s.sent()) >= 4 })
	time.Sleep(50 * time.Millisecond) // the interval is cleared, the cancelled timeout never fires
	var texts []string
	for _, m := range s.sent() {
		texts = append(texts, string(m.msg.Payload))
	}
	got := strings.Join(texts, ",")
	for _, want := range []string{"xy", "tick1", "tick2", "tick3"} {
		if !strings.Contains(got, want) {
			t.Errorf("sent %q, want %q among them", got, want)
		}
	}
	if len(texts) != 4 || strings.Contains(got, "cancelled") || strings.Contains(got, "tick4") {
		t.Errorf("sent %q, want exactly xy and tick1..3", got)
	}
}

func TestTimersSetBeforeSessionWait(t *testing.T) {
	src := `
var session;
setTimeout(function () { session.sendMessage(session.newTextGameMessage(1, -1, "early"), 1); }, 1);
exports.ssExports = { init: function (s) { session = s; } };`
	f, err := script.NewFactory("early.js", []byte(src), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, s := startInstance(t, f)
	relaytest.Eventually(t, "the early timer", func() bool { return len(s.sent()) == 1 })
}

func TestSessionsAreIsolated(t *testing.T) {
	src := `
var counter = 0;
exports.ssExports = {
	init: function (s) { this.session = s; },
	onMessage: function (msg) {
		counter++;
		globalThis.leak = (globalThis.leak || 0) + 1;
		Array.prototype.polluted = true;
		this.session.sendMessage(this.session.newTextGameMessage(1, -1, counter + "/" + globalThis.leak + "/" + ([].polluted === true)), msg.sender);
	},
};`
	f, err := script.NewFactory("iso.js", []byte(src), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, as := startInstance(t, f)
	b, bs := startInstance(t, f)
	for range 3 {
		as.do(func() { a.OnMessage(as, relay.Message{OpCode: 1, Sender: 1}) })
	}
	bs.do(func() { b.OnMessage(bs, relay.Message{OpCode: 1, Sender: 1}) })
	if got := string(as.sent()[2].msg.Payload); got != "3/3/true" {
		t.Errorf("session A's third message = %q, want 3/3/true", got)
	}
	if got := string(bs.sent()[0].msg.Payload); got != "1/1/true" {
		t.Errorf("session B's first message = %q, want 1/1/true (no state from A)", got)
	}
}

func TestSyntaxErrorHasLineAndColumn(t *testing.T) {
	src := "exports.ssExports = {\n  init: function (s) {\n    let x = ;\n  }\n};\n"
	_, err := script.NewFactory("bad.js", []byte(src), script.Options{})
	var se *script.SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("NewFactory: %v, want a *script.SyntaxError", err)
	}
	if se.Line != 3 || se.Column != 13 {
		t.Errorf("syntax error at %d:%d, want 3:13 (%v)", se.Line, se.Column, err)
	}
	if !strings.Contains(err.Error(), "line 3, column 13") {
		t.Errorf("message %q lacks the position", err)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"var x = 1;", "does not set exports.ssExports"},
		{"exports.ssExports = { onMessage: 3 };", "ssExports.onMessage: want a function"},
		{"exports.ssExports = { configuration: { maxPlayers: -1 } };", "configuration.maxPlayers: want a positive integer"},
		{"exports.ssExports = { configuration: { pingIntervalTime: 'often' } };", "configuration.pingIntervalTime: want a number"},
		{"throw new Error('no');", "top-level code: Error: no"},
		{"require('fs');", "bundle the script into one file"},
	} {
		_, err := script.NewFactory("x.js", []byte(tc.src), script.Options{Logger: discardLogger()})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewFactory(%q) = %v, want an error containing %q", tc.src, err, tc.want)
		}
	}
}

func TestModuleExportsAndConfiguration(t *testing.T) {
	f, err := script.NewFactory("m.js", []byte("module.exports = { ssExports: { configuration: { maxPlayers: 10, pingIntervalTime: 500 } } };"), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Configuration(); got.MaxPlayers != 10 || got.PingInterval != 500*time.Millisecond {
		t.Errorf("Configuration = %+v", got)
	}
	f, err = script.NewFactory("d.js", []byte("exports.ssExports = {};"), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Configuration(); got.MaxPlayers != 32 || got.PingInterval != 3*time.Second {
		t.Errorf("default Configuration = %+v", got)
	}
}

func TestProcessStartedAndInit(t *testing.T) {
	src := `
var got;
exports.ssExports = {
	init: function (s) { got = s.getGameSessionId(); },
	onProcessStarted: function (args) { return args.length === 2 && args[0] === "a" && got === "gs-1"; },
};`
	f, err := script.NewFactory("p.js", []byte(src), script.Options{LaunchParameters: []string{"a", "loggingLevel:debug"}, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.New(relay.GameSessionInfo{GameSessionID: "gs-1"}); err != nil {
		t.Errorf("New: %v", err)
	}
	if _, err := f.New(relay.GameSessionInfo{GameSessionID: "gs-2"}); err == nil || !strings.Contains(err.Error(), "onProcessStarted returned false") {
		t.Errorf("New with onProcessStarted false: %v", err)
	}
	thrower, err := script.NewFactory("t.js", []byte("exports.ssExports = { init: function () { null.x; } };"), script.Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := thrower.New(relay.GameSessionInfo{}); err == nil || !strings.Contains(err.Error(), "init: TypeError") {
		t.Errorf("New with a throwing init: %v", err)
	}
}

func TestSessionObject(t *testing.T) {
	src := `
var session;
function reply(to, text) { session.sendReliableMessage(session.newTextGameMessage(50, session.getServerId(), text), to); }
exports.ssExports = {
	init: function (s) { session = s; },
	onPlayerConnect: function (c) {
		return c.getPayloadAsText() === "let me in" && c.player.peerId === c.peerId && c.playerSessionId === "psess-2" && c.payload instanceof Uint8Array;
	},
	onPlayerAccepted: function (p) {
		var ids = [];
		session.getPlayers().forEach(function (player, peerId) { ids.push(peerId + ":" + player.playerId + ":" + player.team); });
		reply(p.peerId, ids.join(","));
		reply(p.peerId, JSON.stringify(p.attributes));
		reply(p.peerId, JSON.stringify(session.getGameProperties()) + " " + session.getGameSessionData() + " " + session.getMatchmakerData().matchId);
		reply(p.peerId, session.getMatchedPlayers().map(function (m) { return m.playerId + "/" + m.team; }).join(","));
		reply(p.peerId, session.getAllPlayersGroupId() + " " + session.getGameSessionId());
	},
	onMessage: function (m) {
		if (m.opCode === 1) {
			var bin = session.newBinaryGameMessage(51, m.sender, new Uint8Array([1, 2, 255]));
			session.sendGroupMessage(bin, session.getAllPlayersGroupId());
			session.sendReliableGroupMessage(session.newTextGameMessage(52, -1, Buffer.from(m.payload).toString("hex")), 4);
			session.sendMessage({ opCode: 53, sender: 9, payload: "plain" }, m.sender);
			session.broadcastGroupMembershipUpdate(4, -1);
		}
		if (m.opCode === 2) { session.kick(m.sender, "bye"); }
		if (m.opCode === 3) { session.processEnding().then(function (ok) { if (ok) { process.exit(0); } }); }
		if (m.opCode === 4) { session.sendMessage(session.newTextGameMessage(99, -1, "after exit"), 1); }
	},
};`
	f, err := script.NewFactory("obj.js", []byte(src), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := relay.GameSessionInfo{
		GameSessionID:   "gs-obj",
		GameProperties:  []bus.GameProperty{{Key: "mode", Value: "ctf"}},
		GameSessionData: "map=harbor",
		MatchmakerData:  `{"matchId":"m-1"}`,
		Players: []relay.MatchedPlayer{
			{PlayerID: "alice", PlayerSessionID: "psess-1", Team: "red"},
			{PlayerID: "bob", PlayerSessionID: "psess-2", Team: "blue", Attributes: []byte(`{"skill":{"N":1200}}`)},
		},
	}
	s := newFakeSession(t, info)
	alice := relay.Player{PeerID: 1, PlayerSessionID: "psess-1", PlayerID: "alice", Team: "red"}
	bob := relay.Player{PeerID: 2, PlayerSessionID: "psess-2", PlayerID: "bob", Team: "blue", Attributes: []byte(`{"skill":{"N":1200}}`)}
	s.players = []relay.Player{alice, bob}
	var in *script.Instance
	s.do(func() {
		sc, err := f.New(info)
		if err != nil {
			t.Fatal(err)
		}
		in = sc.(*script.Instance)
		in.OnStartGameSession(s)
		if !in.OnPlayerConnect(s, bob, []byte("let me in")) {
			t.Error("onPlayerConnect refused bob")
		}
		in.OnPlayerAccepted(s, bob)
		in.OnMessage(s, relay.Message{OpCode: 1, Sender: 2, TargetPlayer: -1, Payload: []byte{0xab, 0xcd}})
		in.OnMessage(s, relay.Message{OpCode: 2, Sender: 2})
	})
	want := []sent{
		{"sendReliableMessage", 2, relay.Message{OpCode: 50, Sender: -1, Payload: []byte("1:alice:red,2:bob:blue")}},
		{"sendReliableMessage", 2, relay.Message{OpCode: 50, Sender: -1, Payload: []byte(`{"skill":{"N":1200}}`)}},
		{"sendReliableMessage", 2, relay.Message{OpCode: 50, Sender: -1, Payload: []byte(`{"mode":"ctf"} map=harbor m-1`)}},
		{"sendReliableMessage", 2, relay.Message{OpCode: 50, Sender: -1, Payload: []byte("alice/red,bob/blue")}},
		{"sendReliableMessage", 2, relay.Message{OpCode: 50, Sender: -1, Payload: []byte("-1 gs-obj")}},
		{"sendGroupMessage", -1, relay.Message{OpCode: 51, Sender: 2, Payload: []byte{1, 2, 255}}},
		{"sendReliableGroupMessage", 4, relay.Message{OpCode: 52, Sender: -1, Payload: []byte("abcd")}},
		{"sendMessage", 2, relay.Message{OpCode: 53, Sender: 9, Payload: []byte("plain")}},
		{"broadcastGroupMembershipUpdate", -1, relay.Message{TargetGroup: 4}},
	}
	got := s.sent()
	if len(got) != len(want) {
		t.Fatalf("sent %d messages, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.method != w.method || g.to != w.to || g.msg.OpCode != w.msg.OpCode || g.msg.Sender != w.msg.Sender || string(g.msg.Payload) != string(w.msg.Payload) || g.msg.TargetGroup != w.msg.TargetGroup {
			t.Errorf("send %d = %s(%d) %+v %q, want %s(%d) %+v %q", i, g.method, g.to, g.msg, g.msg.Payload, w.method, w.to, w.msg, w.msg.Payload)
		}
	}
	if s.kicks[2] != "bye" {
		t.Errorf("kicks = %v, want peer 2 kicked with reason bye", s.kicks)
	}
	s.do(func() {
		in.OnMessage(s, relay.Message{OpCode: 3, Sender: 2})
		in.OnMessage(s, relay.Message{OpCode: 4, Sender: 2})
	})
	if !s.isEnded() {
		t.Error("processEnding did not end the session")
	}
	if n := len(s.sent()); n != len(want) {
		t.Errorf("the script sent after process.exit")
	}
	if strings.Contains(s.logText(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", s.logText())
	}
}

func TestDocumentationExample(t *testing.T) {
	src, err := os.ReadFile("testdata/gamelift_example.js")
	if err != nil {
		t.Fatal(err)
	}
	var loadLogs syncBuffer
	f, err := script.NewFactory("gamelift_example.js", src, script.Options{
		LaunchParameters: []string{"loggingLevel:info"},
		Logger:           slog.New(slog.NewTextHandler(&loadLogs, nil)),
	})
	if err != nil {
		t.Fatalf("the documentation example does not load: %v", err)
	}
	if got := f.Configuration(); got.MaxPlayers != 32 || got.PingInterval != 30*time.Second {
		t.Errorf("Configuration = %+v, want 32 players, 30s", got)
	}
	in, s := startInstance(t, f)
	p1 := relay.Player{PeerID: 1, PlayerSessionID: "psess-1"}
	p2 := relay.Player{PeerID: 2, PlayerSessionID: "psess-2"}
	var results []bool
	s.do(func() {
		s.players = []relay.Player{p1}
		results = append(results, in.OnPlayerConnect(s, p1, nil))
		in.OnPlayerAccepted(s, p1)
		s.mu.Lock()
		s.players = []relay.Player{p1, p2}
		s.mu.Unlock()
		results = append(results, in.OnPlayerConnect(s, p2, []byte("token")))
		in.OnPlayerAccepted(s, p2)
		results = append(results, in.OnPlayerJoinGroup(s, 1, 2), in.OnPlayerLeaveGroup(s, 1, 2), in.OnHealthCheck(s))
		in.OnMessage(s, relay.Message{OpCode: 111, Sender: 1, TargetPlayer: -1, Payload: []byte("hello red")})
		results = append(results,
			in.OnSendToPlayer(s, relay.Message{OpCode: 7, Sender: 1, TargetPlayer: 2, Payload: []byte("fine")}),
			!in.OnSendToPlayer(s, relay.Message{OpCode: 7, Sender: 1, TargetPlayer: 2, Payload: []byte("Reject me")}),
			in.OnSendToGroup(s, relay.Message{OpCode: 7, Sender: 1, TargetGroup: 1}))
		in.OnPlayerDisconnect(s, 1)
		in.OnProcessTerminate(s)
	})
	for i, ok := range results {
		if !ok {
			t.Errorf("check %d failed", i)
		}
	}
	want := []sent{
		{"sendReliableMessage", 1, relay.Message{OpCode: 113, Sender: 1, Payload: []byte("Peer 1 accepted")}},
		{"sendReliableMessage", 2, relay.Message{OpCode: 113, Sender: 2, Payload: []byte("Peer 2 accepted")}},
		{"sendGroupMessage", 1, relay.Message{OpCode: 112, Sender: -1, Payload: []byte("hello red")}},
		{"sendReliableMessage", 2, relay.Message{OpCode: 114, Sender: -1, Payload: []byte("Peer 1 disconnected")}},
	}
	got := s.sent()
	if len(got) != len(want) {
		t.Fatalf("sent %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.method != w.method || g.to != w.to || g.msg.OpCode != w.msg.OpCode || g.msg.Sender != w.msg.Sender || string(g.msg.Payload) != string(w.msg.Payload) {
			t.Errorf("send %d = %s(%d) %+v %q, want %s(%d) %q", i, g.method, g.to, g.msg, g.msg.Payload, w.method, w.to, w.msg.Payload)
		}
	}
	logs := loadLogs.String() + s.logText()
	for _, want := range []string{"Starting process with args: loggingLevel:info", "Ready to host games...", "Tick... 0 activePlayers: 0"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "level=ERROR") {
		t.Errorf("errors logged:\n%s", logs)
	}
}

// TestGameLoopEndsSession runs a 20 Hz game loop of our own that ends the session
// with await processEnding() and process.exit, as the documentation example does
// after two minutes.
func TestGameLoopEndsSession(t *testing.T) {
	src := `
'use strict';
let session, ticks = 0;
async function loop() {
	ticks++;
	session.sendGroupMessage(session.newTextGameMessage(10, session.getServerId(), "tick " + ticks), session.getAllPlayersGroupId());
	if (ticks === 5) {
		const outcome = await session.processEnding();
		session.getLogger().info("ended with " + outcome);
		process.exit(0);
	}
	setTimeout(loop, 50);
}
exports.ssExports = {
	init: (s) => { session = s; },
	onStartGameSession: () => { loop(); },
};`
	_, s := newInstance(t, src, script.Options{})
	relaytest.Eventually(t, "the session to end", s.isEnded)
	// An absence check: a tick after the end would be sent within this pause.
	time.Sleep(120 * time.Millisecond)
	if n := len(s.sent()); n != 5 {
		t.Errorf("the loop sent %d ticks, want 5", n)
	}
	if !strings.Contains(s.logText(), "ended with true") {
		t.Errorf("log:\n%s", s.logText())
	}
}

func TestConcurrentSessionsRace(t *testing.T) {
	src := `var n = 0; exports.ssExports = { onSendToPlayer: function (m) { n++; return m.getPayloadAsText() !== "no"; } };`
	f, err := script.NewFactory("c.js", []byte(src), script.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		in, s := startInstance(t, f)
		wg.Go(func() {
			for i := range 50 {
				payload := "yes"
				if i%2 == 0 {
					payload = "no"
				}
				var got bool
				s.do(func() { got = in.OnSendToPlayer(s, relay.Message{OpCode: 1, Payload: []byte(payload)}) })
				if got != (payload == "yes") {
					t.Errorf("OnSendToPlayer(%q) = %v", payload, got)
				}
			}
		})
	}
	wg.Wait()
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLoopsAfterAwaitAndInTimersAreInterrupted: the budget also covers promise
// continuations and timers.
func TestLoopsAfterAwaitAndInTimersAreInterrupted(t *testing.T) {
	reg := prometheus.NewRegistry()
	src := `
var session;
exports.ssExports = {
	init: function (s) { session = s; },
	onSendToPlayer: async function () { await null; for (;;) {} },
	onMessage: function () { setTimeout(function () { for (;;) {} }, 1); setTimeout(function () { session.sendMessage(session.newTextGameMessage(1, -1, "alive"), 1); }, 20); },
};`
	in, s := newInstance(t, src, script.Options{CallbackBudget: 30 * time.Millisecond, Registerer: reg})
	var ok bool
	start := time.Now()
	s.do(func() { ok = in.OnSendToPlayer(s, relay.Message{OpCode: 1}) })
	if !ok || time.Since(start) > time.Second {
		t.Errorf("async loop: delivered %v after %v, want the default after about the budget", ok, time.Since(start))
	}
	s.do(func() { in.OnMessage(s, relay.Message{OpCode: 1}) })
	relaytest.Eventually(t, "the second timer to run after the looping one", func() bool { return len(s.sent()) == 1 })
	if n := counterValue(t, reg, "matchpoint_script_interrupts_total", "onSendToPlayer", "test.js"); n != 1 {
		t.Errorf("onSendToPlayer interrupts = %v, want 1", n)
	}
	if n := counterValue(t, reg, "matchpoint_script_interrupts_total", "timer", "test.js"); n != 1 {
		t.Errorf("timer interrupts = %v, want 1", n)
	}
}

// discardLogger returns a logger for tests that check errors, not logs.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
