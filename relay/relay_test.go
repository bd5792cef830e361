package relay_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

func testOptions() relay.Options {
	return relay.Options{HeartbeatInterval: 50 * time.Millisecond, DrainTimeout: 100 * time.Millisecond}
}

func TestPlacementAndMessages(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(3))
	if reply.GameSessionID == "" || !strings.HasPrefix(reply.GameSessionARN, "arn:aws:gamelift:test::gamesession/") {
		t.Fatalf("reply %+v", reply)
	}
	if reply.Endpoint == nil || reply.Endpoint.TCPPort == 0 || reply.Endpoint.IPAddress != "127.0.0.1" {
		t.Fatalf("endpoint %+v", reply.Endpoint)
	}
	for _, ps := range reply.PlayerSessions {
		if !strings.HasPrefix(ps.PlayerSessionID, "psess-") || len(ps.PlayerSessionID) < 30 {
			t.Fatalf("player session id %q", ps.PlayerSessionID)
		}
	}
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{GameSessionID: reply.GameSessionID})
	c := h.mustDial(reply.PlayerSessions[2].PlayerSessionID, client.Options{})
	if a.PeerID() != 1 || b.PeerID() != 2 || c.PeerID() != 3 {
		t.Fatalf("peer ids %d %d %d", a.PeerID(), b.PeerID(), c.PeerID())
	}
	if e := nextEvent(t, a, client.PlayerConnected); e.PeerID != 2 {
		t.Fatalf("a saw connect of %d", e.PeerID)
	}
	ctx := context.Background()

	// Player to player.
	if err := a.Send(ctx, 100, client.ToPlayer(b.PeerID()), []byte("hi"), true); err != nil {
		t.Fatal(err)
	}
	m := recv(t, b)
	if m.OpCode != 100 || m.Sender != 1 || string(m.Payload) != "hi" {
		t.Fatalf("b got %+v", m)
	}
	noMessage(t, c)

	// Reliable messages keep their order.
	for i := range 50 {
		if err := a.Send(ctx, 101, client.ToPlayer(2), []byte{byte(i)}, i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		if m := recv(t, b); m.Payload[0] != byte(i) {
			t.Fatalf("message %d arrived as %d", m.Payload[0], i)
		}
	}

	// Groups: only members receive, the sender excluded.
	if err := b.JoinGroup(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, b, client.GroupMembership); e.Group != 7 || len(e.Players) != 1 || e.Players[0] != 2 {
		t.Fatalf("membership %+v", e)
	}
	if err := a.JoinGroup(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, b, client.GroupMembership); len(e.Players) != 2 {
		t.Fatalf("membership after a joined %+v", e)
	}
	nextEvent(t, a, client.GroupMembership)
	if !a.IsInGroup(7) {
		t.Fatal("a not in group 7")
	}
	if err := a.Send(ctx, 200, client.ToGroup(7), []byte("team"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b); string(m.Payload) != "team" || m.TargetGroup != 7 {
		t.Fatalf("b got %+v", m)
	}
	noMessage(t, c)
	noMessage(t, a)

	// All players.
	if err := c.Send(ctx, 300, client.ToAll(), []byte("all"), true); err != nil {
		t.Fatal(err)
	}
	recv(t, a)
	recv(t, b)
	noMessage(t, c)

	// Membership request, then leave.
	if err := c.RequestGroupMembership(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, c, client.GroupMembership); len(e.Players) != 2 {
		t.Fatalf("requested membership %+v", e)
	}
	if err := a.LeaveGroup(ctx, 7); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, a, client.GroupMembership); len(e.Players) != 1 || a.IsInGroup(7) {
		t.Fatalf("after leave %+v", e)
	}

	// Disconnect notice.
	c.Close()
	if e := nextEvent(t, a, client.PlayerDisconnected); e.PeerID != 3 {
		t.Fatalf("disconnect of %d", e.PeerID)
	}
	relaytest.Eventually(t, "player events", func() bool {
		h.events.mu.Lock()
		defer h.events.mu.Unlock()
		return len(h.events.joined) == 3 && len(h.events.left) == 1 && len(h.events.started) == 1
	})
	h.events.mu.Lock()
	left := h.events.left[0]
	h.events.mu.Unlock()
	if left.Reason != bus.LeftClosed || left.PeerID != 3 || left.Players != 2 {
		t.Fatalf("left %+v", left)
	}
	if got := relaytest.MetricValue(h.reg, "relay_players", ""); got != 2 {
		t.Fatalf("players gauge %v", got)
	}
}

