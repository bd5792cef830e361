// Reservations of player sessions in a running session, asked by the
// matchmaker's CreatePlayerSession(s) with the ids it made.

package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// reservePrefix keeps reserve request ids apart from match ids in the
// ledger's placements.
const reservePrefix = "reserve/"

// reservePlayers answers a reserve request as a backfill placement of its
// players, with their player session ids, into the session it names: the
// same ledger record (a repeat of the request id answers the same), the same
// room check (FULL), INVALID when the session does not run here or ended.
func (s *Server) reservePlayers(ctx context.Context, req bus.ReserveRequest) bus.ReserveReply {
	reply := s.placeMatch(ctx, bus.PlacementRequest{
		MatchID:       reservePrefix + req.RequestID,
		Region:        s.opts.Region,
		RelayID:       s.opts.RelayID,
		GameSessionID: req.GameSessionID,
		Players:       req.Players,
		Deadline:      req.Deadline,
	})
	if reply.Error != nil {
		s.m.reserves.WithLabelValues(string(reply.Error.Code)).Inc()
	} else {
		s.m.reservesOK.Inc()
	}
	return bus.ReserveReply{RequestID: req.RequestID, PlayerSessions: reply.PlayerSessions, Error: reply.Error}
}

// updateSession answers a session update request: a new maximum of players
// (refused, CONFLICT, below the players the session holds, connected or
// reserved) or an end (TerminateNormal runs the script's onProcessTerminate
// as a drain does; TerminateForce ends at once). INVALID when the session
// does not run here.
func (s *Server) updateSession(_ context.Context, req bus.SessionUpdateRequest) bus.SessionUpdateReply {
	s.mu.Lock()
	sess := s.sessions[req.GameSessionID]
	s.mu.Unlock()
	refuse := func(code bus.ErrorCode, format string, args ...any) bus.SessionUpdateReply {
		s.m.sessionUpdates.WithLabelValues(string(code)).Inc()
		return bus.SessionUpdateReply{Error: &bus.ReplyError{Code: code, Message: fmt.Sprintf(format, args...)}}
	}
	if sess == nil || sess.ended.Load() {
		return refuse(bus.CodeInvalid, "game session %q is not running on relay %s", req.GameSessionID, s.opts.RelayID)
	}
	switch req.Terminate {
	case bus.TerminateNormal:
		sess.requestEnd(bus.EndTerminated, "TerminateGameSession")
	case bus.TerminateForce:
		sess.requestEnd(bus.EndForceTerminated, "TerminateGameSession (FORCE_TERMINATE)")
	default:
		if held, err := sess.setMaxPlayers(min(req.MaxPlayers, s.opts.MaxPlayersPerSession), time.Now()); err != nil {
			return refuse(bus.CodeConflict, "game session %s holds %d players: %v", req.GameSessionID, held, err)
		}
	}
	s.m.sessionUpdates.WithLabelValues("ok").Inc()
	return bus.SessionUpdateReply{}
}

// errBelowHeld refuses a maximum of players below those a session holds.
var errBelowHeld = errors.New("maximum below the players held")

// setMaxPlayers changes the session's maximum of players, unless it holds
// more (connected, or reserved and not expired); it returns how many it
// holds. It takes turn, as the session goroutine's admission reads the
// maximum under it, and mu, as reservations read it under that.
func (sess *session) setMaxPlayers(n int, now time.Time) (int, error) {
	sess.turn.Lock()
	defer sess.turn.Unlock()
	sess.mu.Lock()
	defer sess.mu.Unlock()
	held := len(sess.routes.Load().all) + sess.res.live(now)
	if n < held {
		return held, fmt.Errorf("%d asked: %w", n, errBelowHeld)
	}
	sess.maxPlayers, sess.info.MaxPlayers = n, n
	return held, nil
}
