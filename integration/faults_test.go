package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	shared "github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// discoverInterval is how often a matchmaker looks for configurations to own
// (matchmaker.Options.Discover, default 2s): a takeover comes at most this long
// after the lease lapsed.
const discoverInterval = 2 * time.Second

// checkMatches checks that every ticket is COMPLETED, in exactly one match
// (its stored match id, and the only PotentialMatchCreated event that names
// it), that every match has exactly two tickets (the duel) on one game
// session, that no two matches share a session and no two players a player
// session.
func (c *cluster) checkMatches(t *testing.T, configuration string, got map[string]matchmaker.MatchmakingTicket) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ids := make([]string, 0, len(got))
	for id := range got {
		ids = append(ids, id)
	}
	stored, err := c.store.GetTickets(ctx, ids...)
	if err != nil {
		t.Fatalf("read tickets from Redis: %v", err)
	}
	proposed := map[string]map[string]bool{} // ticket -> match ids proposed
	for after := uint64(0); ; {
		events, err := c.store.EventsAfter(ctx, configuration, after, 1000)
		if err != nil {
			t.Fatalf("read the event log: %v", err)
		}
		if len(events) == 0 {
			break
		}
		for _, e := range events {
			after = e.Seq
			var ev struct {
				Detail struct {
					Type    string `json:"type"`
					MatchID string `json:"matchId"`
					Tickets []struct {
						TicketID string `json:"ticketId"`
					} `json:"tickets"`
				} `json:"detail"`
			}
			if err := json.Unmarshal(e.Payload, &ev); err != nil {
				t.Fatalf("event %d: %v", e.Seq, err)
			}
			if ev.Detail.Type != "PotentialMatchCreated" {
				continue
			}
			for _, tk := range ev.Detail.Tickets {
				if proposed[tk.TicketID] == nil {
					proposed[tk.TicketID] = map[string]bool{}
				}
				proposed[tk.TicketID][ev.Detail.MatchID] = true
			}
		}
	}
	byMatch := map[string][]matchmaker.MatchmakingTicket{}
	sessionOf := map[string]string{}
	playerSessions := map[string]string{}
	for _, st := range stored {
		id := st.TicketId
		tk := got[id]
		if tk.Status != store.StatusCompleted {
			t.Errorf("ticket %s is %s (%s), want COMPLETED", id, tk.Status, tk.StatusMessage)
			continue
		}
		if st.MatchId == "" || len(proposed[id]) != 1 || !proposed[id][st.MatchId] {
			t.Errorf("ticket %s: stored match %q, proposed in matches %v; want exactly one", id, st.MatchId, proposed[id])
			continue
		}
		byMatch[st.MatchId] = append(byMatch[st.MatchId], tk)
		psid := playerSession(t, tk)
		if other, dup := playerSessions[psid]; dup {
			t.Errorf("tickets %s and %s have one player session %s", other, id, psid)
		}
		playerSessions[psid] = id
	}
	if len(stored) != len(got) {
		t.Errorf("%d tickets in Redis, %d through the API", len(stored), len(got))
	}
	for matchID, tickets := range byMatch {
		if len(tickets) != 2 {
			t.Errorf("match %s has %d tickets, want 2", matchID, len(tickets))
			continue
		}
		arn := tickets[0].GameSessionConnectionInfo.GameSessionArn
		if tickets[1].GameSessionConnectionInfo.GameSessionArn != arn {
			t.Errorf("match %s spans two game sessions", matchID)
		}
		if other, dup := sessionOf[arn]; dup {
			t.Errorf("matches %s and %s share game session %s", other, matchID, arn)
		}
		sessionOf[arn] = matchID
	}
}

// TestMatchmakerKilledTakeover: the matchmaker that owns the configuration is
// killed (SIGKILL) while tickets wait in its pool; the other takes the lease
// over once it lapses and matches them with new tickets. Every ticket ends
// COMPLETED in exactly one match of two, on its own session.
//
// The kill comes when no placement is in flight: tickets PLACING in a killed
// matchmaker wait for the service's placement timeout (matchmaker.Options.
// PlacementTimeout), which the survivor's sweep enforces.
func TestMatchmakerKilledTakeover(t *testing.T) {
	c := newCluster(t, clusterOptions{matchmakers: 2, relays: 1})
	c.matchmakers[0].createDuel(t, "duel", "MANUAL")
	ownerIdx := c.owner(t, 10*time.Second)
	owner, survivor := c.matchmakers[ownerIdx], c.matchmakers[1-ownerIdx]

	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("before-%d", i)
		survivor.mustStart(t, "duel", id, float64(1000*(i/2+1)))
		ids = append(ids, id)
	}
	survivor.waitTickets(t, ids, 20*time.Second, "COMPLETED", completed)
	// Tickets alone in their skill band wait in the pool across the kill.
	var waiting []string
	for i := range 4 {
		id := fmt.Sprintf("waiting-%d", i)
		survivor.mustStart(t, "duel", id, float64(100000*(i+1)))
		waiting = append(waiting, id)
	}
	shared.Must(t, 10*time.Second, func() string { return "the owner's forming pass to see the waiting tickets" }, func() bool {
		n, err := metric(owner.api+"/metrics", `matchpoint_pool_tickets{configuration="duel"}`)
		return err == nil && n == float64(len(waiting))
	})
	owner.kill(t)
	killed := time.Now()

	for i, id := range waiting {
		partner := fmt.Sprintf("partner-%d", i)
		survivor.mustStart(t, "duel", partner, float64(100000*(i+1)+10))
		ids = append(ids, id, partner)
	}
	for i := range 10 {
		id := fmt.Sprintf("after-%d", i)
		survivor.mustStart(t, "duel", id, float64(500000+1000*(i/2)))
		ids = append(ids, id)
	}
	if got := c.owner(t, leaseTTL+discoverInterval+3*time.Second); c.matchmakers[got] != survivor {
		t.Fatalf("matchmaker %d owns the configuration, want the survivor", got)
	}
	takeover := time.Since(killed)
	got := survivor.waitTickets(t, ids, 20*time.Second, "COMPLETED", completed)
	t.Logf("takeover %v after SIGKILL (lease TTL %v, discovery every %v); every waiting ticket matched %v after it",
		takeover.Round(time.Millisecond), leaseTTL, discoverInterval, time.Since(killed).Round(time.Millisecond))
	c.checkMatches(t, "duel", got)
	c.stop()
}

