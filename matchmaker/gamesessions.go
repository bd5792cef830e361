package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// The GameLift exceptions of the game session actions.
const (
	GameSessionFull          ErrorType = "GameSessionFullException"
	InvalidGameSessionStatus ErrorType = "InvalidGameSessionStatusException"
	FleetCapacityExceeded    ErrorType = "FleetCapacityExceededException"
)

// Game session limits (GameLift's).
const (
	// MaxCreateGameSessionData bounds CreateGameSession's
	// GameSessionData (a matchmaking configuration's is MaxGameSessionData).
	MaxCreateGameSessionData = 262144
	MaxGameSessionName       = 1024
	MaxCreatorID             = 1024
	MaxGameSessionIDSuffix   = 48
	MaxPlayerID              = 1024
	MaxPlayerData            = 2048
	MaxPlayerSessionsPerCall = 25
	// PlayerSessionTimeout is how long a RESERVED player session may go
	// unused before it is TIMEDOUT, as in GameLift.
	PlayerSessionTimeout = 60 * time.Second
)

// GameSessionBus places the game sessions of CreateGameSession on relays and
// reserves player sessions in them; *bus.Conn implements it.
type GameSessionBus interface {
	RequestPlacement(ctx context.Context, req bus.PlacementRequest) (bus.PlacementReply, error)
	RequestReserve(ctx context.Context, req bus.ReserveRequest) (bus.ReserveReply, error)
}

// placementWithdrawer publishes the withdrawal of placement tries that got
// no answer (withdrawTries); *bus.Conn implements it, and a GameSessionBus
// that does is used for CreateGameSession's.
type placementWithdrawer interface {
	PublishPlacementCancel(ctx context.Context, m bus.PlacementCancel) error
}

const (
	// gameSessionPlacementTimeout bounds a CreateGameSession's placement
	// on a relay, retries included, when its fleet sets no
	// GameSessionActivationTimeoutSeconds.
	gameSessionPlacementTimeout = 10 * time.Second
	// reserveTimeout bounds a CreatePlayerSessions' reservation on the
	// relay.
	reserveTimeout = 5 * time.Second
	// gameSessionUpdateAttempts bounds the compare-and-swap retries of a
	// game or player session update.
	gameSessionUpdateAttempts = 10
)

var idSuffix = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)

// GameSessionArn returns the ARN (GameLift's GameSessionId) of the game
// session id of a fleet in a location.
func GameSessionArn(location, fleetID, id string) string {
	return fmt.Sprintf("arn:aws:gamelift:%s::gamesession/%s/%s", location, fleetID, id)
}

func gameSessionOut(gs store.GameSession) GameSession {
	return GameSession{
		GameSessionId: gs.GameSessionId, Name: gs.Name, FleetId: gs.FleetId, FleetArn: gs.FleetArn,
		CreationTime: ts(gs.CreationTime), TerminationTime: ts(gs.TerminationTime),
		CurrentPlayerSessionCount: gs.CurrentPlayerSessionCount, MaximumPlayerSessionCount: gs.MaximumPlayerSessionCount,
		Status: string(gs.Status), StatusReason: gs.StatusReason, GameProperties: gs.GameProperties,
		IpAddress: gs.IpAddress, DnsName: gs.DnsName, Port: gs.Port,
		PlayerSessionCreationPolicy: gs.PlayerSessionCreationPolicy, CreatorId: gs.CreatorId,
		GameSessionData: gs.GameSessionData, MatchmakerData: gs.MatchmakerData, Location: gs.Location,
		protection: gs.ProtectionPolicy,
	}
}

func playerSessionOut(ps store.PlayerSession) PlayerSession {
	return PlayerSession{
		PlayerSessionId: ps.PlayerSessionId, PlayerId: ps.PlayerId, GameSessionId: ps.GameSessionId,
		FleetId: ps.FleetId, FleetArn: ps.FleetArn, CreationTime: ts(ps.CreationTime), TerminationTime: ts(ps.TerminationTime),
		Status: string(ps.Status), IpAddress: ps.IpAddress, DnsName: ps.DnsName, Port: ps.Port, PlayerData: ps.PlayerData,
	}
}

