package matchmaker

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay"
)

// TestDeadPlacerMatchCompletesWithItsSession: a matchmaker moved a match to
// PLACING and asked a relay, which created the game session, then died
// before it recorded the answer. The sweep of the matchmaker that takes the
// configuration over asks the relays again with the same match id: the
// tickets end COMPLETED with the session the relay had created, and the
// relay holds that one session, not a second.
func TestDeadPlacerMatchCompletesWithItsSession(t *testing.T) {
	nats := bustest.RunServer(t)
	conn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	relayReg := prometheus.NewRegistry()
	rl := startRelay(t, nats, relay.Options{RelayID: "relay-1", Registerer: relayReg})
	st := store.NewMemory(store.Options{})
	e := newFormEnvWith(t, formingOptions(Options{Store: st, PlacingTimeout: 300 * time.Millisecond,
		Placer: &BusPlacer{Conn: conn}, Regions: []string{"local"}}), ModeWithQueue, false)
	ctx := t.Context()
	e.start("t1", 1000)
	e.start("t2", 1000)

	// The dead placer: its claim and matchProposed put the match in
	// PLACING, and its request made the relay create the session; nobody
	// reported the placement.
	cfg, err := st.GetConfiguration(ctx, "duel")
	if err != nil {
		t.Fatal(err)
	}
	var tvs []store.TicketVersion
	for _, id := range []string{"t1", "t2"} {
		tk, err := st.GetTicket(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		tvs = append(tvs, store.TicketVersion{ID: id, Version: tk.Version})
	}
	const matchID = "m-dead-placer"
	if err := st.Claim(ctx, "duel", matchID, tvs, store.StatusPlacing); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.matchProposed(ctx, cfg, matchID, []matchedTicket{{TicketId: "t1", Team: "a"}, {TicketId: "t2", Team: "b"}}, nil); err != nil {
		t.Fatal(err)
	}
	placing, err := st.GetTickets(ctx, "t1", "t2")
	if err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	first, err := (&BusPlacer{Conn: conn}).Place(pctx, Placement{Configuration: cfg, MatchID: matchID, Regions: []string{"local"}, Tickets: placing})
	if err != nil {
		t.Fatal(err)
	}
	arn := first["t1"].GameSessionArn

	runService(t, e.svc)
	for _, id := range []string{"t1", "t2"} {
		tk := e.waitStatus(id, store.StatusCompleted)
		if got := tk.GameSessionConnectionInfo.GameSessionArn; got != arn {
			t.Errorf("ticket %s completed in game session %s, want %s, the one the relay created for the dead placer", id, got, arn)
		}
		if ps := tk.GameSessionConnectionInfo.MatchedPlayerSessions; len(ps) != 1 || ps[0].PlayerSessionId != first[id].MatchedPlayerSessions[0].PlayerSessionId {
			t.Errorf("ticket %s player sessions %+v, want %+v", id, ps, first[id].MatchedPlayerSessions)
		}
	}
	if n := rl.Stats().Sessions; n != 1 {
		t.Errorf("the relay holds %d sessions, want 1", n)
	}
	if n := counterValue(t, relayReg, "relay_placements_total", "result", "repeat"); n != 1 {
		t.Errorf("the relay answered %v repeated placements, want 1", n)
	}
}
