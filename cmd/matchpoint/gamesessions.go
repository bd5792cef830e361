package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/relay/script"
)

// scriptStoreTimeout bounds opening the JetStream script store for
// ScriptExists.
const scriptStoreTimeout = 10 * time.Second

// newMatchmakerService creates the matchmaker service with the game-session
// control plane wired to the bus (issue 12): a RelayTracker fed by the
// relays' heartbeats (Options.Relays), the bus script store
// (Options.ScriptExists: a script exists when it has a version), the bus
// for CreateGameSession placements and player session reservations
// (Options.GameSessionBus), and the service's SessionRegistry following
// every relay's session events. The two subscriptions last as long as conn.
func newMatchmakerService(conn *bus.Conn, log *slog.Logger, opts matchmaker.Options) (*matchmaker.Service, error) {
	tracker := matchmaker.NewRelayTracker(opts.Now)
	scripts := &lazyScripts{conn: conn}
	opts.Relays = tracker.Live
	opts.ScriptExists = scripts.exists
	opts.GameSessionBus = conn
	svc, err := matchmaker.New(opts)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if _, err := conn.SubscribeHeartbeats(ctx, "", func(hb bus.Heartbeat) {
		tracker.Observe(matchmaker.Relay{ID: hb.RelayID, Region: hb.Region, MaxSessions: hb.MaxSessions, Sessions: hb.Sessions,
			MaxPlayers: hb.MaxPlayers, Players: hb.Players, Draining: hb.Draining}, time.Duration(hb.IntervalMs)*time.Millisecond)
	}); err != nil {
		svc.Close()
		return nil, fmt.Errorf("follow relay heartbeats: %w", err)
	}
	if _, err := conn.SubscribeSessionEvents(ctx, "", "", svc.SessionRegistry()); err != nil {
		svc.Close()
		return nil, fmt.Errorf("follow session events: %w", err)
	}
	log.Debug("game sessions follow the relays' heartbeats and session events")
	return svc, nil
}

// lazyScripts opens the bus script store on first use (and again after a
// failure, when NATS has no JetStream yet).
type lazyScripts struct {
	conn *bus.Conn

	mu    sync.Mutex
	store *bus.ScriptStore
}

func (l *lazyScripts) exists(ctx context.Context, name string) (bool, error) {
	l.mu.Lock()
	st := l.store
	if st == nil {
		octx, cancel := context.WithTimeout(ctx, scriptStoreTimeout)
		var err error
		st, err = bus.NewScriptStore(octx, l.conn, bus.ScriptStoreOptions{Check: script.Check})
		cancel()
		if err != nil {
			l.mu.Unlock()
			return false, fmt.Errorf("open the script store: %w", err)
		}
		l.store = st
	}
	l.mu.Unlock()
	versions, err := st.Versions(ctx, name)
	if errors.Is(err, bus.ErrScriptNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("script %s: %w", name, err)
	}
	return len(versions) > 0, nil
}