func checkGameProperties(props []GameProperty) *Error {
	if len(props) > MaxGameProperties {
		return invalid("GameProperties", "at most %d properties, got %d", MaxGameProperties, len(props))
	}
	for i, p := range props {
		if err := checkLen(fmt.Sprintf("GameProperties[%d].Key", i), p.Key, 1, MaxGamePropertyKey); err != nil {
			return err
		}
		if err := checkLen(fmt.Sprintf("GameProperties[%d].Value", i), p.Value, 0, MaxGamePropertyValue); err != nil {
			return err
		}
	}
	return nil
}

// sessionFleet resolves the FleetId or AliasId of a game session request
// (exactly one of them): a TERMINAL alias answers
// TerminalRoutingStrategyException with its message.
func (s *Service) sessionFleet(ctx context.Context, fleetID, aliasID string) (store.Fleet, error) {
	switch {
	case fleetID != "" && aliasID != "":
		return store.Fleet{}, invalid("AliasId", "give FleetId or AliasId, not both")
	case fleetID != "":
		return s.getFleet(ctx, "FleetId", fleetID)
	case aliasID == "":
		return store.Fleet{}, invalid("FleetId", "FleetId or AliasId is required")
	}
	out, err := s.ResolveAlias(ctx, &ResolveAliasInput{AliasId: aliasID})
	if err != nil {
		return store.Fleet{}, err
	}
	return s.getFleet(ctx, "AliasId", out.FleetId)
}

// sessionLocation checks a Location against the fleet's; empty is the
// fleet's home region.
func sessionLocation(f *store.Fleet, location string) (string, *Error) {
	if location == "" {
		if len(f.Locations) == 0 {
			return "", invalid("Location", "fleet %s has no location", f.FleetId)
		}
		return f.Locations[0], nil
	}
	if !slices.Contains(f.Locations, location) {
		return "", invalid("Location", "%q is not a location of fleet %s (%v)", location, f.FleetId, f.Locations)
	}
	return location, nil
}

// checkCreateGameSession validates the request's own fields and returns the
// id's last segment: the IdempotencyToken, else the GameSessionId, else a
// new UUID.
func checkCreateGameSession(in *CreateGameSessionInput) (string, *Error) {
	if in.MaximumPlayerSessionCount == nil {
		return "", invalid("MaximumPlayerSessionCount", "is required")
	}
	if n := *in.MaximumPlayerSessionCount; n < 1 {
		return "", invalid("MaximumPlayerSessionCount", "must be at least 1, got %d", n)
	}
	if in.Name != "" {
		if err := checkLen("Name", in.Name, 1, MaxGameSessionName); err != nil {
			return "", err
		}
	}
	if err := checkGameProperties(in.GameProperties); err != nil {
		return "", err
	}
	if err := checkLen("GameSessionData", in.GameSessionData, 0, MaxCreateGameSessionData); err != nil {
		return "", err
	}
	if err := checkLen("CreatorId", in.CreatorId, 0, MaxCreatorID); err != nil {
		return "", err
	}
	suffix := newUUID()
	for _, f := range []struct{ name, v string }{{"GameSessionId", in.GameSessionId}, {"IdempotencyToken", in.IdempotencyToken}} {
		if f.v == "" {
			continue
		}
		if err := checkLen(f.name, f.v, 1, MaxGameSessionIDSuffix); err != nil {
			return "", err
		}
		if !idSuffix.MatchString(f.v) {
			return "", invalid(f.name, "%q: only letters, digits and '-'", f.v)
		}
		suffix = f.v
	}
	return suffix, nil
}

// hasRelay reports whether a relay that is not draining serves fleet f in
// location.
func hasRelay(f *store.Fleet, location string, relays []Relay) bool {
	return len(placementTargets(f, location, relays)) > 0
}

