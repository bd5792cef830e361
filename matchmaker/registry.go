package matchmaker

import (
	"context"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// registryTimeout bounds the store writes of one session event.
const registryTimeout = 5 * time.Second

// SessionRegistry returns the handlers that keep the store's game sessions
// and player sessions in step with the relays' session events (subscribe
// them with bus.Conn.SubscribeSessionEvents for every region and
// configuration): started -> ACTIVE, player joined -> player session ACTIVE,
// player left -> COMPLETED, session ended (ACTIVE or TERMINATING) ->
// TERMINATED (ERROR for an ERROR end; TerminateGameSession's StatusReason
// kept) with its RESERVED player sessions TIMEDOUT and its ACTIVE ones
// COMPLETED. Events of sessions the store does not hold (FlexMatch
// placements so far) are ignored. Every matchmaker may run them: the writes
// are compare-and-swap and repeat-safe.
func (s *Service) SessionRegistry() bus.SessionHandlers {
	return bus.SessionHandlers{
		Started:      func(e bus.SessionStarted) { s.follow("started", e.SessionRef, s.sessionStarted(e)) },
		Ended:        func(e bus.SessionEnded) { s.follow("ended", e.SessionRef, s.sessionEnded(e)) },
		PlayerJoined: func(e bus.PlayerJoined) { s.follow("player joined", e.SessionRef, s.playerJoined(e)) },
		PlayerLeft:   func(e bus.PlayerLeft) { s.follow("player left", e.SessionRef, s.playerLeft(e)) },
	}
}

func (s *Service) follow(kind string, ref bus.SessionRef, apply func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), registryTimeout)
	defer cancel()
	if err := apply(ctx); err != nil && AsError(err).Type != NotFound {
		s.log.Warn("session event not recorded", "event", kind, "gameSessionArn", ref.GameSessionARN, "relayId", ref.RelayID, "err", err)
	}
}

func (s *Service) sessionStarted(e bus.SessionStarted) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := s.updateGameSession(ctx, e.GameSessionARN, func(g *store.GameSession) bool {
			return started(g, e.RelayID, &e.Endpoint)
		})
		return err
	}
}

func (s *Service) sessionEnded(e bus.SessionEnded) func(context.Context) error {
	return func(ctx context.Context) error {
		at := e.EndedAt.UTC()
		if err := s.endReservations(ctx, e.GameSessionARN, at); err != nil {
			return err
		}
		_, err := s.updateGameSession(ctx, e.GameSessionARN, func(g *store.GameSession) bool {
			if g.Status.Ended() {
				return false
			}
			g.Status, g.TerminationTime = store.GameSessionTerminated, at
			switch {
			case e.Reason == bus.EndError:
				g.Status = store.GameSessionError
			case g.StatusReason != "":
			case e.Reason == bus.EndTerminated:
				g.StatusReason = ReasonTriggeredOnProcessTerminate
			case e.Reason == bus.EndForceTerminated:
				g.StatusReason = ReasonForceTerminated
			}
			return true
		})
		return err
	}
}

// endReservations times out the RESERVED player sessions of an ending game
// session (the store completes the ACTIVE ones when the session ends).
func (s *Service) endReservations(ctx context.Context, gameSessionID string, at time.Time) error {
	next := ""
	for {
		page, token, err := s.store.ListPlayerSessions(ctx, store.PlayerSessionFilter{GameSessionID: gameSessionID, Status: store.PlayerSessionReserved}, store.Page{NextToken: next})
		if err != nil {
			return internal(err, "list reserved player sessions of %s", gameSessionID)
		}
		for _, p := range page {
			if _, err := s.updatePlayerSession(ctx, p.PlayerSessionId, func(q *store.PlayerSession) bool {
				if q.Status != store.PlayerSessionReserved {
					return false
				}
				q.Status, q.TerminationTime = store.PlayerSessionTimedOut, at
				return true
			}); err != nil {
				return err
			}
		}
		if token == "" {
			return nil
		}
		next = token
	}
}

func (s *Service) playerJoined(e bus.PlayerJoined) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := s.updatePlayerSession(ctx, e.PlayerSessionID, func(q *store.PlayerSession) bool {
			if q.Status != store.PlayerSessionReserved {
				return false
			}
			q.Status = store.PlayerSessionActive
			return true
		})
		return err
	}
}

func (s *Service) playerLeft(e bus.PlayerLeft) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := s.updatePlayerSession(ctx, e.PlayerSessionID, func(q *store.PlayerSession) bool {
			if !q.Status.Holds() {
				return false
			}
			q.Status, q.TerminationTime = store.PlayerSessionCompleted, e.LeftAt.UTC()
			return true
		})
		return err
	}
}
