//go:build unix

package integration

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestRelayKilledDuringPlacement: one relay of the region is frozen
// (SIGSTOP) so that the placements NATS gives it hang, then killed
// (SIGKILL). Each hanging placement is retried once its try times out (half
// the placement timeout at most) and lands on the other relay; no ticket
// stays PLACING beyond the placement timeout, and the players of the
// completed matches connect and talk on the surviving relay.
func TestRelayKilledDuringPlacement(t *testing.T) {
	const placementTimeout = 4 * time.Second
	c := newCluster(t, clusterOptions{matchmakers: 1, relays: 2, placementTimeout: placementTimeout})
	m := c.matchmakers[0]
	m.createDuel(t, "duel", "MANUAL")
	dead, alive := c.relays[0], c.relays[1]
	dead.signal(t, syscall.SIGSTOP)
	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("t%d", i)
		m.mustStart(t, "duel", id, float64(1000*(i/2+1)))
		ids = append(ids, id)
	}
	// Every match is formed and its placement sent while the relay is frozen.
	m.waitTickets(t, ids, 10*time.Second, "PLACING or ended", func(tk matchmaker.MatchmakingTicket) bool {
		return tk.Status == store.StatusPlacing || tk.Status.Terminal()
	})
	dead.kill(t)
	killed := time.Now()
	got := m.waitTickets(t, ids, placementTimeout+5*time.Second, "ended", terminal)
	t.Logf("every ticket ended %v after the kill", time.Since(killed).Round(time.Millisecond))
	failed := 0
	for _, tk := range got {
		switch tk.Status {
		case store.StatusCompleted:
			if r := c.relayOf(t, tk); r != alive {
				t.Errorf("ticket %s placed on %s, which was frozen and killed", tk.TicketId, r.id)
			}
		case store.StatusFailed:
			failed++
			if tk.StatusMessage == "" {
				t.Errorf("ticket %s FAILED without a reason", tk.TicketId)
			}
		default:
			t.Errorf("ticket %s ended %s", tk.TicketId, tk.Status)
		}
	}
	if failed > 0 {
		t.Errorf("%d tickets FAILED although a relay was left: the retry should reach it", failed)
	}
	if t.Failed() {
		return
	}
	c.checkMatches(t, "duel", got)
	a, b := got["t0"], got["t1"]
	ca, cb := c.connect(t, a), c.connect(t, b)
	exchange(t, ca, cb, "still here")
	c.stop()
}
