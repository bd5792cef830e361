package relay_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// TestPlayerReceivesFromItsLogin logs many players in, in several sessions at
// once, and the moment each Dial returns another player of its session sends
// it a message: every one of them arrives (docs/relay.md, Admission: a player is
// routable before its login result leaves). The host of each session is in
// many groups, so that publishing a newcomer's routes takes a while. Once the
// host has heard of every newcomer, a marker sent on the same reliable path
// tells, without waiting on time, whether the first message came.
func TestPlayerReceivesFromItsLogin(t *testing.T) {
	const sessions, players, groups = 4, 16, 2000
	h := newHarness(t, testOptions())
	ctx, cancel := context.WithTimeout(context.Background(), 4*relaytest.Timeout)
	defer cancel()
	var sent, delivered atomic.Int64
	var wg sync.WaitGroup
	for range sessions {
		reply := h.place(request(players))
		host, connects := hostInGroups(ctx, t, h, reply.PlayerSessions[0].PlayerSessionID, players, groups)
		wg.Go(func() {
			if err := greetNewcomers(ctx, h, host, connects, reply.PlayerSessions[1:], &sent, &delivered); err != nil {
				t.Errorf("session %s: %v", reply.GameSessionID, err)
			}
		})
	}
	wg.Wait()
	if d, s := delivered.Load(), sent.Load(); d != s || s != sessions*(players-1) {
		t.Fatalf("%d of %d messages sent right after a login arrived (%d logins); no_recipient drops: %v",
			d, s, sessions*(players-1), h.droppedCount("no_recipient"))
	}
}

// hostInGroups connects a player and has it join groups 1..n, returning once
// the relay has answered every join, with the channel of the player connect
// notices it receives (room for players).
func hostInGroups(ctx context.Context, t *testing.T, h *harness, psid string, players, n int) (*client.Client, <-chan int32) {
	t.Helper()
	var answered atomic.Int64
	connects := make(chan int32, players)
	host := h.mustDial(psid, client.Options{OnEvent: func(e client.Event) {
		switch e.Kind {
		case client.GroupMembership:
			answered.Add(1)
		case client.PlayerConnected:
			connects <- e.PeerID
		}
	}})
	for g := range n {
		if err := host.JoinGroup(ctx, int32(g+1)); err != nil {
			t.Fatalf("join group %d: %v", g+1, err)
		}
	}
	relaytest.Eventually(t, "the host's group joins", func() bool { return answered.Load() == int64(n) })
	return host, connects
}

// greetNewcomers connects each guest in turn: as soon as its Dial returns the
// host sends it "hello" (op 1). When the host has heard of them all (connects),
// it sends each a marker (op 2); a guest counts as delivered when "hello" came
// before the marker.
func greetNewcomers(ctx context.Context, h *harness, host *client.Client, connects <-chan int32,
	guests []bus.PlayerSession, sent, delivered *atomic.Int64) error {
	cs := make([]*client.Client, 0, len(guests))
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	for _, g := range guests {
		c, err := h.dial(g.PlayerSessionID, client.Options{})
		if err != nil {
			return fmt.Errorf("guest dial: %w", err)
		}
		cs = append(cs, c)
		if err := host.Send(ctx, 1, client.ToPlayer(c.PeerID()), []byte("hello"), true); err != nil {
			return fmt.Errorf("hello to %d: %w", c.PeerID(), err)
		}
		sent.Add(1)
	}
	for range guests {
		select {
		case <-connects:
		case <-ctx.Done():
			return fmt.Errorf("host hears of the guests: %w", ctx.Err())
		}
	}
	for _, c := range cs {
		if err := host.Send(ctx, 2, client.ToPlayer(c.PeerID()), []byte("marker"), true); err != nil {
			return fmt.Errorf("marker to %d: %w", c.PeerID(), err)
		}
	}
	for _, c := range cs {
		for got := false; !got; {
			select {
			case m := <-c.Messages():
				switch m.OpCode {
				case 1:
					delivered.Add(1)
				case 2:
					got = true
				}
			case <-ctx.Done():
				return fmt.Errorf("peer %d: no marker: %w", c.PeerID(), ctx.Err())
			}
		}
	}
	return nil
}