// TestNATSRestart: the NATS server restarts on the same port; the
// matchmaker and the relays reconnect by themselves, new tickets still
// match and place, and session events flow again.
func TestNATSRestart(t *testing.T) {
	c := newCluster(t, clusterOptions{matchmakers: 2, relays: 1})
	m := c.matchmakers[0]
	m.createDuel(t, "duel", "MANUAL")
	m.mustStart(t, "duel", "a", 1000)
	m.mustStart(t, "duel", "b", 1000)
	m.waitTickets(t, []string{"a", "b"}, 20*time.Second, "COMPLETED", completed)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	restarted := time.Now()
	if err := c.nats.Restart(ctx); err != nil {
		t.Fatalf("restart NATS: %v", err)
	}
	for _, mm := range c.matchmakers {
		waitReady(t, mm.proc, mm.api+"/readyz")
	}
	for _, r := range c.relays {
		waitReady(t, r.proc, r.admin+"/readyz")
	}
	m.mustStart(t, "duel", "c", 1000)
	m.mustStart(t, "duel", "d", 1000)
	got := m.waitTickets(t, []string{"c", "d"}, 20*time.Second, "COMPLETED", completed)
	t.Logf("a match placed %v after the NATS restart began", time.Since(restarted).Round(time.Millisecond))
	cc, cd := c.connect(t, got["c"]), c.connect(t, got["d"])
	exchange(t, cc, cd, "after the restart")
	cc.Close()
	cd.Close()
	c.waitEnded(got["c"].GameSessionConnectionInfo.GameSessionArn, 10*time.Second)
	c.stop()
}

// refusal returns the relay's refusal of a login, failing the test when the
// login succeeded or failed otherwise.
func refusal(t *testing.T, url, psid string, opts client.Options) protocol.Refusal {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts.Logger = quiet
	cl, err := client.Dial(ctx, url, psid, nil, opts)
	if err == nil {
		cl.Close()
		t.Fatalf("login with %s succeeded, want a refusal", psid)
	}
	var le *client.LoginError
	if !errors.As(err, &le) {
		t.Fatalf("login with %s: want a refusal, got %v", psid, err)
	}
	return le.Refusal
}

// TestRefusedPlayerSessions: the relays admit only reserved, unexpired,
// unused player session ids of their own sessions.
func TestRefusedPlayerSessions(t *testing.T) {
	const ttl = 2 * time.Second
	c := newCluster(t, clusterOptions{matchmakers: 1, relays: 2, playerSessionTTL: ttl})
	m := c.matchmakers[0]
	m.createDuel(t, "duel", "MANUAL")
	m.mustStart(t, "duel", "a1", 1000)
	m.mustStart(t, "duel", "a2", 1000)
	m.mustStart(t, "duel", "b1", 5000)
	m.mustStart(t, "duel", "b2", 5000)
	got := m.waitTickets(t, []string{"a1", "a2", "b1", "b2"}, 20*time.Second, "COMPLETED", completed)
	placed := time.Now()
	a1, a2, b1 := got["a1"], got["a2"], got["b1"]
	ra := c.relayOf(t, a1)
	c.connect(t, a1)

	if r := refusal(t, ra.ws, playerSession(t, a1), client.Options{}); r != protocol.RefusalPlayerSessionUsed {
		t.Errorf("used player session: refusal %v, want %v", r, protocol.RefusalPlayerSessionUsed)
	}
	for _, other := range c.relays {
		if other != ra {
			if r := refusal(t, other.ws, playerSession(t, a2), client.Options{}); r != protocol.RefusalUnknownPlayerSession {
				t.Errorf("player session of another relay: refusal %v, want %v", r, protocol.RefusalUnknownPlayerSession)
			}
		}
	}
	otherSession := b1.GameSessionConnectionInfo.GameSessionArn
	if r := refusal(t, ra.ws, playerSession(t, a2), client.Options{GameSessionID: otherSession}); r != protocol.RefusalUnknownPlayerSession {
		t.Errorf("player session of another game session: refusal %v, want %v", r, protocol.RefusalUnknownPlayerSession)
	}
	if r := refusal(t, ra.ws, "psess-FORGEDFORGEDFORGEDFORGED", client.Options{}); r != protocol.RefusalUnknownPlayerSession {
		t.Errorf("forged player session: refusal %v, want %v", r, protocol.RefusalUnknownPlayerSession)
	}
	// a2's reservation was not consumed by the refusals: it expires. A fixed
	// wait for the real TTL, as a login that polled for the expiry would
	// consume the reservation.
	time.Sleep(time.Until(placed.Add(ttl + 300*time.Millisecond)))
	if r := refusal(t, ra.ws, playerSession(t, a2), client.Options{}); r != protocol.RefusalPlayerSessionExpired {
		t.Errorf("expired player session: refusal %v, want %v", r, protocol.RefusalPlayerSessionExpired)
	}
	c.stop()
}
