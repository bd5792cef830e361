package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// GameSessionControl updates and ends game sessions on the relays hosting
// them (UpdateGameSession's new maximum, TerminateGameSession); *bus.Conn
// implements it. The service uses it when its GameSessionBus implements it
// too; otherwise those calls find no relay to reach.
type GameSessionControl interface {
	RequestSessionUpdate(ctx context.Context, req bus.SessionUpdateRequest) (bus.SessionUpdateReply, error)
}

// The TerminationMode values: GameLift's, and NORMAL, this project's name
// for TRIGGER_ON_PROCESS_TERMINATE.
const (
	TerminationTriggerOnProcessTerminate = "TRIGGER_ON_PROCESS_TERMINATE"
	TerminationNormal                    = "NORMAL"
	TerminationForce                     = "FORCE_TERMINATE"
)

// The StatusReason of a game session TerminateGameSession ended (GameLift's
// GameSessionStatusReason).
const (
	ReasonTriggeredOnProcessTerminate = "TRIGGERED_ON_PROCESS_TERMINATE"
	ReasonForceTerminated             = "FORCE_TERMINATED"
)

// sessionUpdateTimeout bounds a relay's answer to a session update.
const sessionUpdateTimeout = 5 * time.Second

func checkUpdateGameSession(in *UpdateGameSessionInput) *Error {
	if in.MaximumPlayerSessionCount != nil && *in.MaximumPlayerSessionCount < 1 {
		return invalid("MaximumPlayerSessionCount", "must be at least 1, got %d", *in.MaximumPlayerSessionCount)
	}
	if in.Name != nil {
		if err := checkLen("Name", *in.Name, 1, MaxGameSessionName); err != nil {
			return err
		}
	}
	switch in.PlayerSessionCreationPolicy {
	case "", store.AcceptAll, store.DenyAll:
	default:
		return invalid("PlayerSessionCreationPolicy", "must be %s or %s, got %q", store.AcceptAll, store.DenyAll, in.PlayerSessionCreationPolicy)
	}
	if in.ProtectionPolicy != "" {
		if err := checkProtectionPolicy("ProtectionPolicy", in.ProtectionPolicy); err != nil {
			return err
		}
	}
	return checkGameProperties(in.GameProperties)
}

// mergeProperties adds props to cur and replaces the values of keys cur
// has, as GameLift's UpdateGameSession does (there is no way to delete a
// property).
func mergeProperties(cur, props []GameProperty) []GameProperty {
	out := slices.Clone(cur)
	for _, p := range props {
		if i := slices.IndexFunc(out, func(q GameProperty) bool { return q.Key == p.Key }); i >= 0 {
			out[i].Value = p.Value
		} else {
			out = append(out, p)
		}
	}
	return out
}

