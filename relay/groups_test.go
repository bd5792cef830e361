package relay_test

import (
	"context"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// nextMembership returns c's next membership update, checking its group and
// sender (issue 13, item 11).
func nextMembership(t *testing.T, c *client.Client, group, sender int32, players int) {
	t.Helper()
	e := nextEvent(t, c, client.GroupMembership)
	if e.Group != group || e.Sender != sender || len(e.Players) != players {
		t.Fatalf("peer %d got the membership of group %d from %d with %v; want group %d from %d with %d players",
			c.PeerID(), e.Group, e.Sender, e.Players, group, sender, players)
	}
}

// TestMembershipUpdateSender: a membership update comes from the player whose
// join, leave or request it answers, as GroupMembershipEventArgs.Sender, and
// from the server when nobody asked for it (a member disconnected).
func TestMembershipUpdateSender(t *testing.T) {
	h := newHarness(t, testOptions())
	reply := h.place(request(3))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})
	c := h.mustDial(reply.PlayerSessions[2].PlayerSessionID, client.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	if err := a.JoinGroup(ctx, 7); err != nil {
		t.Fatal(err)
	}
	nextMembership(t, a, 7, a.PeerID(), 1)
	if err := b.JoinGroup(ctx, 7); err != nil {
		t.Fatal(err)
	}
	nextMembership(t, b, 7, b.PeerID(), 2)
	nextMembership(t, a, 7, b.PeerID(), 2)
	// Joining again: the requester alone, from itself.
	if err := b.JoinGroup(ctx, 7); err != nil {
		t.Fatal(err)
	}
	nextMembership(t, b, 7, b.PeerID(), 2)
	if err := c.RequestGroupMembership(ctx, 7); err != nil {
		t.Fatal(err)
	}
	nextMembership(t, c, 7, c.PeerID(), 2)
	if err := c.RequestGroupMembership(ctx, protocol.GroupAllPlayers); err != nil {
		t.Fatal(err)
	}
	nextMembership(t, c, protocol.GroupAllPlayers, c.PeerID(), 3)
	if err := a.LeaveGroup(ctx, 7); err != nil {
		t.Fatal(err)
	}
	nextMembership(t, a, 7, a.PeerID(), 1)
	nextMembership(t, b, 7, a.PeerID(), 1)
	if err := a.JoinGroup(ctx, 7); err != nil {
		t.Fatal(err)
	}
	nextMembership(t, a, 7, a.PeerID(), 2)
	nextMembership(t, b, 7, a.PeerID(), 2)

	// b's disconnect: nobody asked, the server sends.
	b.Close()
	nextMembership(t, a, 7, protocol.PeerServer, 1)
}

// TestReconnectKeepsGroups: the Go client's Reconnect keeps the groups the
// relay kept its peer in (issue 13, item 12).
func TestReconnectKeepsGroups(t *testing.T) {
	opts := testOptions()
	opts.ReconnectGrace = 10 * time.Second
	h := newHarness(t, opts)
	reply := h.place(request(2))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	c := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, g := range []int32{4, 5} {
		if err := c.JoinGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
		nextMembership(t, c, g, c.PeerID(), 1)
	}
	if err := c.LeaveGroup(ctx, 5); err != nil {
		t.Fatal(err)
	}
	nextMembership(t, c, 5, c.PeerID(), 0)

	c2, err := c.Reconnect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if !c2.IsInGroup(4) || c2.IsInGroup(5) {
		t.Fatalf("after Reconnect: in group 4 %v (want true), in group 5 %v (want false)", c2.IsInGroup(4), c2.IsInGroup(5))
	}
	// The relay kept the membership: a message to group 4 reaches c2.
	if err := a.Send(ctx, 9, client.ToGroup(4), []byte("still in 4"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, c2); string(m.Payload) != "still in 4" {
		t.Fatalf("c2 got %+v", m)
	}
	// Updates after the reconnect still apply.
	if err := c2.LeaveGroup(ctx, 4); err != nil {
		t.Fatal(err)
	}
	nextMembership(t, c2, 4, c2.PeerID(), 0)
	if c2.IsInGroup(4) {
		t.Fatal("c2 still in group 4 after leaving it")
	}
}
