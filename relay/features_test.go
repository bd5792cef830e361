package relay_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/dtls/v3"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// newTLSHarness is a harness whose relay has a development certificate: its
// wss:// URL, the CA's PEM and a pool that trusts it.
func newTLSHarness(t *testing.T) (h *harness, wss string, caPEM []byte, roots *x509.CertPool) {
	t.Helper()
	cfg, caPEM, err := relay.DevCertificate("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.TLS = cfg
	h = newHarness(t, opts)
	roots = x509.NewCertPool()
	if !roots.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA does not parse")
	}
	return h, strings.Replace(h.url, "ws://", "wss://", 1), caPEM, roots
}

func TestTLSAndDTLS(t *testing.T) {
	h, wss, caPEM, roots := newTLSHarness(t)
	reply := h.place(request(2))
	// Without trusting the CA, wss fails.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := client.Dial(ctx, wss, reply.PlayerSessions[0].PlayerSessionID, nil, client.Options{}); err == nil {
		t.Fatal("wss with an untrusted certificate succeeded")
	}
	// A trusts the CA for wss and takes the DTLS trust from the login result; B
	// trusts it for both.
	wssOnly := websocket.Dialer{TLSClientConfig: &tls.Config{RootCAs: roots}, HandshakeTimeout: 5 * time.Second}
	a, err := client.Dial(ctx, wss, reply.PlayerSessions[0].PlayerSessionID, nil, client.Options{UDP: true, Dialer: &wssOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := client.Dial(ctx, wss, reply.PlayerSessions[1].PlayerSessionID, nil, client.Options{UDP: true, RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !bytes.Equal(a.LoginResult().CACert, caPEM) {
		t.Fatalf("login result CA:\n%s", a.LoginResult().CACert)
	}
	if !a.FastBound() || !b.FastBound() {
		t.Fatalf("DTLS bound: a %v b %v", a.FastBound(), b.FastBound())
	}
	udpOut := relaytest.MetricValue(h.reg, "relay_messages_out_total", "udp")
	if err := a.Send(ctx, 3, client.ToPlayer(b.PeerID()), []byte("dtls"), false); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b); string(m.Payload) != "dtls" || m.Sender != a.PeerID() {
		t.Fatalf("b got %+v", m)
	}
	if err := b.Send(ctx, 4, client.ToPlayer(a.PeerID()), []byte("wss"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, a); string(m.Payload) != "wss" {
		t.Fatalf("a got %+v", m)
	}
	relaytest.Eventually(t, "the fast message over DTLS", func() bool {
		return relaytest.MetricValue(h.reg, "relay_messages_out_total", "udp") > udpOut
	})
	if rtt, err := a.Ping(ctx); err != nil || rtt <= 0 {
		t.Fatalf("ping over DTLS: %v %v", rtt, err)
	}

	// A DTLS association with a wrong connect token is refused (-15 success
	// false) and counted.
	n := h.droppedCount("bad_token")
	dc, err := dtls.DialWithOptions("udp", h.relay.UDPAddr().(*net.UDPAddr), dtls.WithRootCAs(roots),
		dtls.WithServerName("localhost"))
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if err := dc.HandshakeContext(ctx); err != nil {
		t.Fatal(err)
	}
	vi := protocol.Packet{OpCode: protocol.OpVerifyIdentity, Sender: a.PeerID()}
	vi.SetMessage(protocol.MessageVerifyIdentity)
	vi.VerifyIdentity = protocol.VerifyIdentityCommand{PeerID: a.PeerID(), ConnectToken: "forged"}
	if _, err := dc.Write(protocol.AppendPacket(nil, &vi)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 256)
	if err := dc.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	k, err := dc.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var res protocol.Packet
	if err := protocol.DecodePacket(buf[:k], &res); err != nil || res.OpCode != protocol.OpVerifyIdentityResult ||
		res.VerifyIdentityResult.Success {
		t.Fatalf("verify identity with a forged token: %+v %v", res, err)
	}
	if h.droppedCount("bad_token") != n+1 {
		t.Fatal("forged token not counted")
	}
	// A is still bound and reachable by DTLS.
	if err := b.Send(ctx, 5, client.ToPlayer(a.PeerID()), []byte("still"), false); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, a); string(m.Payload) != "still" {
		t.Fatalf("a got %+v", m)
	}
}

func TestReconnect(t *testing.T) {
	opts := testOptions()
	opts.ReconnectGrace = time.Second
	h := newHarness(t, opts)
	reply := h.place(request(3))
	ctx := context.Background()
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})

	// A raw client joins group 4, then its TCP connection drops.
	psid := reply.PlayerSessions[1].PlayerSessionID
	ws, lr, err := rawLogin(t, h.url, psid, "")
	if err != nil {
		t.Fatal(err)
	}
	join := protocol.Packet{OpCode: protocol.OpJoinGroup, Sender: lr.PeerID, TargetPlayer: -1}
	join.SetMessage(protocol.MessageJoinGroup)
	join.JoinGroup.Group = 4
	if err := ws.WriteMessage(websocket.BinaryMessage, protocol.AppendPacket(nil, &join)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ws.ReadMessage(); err != nil {
		t.Fatal(err)
	}
	ws.UnderlyingConn().Close()
	// Let the relay see the drop, so that the login below resumes a held peer
	// (a reconnect before it does works too, through the other path). A fixed
	// pause: nothing outside the relay shows that it holds the peer.
	time.Sleep(50 * time.Millisecond)

	// Within the grace period: same peer id, still in group 4, new tokens.
	ws2, lr2, err := rawLogin(t, h.url, psid, lr.ReconnectToken)
	if err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	if lr2.PeerID != lr.PeerID || lr2.ReconnectToken == lr.ReconnectToken || lr2.ConnectToken == lr.ConnectToken {
		t.Fatalf("reconnect result %+v, first %+v", lr2, lr)
	}
	if err := a.Send(ctx, 9, client.ToGroup(4), []byte("still here"), true); err != nil {
		t.Fatal(err)
	}
	_, data, err := ws2.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var got protocol.Packet
	if err := protocol.DecodePacket(data, &got); err != nil || string(got.Payload) != "still here" {
		t.Fatalf("group message after reconnect: %+v %v", got, err)
	}
	// A token works once.
	if _, _, err := rawLogin(t, h.url, psid, lr.ReconnectToken); !errors.Is(err, errRefused("reconnect_failed")) {
		t.Fatalf("reused token: %v", err)
	}

	// The Go client's Reconnect on a live connection: the old one is replaced.
	c := h.mustDial(reply.PlayerSessions[2].PlayerSessionID, client.Options{UDP: true})
	c2, err := c.Reconnect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if c2.PeerID() != c.PeerID() || !c2.FastBound() {
		t.Fatalf("reconnected peer %d (was %d), bound %v", c2.PeerID(), c.PeerID(), c2.FastBound())
	}
	if err := a.Send(ctx, 10, client.ToPlayer(c2.PeerID()), []byte("fast again"), false); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, c2); string(m.Payload) != "fast again" {
		t.Fatalf("c2 got %+v", m)
	}

	// After the grace period the peer is gone and its token refused.
	ws2.UnderlyingConn().Close()
	relaytest.Eventually(t, "the held player to leave", func() bool {
		h.events.mu.Lock()
		defer h.events.mu.Unlock()
		for _, l := range h.events.left {
			if l.PeerID == int(lr.PeerID) {
				return true
			}
		}
		return false
	})
	if _, _, err := rawLogin(t, h.url, psid, lr2.ReconnectToken); !errors.Is(err, errRefused("reconnect_failed")) {
		t.Fatalf("reconnect after grace: %v", err)
	}
}

