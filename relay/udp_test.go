package relay_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// frameHex decodes a hex frame as docs/protocol.md writes it.
func frameHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawUDP is a UDP socket connected to the relay's fast port.
func (h *harness) rawUDP() *net.UDPConn {
	h.t.Helper()
	c, err := net.DialUDP("udp", nil, h.relay.UDPAddr().(*net.UDPAddr))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// readDatagram returns the next datagram of c, or fails after 2 s.
func readDatagram(t testing.TB, c net.Conn) []byte {
	t.Helper()
	buf := make([]byte, protocol.MaxFrameSize+1)
	if err := c.SetReadDeadline(time.Now().Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no datagram: %v", err)
	}
	return buf[:n]
}

// readPacket returns the next decoded datagram of c that is not a -6.
func readData(t testing.TB, c net.Conn) protocol.Packet {
	t.Helper()
	for {
		var p protocol.Packet
		if err := protocol.DecodePacket(readDatagram(t, c), &p); err != nil {
			t.Fatal(err)
		}
		if p.OpCode != protocol.OpUDPConnectServerAck {
			p.Payload = append([]byte(nil), p.Payload...)
			return p
		}
	}
}

// errRefused is a refusal name as an error.
type errRefused string

func (e errRefused) Error() string { return string(e) }

// rawLogin logs in over a raw WebSocket with the stock SDK's login, plus a
// reconnect token when set, and returns the connection and the login result.
func rawLogin(t testing.TB, url, psid, reconnectToken string) (*websocket.Conn, protocol.LoginResult, error) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	p := protocol.Packet{OpCode: protocol.OpLogin, TargetPlayer: protocol.PeerServer, Reliable: true, Payload: []byte("tok")}
	p.SetMessage(protocol.MessageLogin)
	p.Login = protocol.LoginCommand{PlayerSessionID: psid, ClientVersion: protocol.ClientVersionRealtime, ReconnectToken: reconnectToken}
	if err := ws.WriteMessage(websocket.BinaryMessage, protocol.AppendPacket(nil, &p)); err != nil {
		t.Fatal(err)
	}
	if err := ws.SetReadDeadline(time.Now().Add(3 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var res protocol.Packet
	if err := protocol.DecodePacket(data, &res); err != nil {
		t.Fatal(err)
	}
	if err := ws.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if !res.LoginResult.Success {
		return ws, res.LoginResult, fmt.Errorf("%w: %s", errRefused(res.LoginResult.Refusal.String()), res.LoginResult.Message)
	}
	return ws, res.LoginResult, nil
}

func TestUDPFastMessages(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(3))
	if reply.Endpoint.UDPPort == 0 || reply.Endpoint.UDPPort != h.relay.UDPAddr().(*net.UDPAddr).Port {
		t.Fatalf("endpoint %+v, udp %v", reply.Endpoint, h.relay.UDPAddr())
	}
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{UDP: true})
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{UDP: true})
	c := h.mustDial(reply.PlayerSessions[2].PlayerSessionID, client.Options{})
	if !a.FastBound() || !b.FastBound() || c.FastBound() {
		t.Fatalf("bound: a %v b %v c %v", a.FastBound(), b.FastBound(), c.FastBound())
	}
	if a.LoginResult().FastPort != int32(reply.Endpoint.UDPPort) {
		t.Fatalf("fast port %d", a.LoginResult().FastPort)
	}
	ctx := context.Background()

	// A to B by UDP both ways.
	relaytest.Eventually(t, "a fast message over UDP", func() bool {
		if err := a.Send(ctx, 7, client.ToPlayer(b.PeerID()), []byte("udp"), false); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-b.Messages():
			if string(m.Payload) != "udp" || m.Sender != a.PeerID() {
				t.Fatalf("b got %+v", m)
			}
			return true
		case <-time.After(50 * time.Millisecond):
			return false
		}
	})
	relaytest.Eventually(t, "a datagram counted out", func() bool {
		return relaytest.MetricValue(h.reg, "relay_messages_out_total", "udp") >= 1
	})

	// 2000 bytes do not fit UDP: both legs fall back to the WebSocket. A
	// datagram of the loop above may still arrive (one that took more than
	// its 50 ms): b skips those, and the count checked is the WebSocket's.
	big := bytes.Repeat([]byte{'x'}, 2000)
	wsIn := relaytest.MetricValue(h.reg, "relay_messages_in_total", "websocket")
	if err := a.Send(ctx, 8, client.ToPlayer(b.PeerID()), big, false); err != nil {
		t.Fatal(err)
	}
	m := recv(t, b)
	for m.OpCode == 7 {
		m = recv(t, b)
	}
	if m.OpCode != 8 || len(m.Payload) != 2000 {
		t.Fatalf("big message %d %d", m.OpCode, len(m.Payload))
	}
	if got := relaytest.MetricValue(h.reg, "relay_messages_in_total", "websocket"); got != wsIn+1 {
		t.Fatalf("the 2000-byte payload did not come in by WebSocket: %v messages, want %v", got, wsIn+1)
	}

	// C has no UDP path: a fast message reaches it over the WebSocket, and
	// no datagram is ever stamped for it.
	if err := a.Send(ctx, 9, client.ToPlayer(c.PeerID()), []byte("fallback"), false); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, c); string(m.Payload) != "fallback" {
		t.Fatalf("c got %+v", m)
	}
	if n := relay.FastStamped(h.relay, reply.PlayerSessions[2].PlayerSessionID); n != 0 {
		t.Fatalf("%d datagrams stamped for a client without UDP, want 0", n)
	}
	if n := relay.FastStamped(h.relay, reply.PlayerSessions[1].PlayerSessionID); n < 1 {
		t.Fatalf("%d datagrams stamped for b, which heard a by UDP", n)
	}

	// Pings on both channels.
	for _, cl := range []*client.Client{a, c} {
		rtt, err := cl.Ping(ctx)
		if err != nil || rtt <= 0 {
			t.Fatalf("ping: %v %v", rtt, err)
		}
	}
}

