package script_test

import (
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

// nopSession is a relay.Session that counts sends and does nothing else, so that
// benchmarks measure the script runtime alone.
type nopSession struct {
	sends  int
	logger *slog.Logger
}

func (s *nopSession) GetPlayers() []relay.Player                          { return nil }
func (s *nopSession) BroadcastGroupMembershipUpdate(_, _ int32) error     { return nil }
func (s *nopSession) GetServerID() int32                                  { return protocol.PeerServer }
func (s *nopSession) GetAllPlayersGroupID() int32                         { return protocol.GroupAllPlayers }
func (s *nopSession) ProcessEnding()                                      {}
func (s *nopSession) GetGameSessionID() string                            { return "gs-bench" }
func (s *nopSession) Info() relay.GameSessionInfo                         { return relay.GameSessionInfo{} }
func (s *nopSession) Logger() *slog.Logger                                { return s.logger }
func (s *nopSession) SendMessage(relay.Message, int32) error              { s.sends++; return nil }
func (s *nopSession) SendReliableMessage(relay.Message, int32) error      { s.sends++; return nil }
func (s *nopSession) SendGroupMessage(relay.Message, int32) error         { s.sends++; return nil }
func (s *nopSession) SendReliableGroupMessage(relay.Message, int32) error { s.sends++; return nil }
func (s *nopSession) Kick(int32, string) error                            { return nil }

// AfterFunc never runs fn: a benchmark drives the instance from its own
// goroutine, as the relay's session goroutine would, and a timer firing on
// another goroutine would run the script concurrently (the example's
// setTimeout loop did, and goja's state came apart).
func (s *nopSession) AfterFunc(time.Duration, func()) func() bool { return func() bool { return true } }

func benchInstance(b *testing.B, src string) (relay.Script, *nopSession) {
	b.Helper()
	f, err := script.NewFactory("bench.js", []byte(src), script.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	sc, err := f.New(relay.GameSessionInfo{GameSessionID: "gs-bench"})
	if err != nil {
		b.Fatal(err)
	}
	s := &nopSession{logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	sc.OnStartGameSession(s)
	return sc, s
}

// BenchmarkOnMessageRoundTrip: a message to the server goes into onMessage, which
// answers the sender with a message built from the payload (Go -> JS -> Go).
func BenchmarkOnMessageRoundTrip(b *testing.B) {
	sc, s := benchInstance(b, `var session;
exports.ssExports = {
	init: function (rt) { session = rt; },
	onMessage: function (m) { session.sendMessage(session.newBinaryGameMessage(m.opCode + 1, session.getServerId(), m.payload), m.sender); },
};`)
	m := relay.Message{OpCode: 10, Sender: 1, TargetPlayer: protocol.PeerServer, Payload: make([]byte, 64)}
	b.ReportAllocs()
	for b.Loop() {
		sc.OnMessage(s, m)
	}
	if s.sends != b.N {
		b.Fatalf("%d sends for %d messages", s.sends, b.N)
	}
}

// BenchmarkOnSendToPlayer measures what a script adds to a relayed message:
// absent (the default), a pass-through returning true, and the documentation
// example's filter on the payload text.
func BenchmarkOnSendToPlayer(b *testing.B) {
	example, err := os.ReadFile("testdata/gamelift_example.js")
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, src string }{
		{"absent", `exports.ssExports = {};`},
		{"passthrough", `exports.ssExports = { onSendToPlayer: function (m) { return true; } };`},
		{"example", string(example)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sc, s := benchInstance(b, bc.src)
			m := relay.Message{OpCode: 10, Sender: 1, TargetPlayer: 2, Payload: make([]byte, 64)}
			b.ReportAllocs()
			for b.Loop() {
				if !sc.OnSendToPlayer(s, m) {
					b.Fatal("refused")
				}
			}
		})
	}
}

// BenchmarkNewSession is the cost of one session's script instance: a runtime,
// the script's top-level code, init and onProcessStarted.
func BenchmarkNewSession(b *testing.B) {
	src, err := os.ReadFile("testdata/gamelift_example.js")
	if err != nil {
		b.Fatal(err)
	}
	f, err := script.NewFactory("gamelift_example.js", src, script.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.New(relay.GameSessionInfo{GameSessionID: "gs"}); err != nil {
			b.Fatal(err)
		}
	}
}
