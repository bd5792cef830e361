package script

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay"
)

// Defaults of WatcherOptions.
const (
	DefaultResync       = 30 * time.Second
	DefaultFetchTimeout = 5 * time.Second
)

// firstMissingBackoff is how long New answers a script the store did not have
// without asking the store again; each miss doubles it, up to Resync.
const firstMissingBackoff = time.Second

// WatcherOptions configure a Watcher. The zero value is usable.
type WatcherOptions struct {
	// Script are the options of every script the watcher loads.
	Script Options
	// Resync is how often the watcher re-reads the newest versions from the
	// registry, to catch announcements it missed (they are not stored).
	// Default 30 s.
	Resync time.Duration
	// FetchTimeout bounds the loading of one version. Default 5 s.
	FetchTimeout time.Duration
	// Logger receives the watcher's logs. Default slog.Default().
	Logger *slog.Logger
}

// Watcher keeps, on a relay, the newest version of every stored script compiled
// and ready: it loads them all when it starts, follows the announcements on the
// bus, and re-reads the registry every Resync. Its New method is the relay's
// ScriptFactory: a session gets an instance of the newest version of the script
// its placement names (GameSessionInfo.ScriptName), and keeps that instance, and
// so that version, until it ends.
type Watcher struct {
	reg  *bus.ScriptStore
	opts WatcherOptions

	mu      sync.Mutex
	current map[string]*Factory
	// missing holds the names New did not find in the store, until they
	// are installed: New logs a name once and asks the store again only
	// after its backoff.
	missing map[string]*missingScript

	ctx     context.Context // the watcher's life, for fetches from New
	cancel  context.CancelFunc
	stopSub func()
	done    chan struct{}
}