// recordingScript records what a session's callbacks saw.
type recordingScript struct {
	mu        sync.Mutex
	info      relay.GameSessionInfo
	messages  []string
	connects  []relay.Player
	refuse    string // connection payload to refuse
	vetoGroup int32
	panicOn   string
	session   relay.Session
}

func (r *recordingScript) OnStartGameSession(s relay.Session) {
	r.mu.Lock()
	r.session = s
	r.mu.Unlock()
}

func (r *recordingScript) OnPlayerConnect(s relay.Session, p relay.Player, payload []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connects = append(r.connects, p)
	if r.panicOn == "connect" {
		panic("connect boom")
	}
	return r.refuse == "" || string(payload) != r.refuse
}

func (r *recordingScript) OnPlayerAccepted(s relay.Session, p relay.Player) {
	if err := s.SendReliableMessage(relay.NewTextMessage(113, s.GetServerID(), "welcome"), p.PeerID); err != nil {
		panic(err)
	}
}

func (r *recordingScript) OnPlayerDisconnect(relay.Session, int32) {}

func (r *recordingScript) OnPlayerJoinGroup(_ relay.Session, g, _ int32) bool {
	return g != r.vetoGroup
}

func (r *recordingScript) OnPlayerLeaveGroup(relay.Session, int32, int32) bool { return true }

func (r *recordingScript) OnSendToPlayer(_ relay.Session, m relay.Message) bool {
	if r.panicOn == "send" {
		panic("send boom")
	}
	return !strings.Contains(string(m.Payload), "Reject")
}

func (r *recordingScript) OnSendToGroup(relay.Session, relay.Message) bool { return true }

func (r *recordingScript) OnMessage(s relay.Session, m relay.Message) {
	r.mu.Lock()
	r.messages = append(r.messages, string(m.Payload))
	r.mu.Unlock()
	switch string(m.Payload) {
	case "end":
		s.ProcessEnding()
	case "kick":
		if err := s.Kick(m.Sender, "bye"); err != nil {
			panic(err)
		}
	case "echo":
		if err := s.SendReliableGroupMessage(relay.NewTextMessage(112, s.GetServerID(), "echo"), s.GetAllPlayersGroupID()); err != nil {
			panic(err)
		}
	}
}

func (r *recordingScript) OnHealthCheck(relay.Session) bool { return true }

func (r *recordingScript) OnProcessTerminate(relay.Session) {}

