package relay_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

func (h *harness) update(req bus.SessionUpdateRequest) error {
	req.RelayID, req.Deadline = h.relay.RelayID(), time.Now().Add(5*time.Second)
	if req.RequestID == "" {
		req.RequestID = "u-" + req.GameSessionID
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := h.mm.RequestSessionUpdate(ctx, req)
	return err
}

// TestSessionUpdateMaxPlayers: a new maximum below the players a session
// holds is refused (CONFLICT); a higher one lets more reservations in; a
// lower one refuses them (FULL); an unknown session is INVALID.
func TestSessionUpdateMaxPlayers(t *testing.T) {
	h := newHarness(t, testOptions())
	req := gameSessionRequest(2)
	h.place(req)
	if _, err := h.reserve("r1", req.GameSessionARN, "a", "b"); err != nil {
		t.Fatal(err)
	}
	_, err := h.reserve("r2", req.GameSessionARN, "c")
	refusedWith(t, err, bus.CodeFull)

	refusedWith(t, h.update(bus.SessionUpdateRequest{GameSessionID: req.GameSessionARN, MaxPlayers: 1}), bus.CodeConflict)
	if err := h.update(bus.SessionUpdateRequest{GameSessionID: req.GameSessionARN, MaxPlayers: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.reserve("r3", req.GameSessionARN, "c"); err != nil {
		t.Fatalf("after raising the maximum to 3: %v", err)
	}
	_, err = h.reserve("r4", req.GameSessionARN, "d")
	refusedWith(t, err, bus.CodeFull)
	refusedWith(t, h.update(bus.SessionUpdateRequest{GameSessionID: "arn:none", MaxPlayers: 3}), bus.CodeInvalid)
}

// terminateScript counts its OnProcessTerminate calls.
type terminateScript struct {
	*recordingScript
	terminated *atomic.Int64
}

func (s terminateScript) OnProcessTerminate(relay.Session) { s.terminated.Add(1) }

// TestSessionTerminate: NORMAL ends the session after the script's
// onProcessTerminate (reason TERMINATED); FORCE_TERMINATE ends it without
// (reason FORCE_TERMINATED); an ended session is INVALID.
func TestSessionTerminate(t *testing.T) {
	var terminated atomic.Int64
	opts := testOptions()
	opts.ScriptFactory = func(relay.GameSessionInfo) (relay.Script, error) {
		return terminateScript{recordingScript: &recordingScript{}, terminated: &terminated}, nil
	}
	h := newHarness(t, opts)
	for _, c := range []struct {
		mode, reason string
		calls        int64
	}{{bus.TerminateNormal, bus.EndTerminated, 1}, {bus.TerminateForce, bus.EndForceTerminated, 0}} {
		terminated.Store(0)
		req := gameSessionRequest(2)
		h.place(req)
		if err := h.update(bus.SessionUpdateRequest{GameSessionID: req.GameSessionARN, Terminate: c.mode}); err != nil {
			t.Fatal(err)
		}
		var ended bus.SessionEnded
		relaytest.Eventually(t, "the session ends", func() bool {
			var ok bool
			ended, ok = h.events.endedOf(req.GameSessionARN)
			return ok
		})
		if ended.Reason != c.reason || terminated.Load() != c.calls {
			t.Fatalf("%s: ended %s after %d onProcessTerminate calls, want %s after %d", c.mode, ended.Reason, terminated.Load(), c.reason, c.calls)
		}
		refusedWith(t, h.update(bus.SessionUpdateRequest{GameSessionID: req.GameSessionARN, Terminate: c.mode}), bus.CodeInvalid)
	}
}
