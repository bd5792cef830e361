package matchmaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// backfillServer takes the relays' automatic backfill requests from the bus
// (a player left a session whose configuration has BackfillMode AUTOMATIC)
// and starts a backfill ticket for each with the session's players; the
// configuration's owner then fills the open slots and places the new players
// in that session. Every matchmaker process runs one (Service.Run with
// Options.Bus): the requests are shared among them by a NATS queue group.
// With a former, it also follows the relays' session ended events, so that
// backfill tickets of sessions that are over are cancelled
// (former.markSessionEnded).
type backfillServer struct {
	// Conn is the bus connection the requests arrive on.
	Conn *bus.Conn
	// Service starts the backfill tickets.
	Service *Service
	// Store finds the configuration (its BackfillMode) and the ticket of a
	// request already served.
	Store store.Store
	// Configuration limits the server to one configuration; empty serves
	// every configuration.
	Configuration string
	// QueueGroup is the NATS queue group (default bus.DefaultMatchmakerQueue).
	QueueGroup string
	// former, when set, is told of every game session that ends.
	former *former
	// Logger receives the server's logs (default slog.Default()).
	Logger *slog.Logger
}

// Run serves backfill requests until ctx ends; then it stops as Serve's stop
// function does.
func (b *backfillServer) Run(ctx context.Context) error {
	stop, err := b.Serve(ctx)
	if err != nil {
		return err
	}
	<-ctx.Done()
	stop()
	return nil
}

// Serve starts serving backfill requests and returns once the NATS server
// has the subscription. stop (or the end of ctx) stops taking requests,
// answers those buffered with DRAINING and waits for those being handled.
func (b *backfillServer) Serve(ctx context.Context) (stop func(), err error) {
	if b.Conn == nil || b.Service == nil || b.Store == nil {
		return nil, errors.New("backfill server: Conn, Service and Store are required")
	}
	stopServe, err := b.Conn.ServeBackfills(ctx, b.Configuration, b.QueueGroup, b.Handle)
	if err != nil {
		return nil, fmt.Errorf("backfill server: %w", err)
	}
	if b.former == nil {
		return stopServe, nil
	}
	stopEvents, err := b.Conn.SubscribeSessionEvents(ctx, "", b.Configuration, bus.SessionHandlers{
		Ended: func(e bus.SessionEnded) {
			if e.GameSessionARN != "" {
				b.former.markSessionEnded(e.GameSessionARN)
			}
			b.former.waits.capacityFreed()
		},
	})
	if err != nil {
		stopServe()
		return nil, fmt.Errorf("backfill server: session events: %w", err)
	}
	return func() {
		stopServe()
		stopEvents()
	}, nil
}

func (b *backfillServer) log() *slog.Logger {
	if b.Logger == nil {
		return slog.Default()
	}
	return b.Logger
}

func backfillRefusal(code bus.ErrorCode, format string, args ...any) bus.BackfillReply {
	return bus.BackfillReply{Error: &bus.ReplyError{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// Handle answers one backfill request: the backfill ticket's id (the
// request id), or a refusal. A request id already served answers with its
// ticket, so a relay may repeat a request whose reply it lost. A
// configuration whose BackfillMode is not AUTOMATIC (any more) is refused
// INVALID.
func (b *backfillServer) Handle(ctx context.Context, req bus.BackfillRequest) bus.BackfillReply {
	log := b.log().With("configuration", req.Configuration, "gameSessionArn", req.GameSessionARN, "request", req.RequestID)
	if t, err := b.Store.GetTicket(ctx, req.RequestID); err == nil {
		if t.Backfill && t.ConfigurationName == req.Configuration && t.BackfillGameSessionArn == req.GameSessionARN {
			return bus.BackfillReply{TicketID: t.TicketId}
		}
		return backfillRefusal(bus.CodeConflict, "ticket %s exists and is not this session's backfill", req.RequestID)
	} else if !errors.Is(err, store.ErrNotFound) {
		log.Warn("backfill request: read ticket", "err", err)
		return backfillRefusal(bus.CodeInternal, "read ticket %s: %v", req.RequestID, err)
	}
	cfg, err := b.Store.GetConfiguration(ctx, req.Configuration)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return backfillRefusal(bus.CodeInvalid, "matchmaking configuration %q does not exist", req.Configuration)
	case err != nil:
		log.Warn("backfill request: read configuration", "err", err)
		return backfillRefusal(bus.CodeInternal, "read configuration %s: %v", req.Configuration, err)
	case cfg.BackfillMode != BackfillAuto:
		return backfillRefusal(bus.CodeInvalid, "matchmaking configuration %q has BackfillMode %s, not AUTOMATIC", req.Configuration, cfg.BackfillMode)
	}
	players := make([]store.Player, len(req.Players))
	for i, p := range req.Players {
		players[i] = store.Player{PlayerId: p.PlayerID, Team: p.Team, LatencyInMs: p.LatencyInMs}
		if len(p.Attributes) > 0 && string(p.Attributes) != "null" {
			if err := json.Unmarshal(p.Attributes, &players[i].PlayerAttributes); err != nil {
				return backfillRefusal(bus.CodeInvalid, "players[%d].attributes: %v", i, err)
			}
		}
	}
	out, err := b.Service.StartMatchBackfill(ctx, &StartMatchBackfillInput{
		TicketId:          req.RequestID,
		ConfigurationName: req.Configuration,
		GameSessionArn:    req.GameSessionARN,
		Players:           players,
	})
	if err != nil {
		e := AsError(err)
		switch {
		case e.Conflict:
			return backfillRefusal(bus.CodeConflict, "%s", e.Message)
		case e.Type == InvalidRequest || e.Type == NotFound:
			return backfillRefusal(bus.CodeInvalid, "%s", e.Message)
		}
		log.Warn("backfill request: start backfill", "err", err)
		return backfillRefusal(bus.CodeInternal, "%s", e.Message)
	}
	log.Info("backfill ticket started", "ticket", out.MatchmakingTicket.TicketId, "players", len(players))
	return bus.BackfillReply{TicketID: out.MatchmakingTicket.TicketId}
}
