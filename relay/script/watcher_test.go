package script_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

// versioned is a script whose onMessage answers with its version string.
func versioned(v string) []byte {
	return []byte(`var session;
exports.ssExports = {
	init: function (s) { session = s; },
	onMessage: function (m) { session.sendMessage(session.newTextGameMessage(1, -1, "` + v + `"), m.sender); },
};`)
}

// newStore opens a bus script store checking uploads with script.Check, on an
// embedded NATS with JetStream.
func newStore(t *testing.T) (*bus.ScriptStore, *bus.Conn, *embedded.Server) {
	t.Helper()
	srv := bustest.RunJetStreamServer(t)
	conn := bustest.Connect(t, srv, bus.Options{})
	store, err := bus.NewScriptStore(t.Context(), conn, bus.ScriptStoreOptions{Check: script.Check})
	if err != nil {
		t.Fatalf("NewScriptStore: %v", err)
	}
	return store, conn, srv
}

// TestStoreRejectsBadScripts: a store checking with Check refuses a script that
// does not load, naming the line and column of a syntax error, and stores
// nothing.
func TestStoreRejectsBadScripts(t *testing.T) {
	reg, _, _ := newStore(t)
	ctx := t.Context()
	_, err := reg.Upload(ctx, "bad", []byte("exports.ssExports = {\n  onMessage: function (m) {\n    if (m.opCode === ) {}\n  }\n};"))
	var se *script.SyntaxError
	if !errors.As(err, &se) || se.Line != 3 || se.Column != 22 {
		t.Fatalf("Upload of a syntax error: %v, want a SyntaxError at 3:22", err)
	}
	if !strings.Contains(err.Error(), "line 3, column 22") {
		t.Errorf("error %q lacks the position", err)
	}
	if _, err := reg.Upload(ctx, "bad", []byte("var nothing;")); err == nil {
		t.Error("Upload of a script without ssExports succeeded")
	}
	if _, err := reg.Upload(ctx, "", versioned("x")); err == nil {
		t.Error("Upload with an empty name succeeded")
	}
	if list, err := reg.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("after rejected uploads List = %+v, %v; want nothing stored", list, err)
	}
}

// TestLiveUpdate: v1 is loaded at start; a session created then keeps v1 after v2
// is uploaded and announced, while sessions created afterwards run v2.
func TestLiveUpdate(t *testing.T) {
	reg, conn, _ := newStore(t)
	ctx := t.Context()
	if _, err := reg.Upload(ctx, "ctf", versioned("v1")); err != nil {
		t.Fatal(err)
	}
	w, err := script.NewWatcher(ctx, conn, reg, script.WatcherOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("NewWatcher: %v", err)
	}
	defer w.Close()
	if v, ok := w.Version("ctf"); !ok || v != 1 {
		t.Fatalf("watcher holds version %d %v after its first load, want 1", v, ok)
	}
	reply := func(s *fakeSession, sc relay.Script) string {
		before := len(s.sent())
		s.do(func() { sc.OnMessage(s, relay.Message{OpCode: 5, Sender: 1}) })
		got := s.sent()
		if len(got) != before+1 {
			t.Fatalf("no reply")
		}
		return string(got[len(got)-1].msg.Payload)
	}
	start := func(id string) (*fakeSession, relay.Script) {
		info := relay.GameSessionInfo{GameSessionID: id, ScriptName: "ctf"}
		s := newFakeSession(t, info)
		var sc relay.Script
		s.do(func() {
			var err error
			if sc, err = w.New(info); err != nil {
				t.Fatalf("New: %v", err)
			}
			sc.OnStartGameSession(s)
		})
		return s, sc
	}
	oldS, oldSc := start("gs-old")
	if got := reply(oldS, oldSc); got != "v1" {
		t.Fatalf("first session runs %s, want v1", got)
	}

	uploaded := time.Now()
	if _, err := reg.Upload(ctx, "ctf", versioned("v2")); err != nil {
		t.Fatal(err)
	}
	relaytest.Eventually(t, "the watcher to load v2", func() bool { v, _ := w.Version("ctf"); return v == 2 })
	t.Logf("v2 reached the watcher %v after the upload started", time.Since(uploaded))

	newS, newSc := start("gs-new")
	if got := reply(newS, newSc); got != "v2" {
		t.Errorf("session created after the update runs %s, want v2", got)
	}
	if got := reply(oldS, oldSc); got != "v1" {
		t.Errorf("running session switched to %s, want it to keep v1", got)
	}
	if sc, err := w.New(relay.GameSessionInfo{GameSessionID: "gs-none"}); sc != nil || err != nil {
		t.Errorf("New without a script name = %v, %v; want the defaults (nil, nil)", sc, err)
	}
	if _, err := w.New(relay.GameSessionInfo{GameSessionID: "gs-x", ScriptName: "missing"}); !errors.Is(err, bus.ErrScriptNotFound) {
		t.Errorf("New with an unknown script: %v, want bus.ErrScriptNotFound", err)
	}
}