func TestScript(t *testing.T) {
	script := &recordingScript{refuse: "bad", vetoGroup: 9}
	opts := testOptions()
	opts.ScriptFactory = func(info relay.GameSessionInfo) (relay.Script, error) {
		script.info = info
		return script, nil
	}
	h := newHarness(t, opts)
	reply := h.place(request(2))
	if script.info.GameSessionData != "gsd" || script.info.GameProperties[0].Value != "ctf" ||
		script.info.MatchmakerData != `{"matchId":"m"}` || len(script.info.Players) != 2 {
		t.Fatalf("script info %+v", script.info)
	}

	// The script refuses a connection payload; the player session stays usable.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := client.Dial(ctx, h.url, reply.PlayerSessions[0].PlayerSessionID, []byte("bad"), client.Options{})
	if le, ok := err.(*client.LoginError); !ok || le.Refusal != protocol.RefusalRejectedByScript {
		t.Fatalf("want rejected_by_script, got %v", err)
	}
	a, err := client.Dial(ctx, h.url, reply.PlayerSessions[0].PlayerSessionID, []byte("good"), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})
	if m := recv(t, a); m.OpCode != 113 || m.Sender != protocol.PeerServer || string(m.Payload) != "welcome" {
		t.Fatalf("welcome %+v", m)
	}
	recv(t, b)
	script.mu.Lock()
	p := script.connects[len(script.connects)-1]
	script.mu.Unlock()
	if p.PlayerID != "player-2" || p.Team != "red" || string(p.Attributes) != `{"skill":{"N":10}}` {
		t.Fatalf("player %+v", p)
	}

	// Server-addressed messages reach OnMessage and are not relayed.
	if err := a.Send(ctx, 5, client.ToServer(), []byte("echo"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, a); string(m.Payload) != "echo" {
		t.Fatalf("echo %+v", m)
	}
	recv(t, b)
	// onSendToPlayer refuses.
	if err := a.Send(ctx, 100, client.ToPlayer(2), []byte("Reject me"), true); err != nil {
		t.Fatal(err)
	}
	noMessage(t, b)
	// onPlayerJoinGroup vetoes group 9: the requester gets the real membership.
	if err := a.JoinGroup(ctx, 9); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, a, client.GroupMembership); e.Group != 9 || len(e.Players) != 0 {
		t.Fatalf("vetoed join %+v", e)
	}
	// Kick.
	if err := b.Send(ctx, 5, client.ToServer(), []byte("kick"), true); err != nil {
		t.Fatal(err)
	}
	<-b.Done()
	if b.CloseCode() != protocol.CloseKicked {
		t.Fatalf("kick close code %d (%v)", b.CloseCode(), b.Err())
	}
	// ProcessEnding ends the session and closes the others with 4002.
	if err := a.Send(ctx, 5, client.ToServer(), []byte("end"), true); err != nil {
		t.Fatal(err)
	}
	<-a.Done()
	if a.CloseCode() != protocol.CloseSessionEnded {
		t.Fatalf("end close code %d", a.CloseCode())
	}
	relaytest.Eventually(t, "session ended", func() bool {
		e, ok := h.events.endedOf(reply.GameSessionID)
		return ok && e.Reason == bus.EndScript
	})
	h.events.mu.Lock()
	defer h.events.mu.Unlock()
	reasons := map[string]bool{}
	for _, l := range h.events.left {
		reasons[l.Reason] = true
	}
	if !reasons[bus.LeftKicked] || !reasons[bus.LeftEnded] {
		t.Fatalf("left reasons %v", reasons)
	}
}

func TestScriptPanicRecovered(t *testing.T) {
	script := &recordingScript{panicOn: "send"}
	opts := testOptions()
	opts.ScriptFactory = func(relay.GameSessionInfo) (relay.Script, error) { return script, nil }
	h := newHarness(t, opts)
	reply := h.place(request(2))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})
	recv(t, a)
	recv(t, b)
	ctx := context.Background()
	if err := a.Send(ctx, 100, client.ToPlayer(2), []byte("x"), true); err != nil {
		t.Fatal(err)
	}
	// The default of OnSendToPlayer (deliver) applies.
	if m := recv(t, b); string(m.Payload) != "x" {
		t.Fatalf("got %+v", m)
	}
	if got := relaytest.MetricValue(h.reg, "relay_script_panics_total", "OnSendToPlayer"); got != 1 {
		t.Fatalf("panics %v", got)
	}
	// A panic in OnPlayerConnect admits the player (the default).
	script.mu.Lock()
	script.panicOn = "connect"
	script.mu.Unlock()
	r2 := h.place(request(1))
	h.mustDial(r2.PlayerSessions[0].PlayerSessionID, client.Options{})
}