// UpdateGameSession changes an ACTIVE game session: MaximumPlayerSessionCount
// (refused below its current player sessions; the relay hosting it learns
// the new maximum first), Name, PlayerSessionCreationPolicy,
// ProtectionPolicy, and GameProperties (added or replaced by key). Absent
// fields keep their value.
func (s *Service) UpdateGameSession(ctx context.Context, in *UpdateGameSessionInput) (*UpdateGameSessionOutput, error) {
	if err := checkUpdateGameSession(in); err != nil {
		return nil, err
	}
	gs, err := s.getGameSession(ctx, in.GameSessionId)
	if err != nil {
		return nil, err
	}
	if gs.Status != store.GameSessionActive {
		return nil, notActive(&gs)
	}
	if merged := mergeProperties(gs.GameProperties, in.GameProperties); len(merged) > MaxGameProperties {
		return nil, invalid("GameProperties", "the game session would have %d properties, at most %d", len(merged), MaxGameProperties)
	}
	newMax := in.MaximumPlayerSessionCount != nil && *in.MaximumPlayerSessionCount != gs.MaximumPlayerSessionCount
	if newMax {
		if n := *in.MaximumPlayerSessionCount; n < gs.CurrentPlayerSessionCount {
			return nil, belowCount(n, gs.CurrentPlayerSessionCount)
		}
		if err := s.relayUpdate(ctx, &gs, bus.SessionUpdateRequest{MaxPlayers: *in.MaximumPlayerSessionCount}); err != nil {
			return nil, err
		}
	}
	var refused *Error
	out, err := s.updateGameSession(ctx, gs.GameSessionId, func(g *store.GameSession) bool {
		if g.Status != store.GameSessionActive {
			refused = notActive(g)
			return false
		}
		if in.MaximumPlayerSessionCount != nil {
			if n := *in.MaximumPlayerSessionCount; n < g.CurrentPlayerSessionCount {
				refused = belowCount(n, g.CurrentPlayerSessionCount)
				return false
			}
			g.MaximumPlayerSessionCount = *in.MaximumPlayerSessionCount
		}
		if in.Name != nil {
			g.Name = *in.Name
		}
		if in.PlayerSessionCreationPolicy != "" {
			g.PlayerSessionCreationPolicy = in.PlayerSessionCreationPolicy
		}
		if in.ProtectionPolicy != "" {
			g.ProtectionPolicy = in.ProtectionPolicy
		}
		g.GameProperties = mergeProperties(g.GameProperties, in.GameProperties)
		return true
	})
	if err == nil && refused != nil {
		err = refused
	}
	if err != nil {
		if newMax {
			// The relay took a maximum the store did not: give it back.
			if uerr := s.relayUpdate(ctx, &gs, bus.SessionUpdateRequest{MaxPlayers: gs.MaximumPlayerSessionCount}); uerr != nil {
				s.log.Warn("restore the relay's maximum of players", "gameSessionId", gs.GameSessionId, "err", uerr)
			}
		}
		return nil, err
	}
	return &UpdateGameSessionOutput{GameSession: gameSessionOut(out)}, nil
}

func notActive(gs *store.GameSession) *Error {
	return &Error{Type: InvalidGameSessionStatus, Message: fmt.Sprintf("GameSessionId: game session %s is %s, not ACTIVE", gs.GameSessionId, gs.Status)}
}

func belowCount(n, count int) *Error {
	return invalid("MaximumPlayerSessionCount", "%d is below the game session's %d current player sessions", n, count)
}

// relayUpdate sends req (its MaxPlayers or Terminate set) to the relay
// hosting gs. A relay that refuses a maximum (it holds more players) is
// InvalidRequestException naming MaximumPlayerSessionCount; a session the
// relay does not run, or a relay gone, InvalidGameSessionStatusException.
func (s *Service) relayUpdate(ctx context.Context, gs *store.GameSession, req bus.SessionUpdateRequest) error {
	ctl, ok := s.opts.GameSessionBus.(GameSessionControl)
	if !ok || gs.RelayID == "" {
		return &Error{Type: InvalidGameSessionStatus, Message: fmt.Sprintf("GameSessionId: game session %s is on no relay this matchmaker reaches", gs.GameSessionId)}
	}
	req.RequestID, req.RelayID, req.GameSessionID = newUUID(), gs.RelayID, gs.GameSessionId
	req.Deadline = s.now().Add(sessionUpdateTimeout)
	// The relay's answer is awaited even when the caller has gone away: the
	// relay may act on the request, and the store must follow it.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sessionUpdateTimeout)
	defer cancel()
	_, err := ctl.RequestSessionUpdate(rctx, req)
	var re *bus.ReplyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re) && re.Code == bus.CodeConflict:
		return invalid("MaximumPlayerSessionCount", "%d refused by relay %s: %s", req.MaxPlayers, gs.RelayID, re.Message)
	case errors.As(err, &re), errors.Is(err, bus.ErrNoResponders):
		return &Error{Type: InvalidGameSessionStatus, Message: fmt.Sprintf("GameSessionId: game session %s does not run on relay %s any more", gs.GameSessionId, gs.RelayID), Err: err}
	}
	return internal(err, "update game session %s on relay %s", gs.GameSessionId, gs.RelayID)
}