// CreateGameSession creates a game session on a relay serving the fleet in
// the location: stored ACTIVATING, placed on a relay of the location as a
// placement without players, then ACTIVE with the relay's address (or ERROR
// when no relay took it). A reused IdempotencyToken returns the first
// session as it is.
func (s *Service) CreateGameSession(ctx context.Context, in *CreateGameSessionInput) (*CreateGameSessionOutput, error) {
	suffix, verr := checkCreateGameSession(in)
	if verr != nil {
		return nil, verr
	}
	f, err := s.sessionFleet(ctx, in.FleetId, in.AliasId)
	if err != nil {
		return nil, err
	}
	location, verr := sessionLocation(&f, in.Location)
	if verr != nil {
		return nil, verr
	}
	id := GameSessionArn(location, f.FleetId, suffix)
	if gs, err := s.store.GetGameSession(ctx, id); err == nil && in.IdempotencyToken != "" && gs.IdempotencyToken == in.IdempotencyToken {
		return &CreateGameSessionOutput{GameSession: gameSessionOut(gs)}, nil
	}
	if s.opts.GameSessionBus == nil || !hasRelay(&f, location, s.relays()) {
		return nil, &Error{Type: FleetCapacityExceeded, Message: fmt.Sprintf("FleetId: no relay serves fleet %s in %s", f.FleetId, location)}
	}
	policy := f.NewGameSessionProtectionPolicy
	if policy == "" {
		policy = NoProtection
	}
	gs := store.GameSession{
		GameSessionId: id, FleetId: f.FleetId, FleetArn: f.FleetArn, Name: in.Name, CreatorId: in.CreatorId,
		Location: location, MaximumPlayerSessionCount: *in.MaximumPlayerSessionCount, Status: store.GameSessionActivating,
		GameProperties: in.GameProperties, GameSessionData: in.GameSessionData,
		PlayerSessionCreationPolicy: store.AcceptAll, ProtectionPolicy: policy, IdempotencyToken: in.IdempotencyToken,
		CreationTime: s.now().UTC(),
	}
	var limit store.CreatorLimit
	if p := f.ResourceCreationLimitPolicy; in.CreatorId != "" && p.NewGameSessionsPerCreator > 0 {
		limit = store.CreatorLimit{Max: p.NewGameSessionsPerCreator, Period: time.Duration(p.PolicyPeriodInMinutes) * time.Minute}
	}
	stored, created, err := s.store.CreateGameSession(ctx, gs, limit)
	switch {
	case errors.Is(err, store.ErrLimitExceeded):
		return nil, &Error{Type: LimitExceeded, Message: fmt.Sprintf("CreatorId: %q has created %d game sessions in fleet %s within %d minutes (ResourceCreationLimitPolicy)",
			in.CreatorId, limit.Max, f.FleetId, f.ResourceCreationLimitPolicy.PolicyPeriodInMinutes), Err: err}
	case errors.Is(err, store.ErrExists):
		return nil, conflict(err, "GameSessionId: game session %q exists", id)
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound(err, "FleetId: fleet %q does not exist", f.FleetId)
	case err != nil:
		return nil, internal(err, "create game session %s", id)
	case !created:
		return &CreateGameSessionOutput{GameSession: gameSessionOut(stored)}, nil
	}
	s.gsMetrics.gameSessionMoved(&stored, "")
	out, err := s.activate(ctx, &f, stored)
	if err != nil {
		return nil, err
	}
	return &CreateGameSessionOutput{GameSession: gameSessionOut(out)}, nil
}