func TestIdleConnectionClosed(t *testing.T) {
	opts := testOptions()
	opts.PingInterval = 50 * time.Millisecond
	opts.ConnectionIdleTimeout = 300 * time.Millisecond
	h := newHarness(t, opts)
	reply := h.place(request(2))
	// A Go client answers pings and stays.
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	// A raw client that ignores pings is closed with 4004.
	ws, _, err := rawLogin(t, h.url, reply.PlayerSessions[1].PlayerSessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	pings := 0
	ws.SetPingHandler(func(string) error { pings++; return nil })
	if err := ws.SetReadDeadline(time.Now().Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	for {
		if _, _, err = ws.ReadMessage(); err != nil {
			break
		}
	}
	if !websocket.IsCloseError(err, protocol.CloseIdle) || pings < 2 {
		t.Fatalf("idle close: %v after %d pings", err, pings)
	}
	select {
	case <-a.Done():
		t.Fatalf("the live client was closed: %v", a.Err())
	default:
	}
	relaytest.Eventually(t, "a round-trip time measured from a pong", func() bool {
		mfs, err := h.reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "relay_rtt_seconds" && mf.GetMetric()[0].GetHistogram().GetSampleCount() > 0 {
				return true
			}
		}
		return false
	})
}

// TestHTTPTimeoutsSpareWebSockets: a keep-alive HTTP connection left idle
// on the WebSocket listener is closed by HTTPIdleTimeout, while WebSockets
// opened before it go on past every HTTP timeout.
func TestHTTPTimeoutsSpareWebSockets(t *testing.T) {
	opts := testOptions()
	const timeout = 100 * time.Millisecond
	opts.HTTPReadTimeout, opts.HTTPWriteTimeout, opts.HTTPIdleTimeout = timeout, timeout, timeout
	h := newHarness(t, opts)
	reply := h.place(request(2))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})

	idle, err := net.Dial("tcp", h.relay.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := io.WriteString(idle, "GET /nothing HTTP/1.1\r\nHost: relay\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(idle), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// The bound only keeps a failing test from hanging.
	_ = idle.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := idle.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("the idle keep-alive connection: read %d bytes, %v; want it closed by the relay", n, err)
	}

	// The WebSockets are older than the idle connection: their handshake's
	// timeouts have passed.
	ctx := context.Background()
	if err := a.Send(ctx, 1, client.ToPlayer(b.PeerID()), []byte("after"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b); string(m.Payload) != "after" {
		t.Fatalf("b received %q", m.Payload)
	}
	if err := b.Send(ctx, 1, client.ToPlayer(a.PeerID()), []byte("back"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, a); string(m.Payload) != "back" {
		t.Fatalf("a received %q", m.Payload)
	}
}

func TestRateAndConnectionLimits(t *testing.T) {
	opts := testOptions()
	opts.MaxMessagesPerSecond = 10
	opts.MaxConnectionsPerIP = 2
	h := newHarness(t, opts)
	reply := h.place(request(3))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})
	ctx := context.Background()

	// A third connection from 127.0.0.1 is closed as it is accepted.
	if c, err := h.dial(reply.PlayerSessions[2].PlayerSessionID, client.Options{}); err == nil {
		c.Close()
		t.Fatal("a third connection from 127.0.0.1 was admitted")
	}
	if relaytest.MetricValue(h.reg, "relay_refused_connections_total", "") != 1 {
		t.Fatal("refused connection not counted")
	}

	// 50 messages at once: the burst of 10 passes, and the bucket's refill
	// of 10/s for as long as the burst took to arrive; the rest is dropped.
	start := time.Now()
	for i := range 50 {
		if err := a.Send(ctx, 1, client.ToPlayer(b.PeerID()), []byte{byte(i)}, true); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	relaytest.Eventually(t, "every message delivered or dropped", func() bool {
		for {
			select {
			case <-b.Messages():
				n++
				continue
			default:
			}
			return n+int(h.droppedCount("rate_limited")) == 50
		}
	})
	refilled := int(10*time.Since(start).Seconds()) + 1
	if n < 10 || n > 10+refilled {
		t.Fatalf("%d messages passed a limit of 10/s with a burst of 10, in %v", n, time.Since(start))
	}
	// The connection survives and the bucket refills, with time: nothing to
	// wait on but the clock.
	time.Sleep(300 * time.Millisecond)
	if err := a.Send(ctx, 2, client.ToPlayer(b.PeerID()), []byte("later"), true); err != nil {
		t.Fatal(err)
	}
	for {
		if m := recv(t, b); m.OpCode == 2 {
			break
		}
	}
}

func TestAutomaticBackfill(t *testing.T) {
	h := newHarness(t, testOptions())
	var mu sync.Mutex
	var reqs []bus.BackfillRequest
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := h.mm.ServeBackfills(ctx, "", "", func(_ context.Context, r bus.BackfillRequest) bus.BackfillReply {
		mu.Lock()
		reqs = append(reqs, r)
		mu.Unlock()
		return bus.BackfillReply{TicketID: r.RequestID}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// Without BackfillLeaversProperty, a player leaving an AUTOMATIC
	// session asks for nothing (FlexMatch's automatic backfill does not
	// replace leavers): only the second session's leaver is backfilled.
	noLeavers := request(2)
	noLeavers.BackfillMode = relay.BackfillAutomatic
	plainReply := h.place(noLeavers)
	x := h.mustDial(plainReply.PlayerSessions[0].PlayerSessionID, client.Options{})
	h.mustDial(plainReply.PlayerSessions[1].PlayerSessionID, client.Options{}).Close()
	nextEvent(t, x, client.PlayerDisconnected)
	req := request(3)
	req.BackfillMode = relay.BackfillAutomatic
	req.GameProperties = append(req.GameProperties, bus.GameProperty{Key: relay.BackfillLeaversProperty, Value: "true"})
	req.Players[1].Team = "blue"
	req.Players[0].LatencyInMs = map[string]int{"test": 20, "other": 80}
	req.Players[2].LatencyInMs = map[string]int{"test": 35}
	reply := h.place(req)
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})
	b.Close()
	relaytest.Eventually(t, "a backfill request", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(reqs) == 1
	})
	mu.Lock()
	r := reqs[0]
	mu.Unlock()
	if r.GameSessionID != reply.GameSessionID || r.GameSessionARN != reply.GameSessionARN || r.RelayID != h.relay.RelayID() ||
		r.Configuration != "cfg" || r.Region != "test" || r.RequestID == "" {
		t.Fatalf("backfill request %+v", r)
	}
	// The remaining player and the live reservation of player 3, not the
	// leaver, with the latencies of the placement.
	if len(r.Players) != 2 || r.Players[0].PlayerID != "player-1" || r.Players[1].PlayerID != "player-3" ||
		r.Players[0].Team != "red" || string(r.Players[0].Attributes) != `{"skill":{"N":10}}` ||
		!maps.Equal(r.Players[0].LatencyInMs, req.Players[0].LatencyInMs) || !maps.Equal(r.Players[1].LatencyInMs, req.Players[2].LatencyInMs) {
		t.Fatalf("backfill players %+v", r.Players)
	}
	relaytest.Eventually(t, "the backfill request counted", func() bool {
		return relaytest.MetricValue(h.reg, "relay_backfill_requests_total", "ok") == 1
	})

	// The matchmaker's backfill placement lands in the running session.
	bf := bus.PlacementRequest{MatchID: "backfill-match", Configuration: "cfg", Region: "test", RelayID: r.RelayID,
		GameSessionID: r.GameSessionID, Players: []bus.Player{{PlayerID: "player-9", Team: "blue"}}, MaxPlayers: 3,
		Deadline: time.Now().Add(5 * time.Second)}
	bfReply := h.place(bf)
	if bfReply.GameSessionID != reply.GameSessionID || len(bfReply.PlayerSessions) != 1 {
		t.Fatalf("backfill placement %+v", bfReply)
	}
	c := h.mustDial(bfReply.PlayerSessions[0].PlayerSessionID, client.Options{})
	if c.PeerID() != 3 {
		t.Fatalf("backfilled player peer %d", c.PeerID())
	}
	for e := nextEvent(t, a, client.PlayerConnected); e.PeerID != 3; e = nextEvent(t, a, client.PlayerConnected) {
	}

	// Sessions without AUTOMATIC backfill send none.
	plain := h.place(request(2))
	d := h.mustDial(plain.PlayerSessions[0].PlayerSessionID, client.Options{})
	h.mustDial(plain.PlayerSessions[1].PlayerSessionID, client.Options{})
	d.Close()
	relaytest.Eventually(t, "the player left", func() bool {
		h.events.mu.Lock()
		defer h.events.mu.Unlock()
		for _, v := range h.events.left {
			if v.GameSessionID == plain.GameSessionID {
				return true
			}
		}
		return false
	})
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 1 {
		t.Fatalf("%d backfill requests", len(reqs))
	}
}