// DescribeGameSessionDetails describes game sessions as DescribeGameSessions
// does, each with its ProtectionPolicy.
func (s *Service) DescribeGameSessionDetails(ctx context.Context, in *DescribeGameSessionDetailsInput) (*DescribeGameSessionDetailsOutput, error) {
	list, err := s.DescribeGameSessions(ctx, in)
	if err != nil {
		return nil, err
	}
	out := &DescribeGameSessionDetailsOutput{GameSessionDetails: []GameSessionDetail{}, NextToken: list.NextToken}
	for _, g := range list.GameSessions {
		out.GameSessionDetails = append(out.GameSessionDetails, GameSessionDetail{GameSession: g, ProtectionPolicy: g.protection})
	}
	return out, nil
}

// terminationModes maps TerminationMode to the relay's terminate mode.
var terminationModes = map[string]string{
	TerminationTriggerOnProcessTerminate: bus.TerminateNormal,
	TerminationNormal:                    bus.TerminateNormal,
	TerminationForce:                     bus.TerminateForce,
}

// TerminateGameSession ends an ACTIVE game session: TERMINATING at once
// (StatusReason TRIGGERED_ON_PROCESS_TERMINATE or FORCE_TERMINATED), then
// TERMINATED when its relay reports the end (SessionRegistry). The relay
// runs the script's onProcessTerminate first unless the mode is
// FORCE_TERMINATE. A session its relay no longer runs is TERMINATED at once.
// A TERMINATING session is terminated again only to force it.
func (s *Service) TerminateGameSession(ctx context.Context, in *TerminateGameSessionInput) (*TerminateGameSessionOutput, error) {
	mode, ok := terminationModes[in.TerminationMode]
	if !ok {
		return nil, invalid("TerminationMode", "must be %s or %s (or %s), got %q", TerminationTriggerOnProcessTerminate, TerminationForce, TerminationNormal, in.TerminationMode)
	}
	gs, err := s.getGameSession(ctx, in.GameSessionId)
	if err != nil {
		return nil, err
	}
	reason := ReasonTriggeredOnProcessTerminate
	if mode == bus.TerminateForce {
		reason = ReasonForceTerminated
	}
	switch {
	case gs.Status == store.GameSessionTerminating && mode == bus.TerminateNormal:
		return &TerminateGameSessionOutput{GameSession: gameSessionOut(gs)}, nil
	case gs.Status != store.GameSessionActive && gs.Status != store.GameSessionTerminating:
		return nil, &Error{Type: InvalidGameSessionStatus, Message: fmt.Sprintf("GameSessionId: game session %s is %s: only an ACTIVE or TERMINATING one can be terminated", gs.GameSessionId, gs.Status)}
	}
	var refused *Error
	gs, err = s.updateGameSession(ctx, gs.GameSessionId, func(g *store.GameSession) bool {
		if g.Status != store.GameSessionActive && g.Status != store.GameSessionTerminating {
			refused = &Error{Type: InvalidGameSessionStatus, Message: fmt.Sprintf("GameSessionId: game session %s became %s", g.GameSessionId, g.Status)}
			return false
		}
		g.Status, g.StatusReason = store.GameSessionTerminating, reason
		return true
	})
	if err == nil && refused != nil {
		err = refused
	}
	if err != nil {
		return nil, err
	}
	if err := s.relayUpdate(ctx, &gs, bus.SessionUpdateRequest{Terminate: mode}); err != nil {
		if AsError(err).Type != InvalidGameSessionStatus {
			return nil, err
		}
		// The relay does not run the session (any more): it has ended.
		if gs, err = s.updateGameSession(context.WithoutCancel(ctx), gs.GameSessionId, func(g *store.GameSession) bool {
			if g.Status.Ended() {
				return false
			}
			g.Status, g.TerminationTime = store.GameSessionTerminated, s.now().UTC()
			return true
		}); err != nil {
			return nil, err
		}
	}
	return &TerminateGameSessionOutput{GameSession: gameSessionOut(gs)}, nil
}