func TestLoginRefusals(t *testing.T) {
	opts := testOptions()
	opts.PlayerSessionTTL = 300 * time.Millisecond
	h := newHarness(t, opts)
	r1 := h.place(request(2))
	r2 := h.place(request(1))

	refused := func(psid string, o client.Options, want protocol.Refusal) {
		t.Helper()
		before := h.refusedCount(want.String())
		c, err := h.dial(psid, o)
		le, ok := err.(*client.LoginError)
		if !ok || le.Refusal != want {
			if c != nil {
				c.Close()
			}
			t.Fatalf("login %q: want %s, got %v", psid, want, err)
		}
		if after := h.refusedCount(want.String()); after != before+1 {
			t.Fatalf("refusal %s counted %v -> %v", want, before, after)
		}
	}
	refused("psess-unknown", client.Options{}, protocol.RefusalUnknownPlayerSession)
	// Wrong session: a player session of r1 presented for r2's game session.
	refused(r1.PlayerSessions[0].PlayerSessionID, client.Options{GameSessionID: r2.GameSessionID},
		protocol.RefusalUnknownPlayerSession)
	// Nothing changed: it still logs in, once.
	a := h.mustDial(r1.PlayerSessions[0].PlayerSessionID, client.Options{GameSessionID: r1.GameSessionID})
	if a.PeerID() != 1 {
		t.Fatalf("peer id %d", a.PeerID())
	}
	refused(r1.PlayerSessions[0].PlayerSessionID, client.Options{}, protocol.RefusalPlayerSessionUsed)
	// r2 never connected: it ends as EXPIRED once its reservation expired,
	// and so the reservations of r1, placed before, have expired too.
	relaytest.Eventually(t, "expired session", func() bool {
		e, ok := h.events.endedOf(r2.GameSessionID)
		return ok && e.Reason == bus.EndExpired
	})
	refused(r1.PlayerSessions[1].PlayerSessionID, client.Options{}, protocol.RefusalPlayerSessionExpired)
	if got := h.relay.Stats().Players; got != 1 {
		t.Fatalf("players %d", got)
	}
	// r2's id is then refused as ended.
	refused(r2.PlayerSessions[0].PlayerSessionID, client.Options{}, protocol.RefusalSessionEnded)
}

func TestMalformedLogin(t *testing.T) {
	h := newHarness(t, testOptions())
	c, _, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A data packet before login.
	frame := protocol.AppendPacket(nil, &protocol.Packet{OpCode: 100, TargetGroup: -1, Payload: []byte("x")})
	if err := c.WriteMessage(websocket.BinaryMessage, frame); err != nil {
		t.Fatal(err)
	}
	_, data, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var p protocol.Packet
	if err := protocol.DecodePacket(data, &p); err != nil || p.LoginResult.Success || p.LoginResult.Refusal != protocol.RefusalMalformedLogin {
		t.Fatalf("result %+v %v", p.LoginResult, err)
	}
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, protocol.CloseLoginRefused) {
		t.Fatalf("want close 4000, got %v", err)
	}
}

func TestBadPackets(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(2))

	// A raw connection, logged in by hand, sends bad packets.
	raw, _, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	send := func(p *protocol.Packet) {
		t.Helper()
		if err := raw.WriteMessage(websocket.BinaryMessage, protocol.AppendPacket(nil, p)); err != nil {
			t.Fatal(err)
		}
	}
	login := &protocol.Packet{OpCode: protocol.OpLogin, TargetPlayer: -1, Reliable: true}
	login.SetMessage(protocol.MessageLogin)
	login.Login.PlayerSessionID = reply.PlayerSessions[0].PlayerSessionID
	send(login)
	if _, _, err := raw.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})
	// Unknown internal op code, forbidden op code, bad target, second login: dropped.
	send(&protocol.Packet{OpCode: -77})
	send(&protocol.Packet{OpCode: protocol.OpGroupMembershipUpdate})
	send(&protocol.Packet{OpCode: 100, TargetPlayer: -5})
	send(login)
	// Message to a player not connected.
	send(&protocol.Packet{OpCode: 100, TargetPlayer: 42})
	// The connection survives: a good message still goes through.
	send(&protocol.Packet{OpCode: 100, TargetPlayer: 2, Payload: []byte("ok")})
	if m := recv(t, b); string(m.Payload) != "ok" || m.Sender != 1 {
		t.Fatalf("got %+v", m)
	}
	for reason, want := range map[string]float64{"op_code": 2, "target": 1, "second_login": 1, "no_recipient": 1} {
		if got := h.droppedCount(reason); got != want {
			t.Errorf("dropped %s: %v, want %v", reason, got, want)
		}
	}
	// An oversized payload (5000 > 4096) does not decode: closed with 1002.
	send(&protocol.Packet{OpCode: 100, TargetPlayer: 2, Payload: make([]byte, 5000)})
	for {
		if _, _, err = raw.ReadMessage(); err != nil {
			break
		}
	}
	if !websocket.IsCloseError(err, protocol.CloseProtocolError) {
		t.Fatalf("want close 1002, got %v", err)
	}
	if got := h.droppedCount("malformed"); got != 1 {
		t.Fatalf("malformed %v", got)
	}
	noMessage(t, b)
	if e := nextEvent(t, b, client.PlayerDisconnected); e.PeerID != 1 {
		t.Fatalf("disconnect %+v", e)
	}
}

