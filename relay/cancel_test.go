package relay_test

import (
	"context"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// cancelTry publishes the matchmaker's cancellation of req's tries up to attempt.
func (h *harness) cancelTry(req bus.PlacementRequest, attempt int) {
	h.t.Helper()
	if err := h.mm.PublishPlacementCancel(context.Background(), bus.PlacementCancel{MatchID: req.MatchID, Region: req.Region,
		Attempt: attempt, Deadline: req.Deadline}); err != nil {
		h.t.Fatal(err)
	}
}

// TestCancelledTryEndsItsSession: a session created by a try that the
// matchmaker cancels ends (CANCELLED) before any player joined; the
// cancelled try is refused if it comes again, and a later try creates a new
// session.
func TestCancelledTryEndsItsSession(t *testing.T) {
	h := newHarness(t, testOptions())
	req := request(2)
	req.Attempt = 1
	first := h.place(req)
	h.cancelTry(req, 1)
	relaytest.Eventually(t, "the cancelled session's end", func() bool {
		e, ok := h.events.endedOf(first.GameSessionID)
		return ok && e.Reason == bus.EndCancelled
	})
	if _, err := h.dial(first.PlayerSessions[0].PlayerSessionID, client.Options{}); err == nil {
		t.Fatal("a player logged in to a cancelled session")
	}
	if code := h.placeErr(req); code != bus.CodeExpired {
		t.Fatalf("the cancelled try again: %s, want EXPIRED", code)
	}
	req.Attempt = 2
	second := h.place(req)
	if second.GameSessionID == first.GameSessionID {
		t.Fatalf("the next try answered the cancelled session %s", first.GameSessionID)
	}
	h.mustDial(second.PlayerSessions[0].PlayerSessionID, client.Options{})
	if got := relaytest.MetricValue(h.reg, "relay_placements_total", "cancelled"); got != 1 {
		t.Fatalf("relay_placements_total{result=cancelled} = %v, want 1", got)
	}
}

// TestCancellationSparesLaterTriesAndJoinedSessions: a cancellation does not
// end a session that a later try of the match found, nor one a player has
// joined.
func TestCancellationSparesLaterTriesAndJoinedSessions(t *testing.T) {
	h := newHarness(t, testOptions())
	later := request(1)
	later.Attempt = 1
	kept := h.place(later)
	later.Attempt = 2
	if again := h.place(later); again.GameSessionID != kept.GameSessionID {
		t.Fatalf("try 2 got session %s, want the same %s", again.GameSessionID, kept.GameSessionID)
	}
	h.cancelTry(later, 1)

	joined := request(1)
	joined.Attempt = 1
	played := h.place(joined)
	c := h.mustDial(played.PlayerSessions[0].PlayerSessionID, client.Options{})
	h.cancelTry(joined, 1)

	// An ignored cancellation sends no signal: give the relay time to act on
	// it wrongly, then check that it did not (an absence check, so a pause).
	time.Sleep(300 * time.Millisecond)
	for _, id := range []string{kept.GameSessionID, played.GameSessionID} {
		if e, ok := h.events.endedOf(id); ok {
			t.Fatalf("session %s ended (%s) after a cancellation it must survive", id, e.Reason)
		}
	}
	select {
	case <-c.Done():
		t.Fatalf("the joined player was disconnected: %d %v", c.CloseCode(), c.Err())
	default:
	}
	if h.relay.Stats().Sessions != 2 {
		t.Fatalf("%d sessions, want 2", h.relay.Stats().Sessions)
	}
}

// TestCancelledGameSessionPlacementEnds: a CreateGameSession placement whose
// try the matchmaker withdrew (it got no answer in the activation timeout)
// ends CANCELLED, and the try is refused if it comes again.
func TestCancelledGameSessionPlacementEnds(t *testing.T) {
	h := newHarness(t, testOptions())
	req := gameSessionRequest(2)
	req.Attempt = 1
	h.place(req)
	h.cancelTry(req, 1)
	relaytest.Eventually(t, "the withdrawn session's end", func() bool {
		e, ok := h.events.endedOf(req.GameSessionARN)
		return ok && e.Reason == bus.EndCancelled
	})
	if code := h.placeErr(req); code != bus.CodeExpired {
		t.Fatalf("the withdrawn try again: %s, want EXPIRED", code)
	}
}
