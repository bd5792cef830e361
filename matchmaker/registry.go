package matchmaker

import (
	"context"
	"sync"
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
// COMPLETED. An event of a session the store does not hold yet (a FlexMatch
// session is recorded once its placement is answered) is kept for up to
// earlyEventTTL and applied when this process records the session; others
// are dropped. Every matchmaker may run them: the writes are
// compare-and-swap and repeat-safe.
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
	err := apply(ctx)
	if err != nil && AsError(err).Type == NotFound && ref.GameSessionARN != "" && s.early.hold(ref.GameSessionARN, kind, apply, s.now()) {
		// Kept for recorded, then tried again: the session may have been
		// recorded, and its kept events taken, between the first try and
		// hold. Applying an event twice changes nothing.
		if err = apply(ctx); err != nil && AsError(err).Type == NotFound {
			return
		}
	}
	if err != nil && AsError(err).Type != NotFound {
		s.log.Warn("session event not recorded", "event", kind, "gameSessionArn", ref.GameSessionARN, "relayId", ref.RelayID, "err", err)
	}
}

// recorded applies the events of game session arn that arrived before it
// was in the store (a FlexMatch session is recorded once its placement is
// answered, and its relay may report players connecting before that).
func (s *Service) recorded(ctx context.Context, arn string) {
	for _, e := range s.early.release(arn, s.now()) {
		if err := e.apply(ctx); err != nil && AsError(err).Type != NotFound {
			s.log.Warn("session event not recorded", "event", e.kind, "gameSessionArn", arn, "err", err)
		}
	}
}

// earlyEventTTL is how long an event of a game session the store does not
// hold is kept for the session's recording.
const earlyEventTTL = time.Minute

// maxEarlyEvents bounds the events kept for sessions not yet recorded.
const maxEarlyEvents = 10000

type earlyEvent struct {
	kind  string
	apply func(context.Context) error
	at    time.Time
}

// earlyEvents keeps, for earlyEventTTL, the session events of game sessions
// not yet in the store, until the session is recorded (release). Every
// matchmaker hears every event; only the one that records the session
// releases them, and the others' expire.
type earlyEvents struct {
	mu     sync.Mutex
	held   map[string][]earlyEvent
	n      int
	pruned time.Time
}

// hold keeps an event that found no session in the store, and reports
// whether it did (not when maxEarlyEvents are kept already).
func (q *earlyEvents) hold(arn, kind string, apply func(context.Context) error, now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.prune(now)
	if q.n >= maxEarlyEvents {
		return false
	}
	if q.held == nil {
		q.held = map[string][]earlyEvent{}
	}
	q.held[arn] = append(q.held[arn], earlyEvent{kind: kind, apply: apply, at: now})
	q.n++
	return true
}

// release returns the events held for arn, in arrival order.
func (q *earlyEvents) release(arn string, now time.Time) []earlyEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.prune(now)
	out := q.held[arn]
	delete(q.held, arn)
	q.n -= len(out)
	return out
}

// prune drops the events older than earlyEventTTL, at most once a second.
func (q *earlyEvents) prune(now time.Time) {
	if now.Sub(q.pruned) < time.Second {
		return
	}
	q.pruned = now
	for arn, es := range q.held {
		kept := es[:0]
		for _, e := range es {
			if now.Sub(e.at) <= earlyEventTTL {
				kept = append(kept, e)
			}
		}
		q.n -= len(es) - len(kept)
		if len(kept) == 0 {
			delete(q.held, arn)
		} else {
			q.held[arn] = kept
		}
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
