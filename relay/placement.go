// Placement: game sessions created (or backfilled) by placement requests from
// the bus, and tries the matchmaker cancels.

package relay

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// errFull marks a placement refused for lack of room.
var errFull = errors.New("relay: full")

// place answers a placement request: a new session, a backfill into a running
// one, or the earlier answer for a match id already placed.
func (s *Server) place(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
	reply := s.placeMatch(ctx, req)
	reply.MatchID, reply.RelayID = req.MatchID, s.opts.RelayID
	result := "ok"
	if reply.Error != nil {
		result = string(reply.Error.Code)
	}
	s.m.placements.WithLabelValues(result).Inc()
	return reply
}

func refusal(code bus.ErrorCode, format string, args ...any) bus.PlacementReply {
	return bus.PlacementReply{Error: &bus.ReplyError{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// fingerprint identifies what a placement request asks for (its
// configuration, game session and players, in any order), to tell a repeat
// of a match id from a conflicting request: a SHA-256 sum, so that the
// record a relay keeps per request (one per CreatePlayerSessions call, for
// its deadline) holds 32 bytes and no pointer rather than the joined ids.
func fingerprint(req bus.PlacementRequest) [sha256.Size]byte {
	ids := make([]string, len(req.Players))
	for i, p := range req.Players {
		ids[i] = p.PlayerID
	}
	slices.Sort(ids)
	return sha256.Sum256([]byte(req.Configuration + "\x00" + req.GameSessionID + "\x00" + strings.Join(ids, "\x00")))
}

func (s *Server) placeMatch(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
	fp := fingerprint(req)
	pl, repeat, target, refused := s.claim(req, fp)
	switch {
	case refused != nil:
		return *refused
	case repeat:
		select {
		case <-pl.done:
		case <-ctx.Done():
			return refusal(bus.CodeExpired, "placement of match %q still in progress", req.MatchID)
		}
		if pl.fingerprint != fp {
			return refusal(bus.CodeConflict, "match %q was placed with other players", req.MatchID)
		}
		s.m.placements.WithLabelValues("repeat").Inc()
		return pl.reply
	}

	var reply bus.PlacementReply
	var sess *session
	var err error
	if target != nil {
		reply, err = s.backfill(target, req)
		sess = target
	} else {
		sess, reply, err = s.create(req)
	}

	s.mu.Lock()
	s.creating--
	s.ledger.settle(req.MatchID, pl, sess, reply, err)
	if err == nil && target == nil {
		s.sessions[sess.id] = sess
		s.m.sessions.Set(float64(len(s.sessions)))
		s.wg.Add(1)
		go sess.run(s.tick())
	}
	pl.reply = reply
	close(pl.done)
	s.mu.Unlock()
	if err == nil && target == nil {
		ctx, cancel := s.publishContext()
		defer cancel()
		if err := s.bus.PublishSessionStarted(ctx, bus.SessionStarted{SessionRef: sess.ref(), Endpoint: s.endpoint,
			MaxPlayers: sess.maxPlayers, StartedAt: sess.info.CreatedAt}); err != nil {
			s.log.Warn("publish session started", "err", err)
		}
		sess.log.Info("game session created", "matchId", req.MatchID, "players", len(req.Players))
	}
	return reply
}

// claim decides a placement request against the ledger and the relay's room:
// refused, a repeat of the match id's earlier placement pl, or the new
// placement pl (counted in creating) of a session to create (target nil) or
// of a backfill into target.
func (s *Server) claim(req bus.PlacementRequest, fp [sha256.Size]byte) (pl *placed, repeat bool, target *session, refused *bus.PlacementReply) {
	refuse := func(code bus.ErrorCode, format string, args ...any) (*placed, bool, *session, *bus.PlacementReply) {
		r := refusal(code, format, args...)
		return nil, false, nil, &r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ledger.mu.Lock()
	defer s.ledger.mu.Unlock()
	if pl, refused := s.ledger.claimLocked(req); pl != nil || refused != nil {
		return pl, pl != nil, nil, refused
	}
	if s.draining {
		return refuse(bus.CodeDraining, "relay %s is draining", s.opts.RelayID)
	}
	if req.FleetID != "" && len(s.opts.Fleets) > 0 && !slices.Contains(s.opts.Fleets, req.FleetID) {
		return refuse(bus.CodeFull, "relay %s does not serve fleet %s (it serves %v)", s.opts.RelayID, req.FleetID, s.opts.Fleets)
	}
	if req.GameSessionID != "" {
		if target = s.sessions[req.GameSessionID]; target == nil {
			return refuse(bus.CodeInvalid, "game session %q is not running on relay %s", req.GameSessionID, s.opts.RelayID)
		}
	} else {
		if n := len(s.sessions) + s.creating; n >= s.opts.MaxSessions {
			return refuse(bus.CodeFull, "%d of %d sessions", n, s.opts.MaxSessions)
		}
		if max := min(req.MaxPlayers, s.opts.MaxPlayersPerSession); len(req.Players) > max {
			return refuse(bus.CodeInvalid, "%d players, at most %d per session", len(req.Players), max)
		}
	}
	pl = &placed{done: make(chan struct{}), fingerprint: fp, attempt: req.Attempt, created: target == nil}
	if strings.HasPrefix(req.MatchID, reservePrefix) {
		pl.until = req.Deadline
	}
	s.ledger.addLocked(req.MatchID, pl)
	s.creating++
	return pl, false, target, nil
}

// cancelPlacement withdraws the tries of a match up to pc.Attempt: a session
// one of them created is ended (reason CANCELLED) unless a player has joined
// it or a later try found it, and requests of those tries that arrive later
// are refused. Backfill placements are never cancelled.
func (s *Server) cancelPlacement(pc bus.PlacementCancel) {
	pl := s.ledger.withdraw(pc)
	if pl == nil || !pl.created {
		return
	}
	// A session being created is finished first, then ended.
	<-pl.done
	if !s.ledger.cancel(pc, pl) {
		return
	}
	s.m.placements.WithLabelValues("cancelled").Inc()
	pl.sess.requestEnd(bus.EndCancelled, fmt.Sprintf("the matchmaker cancelled try %d of match %s", pc.Attempt, pc.MatchID))
	pl.sess.log.Info("placement cancelled by the matchmaker", "matchId", pc.MatchID, "attempt", pc.Attempt)
}

// tick is the period of each session's timeout checks.
func (s *Server) tick() time.Duration {
	o := &s.opts
	t := min(o.HeartbeatInterval, o.EmptySessionTimeout/4, o.IdleTimeout/4, o.PlayerSessionTTL/4)
	return max(t, 5*time.Millisecond)
}

// create makes the session of a new match.
func (s *Server) create(req bus.PlacementRequest) (*session, bus.PlacementReply, error) {
	now := time.Now()
	id := newID("gsess-")
	arn := "arn:aws:gamelift:" + s.opts.Region + "::gamesession/" + s.opts.RelayID + "/" + id
	if req.GameSessionARN != "" {
		// A CreateGameSession placement: the matchmaker's id is the ARN.
		id, arn = req.GameSessionARN, req.GameSessionARN
	}
	info := GameSessionInfo{
		GameSessionID:    id,
		GameSessionARN:   arn,
		MatchID:          req.MatchID,
		Configuration:    req.Configuration,
		ConfigurationARN: req.ConfigurationARN,
		Region:           s.opts.Region,
		RelayID:          s.opts.RelayID,
		ScriptName:       req.Script,
		GameProperties:   append([]bus.GameProperty(nil), req.GameProperties...),
		GameSessionData:  req.GameSessionData,
		MatchmakerData:   req.MatchmakerData,
		BackfillMode:     req.BackfillMode,
		MaxPlayers:       min(req.MaxPlayers, s.opts.MaxPlayersPerSession),
		CreatedAt:        now,
	}
	sess := newSession(s, info, info.MaxPlayers)
	if len(req.Players) == 0 {
		// Created empty, it waits for reservations; unscripted, it ends
		// EMPTY after the empty timeout without one.
		sess.createdEmpty, sess.emptySince = true, now
	}
	players, err := sess.reserve(req.Players, now, false)
	if err != nil {
		return nil, refusal(bus.CodeInvalid, "%v", err), err
	}
	if s.opts.ScriptFactory != nil {
		if sess.script, err = s.opts.ScriptFactory(sess.Info()); err != nil {
			level := slog.LevelError
			if errors.Is(err, bus.ErrScriptNotFound) {
				// The matchmaker retries the placement every few hundred
				// milliseconds; the factory logs a missing script once.
				level = slog.LevelDebug
			}
			s.log.Log(context.Background(), level, "script factory failed", "matchId", req.MatchID, "script", req.Script, "err", err)
			return nil, refusal(bus.CodeInternal, "script %q: %v", req.Script, err), err
		}
		if err := sess.configure(len(req.Players)); err != nil {
			return nil, refusal(bus.CodeInvalid, "script %q: %v", req.Script, err), err
		}
	}
	return sess, s.replyFor(sess, players), nil
}

// backfill reserves player sessions for new players of a running session.
func (s *Server) backfill(sess *session, req bus.PlacementRequest) (bus.PlacementReply, error) {
	players, err := sess.reserve(req.Players, time.Now(), true)
	switch {
	case errors.Is(err, errFull):
		return refusal(bus.CodeFull, "game session %s: %v", sess.id, err), err
	case err != nil:
		return refusal(bus.CodeInvalid, "game session %s: %v", sess.id, err), err
	}
	return s.replyFor(sess, players), nil
}

func (s *Server) replyFor(sess *session, players []bus.PlayerSession) bus.PlacementReply {
	e := s.endpoint
	return bus.PlacementReply{GameSessionID: sess.id, GameSessionARN: sess.arn, Endpoint: &e, PlayerSessions: players}
}

// removeSession forgets an ended session; its placement records and player
// session ids stay until prune, so that repeats get the same answer and late
// logins are told the session ended.
func (s *Server) removeSession(sess *session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, sess.id)
	s.m.sessions.Set(float64(len(s.sessions)))
	s.ledger.sessionEnded(sess, time.Now())
}