// TestRealtimeSDKHandshake replays the stock Realtime SDK's byte sequences of
// docs/protocol.md 5 over raw sockets: login over the WebSocket, -5 over UDP, -6
// received (and resent until heard), -7 sent, then data both ways.
func TestRealtimeSDKHandshake(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(3))
	ctx := context.Background()
	// Peers 1 and 2 are Go clients, so that the raw client is peer 3 as in the doc.
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{UDP: true})
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})

	psid := reply.PlayerSessions[2].PlayerSessionID
	// The stock login of 5.1 with this player session id: the doc's frame for
	// "psess-1" with the id and the lengths replaced.
	body := append(frameHex(t, "18 ff ff ff ff ff ff ff ff ff 01 30 01 7a 03 74 6f 6b f2 01"),
		byte(len(psid)+4), 0x0a, byte(len(psid)))
	body = append(append(body, psid...), 0x10, 0x02)
	login := append([]byte{byte(len(body))}, body...)
	var lp protocol.Packet
	if err := protocol.DecodePacket(login, &lp); err != nil || lp.Login.PlayerSessionID != psid {
		t.Fatalf("login frame: %v", err)
	}
	ws, _, err := websocket.DefaultDialer.Dial(h.url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteMessage(websocket.BinaryMessage, login); err != nil {
		t.Fatal(err)
	}
	_, data, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var res protocol.Packet
	if err := protocol.DecodePacket(data, &res); err != nil {
		t.Fatal(err)
	}
	lr := res.LoginResult
	if res.OpCode != protocol.OpLoginResult || res.TargetPlayer != 3 || res.Sender != protocol.PeerServer || !res.Reliable ||
		!lr.Success || lr.PeerID != 3 || lr.FastPort != int32(reply.Endpoint.UDPPort) || lr.ConnectToken == "" ||
		lr.ReconnectToken == "" || len(lr.CACert) != 0 || lr.ReconnectGraceMillis != 30000 {
		t.Fatalf("login result %+v", res)
	}

	u := h.rawUDP()
	// Stock -5: sequence 1, target -1, sender 3, empty udpConnect.
	if _, err := u.Write(frameHex(t, "14 08 09 10 01 18 ff ff ff ff ff ff ff ff ff 01 28 03 92 02 00")); err != nil {
		t.Fatal(err)
	}
	want6 := "0f 08 0b 10 01 28 ff ff ff ff ff ff ff ff ff 01"
	if got := readDatagram(t, u); !bytes.Equal(got, frameHex(t, want6)) {
		t.Fatalf("-6: got % x, want %s", got, want6)
	}
	// Not heard yet: the relay resends -6 (sequence 2).
	if got := readDatagram(t, u); !bytes.Equal(got, frameHex(t, "0f 08 0b 10 02 28 ff ff ff ff ff ff ff ff ff 01")) {
		t.Fatalf("resent -6: % x", got)
	}
	// Stock -7: sequence 2.
	if _, err := u.Write(frameHex(t, "14 08 0d 10 02 18 ff ff ff ff ff ff ff ff ff 01 28 03 92 02 00")); err != nil {
		t.Fatal(err)
	}
	// The doc's data example: peer 3 to all players, op 1, fast, sequence 7, payload ff.
	if _, err := u.Write(frameHex(t, "14 08 02 10 07 20 ff ff ff ff ff ff ff ff ff 01 28 03 7a 01 ff")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Client{a, b} {
		if m := recv(t, c); m.OpCode != 1 || m.Sender != 3 || !bytes.Equal(m.Payload, []byte{0xff}) || m.TargetGroup != -1 {
			t.Fatalf("data from the stock client: %+v", m)
		}
	}
	// A fast message to peer 3 arrives by UDP, sequenced after the -6s.
	if err := a.Send(ctx, 100, client.ToPlayer(3), []byte("hi"), false); err != nil {
		t.Fatal(err)
	}
	p := readData(t, u)
	if p.OpCode != 100 || p.Sender != a.PeerID() || p.Reliable || p.SequenceNumber < 3 || string(p.Payload) != "hi" {
		t.Fatalf("fast message to the stock client: %+v", p)
	}
	// Stock clients get no -101/-103 and no -2 from the relay; a WebSocket ping is
	// answered by the library.
	if err := ws.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, data, err := ws.ReadMessage(); err == nil {
		t.Fatalf("unexpected packet for a stock client: % x", data)
	}
}

func TestUDPSpoofedAndBadDatagrams(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(2))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	_, lr, err := rawLogin(t, h.url, reply.PlayerSessions[1].PlayerSessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	pkt := func(op, seq, sender int32, token string) []byte {
		p := protocol.Packet{OpCode: op, SequenceNumber: seq, Sender: sender, TargetPlayer: a.PeerID(), Payload: []byte("x")}
		if op == protocol.OpUDPConnect {
			p.TargetPlayer, p.Payload = protocol.PeerServer, nil
			p.SetMessage(protocol.MessageUDPConnect)
			p.UDPConnect.ConnectToken = token
		}
		return protocol.AppendPacket(nil, &p)
	}
	send := func(c *net.UDPConn, b []byte) {
		if _, err := c.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	waitDrop := func(reason string, before float64) {
		t.Helper()
		relaytest.Eventually(t, "drop "+reason, func() bool { return h.droppedCount(reason) > before })
	}

	// From an address bound to nobody.
	stranger := h.rawUDP()
	n := h.droppedCount("unbound")
	send(stranger, pkt(5, 1, lr.PeerID, ""))
	waitDrop("unbound", n)

	// A -5 with a wrong connect token is dropped and not answered.
	n = h.droppedCount("bad_token")
	send(stranger, pkt(protocol.OpUDPConnect, 1, lr.PeerID, "wrong"))
	waitDrop("bad_token", n)

	// Bind with the connect token, hear -6, send -7.
	u := h.rawUDP()
	send(u, pkt(protocol.OpUDPConnect, 1, lr.PeerID, lr.ConnectToken))
	var ack protocol.Packet
	if err := protocol.DecodePacket(readDatagram(t, u), &ack); err != nil || ack.OpCode != protocol.OpUDPConnectServerAck {
		t.Fatalf("ack %+v %v", ack, err)
	}
	ackPkt := protocol.Packet{OpCode: protocol.OpUDPConnectClientAck, SequenceNumber: 2, Sender: lr.PeerID, TargetPlayer: -1}
	send(u, protocol.AppendPacket(nil, &ackPkt))

	// A valid message arrives.
	send(u, pkt(5, 10, lr.PeerID, ""))
	if m := recv(t, a); m.OpCode != 5 || m.Sender != lr.PeerID {
		t.Fatalf("a got %+v", m)
	}
	// Wrong sender id from the bound address.
	n = h.droppedCount("spoofed")
	send(u, pkt(5, 11, a.PeerID(), ""))
	waitDrop("spoofed", n)
	// Replayed (older) sequence number.
	n = h.droppedCount("sequence")
	send(u, pkt(5, 10, lr.PeerID, ""))
	waitDrop("sequence", n)
	// Malformed.
	n = h.droppedCount("malformed")
	send(u, []byte{0x05, 0x08})
	waitDrop("malformed", n)
	// Oversized datagram.
	n = h.droppedCount("too_large")
	send(u, make([]byte, protocol.MaxFrameSize+100))
	waitDrop("too_large", n)
	// Developer payload over 1200 bytes on UDP.
	n = h.droppedCount("too_large")
	big := protocol.Packet{OpCode: 5, SequenceNumber: 20, Sender: lr.PeerID, TargetPlayer: a.PeerID(), Payload: make([]byte, 1300)}
	send(u, protocol.AppendPacket(nil, &big))
	waitDrop("too_large", n)
	noMessage(t, a)
	// Still bound: a newer valid message arrives.
	send(u, pkt(6, 30, lr.PeerID, ""))
	if m := recv(t, a); m.OpCode != 6 {
		t.Fatalf("a got %+v", m)
	}
}

// datagram encodes a client datagram: a -5 (target -1, with token when not
// empty) or a data or control packet to target.
func datagram(op, seq, sender, target int32, token string, payload []byte) []byte {
	p := protocol.Packet{OpCode: op, SequenceNumber: seq, Sender: sender, TargetPlayer: target, Payload: payload}
	if op == protocol.OpUDPConnect || op == protocol.OpUDPConnectClientAck {
		p.TargetPlayer, p.Payload = protocol.PeerServer, nil
		p.SetMessage(protocol.MessageUDPConnect)
		p.UDPConnect.ConnectToken = token
	}
	return protocol.AppendPacket(nil, &p)
}

// write sends datagram b on c.
func write(t testing.TB, c *net.UDPConn, b []byte) {
	t.Helper()
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// bindRaw sends -5 (with token when not empty, sequence 1) from u for peer id,
// waits for -6 and answers -7 (sequence 2).
func bindRaw(t testing.TB, u *net.UDPConn, id int32, token string) {
	t.Helper()
	write(t, u, datagram(protocol.OpUDPConnect, 1, id, 0, token, nil))
	var ack protocol.Packet
	if err := protocol.DecodePacket(readDatagram(t, u), &ack); err != nil || ack.OpCode != protocol.OpUDPConnectServerAck {
		t.Fatalf("-6: %+v %v", ack, err)
	}
	write(t, u, datagram(protocol.OpUDPConnectClientAck, 2, id, 0, "", nil))
}

// quiet checks that c receives no datagram for a short while.
func quiet(t testing.TB, c net.Conn, what string) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, protocol.MaxFrameSize+1)
	if n, err := c.Read(buf); err == nil {
		var p protocol.Packet
		_ = protocol.DecodePacket(buf[:n], &p)
		t.Fatalf("%s received op %d from %d: %q", what, p.OpCode, p.Sender, p.Payload)
	}
}

func (h *harness) bindRefusedCount(reason string) float64 {
	return relaytest.MetricValue(h.reg, "relay_udp_bind_refused_total", reason)
}

// TestUDPTokenlessRebindRefused is issue 14 item 2: a -5 without connect token,
// from the victim's IP but another port, does not take over the fast path of a
// peer bound with its token.
func TestUDPTokenlessRebindRefused(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(2))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{UDP: true})
	if !a.FastBound() {
		t.Fatal("a has no fast path")
	}
	_, lr, err := rawLogin(t, h.url, reply.PlayerSessions[1].PlayerSessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	victim := h.rawUDP()
	bindRaw(t, victim, lr.PeerID, lr.ConnectToken)
	write(t, victim, datagram(1, 3, lr.PeerID, a.PeerID(), "", []byte("v1")))
	if m := recv(t, a); string(m.Payload) != "v1" || m.Sender != lr.PeerID {
		t.Fatalf("a got %+v", m)
	}

	// The attacker: same IP (127.0.0.1), another port, the victim's id, no token.
	attacker := h.rawUDP()
	refused := h.bindRefusedCount("rebind_without_token")
	refusedIn := relaytest.MetricValue(h.reg, "relay_udp_refused_datagrams_total", "bind_refused")
	write(t, attacker, datagram(protocol.OpUDPConnect, 1, lr.PeerID, 0, "", nil))
	relaytest.Eventually(t, "the tokenless -5 refused", func() bool { return h.bindRefusedCount("rebind_without_token") > refused })
	if got := relaytest.MetricValue(h.reg, "relay_udp_refused_datagrams_total", "bind_refused"); got != refusedIn+1 {
		t.Fatalf("refused datagrams (bind_refused) %v, want %v", got, refusedIn+1)
	}
	quiet(t, attacker, "the attacker (a -6)")

	// Its datagrams do not reach a as the victim.
	unbound := h.droppedCount("unbound")
	write(t, attacker, datagram(protocol.OpUDPConnectClientAck, 2, lr.PeerID, 0, "", nil))
	write(t, attacker, datagram(1, 3, lr.PeerID, a.PeerID(), "", []byte("forged")))
	relaytest.Eventually(t, "the attacker's datagrams dropped", func() bool { return h.droppedCount("unbound") >= unbound+2 })

	// The victim's fast messages still flow, and what is meant for it reaches it.
	write(t, victim, datagram(1, 4, lr.PeerID, a.PeerID(), "", []byte("v2")))
	if m := recv(t, a); string(m.Payload) != "v2" || m.Sender != lr.PeerID {
		t.Fatalf("a got %+v, want the victim's v2", m)
	}
	if err := a.Send(context.Background(), 9, client.ToPlayer(lr.PeerID), []byte("to victim"), false); err != nil {
		t.Fatal(err)
	}
	if p := readData(t, victim); p.OpCode != 9 || string(p.Payload) != "to victim" || p.Sender != a.PeerID() {
		t.Fatalf("victim got %+v", p)
	}
	quiet(t, attacker, "the attacker")
}