// activate places an ACTIVATING game session on a relay serving its fleet in
// its location (placementTargets, in turn on each retryable refusal) and
// records the answer: ACTIVE with the relay's address, or ERROR. It runs to
// its end (the activation timeout) when the caller goes away, as GameLift
// creates a session whose caller left: a relay may have started it on a
// request whose answer nobody waited for, and the record must say so. When
// the Service closes it stops waiting, and withdraws the try
// (withdrawActivation).
func (s *Service) activate(ctx context.Context, f *store.Fleet, gs store.GameSession) (store.GameSession, error) {
	timeout := gameSessionPlacementTimeout
	if t := f.RuntimeConfiguration.GameSessionActivationTimeoutSeconds; t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	defer context.AfterFunc(s.closing, cancel)()
	deadline, _ := pctx.Deadline()
	req := bus.PlacementRequest{
		MatchID: gs.GameSessionId, Configuration: f.FleetId, Region: gs.Location, Script: strings.TrimPrefix(f.ScriptId, scriptIDPrefix),
		MaxPlayers: gs.MaximumPlayerSessionCount, GameSessionData: gs.GameSessionData, Deadline: deadline,
		GameSessionARN: gs.GameSessionId, FleetID: f.FleetId, GameSessionName: gs.Name, CreatorID: gs.CreatorId,
	}
	for _, p := range gs.GameProperties {
		req.GameProperties = append(req.GameProperties, bus.GameProperty{Key: p.Key, Value: p.Value})
	}
	var reply bus.PlacementReply
	var err error
	targets := placementTargets(f, gs.Location, s.relays())
	pause := placementRetryPause
	for attempt := 1; ; attempt++ {
		req.Attempt = attempt
		if len(targets) > 0 {
			req.RelayID = targets[(attempt-1)%len(targets)].ID
		}
		reply, err = s.opts.GameSessionBus.RequestPlacement(pctx, req)
		var re *bus.ReplyError
		retry := errors.As(err, &re) && re.Code.Retryable() ||
			errors.Is(err, bus.ErrNoResponders) && attempt < len(targets)
		if err == nil || !retry || pctx.Err() != nil {
			break
		}
		// Every relay refused this round: give them a moment.
		if len(targets) == 0 || attempt%len(targets) == 0 {
			if !pauseFor(pctx, pause) {
				break
			}
			pause = min(2*pause, maxPlacementRetryPause)
		}
	}
	if err != nil {
		s.log.Warn("game session placement failed", "gameSessionId", gs.GameSessionId, "err", err)
		var re *bus.ReplyError
		if !errors.As(err, &re) && !errors.Is(err, bus.ErrNoResponders) {
			s.withdrawActivation(ctx, req)
		}
		ended, uerr := s.activationFailed(ctx, gs.GameSessionId)
		if uerr != nil {
			return store.GameSession{}, uerr
		}
		if errors.Is(err, bus.ErrNoResponders) {
			return store.GameSession{}, &Error{Type: FleetCapacityExceeded, Message: fmt.Sprintf("Location: no relay of %s took game session %s", gs.Location, gs.GameSessionId), Err: err}
		}
		return ended, nil
	}
	return s.updateGameSession(context.WithoutCancel(ctx), gs.GameSessionId, func(g *store.GameSession) bool {
		return started(g, reply.RelayID, reply.Endpoint)
	})
}

// withdrawActivation tells the relays of a session's location that the tries
// of its placement up to req's got no answer and are withdrawn: a relay that
// took one ends the session it created (no player can have joined a session
// recorded ERROR) and refuses one that arrives later, so that no relay runs a
// session the store has ended.
func (s *Service) withdrawActivation(ctx context.Context, req bus.PlacementRequest) {
	w, ok := s.opts.GameSessionBus.(placementWithdrawer)
	if !ok {
		return
	}
	if err := withdrawTries(ctx, w, req, req.Deadline); err != nil {
		s.log.Warn("withdraw an unanswered game session placement", "gameSessionId", req.GameSessionARN, "err", err)
	}
}

// placementRetryPause is the pause before CreateGameSession tries the
// relays again after each of them refused the session (FULL, DRAINING,
// INTERNAL); it doubles at each round up to maxPlacementRetryPause, within
// the activation timeout.
const (
	placementRetryPause    = 50 * time.Millisecond
	maxPlacementRetryPause = time.Second
)

