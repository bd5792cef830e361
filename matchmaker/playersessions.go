package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/sessionsearch"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// CreatePlayerSession reserves one player session in a game session; see
// CreatePlayerSessions.
func (s *Service) CreatePlayerSession(ctx context.Context, in *CreatePlayerSessionInput) (*CreatePlayerSessionOutput, error) {
	if in.PlayerId == "" {
		return nil, invalid("PlayerId", "is required")
	}
	var data map[string]string
	if in.PlayerData != "" {
		data = map[string]string{in.PlayerId: in.PlayerData}
	}
	out, err := s.createPlayerSessions(ctx, in.GameSessionId, []string{in.PlayerId}, data, "PlayerId", "PlayerData")
	if err != nil {
		return nil, err
	}
	return &CreatePlayerSessionOutput{PlayerSession: out[0]}, nil
}

// CreatePlayerSessions reserves player sessions in an ACTIVE game session
// that accepts players: the store takes them against
// MaximumPlayerSessionCount in one step (all or none), then the relay
// hosting the session reserves them; if the relay refuses, they are undone
// in the store. A full session answers GameSessionFullException; one that is
// not ACTIVE, or DENY_ALL, InvalidGameSessionStatusException.
func (s *Service) CreatePlayerSessions(ctx context.Context, in *CreatePlayerSessionsInput) (*CreatePlayerSessionsOutput, error) {
	out, err := s.createPlayerSessions(ctx, in.GameSessionId, in.PlayerIds, in.PlayerDataMap, "PlayerIds", "PlayerDataMap")
	if err != nil {
		return nil, err
	}
	return &CreatePlayerSessionsOutput{PlayerSessions: out}, nil
}