// TestUDPBindingProofs keeps the legitimate bindings of docs/protocol.md 8.1
// working under the rule that a binding moves only with the connect token and
// never for a datagram that proves less: a stock client's repeated -5, a
// connect token replacing a tokenless binding and re-binding from a new port
// (NAT rebinding); and it refuses a tokenless -5 from an address that another
// peer bound with its token.
func TestUDPBindingProofs(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(3))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	_, s, err := rawLogin(t, h.url, reply.PlayerSessions[1].PlayerSessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	_, m, err := rawLogin(t, h.url, reply.PlayerSessions[2].PlayerSessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	expect := func(from int32, payload string) {
		t.Helper()
		if got := recv(t, a); got.Sender != from || string(got.Payload) != payload {
			t.Fatalf("a got %+v, want %q from %d", got, payload, from)
		}
	}
	ack := func(c *net.UDPConn) {
		t.Helper()
		var p protocol.Packet
		if err := protocol.DecodePacket(readDatagram(t, c), &p); err != nil || p.OpCode != protocol.OpUDPConnectServerAck {
			t.Fatalf("want -6, got %+v %v", p, err)
		}
	}

	// A stock client repeats its -5 (as when its -6 is lost): it is answered
	// again and the binding stays.
	stock := h.rawUDP()
	bindRaw(t, stock, s.PeerID, "")
	write(t, stock, datagram(protocol.OpUDPConnect, 3, s.PeerID, 0, "", nil))
	ack(stock)
	write(t, stock, datagram(1, 4, s.PeerID, a.PeerID(), "", []byte("s1")))
	expect(s.PeerID, "s1")

	// A tokenless -5 bound m first (from m's IP, by anyone there); m's -5
	// with its token takes the binding over: it proves more.
	squat := h.rawUDP()
	bindRaw(t, squat, m.PeerID, "")
	first := h.rawUDP()
	bindRaw(t, first, m.PeerID, m.ConnectToken)
	write(t, first, datagram(1, 3, m.PeerID, a.PeerID(), "", []byte("m1")))
	expect(m.PeerID, "m1")
	unbound := h.droppedCount("unbound")
	write(t, squat, datagram(1, 3, m.PeerID, a.PeerID(), "", []byte("squat")))
	relaytest.Eventually(t, "the replaced binding's datagram dropped", func() bool { return h.droppedCount("unbound") > unbound })

	// NAT rebinding: m's token from a new port moves its binding there.
	moved := h.rawUDP()
	bindRaw(t, moved, m.PeerID, m.ConnectToken)
	write(t, moved, datagram(1, 3, m.PeerID, a.PeerID(), "", []byte("m2")))
	expect(m.PeerID, "m2")
	unbound = h.droppedCount("unbound")
	write(t, first, datagram(1, 4, m.PeerID, a.PeerID(), "", []byte("old port")))
	relaytest.Eventually(t, "the old port's datagram dropped", func() bool { return h.droppedCount("unbound") > unbound })

	// A tokenless -5 for a (which has no binding) from m's token-bound address
	// is refused: it would replace a binding it proves less than.
	taken := h.bindRefusedCount("address_taken")
	write(t, moved, datagram(protocol.OpUDPConnect, 4, a.PeerID(), 0, "", nil))
	relaytest.Eventually(t, "the -5 from a taken address refused", func() bool { return h.bindRefusedCount("address_taken") > taken })
	write(t, moved, datagram(1, 5, m.PeerID, a.PeerID(), "", []byte("m3")))
	expect(m.PeerID, "m3")
	write(t, stock, datagram(1, 5, s.PeerID, a.PeerID(), "", []byte("s2")))
	expect(s.PeerID, "s2")
	noMessage(t, a)
}

// TestUDPCountsAcceptedAndRefused is issue 14 item 7: relay_messages_in_total
// counts the datagrams accepted, relay_udp_refused_datagrams_total the others.
func TestUDPCountsAcceptedAndRefused(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(2))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	_, lr, err := rawLogin(t, h.url, reply.PlayerSessions[1].PlayerSessionID, "")
	if err != nil {
		t.Fatal(err)
	}
	refused := func() float64 {
		var n float64
		for _, r := range []string{"malformed", "unbound", "spoofed", "bad_token", "sequence"} {
			n += relaytest.MetricValue(h.reg, "relay_udp_refused_datagrams_total", r)
		}
		return n
	}
	u := h.rawUDP()
	bindRaw(t, u, lr.PeerID, lr.ConnectToken)
	write(t, u, datagram(1, 3, lr.PeerID, a.PeerID(), "", []byte("x")))
	recv(t, a)
	in := relaytest.MetricValue(h.reg, "relay_messages_in_total", "udp")
	if in != 3 {
		t.Fatalf("messages in (udp) %v after -5, -7 and a message, want 3", in)
	}

	before := refused()
	stranger := h.rawUDP()
	write(t, stranger, []byte{0x05, 0x08})                                             // malformed
	write(t, stranger, datagram(1, 1, lr.PeerID, a.PeerID(), "", []byte("x")))         // unbound
	write(t, stranger, datagram(protocol.OpUDPConnect, 2, lr.PeerID, 0, "wrong", nil)) // bad_token
	write(t, u, datagram(1, 4, a.PeerID(), a.PeerID(), "", []byte("x")))               // spoofed
	write(t, u, datagram(1, 3, lr.PeerID, a.PeerID(), "", []byte("x")))                // sequence
	relaytest.Eventually(t, "5 refused datagrams", func() bool { return refused() == before+5 })
	write(t, u, datagram(1, 5, lr.PeerID, a.PeerID(), "", []byte("y")))
	if m := recv(t, a); string(m.Payload) != "y" {
		t.Fatalf("a got %+v", m)
	}
	if got := relaytest.MetricValue(h.reg, "relay_messages_in_total", "udp"); got != in+1 {
		t.Fatalf("messages in (udp) %v, want %v: refused datagrams were counted", got, in+1)
	}
}