// pauseFor waits d, and reports false if ctx ended first.
func pauseFor(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// placementTargets returns the relays a game session of fleet f in
// location is placed on, each addressed alone (bus.RelayPlacementSubject):
// those serving the fleet there, not draining, least loaded first (by free
// session slots), so that a relay serving other fleets only is never asked.
func placementTargets(f *store.Fleet, location string, relays []Relay) []Relay {
	var out []Relay
	for _, r := range servedBy(f, relays) {
		if r.Region == location && !r.Draining {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b Relay) int {
		return (b.MaxSessions - b.Sessions) - (a.MaxSessions - a.Sessions)
	})
	return out
}

// started moves an ACTIVATING game session to ACTIVE on relay relayID at
// endpoint; false when it is not ACTIVATING any more.
func started(g *store.GameSession, relayID string, e *bus.Endpoint) bool {
	if g.Status != store.GameSessionActivating || e == nil {
		return false
	}
	g.Status, g.RelayID = store.GameSessionActive, relayID
	g.IpAddress, g.DnsName, g.Port = e.IPAddress, e.DNSName, e.TCPPort
	return true
}

// updateGameSession applies change to a game session with compare-and-swap
// retries and returns it as stored; change returns false to leave it as it
// is.
func (s *Service) updateGameSession(ctx context.Context, id string, change func(*store.GameSession) bool) (store.GameSession, error) {
	for range gameSessionUpdateAttempts {
		gs, err := s.store.GetGameSession(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return store.GameSession{}, notFound(err, "GameSessionId: game session %q does not exist", id)
		}
		if err != nil {
			return store.GameSession{}, internal(err, "get game session %s", id)
		}
		from := gs.Status
		if !change(&gs) {
			if gs.Status.Ended() {
				s.places.forget(id)
			}
			return gs, nil
		}
		v, err := s.store.UpdateGameSession(ctx, gs)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return store.GameSession{}, internal(err, "update game session %s", id)
		}
		gs.Version = v
		s.gsMetrics.gameSessionMoved(&gs, from)
		if gs.Status.Ended() {
			s.places.forget(id)
		}
		return gs, nil
	}
	return store.GameSession{}, conflict(store.ErrConflict, "GameSessionId: game session %q changed %d times during the update; try again", id, gameSessionUpdateAttempts)
}

// updatePlayerSession applies change to a player session as
// updateGameSession does.
func (s *Service) updatePlayerSession(ctx context.Context, id string, change func(*store.PlayerSession) bool) (store.PlayerSession, error) {
	for range gameSessionUpdateAttempts {
		ps, err := s.store.GetPlayerSession(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return store.PlayerSession{}, notFound(err, "PlayerSessionId: player session %q does not exist", id)
		}
		if err != nil {
			return store.PlayerSession{}, internal(err, "get player session %s", id)
		}
		from := ps.Status
		if !change(&ps) {
			return ps, nil
		}
		v, err := s.store.UpdatePlayerSession(ctx, ps)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return store.PlayerSession{}, internal(err, "update player session %s", id)
		}
		ps.Version = v
		if ps.Status != from {
			s.gsMetrics.playerSessionsMoved(ps.FleetId, ps.Status, 1)
		}
		return ps, nil
	}
	return store.PlayerSession{}, conflict(store.ErrConflict, "PlayerSessionId: player session %q changed %d times during the update; try again", id, gameSessionUpdateAttempts)
}

// getGameSession reads the game session a GameSessionId (its ARN) names.
func (s *Service) getGameSession(ctx context.Context, id string) (store.GameSession, error) {
	if id == "" {
		return store.GameSession{}, invalid("GameSessionId", "is required")
	}
	if err := checkLen("GameSessionId", id, 1, 512); err != nil {
		return store.GameSession{}, err
	}
	gs, err := s.store.GetGameSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.GameSession{}, notFound(err, "GameSessionId: game session %q does not exist", id)
	}
	if err != nil {
		return store.GameSession{}, internal(err, "get game session %s", id)
	}
	return s.endOrphanActivation(ctx, gs), nil
}

// activationFailed records an ACTIVATING game session ERROR (ended), even
// when the caller has gone away; a session no longer ACTIVATING is
// returned as it is.
func (s *Service) activationFailed(ctx context.Context, id string) (store.GameSession, error) {
	return s.updateGameSession(context.WithoutCancel(ctx), id, func(g *store.GameSession) bool {
		if g.Status != store.GameSessionActivating {
			return false
		}
		g.Status, g.TerminationTime = store.GameSessionError, s.now().UTC()
		return true
	})
}