func checkPlayerIDs(ids []string, data map[string]string, idsField, dataField string) *Error {
	if len(ids) == 0 {
		return invalid(idsField, "at least one player is required")
	}
	if len(ids) > MaxPlayerSessionsPerCall {
		return invalid(idsField, "at most %d players, got %d", MaxPlayerSessionsPerCall, len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for i, id := range ids {
		field := idsField
		if idsField == "PlayerIds" {
			field = "PlayerIds[" + strconv.Itoa(i) + "]"
		}
		if err := checkLen(field, id, 1, MaxPlayerID); err != nil {
			return err
		}
		if seen[id] {
			return invalid(field, "player %q is listed twice", id)
		}
		seen[id] = true
		if d, ok := data[id]; ok {
			f := dataField
			if dataField == "PlayerDataMap" {
				f = "PlayerDataMap." + id
			}
			if err := checkLen(f, d, 1, MaxPlayerData); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Service) createPlayerSessions(ctx context.Context, gameSessionID string, ids []string, data map[string]string, idsField, dataField string) ([]PlayerSession, error) {
	if err := checkPlayerIDs(ids, data, idsField, dataField); err != nil {
		return nil, err
	}
	place, err := s.placeOf(ctx, gameSessionID)
	if err != nil {
		return nil, err
	}
	// To the millisecond, as GameLift reports it (and the store's index of
	// reservations keeps it).
	now := s.now().UTC().Truncate(time.Millisecond)
	ps := make([]store.PlayerSession, len(ids))
	req := bus.ReserveRequest{RequestID: newUUID(), RelayID: place.RelayID, GameSessionID: place.GameSessionID, Deadline: now.Add(reserveTimeout),
		Players: make([]bus.Player, 0, len(ids))}
	for i, id := range ids {
		ps[i] = store.PlayerSession{
			PlayerSessionId: "psess-" + newUUID(), PlayerId: id, GameSessionId: place.GameSessionID, FleetId: place.FleetID,
			FleetArn: place.FleetArn, PlayerData: data[id], Status: store.PlayerSessionReserved,
			IpAddress: place.IpAddress, DnsName: place.DnsName, Port: place.Port, CreationTime: now,
		}
		req.Players = append(req.Players, bus.Player{PlayerID: id, PlayerSessionID: ps[i].PlayerSessionId, PlayerData: data[id]})
	}
	_, err = s.store.CreatePlayerSessions(ctx, place.GameSessionID, ps)
	if errors.Is(err, store.ErrGameSessionFull) {
		// Reservations past PlayerSessionTimeout that the background sweep
		// has not reached yet still hold slots: free them, and try again.
		if terr := s.timeOutReservations(ctx, place.GameSessionID); terr != nil {
			return nil, terr
		}
		_, err = s.store.CreatePlayerSessions(ctx, place.GameSessionID, ps)
	}
	if err != nil {
		return nil, playerSessionsError(place.GameSessionID, err)
	}
	if err := s.reserve(ctx, req); err != nil {
		s.undoPlayerSessions(context.WithoutCancel(ctx), ps)
		return nil, err
	}
	s.gsMetrics.playerSessionsMoved(place.FleetID, store.PlayerSessionReserved, len(ps))
	out := make([]PlayerSession, len(ps))
	for i, p := range ps {
		out[i] = playerSessionOut(p)
	}
	return out, nil
}

func playerSessionsError(id string, err error) error {
	switch {
	case errors.Is(err, store.ErrGameSessionFull):
		return &Error{Type: GameSessionFull, Message: fmt.Sprintf("GameSessionId: game session %s is full: %v", id, err), Err: err}
	case errors.Is(err, store.ErrGameSessionStatus):
		return &Error{Type: InvalidGameSessionStatus, Message: fmt.Sprintf("GameSessionId: game session %s does not accept players: %v", id, err), Err: err}
	case errors.Is(err, store.ErrNotFound):
		return notFound(err, "GameSessionId: game session %q does not exist", id)
	}
	return internal(err, "create player sessions in %s", id)
}

// reserve asks the relay hosting the session to reserve the player sessions,
// for reserveTimeout even when the caller goes away: the relay may be
// reserving them, and the store must then keep them as it does. (The wait
// runs on the process's clock: Service.now may be another, in tests.)
func (s *Service) reserve(ctx context.Context, req bus.ReserveRequest) error {
	if s.opts.GameSessionBus == nil || req.RelayID == "" {
		return &Error{Type: InvalidGameSessionStatus, Message: fmt.Sprintf("GameSessionId: game session %s is on no relay this matchmaker reaches", req.GameSessionID)}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), reserveTimeout)
	defer cancel()
	_, err := s.opts.GameSessionBus.RequestReserve(rctx, req)
	var re *bus.ReplyError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &re) && re.Code == bus.CodeFull:
		return &Error{Type: GameSessionFull, Message: fmt.Sprintf("GameSessionId: game session %s is full on its relay: %s", req.GameSessionID, re.Message), Err: err}
	case errors.As(err, &re), errors.Is(err, bus.ErrNoResponders):
		return &Error{Type: InvalidGameSessionStatus, Message: fmt.Sprintf("GameSessionId: game session %s does not run on relay %s any more", req.GameSessionID, req.RelayID), Err: err}
	}
	return internal(err, "reserve player sessions in %s on relay %s", req.GameSessionID, req.RelayID)
}

// undoPlayerSessions ends player sessions the relay did not reserve, so
// that they hold no slot (TIMEDOUT, as they were never usable), in one
// store step: they are still RESERVED at version 1 unless something else
// moved them since, which then stands.
func (s *Service) undoPlayerSessions(ctx context.Context, ps []store.PlayerSession) {
	now := s.now().UTC()
	undo := make([]store.Reservation, len(ps))
	for i, p := range ps {
		undo[i] = store.ReservationOf(p)
		undo[i].Version, undo[i].TerminationTime = 1, now
	}
	moved, err := s.moveToTimedOut(ctx, undo)
	if err != nil {
		s.log.Warn("undo player sessions", "gameSessionId", ps[0].GameSessionId, "count", len(ps), "undone", len(moved), "err", err)
	}
}

// timeOutReservations moves the game session's RESERVED player sessions
// older than PlayerSessionTimeout to TIMEDOUT, freeing their slots (the
// relay forgets them after the same time), a page at a time.
func (s *Service) timeOutReservations(ctx context.Context, gameSessionID string) error {
	now := s.now().UTC()
	next := ""
	for {
		page, token, err := s.store.ListPlayerSessions(ctx, store.PlayerSessionFilter{GameSessionID: gameSessionID, Status: store.PlayerSessionReserved}, store.Page{NextToken: next})
		if err != nil {
			return internal(err, "list reserved player sessions of %s", gameSessionID)
		}
		var due []store.Reservation
		for _, p := range page {
			if now.Sub(p.CreationTime) >= PlayerSessionTimeout {
				due = append(due, store.ReservationOf(p))
			}
		}
		if err := s.timeOut(ctx, due); err != nil {
			return err
		}
		if token == "" {
			return nil
		}
		next = token
	}
}

// timeOut makes the player sessions of due (read RESERVED) TIMEDOUT at
// their creation plus PlayerSessionTimeout, in one store step per fleet;
// those that changed since the read are left as they are. Several
// processes may do it at once: each move is compare-and-swap.
func (s *Service) timeOut(ctx context.Context, due []store.Reservation) error {
	if len(due) == 0 {
		return nil
	}
	for i := range due {
		due[i].TerminationTime = due[i].CreationTime.Add(PlayerSessionTimeout)
	}
	if _, err := s.moveToTimedOut(ctx, due); err != nil {
		return internal(err, "time out %d reservations", len(due))
	}
	return nil
}

// moveToTimedOut is the store's TimeOutReservations of ps, with the player
// sessions it moved counted per fleet.
func (s *Service) moveToTimedOut(ctx context.Context, ps []store.Reservation) ([]store.Reservation, error) {
	moved, err := s.store.TimeOutReservations(ctx, ps)
	perFleet := map[string]int{}
	for _, p := range moved {
		perFleet[store.GameSessionFleet(p.GameSessionId)]++
	}
	for fleet, n := range perFleet {
		s.gsMetrics.playerSessionsMoved(fleet, store.PlayerSessionTimedOut, n)
	}
	return moved, err
}

// The sweep of reservations reads reservationSweepBatch due ones at a time
// (a batch holds Redis about 1 ms), at most reservationSweepBatches times a
// sweep (every reservationSweepEvery): 30,000 a sweep, ten times what 3,000
// CreatePlayerSessions of 4 players a second reserve in a quarter second.
const (
	reservationSweepBatch   = 100
	reservationSweepBatches = 300
)

// sweepReservations times out the RESERVED player sessions of every game
// session created PlayerSessionTimeout or more ago, as GameLift does
// whether or not anyone reads them, and returns how many due ones it
// handled.
func (s *Service) sweepReservations(ctx context.Context) (int, error) {
	before := s.now().Add(-PlayerSessionTimeout)
	n := 0
	for range reservationSweepBatches {
		due, more, err := s.store.DueReservations(ctx, before, reservationSweepBatch)
		if err = s.unreadableLeftOut("sweep reservations", err); err != nil {
			return n, fmt.Errorf("sweep reservations: %w", err)
		}
		if err := s.timeOut(ctx, due); err != nil {
			return n, fmt.Errorf("sweep reservations: %w", err)
		}
		n += len(due)
		if !more {
			break
		}
	}
	return n, nil
}

// unreadableLeftOut logs an error of a sweep's store listing that only
// reports unreadable records (store.ErrUnreadable: left out, their entries
// dropped) and returns nil for it, so that the sweep goes on with the
// others; any other error is returned.
func (s *Service) unreadableLeftOut(sweep string, err error) error {
	if errors.Is(err, store.ErrUnreadable) {
		s.log.Warn(sweep+": unreadable records left out, their index entries dropped", "err", err)
		return nil
	}
	return err
}

var playerSessionStatuses = []store.PlayerSessionStatus{store.PlayerSessionReserved, store.PlayerSessionActive,
	store.PlayerSessionCompleted, store.PlayerSessionTimedOut}

// DescribePlayerSessions describes one player session (PlayerSessionId),
// or those of a game session (GameSessionId) or of a player (PlayerId),
// oldest first, optionally of one status, Limit at a time. RESERVED player
// sessions unused for PlayerSessionTimeout are TIMEDOUT first.
func (s *Service) DescribePlayerSessions(ctx context.Context, in *DescribePlayerSessionsInput) (*DescribePlayerSessionsOutput, error) {
	if err := pageLimit(in.Limit); err != nil {
		return nil, err
	}
	status := store.PlayerSessionStatus(in.PlayerSessionStatusFilter)
	if status != "" && !slices.Contains(playerSessionStatuses, status) {
		return nil, invalid("PlayerSessionStatusFilter", "must be one of %v, got %q", playerSessionStatuses, in.PlayerSessionStatusFilter)
	}
	given := 0
	for _, v := range []string{in.GameSessionId, in.PlayerId, in.PlayerSessionId} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		return nil, invalid("PlayerSessionId", "give exactly one of PlayerSessionId, GameSessionId and PlayerId")
	}
	out := &DescribePlayerSessionsOutput{PlayerSessions: []PlayerSession{}}
	if in.PlayerSessionId != "" {
		ps, err := s.store.GetPlayerSession(ctx, in.PlayerSessionId)
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(err, "PlayerSessionId: player session %q does not exist", in.PlayerSessionId)
		}
		if err != nil {
			return nil, internal(err, "get player session %s", in.PlayerSessionId)
		}
		if err := s.timeOutReservations(ctx, ps.GameSessionId); err != nil {
			return nil, err
		}
		if ps, err = s.store.GetPlayerSession(ctx, in.PlayerSessionId); err != nil {
			return nil, internal(err, "get player session %s", in.PlayerSessionId)
		}
		if status == "" || ps.Status == status {
			out.PlayerSessions = append(out.PlayerSessions, playerSessionOut(ps))
		}
		return out, nil
	}
	if in.GameSessionId != "" {
		if _, err := s.getGameSession(ctx, in.GameSessionId); err != nil {
			return nil, err
		}
		if err := s.timeOutReservations(ctx, in.GameSessionId); err != nil {
			return nil, err
		}
	}
	page, next, err := s.store.ListPlayerSessions(ctx, store.PlayerSessionFilter{GameSessionID: in.GameSessionId, PlayerID: in.PlayerId, Status: status},
		store.Page{Limit: in.Limit, NextToken: in.NextToken})
	if errors.Is(err, store.ErrInvalidToken) {
		return nil, invalid("NextToken", "%q is not a token this list answered", in.NextToken)
	}
	if err != nil {
		return nil, internal(err, "list player sessions")
	}
	for _, ps := range page {
		out.PlayerSessions = append(out.PlayerSessions, playerSessionOut(ps))
	}
	out.NextToken = next
	return out, nil
}

