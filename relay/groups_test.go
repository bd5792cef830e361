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
