package script_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

// sent is one message the script sent through the fake session.
type sent struct {
	method string
	to     int32
	msg    relay.Message
}

// fakeSession is a relay.Session for tests: it has its own goroutine (the
// "session goroutine") on which do and AfterFunc run functions, records what the
// script sends, and logs into a buffer.
type fakeSession struct {
	t     testing.TB
	funcs chan func()
	done  chan struct{}

	mu      sync.Mutex
	info    relay.GameSessionInfo
	players []relay.Player
	sends   []sent
	kicks   map[int32]string
	ended   bool
	logs    bytes.Buffer
	logger  *slog.Logger
	running bool // a function runs on the session goroutine
}

func newFakeSession(t testing.TB, info relay.GameSessionInfo) *fakeSession {
	s := &fakeSession{t: t, funcs: make(chan func(), 64), done: make(chan struct{}), info: info, kicks: map[int32]string{}}
	s.logger = slog.New(slog.NewTextHandler(lockedWriter{s}, &slog.HandlerOptions{Level: slog.LevelDebug})).With("gameSessionId", info.GameSessionID)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case fn := <-s.funcs:
				s.setRunning(true)
				fn()
				s.setRunning(false)
			case <-s.done:
				return
			}
		}
	}()
	t.Cleanup(func() { close(s.done); <-stopped })
	return s
}

type lockedWriter struct{ s *fakeSession }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.logs.Write(p)
}

func (s *fakeSession) setRunning(v bool) {
	s.mu.Lock()
	s.running = v
	s.mu.Unlock()
}

// do runs fn on the session goroutine and waits for it.
func (s *fakeSession) do(fn func()) {
	ran := make(chan struct{})
	s.funcs <- func() { defer close(ran); fn() }
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		s.t.Fatal("session goroutine did not run the function")
	}
}

// checkOnLoop fails the test when called off the session goroutine.
func (s *fakeSession) checkOnLoop(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		s.t.Errorf("%s called off the session goroutine", method)
	}
}

func (s *fakeSession) record(method string, m relay.Message, to int32) error {
	s.checkOnLoop(method)
	s.mu.Lock()
	defer s.mu.Unlock()
	m.Payload = bytes.Clone(m.Payload)
	s.sends = append(s.sends, sent{method, to, m})
	return nil
}

func (s *fakeSession) sent() []sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sent(nil), s.sends...)
}

func (s *fakeSession) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.String()
}

func (s *fakeSession) isEnded() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

func (s *fakeSession) GetPlayers() []relay.Player {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]relay.Player(nil), s.players...)
}

func (s *fakeSession) BroadcastGroupMembershipUpdate(group, target int32) error {
	return s.record("broadcastGroupMembershipUpdate", relay.Message{TargetGroup: group}, target)
}
func (s *fakeSession) GetServerID() int32          { return protocol.PeerServer }
func (s *fakeSession) GetAllPlayersGroupID() int32 { return protocol.GroupAllPlayers }
func (s *fakeSession) ProcessEnding() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
}
func (s *fakeSession) GetGameSessionID() string { return s.info.GameSessionID }
func (s *fakeSession) Info() relay.GameSessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info
}
func (s *fakeSession) Logger() *slog.Logger { return s.logger }
func (s *fakeSession) SendMessage(m relay.Message, to int32) error {
	return s.record("sendMessage", m, to)
}
func (s *fakeSession) SendReliableMessage(m relay.Message, to int32) error {
	return s.record("sendReliableMessage", m, to)
}
func (s *fakeSession) SendGroupMessage(m relay.Message, to int32) error {
	return s.record("sendGroupMessage", m, to)
}
func (s *fakeSession) SendReliableGroupMessage(m relay.Message, to int32) error {
	return s.record("sendReliableGroupMessage", m, to)
}
func (s *fakeSession) Kick(peerID int32, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kicks[peerID] = reason
	return nil
}

// AfterFunc runs fn on the session goroutine after d, with a real timer.
func (s *fakeSession) AfterFunc(d time.Duration, fn func()) func() bool {
	t := time.AfterFunc(d, func() {
		select {
		case s.funcs <- fn:
		case <-s.done:
		}
	})
	return t.Stop
}

var _ relay.Session = (*fakeSession)(nil)

// newInstance builds a factory from src and one started session of it.
func newInstance(t testing.TB, src string, opts script.Options) (*script.Instance, *fakeSession) {
	t.Helper()
	f, err := script.NewFactory("test.js", []byte(src), opts)
	if err != nil {
		t.Fatalf("NewFactory: %v", err)
	}
	return startInstance(t, f)
}

func startInstance(t testing.TB, f *script.Factory) (*script.Instance, *fakeSession) {
	t.Helper()
	info := relay.GameSessionInfo{
		GameSessionID:   "gs-" + strings.ReplaceAll(t.Name(), "/", "-"),
		ScriptName:      f.Name(),
		GameProperties:  nil,
		GameSessionData: "map=harbor",
		MaxPlayers:      8,
	}
	s := newFakeSession(t, info)
	var sc relay.Script
	var err error
	s.do(func() { sc, err = f.New(info) })
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	in := sc.(*script.Instance)
	s.do(func() { in.OnStartGameSession(s) })
	return in, s
}

// TestFilters reports which delivery callbacks a script defines, so that the
// relay bypasses the script for the others.
func TestFilters(t *testing.T) {
	tests := []struct {
		src           string
		player, group bool
	}{
		{`exports.ssExports = { onMessage: function () {} };`, false, false},
		{`exports.ssExports = { onSendToPlayer: function () { return true; } };`, true, false},
		{`exports.ssExports = { onSendToGroup: function () { return true; } };`, false, true},
	}
	for _, tc := range tests {
		in, _ := newInstance(t, tc.src, script.Options{})
		if in.FiltersSendToPlayer() != tc.player || in.FiltersSendToGroup() != tc.group {
			t.Errorf("%s: filters player=%v group=%v, want %v %v", tc.src, in.FiltersSendToPlayer(), in.FiltersSendToGroup(), tc.player, tc.group)
		}
	}
}
