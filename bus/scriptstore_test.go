package bus_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
)

func newScriptStore(t *testing.T, opts bus.ScriptStoreOptions) (*bus.ScriptStore, *bus.Conn) {
	t.Helper()
	srv := bustest.RunJetStreamServer(t)
	conn := bustest.Connect(t, srv, bus.Options{})
	store, err := bus.NewScriptStore(t.Context(), conn, opts)
	if err != nil {
		t.Fatalf("NewScriptStore: %v", err)
	}
	return store, conn
}

func TestScriptStoreUploadGetListAnnounce(t *testing.T) {
	store, conn := newScriptStore(t, bus.ScriptStoreOptions{})
	ctx := t.Context()
	announced := make(chan bus.ScriptVersion, 8)
	stop, err := conn.SubscribeScriptVersions(ctx, "", func(sv bus.ScriptVersion) { announced <- sv })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	if _, err := store.Latest(ctx, "ctf"); !errors.Is(err, bus.ErrScriptNotFound) {
		t.Errorf("Latest of nothing: %v, want ErrScriptNotFound", err)
	}
	for i, src := range []string{"v1", "v2"} {
		v, err := store.Upload(ctx, "ctf", []byte(src))
		if err != nil || v != i+1 {
			t.Fatalf("Upload %d = %d, %v", i+1, v, err)
		}
		select {
		case sv := <-announced:
			if sv.Name != "ctf" || sv.Version != int64(i+1) || sv.Size != int64(len(src)) || sv.Bucket != bus.DefaultScriptBucket {
				t.Errorf("announcement %+v", sv)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no announcement")
		}
	}
	if _, err := store.Upload(ctx, "ranked.eu", []byte("r1")); err != nil {
		t.Fatal(err)
	}
	latest, err := store.Latest(ctx, "ctf")
	if err != nil || latest.Version != 2 || string(latest.Source) != "v2" {
		t.Errorf("Latest = %+v, %v", latest.ScriptVersion, err)
	}
	v1, err := store.Get(ctx, "ctf", 1)
	if err != nil || string(v1.Source) != "v1" {
		t.Errorf("Get v1 = %q, %v", v1.Source, err)
	}
	if _, err := store.Get(ctx, "ctf", 3); !errors.Is(err, bus.ErrScriptNotFound) {
		t.Errorf("Get v3: %v, want ErrScriptNotFound", err)
	}
	list, err := store.List(ctx)
	if err != nil || len(list) != 2 || list[0].Name != "ctf" || list[0].Version != 2 || list[1].Name != "ranked.eu" || list[1].Version != 1 {
		t.Errorf("List = %+v, %v", list, err)
	}
	versions, err := store.Versions(ctx, "ctf")
	if err != nil || len(versions) != 2 || versions[0].Version != 1 || versions[1].Version != 2 {
		t.Errorf("Versions = %+v, %v", versions, err)
	}
}

// TestScriptStoreRejects: an upload that Check refuses, with an invalid name
// or over MaxSize is a *ScriptRejectedError and stores nothing.
func TestScriptStoreRejects(t *testing.T) {
	refused := errors.New("no ssExports")
	var mu sync.Mutex
	var checked []string
	store, _ := newScriptStore(t, bus.ScriptStoreOptions{MaxSize: 8, Check: func(name string, source []byte) error {
		mu.Lock()
		defer mu.Unlock()
		checked = append(checked, name+":"+string(source))
		if string(source) == "bad" {
			return refused
		}
		return nil
	}})
	ctx := t.Context()
	_, err := store.Upload(ctx, "ctf", []byte("bad"))
	var rej *bus.ScriptRejectedError
	if !errors.As(err, &rej) || rej.Name != "ctf" || !rej.Rejected() || !errors.Is(err, refused) {
		t.Fatalf("Upload refused by Check: %v, want a ScriptRejectedError wrapping the check's error", err)
	}
	if !strings.Contains(err.Error(), "script ctf rejected: no ssExports") {
		t.Errorf("error %q", err)
	}
	if _, err := store.Upload(ctx, "", []byte("good")); !errors.As(err, &rej) || !errors.Is(err, bus.ErrInvalidName) {
		t.Errorf("Upload with an empty name: %v, want a ScriptRejectedError wrapping ErrInvalidName", err)
	}
	if _, err := store.Upload(ctx, "big", []byte("123456789")); !errors.As(err, &rej) || !strings.Contains(err.Error(), "9 bytes, more than the 8 allowed") {
		t.Errorf("Upload over MaxSize: %v", err)
	}
	if store.MaxSize() != 8 {
		t.Errorf("MaxSize = %d, want 8", store.MaxSize())
	}
	if list, err := store.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("after rejected uploads List = %+v, %v; want nothing stored", list, err)
	}
	if v, err := store.Upload(ctx, "ctf", []byte("good")); err != nil || v != 1 {
		t.Errorf("Upload of a script Check accepts = %d, %v", v, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(checked, " ") != "ctf:bad ctf:good" {
		t.Errorf("Check saw %q, want the two uploads with a valid name and size", checked)
	}
}

func TestScriptStoreConcurrentUploadsGetDistinctVersions(t *testing.T) {
	store, _ := newScriptStore(t, bus.ScriptStoreOptions{})
	ctx := t.Context()
	results := make(chan int, 4)
	for i := range 4 {
		go func() {
			v, err := store.Upload(ctx, "race", []byte(strings.Repeat("x", i+1)))
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

// TestScriptStoreDelete: Delete removes every version and its sources, a
// label stays with its version, and a script uploaded again under the name
// continues the version numbers.
func TestScriptStoreDelete(t *testing.T) {
	store, _ := newScriptStore(t, bus.ScriptStoreOptions{})
	ctx := t.Context()
	for i, label := range []string{"1.0.0", ""} {
		sv, err := store.UploadLabeled(ctx, "ctf", label, []byte(fmt.Sprint("v", i)))
		if err != nil || sv.Label != label {
			t.Fatalf("UploadLabeled %q = %+v, %v", label, sv, err)
		}
	}
	if _, err := store.Upload(ctx, "koth", []byte("k")); err != nil {
		t.Fatal(err)
	}
	versions, err := store.Versions(ctx, "ctf")
	if err != nil || len(versions) != 2 || versions[0].Label != "1.0.0" || versions[1].Label != "" {
		t.Fatalf("Versions = %+v, %v; want the labels kept", versions, err)
	}
	if ok, err := store.Exists(ctx, "ctf"); err != nil || !ok {
		t.Fatalf("Exists before Delete = %v, %v", ok, err)
	}
	if n, err := store.Delete(ctx, "ctf"); err != nil || n != 2 {
		t.Fatalf("Delete = %d, %v; want 2 versions", n, err)
	}
	if v, err := store.Versions(ctx, "ctf"); err != nil || len(v) != 0 {
		t.Errorf("Versions after Delete = %+v, %v", v, err)
	}
	if ok, err := store.Exists(ctx, "ctf"); err != nil || ok {
		t.Errorf("Exists after Delete = %v, %v", ok, err)
	}
	if _, err := store.Latest(ctx, "ctf"); !errors.Is(err, bus.ErrScriptNotFound) {
		t.Errorf("Latest after Delete: %v, want ErrScriptNotFound", err)
	}
	for _, sv := range versions {
		if _, err := store.Get(ctx, sv.Name, int(sv.Version)); !errors.Is(err, bus.ErrScriptNotFound) {
			t.Errorf("Get version %d after Delete: %v, want ErrScriptNotFound", sv.Version, err)
		}
	}
	if list, err := store.List(ctx); err != nil || len(list) != 1 || list[0].Name != "koth" {
		t.Errorf("List after Delete = %+v, %v; want koth alone", list, err)
	}
	if _, err := store.Delete(ctx, "ctf"); !errors.Is(err, bus.ErrScriptNotFound) {
		t.Errorf("Delete again: %v, want ErrScriptNotFound", err)
	}
	if _, err := store.Delete(ctx, "nope"); !errors.Is(err, bus.ErrScriptNotFound) {
		t.Errorf("Delete of an unknown name: %v, want ErrScriptNotFound", err)
	}
	// The same source again: its object was deleted and is stored anew.
	sv, err := store.UploadLabeled(ctx, "ctf", "2.0", []byte("v0"))
	if err != nil || sv.Version != 3 || sv.Label != "2.0" {
		t.Fatalf("upload after Delete = %+v, %v; want version 3", sv, err)
	}
	if got, err := store.Latest(ctx, "ctf"); err != nil || string(got.Source) != "v0" || got.Version != 3 {
		t.Fatalf("Latest after the new upload = %+v, %v", got.ScriptVersion, err)
	}
	if list, err := store.List(ctx); err != nil || len(list) != 2 || list[0].Name != "ctf" || list[0].Version != 3 {
		t.Errorf("List after the new upload = %+v, %v", list, err)
	}
}
