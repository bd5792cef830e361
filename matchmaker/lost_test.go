package matchmaker

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLostConfigurations: after FLUSHALL under two running matchmakers, the
// readiness check (/readyz's "configurations", served by cmd) fails naming the
// configuration and the log says so at ERROR, once; nothing is recreated;
// recreating it, or deleting it through the API, makes the matchmaker ready
// again. A configuration deleted through the other
// matchmaker is not reported.
func TestLostConfigurations(t *testing.T) {
	srv := redistest.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	var logs lockedBuffer
	open := func() *Service {
		svc, err := New(Options{Store: store.NewRedis(c, store.Options{}), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Close() })
		return svc
	}
	one, other := open(), open()
	ready := func() error { return one.CheckConfigurations(ctx) }
	create := func(svc *Service, names ...string) {
		t.Helper()
		if _, err := svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "rs", RuleSetBody: testRuleSet}); err != nil && !strings.Contains(err.Error(), "already exists") {
			t.Fatal(err)
		}
		timeout, acceptance := 60, false
		for _, name := range names {
			if _, err := svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: name, RuleSetName: "rs", RequestTimeoutSeconds: &timeout, AcceptanceRequired: &acceptance}); err != nil {
				t.Fatal(err)
			}
		}
	}
	create(one, "kept", "dropped")
	if err := ready(); err != nil {
		t.Fatalf("before the wipe: %v", err)
	}
	if _, err := other.DeleteMatchmakingConfiguration(ctx, &DeleteMatchmakingConfigurationInput{Name: "dropped"}); err != nil {
		t.Fatal(err)
	}
	if err := ready(); err != nil {
		t.Fatalf("after a delete through the other matchmaker: %v", err)
	}

	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := ready(); err == nil || !strings.Contains(err.Error(), "gone from the store (data lost?): kept;") || strings.Contains(err.Error(), "dropped") {
			t.Fatalf("after FLUSHALL: %v, want an error naming kept only", err)
		}
	}
	if n := strings.Count(logs.String(), `level=ERROR msg="a matchmaking configuration this matchmaker served is gone from the store`); n != 1 {
		t.Fatalf("%d ERROR lines, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "configuration=kept rule_set=rs") {
		t.Fatalf("the log names no configuration:\n%s", logs.String())
	}
	if cfgs, _ := one.store.ListConfigurations(ctx); len(cfgs) != 0 {
		t.Fatalf("the matchmaker recreated %v", cfgs)
	}

	create(one, "kept")
	if err := ready(); err != nil {
		t.Fatalf("after recreating: %v", err)
	}
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := ready(); err == nil {
		t.Fatal("after the second FLUSHALL: ready, want an error")
	}
	if _, err := one.DeleteMatchmakingConfiguration(ctx, &DeleteMatchmakingConfigurationInput{Name: "kept"}); AsError(err).Type != NotFound {
		t.Fatalf("delete of a lost configuration: %v, want NotFound", err)
	}
	if err := ready(); err != nil {
		t.Fatalf("after deleting the lost configuration: %v", err)
	}
}