// TestWatcherFetchesUnannouncedScript: a script whose announcement the watcher
// missed is fetched on first use, and a later version stored without any
// announcement is found by the periodic resync.
func TestWatcherFetchesUnannouncedScript(t *testing.T) {
	reg, conn, srv := newStore(t)
	ctx := t.Context()
	w, err := script.NewWatcher(ctx, conn, reg, script.WatcherOptions{Resync: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	store := func(version int, src []byte) { bustest.StoreScriptUnannounced(t, srv, "late", version, src) }
	store(1, versioned("v1"))
	sc, err := w.New(relay.GameSessionInfo{GameSessionID: "gs-1", ScriptName: "late"})
	if err != nil || sc == nil {
		t.Fatalf("New = %v, %v", sc, err)
	}
	if v, _ := w.Version("late"); v != 1 {
		t.Errorf("version %d after New, want 1", v)
	}
	store(2, versioned("v2"))
	relaytest.Eventually(t, "the resync to find v2", func() bool { v, _ := w.Version("late"); return v == 2 })
}

// countingHandler counts the records of each message at or above Warn.
type countingHandler struct {
	mu    sync.Mutex
	count map[string]int
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.count[r.Message]++
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func (h *countingHandler) total() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.count {
		n += c
	}
	return n
}

// TestMissingScriptLoggedOnce: placements naming a script the store does not
// have fail with ErrScriptNotFound, and however many there are (the
// matchmaker retries every 250 ms), the watcher logs the name once; once the
// script is uploaded, its announcement ends the backoff.
func TestMissingScriptLoggedOnce(t *testing.T) {
	reg, conn, _ := newStore(t)
	ctx := t.Context()
	logs := &countingHandler{count: map[string]int{}}
	w, err := script.NewWatcher(ctx, conn, reg, script.WatcherOptions{Logger: slog.New(logs)})
	if err != nil {
		t.Fatalf("NewWatcher: %v", err)
	}
	defer w.Close()
	const placements = 50
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range placements {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := w.New(relay.GameSessionInfo{GameSessionID: fmt.Sprint("gs-", i), ScriptName: "late"})
			if errors.Is(err, bus.ErrScriptNotFound) {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != placements {
		t.Fatalf("%d of %d placements failed with ErrScriptNotFound", failed.Load(), placements)
	}
	if _, err := w.New(relay.GameSessionInfo{GameSessionID: "gs-other", ScriptName: "other"}); !errors.Is(err, bus.ErrScriptNotFound) {
		t.Fatalf("New of another missing script: %v", err)
	}
	if got := logs.total(); got != 2 {
		t.Fatalf("%d warnings or errors for 2 missing scripts (%v), want one each", got, logs.count)
	}
	if _, err := reg.Upload(ctx, "late", versioned("v1")); err != nil {
		t.Fatal(err)
	}
	relaytest.Eventually(t, "the uploaded script to end the backoff", func() bool {
		_, err := w.New(relay.GameSessionInfo{GameSessionID: "gs-late", ScriptName: "late"})
		return err == nil
	})
	if got := logs.total(); got != 2 {
		t.Fatalf("%d warnings or errors after the upload (%v), want still 2", got, logs.count)
	}
}
