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

	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
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
	eventually(t, "a fast message over UDP", func() bool {
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
	eventually(t, "a datagram counted out", func() bool {
		return metricValue(h.reg, "relay_messages_out_total", "udp") >= 1
	})

	// 2000 bytes do not fit UDP: both legs fall back to the WebSocket.
	big := bytes.Repeat([]byte{'x'}, 2000)
	udpIn := metricValue(h.reg, "relay_messages_in_total", "udp")
	if err := a.Send(ctx, 8, client.ToPlayer(b.PeerID()), big, false); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b); m.OpCode != 8 || len(m.Payload) != 2000 {
		t.Fatalf("big message %d %d", m.OpCode, len(m.Payload))
	}
	if got := metricValue(h.reg, "relay_messages_in_total", "udp"); got != udpIn {
		t.Fatalf("a 2000-byte payload went by UDP")
	}

	// C has no UDP path: a fast message reaches it over the WebSocket. The
	// retries of the first leg above may still be on their way out by UDP:
	// count from when the counter has settled.
	udpOut := metricValue(h.reg, "relay_messages_out_total", "udp")
	for range 40 {
		time.Sleep(50 * time.Millisecond)
		now := metricValue(h.reg, "relay_messages_out_total", "udp")
		if now == udpOut {
			break
		}
		udpOut = now
	}
	if err := a.Send(ctx, 9, client.ToPlayer(c.PeerID()), []byte("fallback"), false); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, c); string(m.Payload) != "fallback" {
		t.Fatalf("c got %+v", m)
	}
	if got := metricValue(h.reg, "relay_messages_out_total", "udp"); got != udpOut {
		t.Fatal("the message to a client without UDP went out by UDP")
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
		eventually(t, "drop "+reason, func() bool { return h.droppedCount(reason) > before })
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