// NewWatcher subscribes to the script announcements, loads the newest version of
// every script in reg (ctx bounds this first load) and returns the running
// watcher. It runs until ctx is done or Close is called.
func NewWatcher(ctx context.Context, conn *bus.Conn, reg *bus.ScriptStore, opts WatcherOptions) (*Watcher, error) {
	if opts.Resync <= 0 {
		opts.Resync = DefaultResync
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	wctx, cancel := context.WithCancel(ctx)
	w := &Watcher{reg: reg, opts: opts, current: make(map[string]*Factory), missing: make(map[string]*missingScript), ctx: wctx, cancel: cancel, done: make(chan struct{})}
	stop, err := conn.SubscribeScriptVersions(wctx, "", func(sv bus.ScriptVersion) {
		w.consider(wctx, sv.Name, int(sv.Version))
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("script watcher: subscribe: %w", err)
	}
	w.stopSub = stop
	if err := w.resync(ctx); err != nil {
		stop()
		cancel()
		return nil, fmt.Errorf("script watcher: first load: %w", err)
	}
	go w.run(wctx)
	return w, nil
}

// Close stops the watcher and waits for it. Scripts already handed out keep
// running.
func (w *Watcher) Close() {
	w.cancel()
	w.stopSub()
	<-w.done
}

func (w *Watcher) run(ctx context.Context) {
	defer close(w.done)
	tick := time.NewTicker(w.opts.Resync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := w.resync(ctx); err != nil && ctx.Err() == nil {
				w.opts.Logger.Warn("script watcher: resync failed", "error", err)
			}
		}
	}
}

// resync loads every script whose stored newest version is newer than the one
// held.
func (w *Watcher) resync(ctx context.Context) error {
	latest, err := w.reg.List(ctx)
	if err != nil {
		return err
	}
	for _, sv := range latest {
		w.consider(ctx, sv.Name, int(sv.Version))
	}
	return nil
}

// consider loads version of name when it is newer than the one held; failures
// are logged (the version held stays).
func (w *Watcher) consider(ctx context.Context, name string, version int) {
	if v, ok := w.Version(name); ok && v >= version {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, w.opts.FetchTimeout)
	defer cancel()
	stored, err := w.reg.Get(ctx, name, version)
	if err != nil {
		w.opts.Logger.Error("script watcher: cannot fetch script", "script", name, "version", version, "error", err)
		return
	}
	if _, err := w.install(stored); err != nil {
		w.opts.Logger.Error("script watcher: cannot load script", "script", name, "version", version, "error", err)
	}
}

// install compiles a stored version and makes it current unless a newer one is
// current already; it returns the current factory.
func (w *Watcher) install(stored bus.StoredScript) (*Factory, error) {
	f, err := NewFactory(stored.Name, stored.Source, w.opts.Script)
	if err != nil {
		return nil, err
	}
	f.version = int(stored.Version)
	w.mu.Lock()
	defer w.mu.Unlock()
	if cur := w.current[stored.Name]; cur != nil && cur.version >= f.version {
		return cur, nil
	}
	w.current[stored.Name] = f
	delete(w.missing, stored.Name)
	w.opts.Logger.Info("script loaded", "script", stored.Name, "version", f.version, "sha256", stored.SHA256)
	return f, nil
}

// Version returns the version of name new sessions get now.
func (w *Watcher) Version(name string) (int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, ok := w.current[name]
	if !ok {
		return 0, false
	}
	return f.version, true
}

// Factory returns the current factory of name.
func (w *Watcher) Factory(name string) (*Factory, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f, ok := w.current[name]
	return f, ok
}

// missingScript is a name the store did not have when New asked.
type missingScript struct {
	retry   time.Time     // New asks the store again from then on
	backoff time.Duration // the wait after the next miss
}

// recentlyMissing reports whether name missed in the store within its
// backoff, so that New answers at once without asking again.
func (w *Watcher) recentlyMissing(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.missing[name]
	return m != nil && time.Now().Before(m.retry)
}

// missed records that the store does not have name: the first miss is logged
// (a placement's matchmaker retries it every few hundred milliseconds, and
// the name stays missing until uploaded), the next ones double the wait
// before New asks the store again, up to Resync.
func (w *Watcher) missed(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.missing[name]
	if m == nil {
		m = &missingScript{backoff: firstMissingBackoff}
		w.missing[name] = m
		w.opts.Logger.Warn("script watcher: placements name a script the store does not have; they fail until it is uploaded (logged once)", "script", name)
	}
	m.retry = time.Now().Add(m.backoff)
	m.backoff = min(2*m.backoff, w.opts.Resync)
}

// New is the relay.ScriptFactory of the watcher: an instance of the newest
// version of info.ScriptName, or a nil Script (the relay's defaults) when the
// placement names no script. A name the watcher has not seen yet (an upload whose
// announcement has not arrived) is fetched from the registry, within
// FetchTimeout; a name the registry does not have is an error wrapping
// bus.ErrScriptNotFound, logged once per name, and asked of the registry again
// only after a backoff (1 s, doubling up to Resync) unless its upload is
// announced.
func (w *Watcher) New(info relay.GameSessionInfo) (relay.Script, error) {
	if info.ScriptName == "" {
		return nil, nil
	}
	f, ok := w.Factory(info.ScriptName)
	if !ok {
		if w.recentlyMissing(info.ScriptName) {
			return nil, fmt.Errorf("script watcher: script %s: %w", info.ScriptName, bus.ErrScriptNotFound)
		}
		ctx, cancel := context.WithTimeout(w.ctx, w.opts.FetchTimeout)
		defer cancel()
		stored, err := w.reg.Latest(ctx, info.ScriptName)
		if errors.Is(err, bus.ErrScriptNotFound) {
			w.missed(info.ScriptName)
		}
		if err != nil {
			return nil, fmt.Errorf("script watcher: %w", err)
		}
		if f, err = w.install(stored); err != nil {
			return nil, fmt.Errorf("script watcher: %w", err)
		}
	}
	return f.New(info)
}

var _ relay.ScriptFactory = (*Watcher)(nil).New