func TestFrameTooBig(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(1))
	raw, _, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	login := &protocol.Packet{OpCode: protocol.OpLogin, TargetPlayer: -1, Reliable: true}
	login.SetMessage(protocol.MessageLogin)
	login.Login.PlayerSessionID = reply.PlayerSessions[0].PlayerSessionID
	if err := raw.WriteMessage(websocket.BinaryMessage, protocol.AppendPacket(nil, login)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := raw.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	if err := raw.WriteMessage(websocket.BinaryMessage, make([]byte, protocol.MaxFrameSize+10)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err = raw.ReadMessage(); err != nil {
			break
		}
	}
	if !websocket.IsCloseError(err, protocol.CloseMessageTooBig) {
		t.Fatalf("want close 1009, got %v", err)
	}
	// A text frame on a logged-in connection is a protocol error: close 1002.
	r2 := h.place(request(1))
	raw2, _, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer raw2.Close()
	login.Login.PlayerSessionID = r2.PlayerSessions[0].PlayerSessionID
	if err := raw2.WriteMessage(websocket.BinaryMessage, protocol.AppendPacket(nil, login)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := raw2.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	if err := raw2.WriteMessage(websocket.TextMessage, []byte(`{"opCode":100}`)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err = raw2.ReadMessage(); err != nil {
			break
		}
	}
	if !websocket.IsCloseError(err, protocol.CloseProtocolError) {
		t.Fatalf("want close 1002, got %v", err)
	}
	if got := h.droppedCount("text_frame"); got != 1 {
		t.Fatalf("text frames %v", got)
	}
}

func TestLimits(t *testing.T) {
	opts := testOptions()
	opts.MaxSessions = 2
	opts.MaxPlayersPerSession = 3
	h := newHarness(t, opts)
	if code := h.placeErr(request(4)); code != bus.CodeInvalid {
		t.Fatalf("4 players: %s", code)
	}
	req := request(2)
	req.MaxPlayers = 3
	r1 := h.place(req)
	h.place(request(1))
	if code := h.placeErr(request(1)); code != bus.CodeFull {
		t.Fatalf("third session: %s", code)
	}
	// Backfill into r1: one slot left of 3.
	bf := request(2)
	bf.RelayID, bf.GameSessionID, bf.MaxPlayers = h.relay.RelayID(), r1.GameSessionID, 3
	if code := h.placeErr(bf); code != bus.CodeFull {
		t.Fatalf("backfill of 2: %s", code)
	}
	bf = request(1)
	bf.Players[0].PlayerID = "late"
	bf.RelayID, bf.GameSessionID, bf.MaxPlayers = h.relay.RelayID(), r1.GameSessionID, 3
	got := h.place(bf)
	if got.GameSessionID != r1.GameSessionID || len(got.PlayerSessions) != 1 {
		t.Fatalf("backfill reply %+v", got)
	}
	h.mustDial(got.PlayerSessions[0].PlayerSessionID, client.Options{GameSessionID: r1.GameSessionID})
}

func TestIdempotentPlacement(t *testing.T) {
	h := newHarness(t, testOptions())
	req := request(2)
	first := h.place(req)
	again := h.place(req)
	if first.GameSessionID != again.GameSessionID || first.PlayerSessions[0] != again.PlayerSessions[0] {
		t.Fatalf("repeat placed anew: %+v vs %+v", first, again)
	}
	if n := h.relay.Stats().Sessions; n != 1 {
		t.Fatalf("%d sessions", n)
	}
	other := req
	other.Players = other.Players[:1]
	if code := h.placeErr(other); code != bus.CodeConflict {
		t.Fatalf("conflicting repeat: %s", code)
	}
}

func TestEmptySessionEnds(t *testing.T) {
	opts := testOptions()
	opts.EmptySessionTimeout = 100 * time.Millisecond
	h := newHarness(t, opts)
	reply := h.place(request(1))
	c := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	// A session that a player leaves at once ends empty: by then the
	// timeout has passed for the session with a player too.
	other := h.place(request(1))
	h.mustDial(other.PlayerSessions[0].PlayerSessionID, client.Options{}).Close()
	relaytest.Eventually(t, "the left session's empty end", func() bool {
		e, ok := h.events.endedOf(other.GameSessionID)
		return ok && e.Reason == bus.EndEmpty
	})
	if _, ok := h.events.endedOf(reply.GameSessionID); ok {
		t.Fatal("session with a player ended")
	}
	c.Close()
	relaytest.Eventually(t, "empty end", func() bool {
		e, ok := h.events.endedOf(reply.GameSessionID)
		return ok && e.Reason == bus.EndEmpty
	})
	if n := h.relay.Stats().Sessions; n != 0 {
		t.Fatalf("%d sessions", n)
	}
}

func TestIdleSessionEnds(t *testing.T) {
	opts := testOptions()
	opts.IdleTimeout = 150 * time.Millisecond
	h := newHarness(t, opts)
	reply := h.place(request(1))
	c := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	relaytest.Eventually(t, "idle end", func() bool {
		e, ok := h.events.endedOf(reply.GameSessionID)
		return ok && e.Reason == bus.EndIdle
	})
	<-c.Done()
	if c.CloseCode() != protocol.CloseSessionEnded {
		t.Fatalf("close code %d", c.CloseCode())
	}
}

func TestDrain(t *testing.T) {
	opts := testOptions()
	opts.DrainTimeout = 300 * time.Millisecond
	h := newHarness(t, opts)
	reply := h.place(request(1))
	c := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	done := make(chan error, 1)
	go func() { done <- h.relay.Shutdown(context.Background()) }()
	relaytest.Eventually(t, "draining", func() bool { return h.relay.Stats().Draining })
	req := request(1)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// The relay has left the queue group (no responders) or answers what
	// was buffered with DRAINING; a request that the NATS server routed to
	// the relay while its unsubscribe was on the way is dropped by the client
	// library and times out. The relay never places the match.
	placed, err := h.mm.RequestPlacement(ctx, req)
	var re *bus.ReplyError
	switch {
	case err == nil:
		t.Fatalf("a draining relay placed match %s in game session %s", req.MatchID, placed.GameSessionID)
	case errors.As(err, &re):
		if re.Code != bus.CodeDraining {
			t.Fatalf("placement while draining: refused %s, want DRAINING: %v", re.Code, err)
		}
	case !errors.Is(err, bus.ErrNoResponders) && !errors.Is(err, bus.ErrTimeout):
		t.Fatalf("placement while draining: %v, want no responders, DRAINING or a timeout", err)
	}
	<-c.Done()
	if c.CloseCode() != protocol.CloseGoingAway {
		t.Fatalf("close code %d (%v)", c.CloseCode(), c.Err())
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	relaytest.Eventually(t, "drained end", func() bool {
		e, ok := h.events.endedOf(reply.GameSessionID)
		return ok && e.Reason == bus.EndDrained
	})
}

// TestClientDropsEventsWhenItsBufferIsFull: a client whose Events channel is
// full drops the newer events and counts them; the first stays readable.
func TestClientDropsEventsWhenItsBufferIsFull(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(4))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{EventBuffer: 1})
	for i := 1; i < 4; i++ {
		h.mustDial(reply.PlayerSessions[i].PlayerSessionID, client.Options{})
	}
	relaytest.Eventually(t, "two dropped events", func() bool { return a.DroppedEvents() >= 2 })
	if got := a.DroppedEvents(); got != 2 {
		t.Fatalf("DroppedEvents = %d after three players connected into a buffer of one, want 2", got)
	}
	if e := <-a.Events(); e.Kind != client.PlayerConnected || e.PeerID != 2 {
		t.Fatalf("the event kept is %+v, want the first: peer 2 connected", e)
	}
	select {
	case e := <-a.Events():
		t.Fatalf("a second event %+v from a buffer of one", e)
	default:
	}
}
