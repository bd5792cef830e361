package integration

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// forged is the payload of the attacker's datagram.
const forged = "forged"

// TestUDPRebindHijackRefused is issue 14 item 2 against a relay process: a
// player's fast path, bound with its connect token, is not taken over by a -5
// without token from the player's IP but another port. The attacker gets no
// -6 and nothing meant for the player, its datagrams do not reach the other
// player as the victim, the victim's fast messages still flow, and the relay
// counts the refusal.
func TestUDPRebindHijackRefused(t *testing.T) {
	c := newCluster(t, clusterOptions{matchmakers: 1, relays: 1})
	m := c.matchmakers[0]
	m.createDuel(t, "duel", "MANUAL")
	m.mustStart(t, "duel", "v", 1000)
	m.mustStart(t, "duel", "o", 1000)
	got := m.waitTickets(t, []string{"v", "o"}, 20*time.Second, "COMPLETED", completed)
	r := c.relayOf(t, got["v"])
	victim, other := c.connectUDP(t, got["v"]), c.connectUDP(t, got["o"])
	exchangeFast(t, victim, other, "before")

	refusedBefore := counter(t, r, `relay_udp_bind_refused_total{reason="rebind_without_token"}`)
	unboundBefore := counter(t, r, `relay_udp_refused_datagrams_total{reason="unbound"}`)
	attacker, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: r.port})
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	send := func(p protocol.Packet) {
		t.Helper()
		if _, err := attacker.Write(protocol.AppendPacket(nil, &p)); err != nil {
			t.Fatal(err)
		}
	}
	connect := protocol.Packet{OpCode: protocol.OpUDPConnect, SequenceNumber: 1, TargetPlayer: protocol.PeerServer, Sender: victim.PeerID()}
	connect.SetMessage(protocol.MessageUDPConnect)
	send(connect)
	waitCounter(t, r, `relay_udp_bind_refused_total{reason="rebind_without_token"}`, refusedBefore+1)
	silent(t, attacker)

	// The attacker acknowledges and sends as the victim: both are dropped.
	ack := protocol.Packet{OpCode: protocol.OpUDPConnectClientAck, SequenceNumber: 2, TargetPlayer: protocol.PeerServer, Sender: victim.PeerID()}
	ack.SetMessage(protocol.MessageUDPConnect)
	send(ack)
	send(protocol.Packet{OpCode: 1, SequenceNumber: 3, TargetPlayer: other.PeerID(), Sender: victim.PeerID(), Payload: []byte(forged)})
	waitCounter(t, r, `relay_udp_refused_datagrams_total{reason="unbound"}`, unboundBefore+2)

	// The victim's fast path still works both ways; the attacker hears nothing.
	exchangeFast(t, victim, other, "after")
	exchangeFast(t, other, victim, "to the victim")
	silent(t, attacker)
	c.stop()
}

// connectUDP logs the ticket's player in on its relay and binds its fast path.
func (c *cluster) connectUDP(t *testing.T, tk matchmaker.MatchmakingTicket) *client.Client {
	t.Helper()
	r := c.relayOf(t, tk)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := client.Dial(ctx, r.ws, playerSession(t, tk), nil, client.Options{Logger: quiet, UDP: true})
	if err != nil {
		t.Fatalf("ticket %s: connect to %s: %v", tk.TicketId, r.id, err)
	}
	t.Cleanup(func() { cl.Close() })
	if !cl.FastBound() {
		t.Fatalf("ticket %s: no UDP path", tk.TicketId)
	}
	return cl
}

// exchangeFast sends a fast (UDP) message until the other client receives
// it (the first may go before the relay has heard the sender's binding, or
// its -7 may be lost). The recipient must not receive the attacker's forged
// message meanwhile; copies of earlier messages are skipped.
func exchangeFast(t *testing.T, from, to *client.Client, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resend := time.NewTicker(250 * time.Millisecond)
	defer resend.Stop()
	for {
		if err := from.Send(ctx, 1, client.ToPlayer(to.PeerID()), []byte(text), false); err != nil {
			t.Fatalf("send %q: %v", text, err)
		}
		select {
		case m := <-to.Messages():
			if string(m.Payload) == forged {
				t.Fatalf("peer %d received the attacker's datagram as from peer %d", to.PeerID(), m.Sender)
			}
			if string(m.Payload) == text && m.Sender == from.PeerID() {
				return
			}
		case <-resend.C:
		case <-ctx.Done():
			t.Fatalf("peer %d did not receive %q from peer %d", to.PeerID(), text, from.PeerID())
		}
	}
}

// counter reads a counter (name with its labels) from the relay's /metrics.
func counter(t *testing.T, r *relayProc, series string) float64 {
	t.Helper()
	v, err := metric(r.admin+"/metrics", series)
	if err != nil {
		t.Fatalf("read %s: %v", series, err)
	}
	if v < 0 {
		t.Fatalf("%s: no such series", series)
	}
	return v
}

// waitCounter waits up to 5s for the relay's counter to reach want.
func waitCounter(t *testing.T, r *relayProc, series string, want float64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	poll(t, ctx, series+" to reach "+strconv.FormatFloat(want, 'g', -1, 64), func() (bool, error) {
		return counter(t, r, series) >= want, nil
	})
}

// silent checks that c receives no datagram for a short while.
func silent(t *testing.T, c *net.UDPConn) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(200 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, protocol.MaxFrameSize)
	if n, err := c.Read(buf); err == nil {
		var p protocol.Packet
		_ = protocol.DecodePacket(buf[:n], &p)
		t.Fatalf("the attacker received op %d from %d: %q", p.OpCode, p.Sender, p.Payload)
	}
}
