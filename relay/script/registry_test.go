package script_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/relay"
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

func newRegistry(t *testing.T) (*script.Registry, *bus.Conn) {
	t.Helper()
	srv := bustest.RunJetStreamServer(t)
	conn := bustest.Connect(t, srv, bus.Options{})
	reg, err := script.NewRegistry(t.Context(), conn, script.RegistryOptions{})
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	return reg, conn
}

func TestRegistryUploadGetListAnnounce(t *testing.T) {
	reg, conn := newRegistry(t)
	ctx := t.Context()
	announced := make(chan bus.ScriptVersion, 8)
	stop, err := conn.SubscribeScriptVersions(ctx, "", func(sv bus.ScriptVersion) { announced <- sv })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	if _, err := reg.Latest(ctx, "ctf"); !errors.Is(err, script.ErrNotFound) {
		t.Errorf("Latest of nothing: %v, want ErrNotFound", err)
	}
	for i, src := range [][]byte{versioned("v1"), versioned("v2")} {
		v, err := reg.Upload(ctx, "ctf", src)
		if err != nil || v != i+1 {
			t.Fatalf("Upload %d = %d, %v", i+1, v, err)
		}
		select {
		case sv := <-announced:
			if sv.Name != "ctf" || sv.Version != int64(i+1) || sv.Size != int64(len(src)) || sv.Bucket != script.DefaultObjectBucket {
				t.Errorf("announcement %+v", sv)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no announcement")
		}
	}
	if _, err := reg.Upload(ctx, "ranked.eu", versioned("r1")); err != nil {
		t.Fatal(err)
	}
	latest, err := reg.Latest(ctx, "ctf")
	if err != nil || latest.Version != 2 || string(latest.Source) != string(versioned("v2")) {
		t.Errorf("Latest = %+v, %v", latest.ScriptVersion, err)
	}
	v1, err := reg.Get(ctx, "ctf", 1)
	if err != nil || string(v1.Source) != string(versioned("v1")) {
		t.Errorf("Get v1 = %q, %v", v1.Source, err)
	}
	if _, err := reg.Get(ctx, "ctf", 3); !errors.Is(err, script.ErrNotFound) {
		t.Errorf("Get v3: %v, want ErrNotFound", err)
	}
	list, err := reg.List(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "ctf" || list[0].Version != 2 || list[1].Name != "ranked.eu" || list[1].Version != 1 {
		t.Errorf("List = %+v, %v", list, err)
	}
	versions, err := reg.Versions(ctx, "ctf")
	if err != nil || len(versions) != 2 || versions[0].Version != 1 || versions[1].Version != 2 {
		t.Errorf("Versions = %+v, %v", versions, err)
	}
}

func TestRegistryRejectsBadScripts(t *testing.T) {
	reg, _ := newRegistry(t)
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

func TestRegistryConcurrentUploadsGetDistinctVersions(t *testing.T) {
	reg, _ := newRegistry(t)
	ctx := t.Context()
	results := make(chan int, 4)
	for i := range 4 {
		go func() {
			v, err := reg.Upload(ctx, "race", versioned(strings.Repeat("x", i+1)))
			if err != nil {
				t.Errorf("Upload: %v", err)
			}
			results <- v
		}()
	}
	seen := map[int]bool{}
	for range 4 {
		seen[<-results] = true
	}
	for v := 1; v <= 4; v++ {
		if !seen[v] {
			t.Errorf("versions %v, want 1..4", seen)
		}
	}
}

// TestLiveUpdate: v1 is loaded at start; a session created then keeps v1 after v2
// is uploaded and announced, while sessions created afterwards run v2.
func TestLiveUpdate(t *testing.T) {
	reg, conn := newRegistry(t)
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
	waitFor(t, "the watcher to load v2", func() bool { v, _ := w.Version("ctf"); return v == 2 })
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
	if _, err := w.New(relay.GameSessionInfo{GameSessionID: "gs-x", ScriptName: "missing"}); !errors.Is(err, script.ErrNotFound) {
		t.Errorf("New with an unknown script: %v, want ErrNotFound", err)
	}
}

// TestWatcherFetchesUnannouncedScript: a script whose announcement the watcher
// missed is fetched on first use, and a later version stored without any
// announcement is found by the periodic resync.
func TestWatcherFetchesUnannouncedScript(t *testing.T) {
	reg, conn := newRegistry(t)
	ctx := t.Context()
	w, err := script.NewWatcher(ctx, conn, reg, script.WatcherOptions{Resync: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// Store version 1 as Upload does, without the announcement.
	js, err := jetstream.New(conn.NATS())
	if err != nil {
		t.Fatal(err)
	}
	store := func(version int, src []byte) {
		obj, err := js.ObjectStore(ctx, script.DefaultObjectBucket)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(src)
		digest := hex.EncodeToString(sum[:])
		if _, err := obj.PutBytes(ctx, "late/"+digest, src); err != nil {
			t.Fatal(err)
		}
		kv, err := js.KeyValue(ctx, script.DefaultIndexBucket)
		if err != nil {
			t.Fatal(err)
		}
		data, err := bus.ScriptVersion{Name: "late", Version: int64(version), SHA256: digest, Size: int64(len(src)),
			Bucket: script.DefaultObjectBucket, Object: "late/" + digest, CreatedAt: time.Now()}.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kv.Create(ctx, "late."+strconv.Itoa(version), data); err != nil {
			t.Fatal(err)
		}
	}
	store(1, versioned("v1"))
	sc, err := w.New(relay.GameSessionInfo{GameSessionID: "gs-1", ScriptName: "late"})
	if err != nil || sc == nil {
		t.Fatalf("New = %v, %v", sc, err)
	}
	if v, _ := w.Version("late"); v != 1 {
		t.Errorf("version %d after New, want 1", v)
	}
	store(2, versioned("v2"))
	waitFor(t, "the resync to find v2", func() bool { v, _ := w.Version("late"); return v == 2 })
}