// activationOrphanAfter is how long after its creation a game session still
// ACTIVATING is taken for one whose matchmaker died while activating it: the
// longest activation (MaxActivationTimeout) and a grace. Such a session
// would hold its fleet for good: DeleteFleet refuses a fleet whose sessions
// have not ended, and TerminateGameSession an ACTIVATING session.
const activationOrphanAfter = MaxActivationTimeout*time.Second + 30*time.Second

// endOrphanActivation returns gs, recorded ERROR first when it is an orphan
// activation (activationOrphanAfter), its placement tries then withdrawn in
// case a relay took one late.
func (s *Service) endOrphanActivation(ctx context.Context, gs store.GameSession) store.GameSession {
	if gs.Status != store.GameSessionActivating || s.now().Sub(gs.CreationTime) <= activationOrphanAfter {
		return gs
	}
	ended, err := s.activationFailed(ctx, gs.GameSessionId)
	if err != nil {
		s.log.Warn("end an orphan game session activation", "gameSessionId", gs.GameSessionId, "err", err)
		return gs
	}
	s.log.Warn("game session never activated: its matchmaker stopped while activating it", "gameSessionId", gs.GameSessionId,
		"created", gs.CreationTime, "status", ended.Status)
	s.withdrawActivation(ctx, bus.PlacementRequest{MatchID: gs.GameSessionId, GameSessionARN: gs.GameSessionId, Region: gs.Location,
		Attempt: math.MaxInt32, Deadline: s.now()})
	return ended
}

var gameSessionStatuses = []store.GameSessionStatus{store.GameSessionActivating, store.GameSessionActive,
	store.GameSessionTerminating, store.GameSessionTerminated, store.GameSessionError}

// DescribeGameSessions describes one game session (GameSessionId) or the
// game sessions of a fleet (FleetId or AliasId), oldest first, optionally
// of one Location and StatusFilter, Limit at a time.
func (s *Service) DescribeGameSessions(ctx context.Context, in *DescribeGameSessionsInput) (*DescribeGameSessionsOutput, error) {
	if err := pageLimit(in.Limit); err != nil {
		return nil, err
	}
	status := store.GameSessionStatus(in.StatusFilter)
	if status != "" && !slices.Contains(gameSessionStatuses, status) {
		return nil, invalid("StatusFilter", "must be one of %v, got %q", gameSessionStatuses, in.StatusFilter)
	}
	if in.GameSessionId != "" {
		gs, err := s.getGameSession(ctx, in.GameSessionId)
		if err != nil {
			return nil, err
		}
		out := &DescribeGameSessionsOutput{GameSessions: []GameSession{}}
		if (status == "" || gs.Status == status) && (in.Location == "" || gs.Location == in.Location) {
			out.GameSessions = append(out.GameSessions, gameSessionOut(gs))
		}
		return out, nil
	}
	fleetID, err := s.sessionsFleet(ctx, in.FleetId, in.AliasId)
	if err != nil {
		return nil, err
	}
	out := &DescribeGameSessionsOutput{GameSessions: []GameSession{}}
	next := in.NextToken
	for {
		page, token, err := s.store.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetID, Status: status}, store.Page{Limit: in.Limit, NextToken: next})
		if errors.Is(err, store.ErrInvalidToken) {
			return nil, invalid("NextToken", "%q is not a token this list answered", next)
		}
		if err != nil {
			return nil, internal(err, "list game sessions of %s", fleetID)
		}
		for _, gs := range page {
			gs = s.endOrphanActivation(ctx, gs)
			if (in.Location == "" || gs.Location == in.Location) && (status == "" || gs.Status == status) {
				out.GameSessions = append(out.GameSessions, gameSessionOut(gs))
			}
		}
		// A Location filter may thin a page out: read on until it is full
		// or the list ends.
		if token == "" || in.Location == "" || (in.Limit > 0 && len(out.GameSessions) >= in.Limit) {
			out.NextToken = token
			return out, nil
		}
		next = token
	}
}
