package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// TestMatchToSessionEnd is the whole path: a rule set and a WITH_QUEUE
// configuration through the REST API of one matchmaker, tickets through the
// other's, matches placed on the two relays, players connecting with their
// player session ids and talking, leaving, and their sessions ending EMPTY;
// then SIGTERM ends every process with status 0.
func TestMatchToSessionEnd(t *testing.T) {
	c := newCluster(t, clusterOptions{matchmakers: 2, relays: 2})
	c.matchmakers[0].createDuel(t, "duel", "MANUAL")
	var ids []string
	for i := range 8 {
		id := fmt.Sprintf("t%d", i)
		// Pairs of close skills, pairs far apart: four matches.
		c.matchmakers[1].mustStart(t, "duel", id, float64(1000*(i/2+1)))
		ids = append(ids, id)
	}
	got := c.matchmakers[1].waitTickets(t, ids, 20*time.Second, "COMPLETED", completed)
	relaysUsed := map[string]bool{}
	for i := 0; i < len(ids); i += 2 {
		a, b := got[ids[i]], got[ids[i+1]]
		if a.GameSessionConnectionInfo.GameSessionArn != b.GameSessionConnectionInfo.GameSessionArn {
			t.Fatalf("%s and %s (skills equal) are in different sessions", a.TicketId, b.TicketId)
		}
		if a.Players[0].Team == b.Players[0].Team {
			t.Fatalf("%s and %s are both on team %s", a.TicketId, b.TicketId, a.Players[0].Team)
		}
		relaysUsed[c.relayOf(t, a).id] = true
		ca, cb := c.connect(t, a), c.connect(t, b)
		exchange(t, ca, cb, "hello from "+a.TicketId)
		exchange(t, cb, ca, "hello from "+b.TicketId)
		ca.Close()
		cb.Close()
		ended := c.waitEnded(a.GameSessionConnectionInfo.GameSessionArn, 10*time.Second)
		if ended.Reason != bus.EndEmpty {
			t.Fatalf("session of %s ended %s, want %s", a.TicketId, ended.Reason, bus.EndEmpty)
		}
	}
	t.Logf("4 matches on relays %v", relaysUsed)
	c.stop()
}

// TestBackfillJoinsRunningSession: after a player leaves, StartMatchBackfill
// (POST /v1/backfills) with the session's ARN and the remaining player makes
// the next matching ticket join that session on the same relay, where its
// player talks with the one who stayed.
func TestBackfillJoinsRunningSession(t *testing.T) {
	c := newCluster(t, clusterOptions{matchmakers: 1, relays: 2})
	m := c.matchmakers[0]
	m.createDuel(t, "duel", "MANUAL")
	m.mustStart(t, "duel", "a", 1000)
	m.mustStart(t, "duel", "b", 1000)
	got := m.waitTickets(t, []string{"a", "b"}, 20*time.Second, "COMPLETED", completed)
	a, b := got["a"], got["b"]
	ca, cb := c.connect(t, a), c.connect(t, b)
	exchange(t, ca, cb, "hello")
	cb.Close()
	arn := a.GameSessionConnectionInfo.GameSessionArn
	m.must(t, "POST", "/v1/backfills", map[string]any{"TicketId": "bf", "ConfigurationName": "duel", "GameSessionArn": arn,
		"Players": a.Players}, nil)
	m.mustStart(t, "duel", "c", 1050)
	got = m.waitTickets(t, []string{"c", "bf"}, 20*time.Second, "COMPLETED", completed)
	nc := got["c"]
	if nc.GameSessionConnectionInfo.GameSessionArn != arn || c.relayOf(t, nc) != c.relayOf(t, a) {
		t.Fatalf("backfilled ticket placed in %s, want the running session %s", nc.GameSessionConnectionInfo.GameSessionArn, arn)
	}
	if nc.Players[0].Team != b.Players[0].Team {
		t.Fatalf("backfilled player on team %s, want the open team %s", nc.Players[0].Team, b.Players[0].Team)
	}
	if got["bf"].GameSessionConnectionInfo.GameSessionArn != arn {
		t.Fatalf("backfill ticket connection info %+v", got["bf"].GameSessionConnectionInfo)
	}
	cc := c.connect(t, nc)
	exchange(t, cc, ca, "hi, I am new")
	exchange(t, ca, cc, "welcome")
	ca.Close()
	cc.Close()
	c.waitEnded(arn, 10*time.Second)
	c.stop()
}
