package bus_test

import (
	"errors"
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