// TestDTLSBoundBeforeVerifyResult binds many DTLS associations at once, each
// sent a fast message the moment its -15 has been read: every message arrives
// over its association, none over the WebSocket (the relay makes the
// association the peer's fast path before -15 leaves).
func TestDTLSBoundBeforeVerifyResult(t *testing.T) {
	h, wss, _, roots := newTLSHarness(t)
	const sessions = 16
	var wg sync.WaitGroup
	var overDTLS, lost atomic.Int32
	for i := range sessions {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			reply := h.place(request(2))
			a, err := client.Dial(ctx, wss, reply.PlayerSessions[0].PlayerSessionID, nil, client.Options{UDP: true, RootCAs: roots})
			if err != nil {
				t.Error(err)
				return
			}
			defer a.Close()
			b, err := client.Dial(ctx, wss, reply.PlayerSessions[1].PlayerSessionID, nil, client.Options{RootCAs: roots})
			if err != nil {
				t.Error(err)
				return
			}
			defer b.Close()
			dc, err := dtls.DialWithOptions("udp", h.relay.UDPAddr().(*net.UDPAddr), dtls.WithRootCAs(roots),
				dtls.WithServerName("localhost"))
			if err != nil {
				t.Error(err)
				return
			}
			defer dc.Close()
			if err := dc.HandshakeContext(ctx); err != nil {
				t.Error(err)
				return
			}
			vi := protocol.Packet{OpCode: protocol.OpVerifyIdentity, Sender: b.PeerID()}
			vi.SetMessage(protocol.MessageVerifyIdentity)
			vi.VerifyIdentity = protocol.VerifyIdentityCommand{PeerID: b.PeerID(), ConnectToken: b.LoginResult().ConnectToken}
			if _, err := dc.Write(protocol.AppendPacket(nil, &vi)); err != nil {
				t.Error(err)
				return
			}
			if err := dc.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
				t.Error(err)
				return
			}
			buf := make([]byte, protocol.MaxFrameSize+1)
			var in protocol.Packet
			for in.OpCode != protocol.OpVerifyIdentityResult {
				n, err := dc.Read(buf)
				if err != nil || protocol.DecodePacket(buf[:n], &in) != nil {
					t.Errorf("session %d: verify identity result: %v", i, err)
					return
				}
			}
			if !in.VerifyIdentityResult.Success {
				t.Errorf("session %d: verify identity refused", i)
				return
			}
			if err := a.Send(ctx, 3, client.ToPlayer(b.PeerID()), []byte("first"), false); err != nil {
				t.Error(err)
				return
			}
			go func() {
				if m, ok := <-b.Messages(); ok && string(m.Payload) == "first" {
					lost.Add(1)
					dc.Close()
				}
			}()
			for {
				n, err := dc.Read(buf)
				if err != nil {
					return
				}
				if protocol.DecodePacket(buf[:n], &in) == nil && in.OpCode == 3 && string(in.Payload) == "first" {
					overDTLS.Add(1)
					return
				}
			}
		})
	}
	wg.Wait()
	if d, l := overDTLS.Load(), lost.Load(); d != sessions || l != 0 {
		t.Fatalf("of %d first fast messages, %d arrived over DTLS and %d over the WebSocket", sessions, d, l)
	}
}
