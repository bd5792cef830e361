package relay_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
)

// unfilteredScript refuses every player message in OnSendToPlayer and
// OnSendToGroup, but says it defines neither (ScriptFilters): the relay then
// delivers player messages without calling them.
type unfilteredScript struct {
	recordingScript
	sendCalls atomic.Int32
}

func (u *unfilteredScript) OnSendToPlayer(relay.Session, relay.Message) bool {
	u.sendCalls.Add(1)
	return false
}

func (u *unfilteredScript) OnSendToGroup(relay.Session, relay.Message) bool {
	u.sendCalls.Add(1)
	return false
}

func (u *unfilteredScript) FiltersSendToPlayer() bool { return false }
func (u *unfilteredScript) FiltersSendToGroup() bool  { return false }

// TestScriptWithoutFiltersIsBypassed checks that player messages skip a script
// that defines no delivery callbacks, while server messages still reach it.
func TestScriptWithoutFiltersIsBypassed(t *testing.T) {
	script := &unfilteredScript{}
	opts := testOptions()
	opts.ScriptFactory = func(relay.GameSessionInfo) (relay.Script, error) { return script, nil }
	h := newHarness(t, opts)
	reply := h.place(request(2))
	a := h.mustDial(reply.PlayerSessions[0].PlayerSessionID, client.Options{})
	b := h.mustDial(reply.PlayerSessions[1].PlayerSessionID, client.Options{})
	recv(t, a) // welcome
	recv(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Send(ctx, 7, client.ToPlayer(b.PeerID()), []byte("direct"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b); string(m.Payload) != "direct" {
		t.Fatalf("b got %+v", m)
	}
	if err := a.Send(ctx, 7, client.ToAll(), []byte("to all"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b); string(m.Payload) != "to all" {
		t.Fatalf("b got %+v", m)
	}
	if n := script.sendCalls.Load(); n != 0 {
		t.Fatalf("OnSendToPlayer/OnSendToGroup called %d times for a script that defines neither", n)
	}
	if err := a.Send(ctx, 5, client.ToServer(), []byte("echo"), true); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, a); string(m.Payload) != "echo" {
		t.Fatalf("server message: a got %+v", m)
	}
}
