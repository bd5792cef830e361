package matchmaker

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// configCounting counts the configuration reads.
type configCounting struct {
	store.Store
	reads atomic.Int32
}

func (c *configCounting) GetConfiguration(ctx context.Context, name string) (store.Configuration, error) {
	c.reads.Add(1)
	return c.Store.GetConfiguration(ctx, name)
}

// TestConfigCacheRefreshOnce: when the cached configuration expires, one of
// many concurrent callers reads it again while the others go on with the
// cached one, and an unchanged rule set keeps its compiled form.
func TestConfigCacheRefreshOnce(t *testing.T) {
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	st := &configCounting{Store: store.NewMemory(store.Options{Now: clk.Now})}
	e := newFormEnvWith(t, Options{Store: st, Logger: quiet, Now: clk.Now, CacheTTL: time.Second}, ModeStandalone, false)
	ctx := context.Background()
	_, first, err := e.svc.config(ctx, "ConfigurationName", "duel")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	reads := st.reads.Load()
	var wg sync.WaitGroup
	var differs atomic.Int32
	for range 32 {
		wg.Go(func() {
			_, rs, err := e.svc.config(ctx, "ConfigurationName", "duel")
			if err != nil {
				t.Error(err)
			}
			if rs != first {
				differs.Add(1)
			}
		})
	}
	wg.Wait()
	if n := st.reads.Load() - reads; n != 1 {
		t.Errorf("%d configuration reads by 32 callers after the cache expired, want 1", n)
	}
	if n := differs.Load(); n != 0 {
		t.Errorf("%d callers got the unchanged rule set compiled again", n)
	}
}
