package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// newMatchmakerService creates the matchmaker service with the game-session
// control plane wired to the bus (issue 12): a RelayTracker fed by the
// relays' heartbeats (Options.Relays), the bus
// for CreateGameSession placements and player session reservations
// (Options.GameSessionBus), and the service's SessionRegistry following
// every relay's session events. The caller owns the two subscriptions:
// stopFollowing ends them, waiting for the event being applied, and must
// run before the service is closed; no event is applied once it returns.
func newMatchmakerService(conn *bus.Conn, log *slog.Logger, opts matchmaker.Options) (svc *matchmaker.Service, stopFollowing func(), err error) {
	tracker := matchmaker.NewRelayTracker(opts.Now)
	opts.Relays = tracker.Live
	opts.GameSessionBus = conn
	svc, err = matchmaker.New(opts)
	if err != nil {
		return nil, nil, err
	}
	ctx := context.Background()
	stopHeartbeats, err := conn.SubscribeHeartbeats(ctx, "", func(hb bus.Heartbeat) {
		tracker.Observe(matchmaker.Relay{ID: hb.RelayID, Region: hb.Region, MaxSessions: hb.MaxSessions, Sessions: hb.Sessions,
			MaxPlayers: hb.MaxPlayers, Players: hb.Players, Draining: hb.Draining, Fleets: hb.Fleets}, time.Duration(hb.IntervalMs)*time.Millisecond)
	})
	if err != nil {
		svc.Close()
		return nil, nil, fmt.Errorf("follow relay heartbeats: %w", err)
	}
	stopEvents, err := conn.SubscribeSessionEvents(ctx, "", "", svc.SessionRegistry())
	if err != nil {
		stopHeartbeats()
		svc.Close()
		return nil, nil, fmt.Errorf("follow session events: %w", err)
	}
	log.Debug("game sessions follow the relays' heartbeats and session events")
	return svc, func() {
		stopEvents()
		stopHeartbeats()
	}, nil
}

// fleetsFlag is the relay's repeatable --fleet flag: fleet ids, each
// occurrence one id or a comma-separated list.
type fleetsFlag struct{ ids *[]string }

func (f fleetsFlag) String() string {
	if f.ids == nil {
		return ""
	}
	return strings.Join(*f.ids, ",")
}

func (f fleetsFlag) Set(v string) error {
	for id := range strings.SplitSeq(v, ",") {
		id = strings.TrimSpace(id)
		if id == "" {
			return fmt.Errorf("empty fleet id in %q", v)
		}
		if !slices.Contains(*f.ids, id) {
			*f.ids = append(*f.ids, id)
		}
	}
	return nil
}