// SearchGameSessions answers the ACTIVE game sessions of a fleet (FleetId
// or AliasId), of one Location if given, that pass FilterExpression, in
// SortExpression's order (creation order without one), Limit at a time.
// The filter is compiled once per call (package sessionsearch).
func (s *Service) SearchGameSessions(ctx context.Context, in *SearchGameSessionsInput) (*SearchGameSessionsOutput, error) {
	if err := pageLimit(in.Limit); err != nil {
		return nil, err
	}
	var filter *sessionsearch.Filter
	var order *sessionsearch.Sort
	var err error
	if in.FilterExpression != "" {
		if filter, err = sessionsearch.CompileFilter(in.FilterExpression); err != nil {
			return nil, invalid("", "%v", err)
		}
	}
	if in.SortExpression != "" {
		if order, err = sessionsearch.CompileSort(in.SortExpression); err != nil {
			return nil, invalid("", "%v", err)
		}
	}
	start, verr := pageToken(in.NextToken)
	if verr != nil {
		return nil, verr
	}
	fleetID, err := s.sessionsFleet(ctx, in.FleetId, in.AliasId)
	if err != nil {
		return nil, err
	}
	q := searchQuery{Location: in.Location, FilterText: in.FilterExpression, SortText: in.SortExpression, Filter: filter, Order: order}
	found, total, err := s.searches.search(ctx, fleetID, q, start, in.Limit)
	if err != nil {
		return nil, internal(err, "list game sessions of %s", fleetID)
	}
	out := &SearchGameSessionsOutput{GameSessions: make([]GameSession, 0, len(found))}
	if in.Limit > 0 && start+in.Limit < total {
		out.NextToken = strconv.Itoa(start + in.Limit)
	}
	for _, e := range found {
		out.GameSessions = append(out.GameSessions, gameSessionOut(e.gs))
	}
	return out, nil
}

// searchView is what a search reads of a game session.
func searchView(gs *store.GameSession) *sessionsearch.Session {
	props := make(map[string]string, len(gs.GameProperties))
	for _, p := range gs.GameProperties {
		props[p.Key] = p.Value
	}
	return &sessionsearch.Session{
		ID: lastSegment(gs.GameSessionId), ARN: gs.GameSessionId, Name: gs.Name, Properties: props,
		MaximumSessions: gs.MaximumPlayerSessionCount, PlayerSessionCount: gs.CurrentPlayerSessionCount,
		CreationTimeMillis: gs.CreationTime.UnixMilli(),
		HasAvailablePlayerSessions: gs.PlayerSessionCreationPolicy != store.DenyAll &&
			gs.CurrentPlayerSessionCount < gs.MaximumPlayerSessionCount,
	}
}

// lastSegment returns what follows the last '/' of a game session ARN (the
// id GameLift's gameSessionId operand also matches).
func lastSegment(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}
