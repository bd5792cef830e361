package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// memGameSessions is the Memory store's share of GameSessions.
type memGameSessions struct {
	fleets   map[string]Fleet
	aliases  map[string]Alias
	sessions map[string]*memGameSession
	// byFleet holds the ids of each fleet's game sessions.
	byFleet map[string]map[string]struct{}
	players map[string]*PlayerSession
	// byPlayer holds the ids of each player's player sessions.
	byPlayer map[string]map[string]struct{}
	// reserved holds the player sessions created RESERVED, in the order
	// they were created, for DueReservations; entries of those no longer
	// RESERVED, or gone, are dropped when it passes them.
	reserved []reservedEntry
	// ended lists ended game sessions by expiry time, oldest first.
	ended []expiryEntry
	// changes records the changes of each fleet's game sessions
	// (memory_gamesession_changes.go).
	changes map[string]*memChanges
}

type reservedEntry struct {
	ms int64
	id string
}

// addReserved records a player session created RESERVED, after those
// created before it.
func (g *memGameSessions) addReserved(p *PlayerSession) {
	g.reserved = append(g.reserved, reservedEntry{ms: p.CreationTime.UnixMilli(), id: p.PlayerSessionId})
}

type memGameSession struct {
	gs GameSession
	// ps are the ids of its player sessions, in creation order.
	ps        []string
	expiresAt time.Time
	// limited is set when it was created under a CreatorLimit: only those
	// count towards one.
	limited bool
}

// lockGS takes the mutex, drops expired tickets, game sessions and their
// player sessions, and returns the game session state and the time.
func (m *Memory) lockGS() (*memGameSessions, time.Time) {
	now := m.lock()
	if m.gs == nil {
		m.gs = &memGameSessions{
			fleets: map[string]Fleet{}, aliases: map[string]Alias{},
			sessions: map[string]*memGameSession{}, byFleet: map[string]map[string]struct{}{},
			players: map[string]*PlayerSession{}, byPlayer: map[string]map[string]struct{}{},
		}
	}
	g := m.gs
	for len(g.ended) > 0 && !g.ended[0].at.After(now) {
		e := g.ended[0]
		g.ended = g.ended[1:]
		s, ok := g.sessions[e.id]
		if !ok || !s.expiresAt.Equal(e.at) {
			continue
		}
		for _, id := range s.ps {
			if p, ok := g.players[id]; ok {
				delete(g.byPlayer[p.PlayerId], id)
				if len(g.byPlayer[p.PlayerId]) == 0 {
					delete(g.byPlayer, p.PlayerId)
				}
				delete(g.players, id)
			}
		}
		delete(g.byFleet[s.gs.FleetId], e.id)
		g.forget(s.gs.FleetId, e.id)
		delete(g.sessions, e.id)
	}
	return g, now
}

// CreateFleet implements GameSessions.
func (m *Memory) CreateFleet(_ context.Context, f Fleet) error {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	if _, ok := g.fleets[f.FleetId]; ok {
		return fmt.Errorf("create fleet %s: %w", f.FleetId, ErrExists)
	}
	f.Version = 1
	g.fleets[f.FleetId] = f.clone()
	return nil
}

// GetFleet implements GameSessions.
func (m *Memory) GetFleet(_ context.Context, id string) (Fleet, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	f, ok := g.fleets[id]
	if !ok {
		return Fleet{}, fmt.Errorf("get fleet %s: %w", id, ErrNotFound)
	}
	return f.clone(), nil
}

// ListFleets implements GameSessions.
func (m *Memory) ListFleets(context.Context) ([]Fleet, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	out := make([]Fleet, 0, len(g.fleets))
	for _, f := range g.fleets {
		out = append(out, f.clone())
	}
	sortFleets(out)
	return out, nil
}

// UpdateFleet implements GameSessions.
func (m *Memory) UpdateFleet(_ context.Context, f Fleet) (int64, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	cur, ok := g.fleets[f.FleetId]
	if !ok {
		return 0, fmt.Errorf("update fleet %s: %w", f.FleetId, ErrNotFound)
	}
	if cur.Version != f.Version {
		return 0, fmt.Errorf("update fleet %s: at version %d, not %d: %w", f.FleetId, cur.Version, f.Version, ErrConflict)
	}
	f.Version++
	g.fleets[f.FleetId] = f.clone()
	return f.Version, nil
}

// DeleteFleet implements GameSessions.
func (m *Memory) DeleteFleet(_ context.Context, id string) error {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	if _, ok := g.fleets[id]; !ok {
		return fmt.Errorf("delete fleet %s: %w", id, ErrNotFound)
	}
	for sid := range g.byFleet[id] {
		if s := g.sessions[sid]; !s.gs.Status.Ended() {
			return fmt.Errorf("delete fleet %s: game session %s is %s: %w", id, sid, s.gs.Status, ErrInUse)
		}
	}
	delete(g.fleets, id)
	return nil
}

// CreateAlias implements GameSessions.
func (m *Memory) CreateAlias(_ context.Context, a Alias) error {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	if _, ok := g.aliases[a.AliasId]; ok {
		return fmt.Errorf("create alias %s: %w", a.AliasId, ErrExists)
	}
	a.Version = 1
	g.aliases[a.AliasId] = a.clone()
	return nil
}

// GetAlias implements GameSessions.
func (m *Memory) GetAlias(_ context.Context, id string) (Alias, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	a, ok := g.aliases[id]
	if !ok {
		return Alias{}, fmt.Errorf("get alias %s: %w", id, ErrNotFound)
	}
	return a.clone(), nil
}

// ListAliases implements GameSessions.
func (m *Memory) ListAliases(context.Context) ([]Alias, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	out := make([]Alias, 0, len(g.aliases))
	for _, a := range g.aliases {
		out = append(out, a.clone())
	}
	sortAliases(out)
	return out, nil
}

// UpdateAlias implements GameSessions.
func (m *Memory) UpdateAlias(_ context.Context, a Alias) (int64, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	cur, ok := g.aliases[a.AliasId]
	if !ok {
		return 0, fmt.Errorf("update alias %s: %w", a.AliasId, ErrNotFound)
	}
	if cur.Version != a.Version {
		return 0, fmt.Errorf("update alias %s: at version %d, not %d: %w", a.AliasId, cur.Version, a.Version, ErrConflict)
	}
	a.Version++
	g.aliases[a.AliasId] = a.clone()
	return a.Version, nil
}

// DeleteAlias implements GameSessions.
func (m *Memory) DeleteAlias(_ context.Context, id string) error {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	if _, ok := g.aliases[id]; !ok {
		return fmt.Errorf("delete alias %s: %w", id, ErrNotFound)
	}
	delete(g.aliases, id)
	return nil
}

// CreateGameSession implements GameSessions.
func (m *Memory) CreateGameSession(_ context.Context, gs GameSession, limit CreatorLimit) (GameSession, bool, error) {
	if err := checkNewGameSession(&gs); err != nil {
		return GameSession{}, false, err
	}
	g, now := m.lockGS()
	defer m.mu.Unlock()
	if cur, ok := g.sessions[gs.GameSessionId]; ok {
		if gs.IdempotencyToken != "" && cur.gs.IdempotencyToken == gs.IdempotencyToken {
			return cur.gs.clone(), false, nil
		}
		return GameSession{}, false, fmt.Errorf("create game session %s: %w", gs.GameSessionId, ErrExists)
	}
	if _, ok := g.fleets[gs.FleetId]; !ok && !gs.FlexMatch {
		return GameSession{}, false, fmt.Errorf("create game session %s: fleet %s: %w", gs.GameSessionId, gs.FleetId, ErrNotFound)
	}
	if limit.Max > 0 && gs.CreatorId != "" {
		since := gs.CreationTime.Add(-limit.Period).UnixMilli()
		n := 0
		for id := range g.byFleet[gs.FleetId] {
			s := g.sessions[id].gs
			if g.sessions[id].limited && s.CreatorId == gs.CreatorId && s.CreationTime.UnixMilli() > since {
				n++
			}
		}
		if n >= limit.Max {
			return GameSession{}, false, fmt.Errorf("create game session %s: creator %s has created %d in %v: %w",
				gs.GameSessionId, gs.CreatorId, n, limit.Period, ErrLimitExceeded)
		}
	}
	gs.Version, gs.CurrentPlayerSessionCount = 1, 0
	s := &memGameSession{gs: gs.clone(), limited: limit.Max > 0 && gs.CreatorId != ""}
	g.sessions[gs.GameSessionId] = s
	if g.byFleet[gs.FleetId] == nil {
		g.byFleet[gs.FleetId] = map[string]struct{}{}
	}
	g.byFleet[gs.FleetId][gs.GameSessionId] = struct{}{}
	g.touched(gs.FleetId, gs.GameSessionId)
	if gs.Status.Ended() {
		m.endSession(g, s, now)
	}
	return gs, true, nil
}

// endSession starts the retention of an ended game session.
func (m *Memory) endSession(g *memGameSessions, s *memGameSession, now time.Time) {
	s.expiresAt = now.Add(m.opts.SessionRetention)
	g.ended = append(g.ended, expiryEntry{id: s.gs.GameSessionId, at: s.expiresAt})
}

// GetGameSession implements GameSessions.
func (m *Memory) GetGameSession(_ context.Context, id string) (GameSession, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	s, ok := g.sessions[id]
	if !ok {
		return GameSession{}, fmt.Errorf("get game session %s: %w", id, ErrNotFound)
	}
	return s.gs.clone(), nil
}

// ListGameSessions implements GameSessions.
func (m *Memory) ListGameSessions(_ context.Context, f GameSessionFilter, p Page) ([]GameSession, string, error) {
	offset, err := pageOffset(p)
	if err != nil {
		return nil, "", fmt.Errorf("list game sessions of fleet %s: %w", f.FleetID, err)
	}
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	var all []GameSession
	for id := range g.byFleet[f.FleetID] {
		s := g.sessions[id].gs
		if f.Status == "" || s.Status == f.Status {
			all = append(all, s)
		}
	}
	slices.SortFunc(all, func(a, b GameSession) int {
		return cmp.Or(cmp.Compare(a.CreationTime.UnixMilli(), b.CreationTime.UnixMilli()), strings.Compare(a.GameSessionId, b.GameSessionId))
	})
	if f.NewestFirst {
		slices.Reverse(all)
	}
	page, next := cutPage(all, offset, p.Limit)
	for i := range page {
		page[i] = page[i].clone()
	}
	return page, next, nil
}

// UpdateGameSession implements GameSessions.
func (m *Memory) UpdateGameSession(_ context.Context, gs GameSession) (int64, error) {
	if err := checkGameSessionStatus(&gs); err != nil {
		return 0, fmt.Errorf("update %w", err)
	}
	g, now := m.lockGS()
	defer m.mu.Unlock()
	s, ok := g.sessions[gs.GameSessionId]
	if !ok {
		return 0, fmt.Errorf("update game session %s: %w", gs.GameSessionId, ErrNotFound)
	}
	if err := checkSessionUpdate(&s.gs, &gs); err != nil {
		return 0, err
	}
	wasEnded := s.gs.Status.Ended()
	gs.Version++
	gs.CurrentPlayerSessionCount = s.gs.CurrentPlayerSessionCount
	if gs.Status.Ended() && !wasEnded {
		for _, id := range s.ps {
			p := g.players[id]
			if p.Status.Holds() {
				p.Status, p.TerminationTime = PlayerSessionCompleted, gs.TerminationTime
				p.Version++
			}
		}
		gs.CurrentPlayerSessionCount = 0
		s.gs = gs.clone()
		g.touched(gs.FleetId, gs.GameSessionId)
		m.endSession(g, s, now)
		return gs.Version, nil
	}
	s.gs = gs.clone()
	g.touched(gs.FleetId, gs.GameSessionId)
	return gs.Version, nil
}

// checkSessionUpdate refuses an UpdateGameSession of cur to gs that the
// store does not allow: another version, another fleet, an ended session
// brought back, a new maximum below the player sessions it holds.
func checkSessionUpdate(cur, gs *GameSession) error {
	switch {
	case cur.Version != gs.Version:
		return fmt.Errorf("update game session %s: at version %d, not %d: %w", gs.GameSessionId, cur.Version, gs.Version, ErrConflict)
	case cur.FleetId != gs.FleetId:
		return fmt.Errorf("update game session %s: fleet %s cannot become %s: %w", gs.GameSessionId, cur.FleetId, gs.FleetId, ErrConflict)
	case cur.Status.Ended() && !gs.Status.Ended():
		return fmt.Errorf("update game session %s: %s cannot become %s: %w", gs.GameSessionId, cur.Status, gs.Status, ErrConflict)
	case gs.MaximumPlayerSessionCount != cur.MaximumPlayerSessionCount && gs.MaximumPlayerSessionCount < cur.CurrentPlayerSessionCount && !gs.Status.Ended():
		return fmt.Errorf("update game session %s: maximum %d below its %d player sessions: %w", gs.GameSessionId, gs.MaximumPlayerSessionCount, cur.CurrentPlayerSessionCount, ErrConflict)
	}
	return nil
}

// CreatePlayerSessions implements GameSessions.
func (m *Memory) CreatePlayerSessions(_ context.Context, gameSessionID string, ps []PlayerSession) (int, error) {
	if err := checkNewPlayerSessions(gameSessionID, ps); err != nil {
		return 0, err
	}
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	s, ok := g.sessions[gameSessionID]
	if !ok {
		return 0, fmt.Errorf("create player sessions in %s: %w", gameSessionID, ErrNotFound)
	}
	if err := acceptsPlayers(&s.gs, holding(ps)); err != nil {
		return 0, err
	}
	for _, p := range ps {
		if _, ok := g.players[p.PlayerSessionId]; ok {
			return 0, fmt.Errorf("create player session %s: %w", p.PlayerSessionId, ErrExists)
		}
	}
	for _, p := range ps {
		p.Version = 1
		c := p
		g.players[p.PlayerSessionId] = &c
		s.ps = append(s.ps, p.PlayerSessionId)
		if g.byPlayer[p.PlayerId] == nil {
			g.byPlayer[p.PlayerId] = map[string]struct{}{}
		}
		g.byPlayer[p.PlayerId][p.PlayerSessionId] = struct{}{}
		if p.Status.Holds() {
			s.gs.CurrentPlayerSessionCount++
		}
		if p.Status == PlayerSessionReserved {
			g.addReserved(&c)
		}
	}
	g.touched(s.gs.FleetId, gameSessionID)
	return s.gs.CurrentPlayerSessionCount, nil
}

// checkNewPlayerSessions checks what CreatePlayerSessions is given: at least
// one, ids not repeated, each of the game session.
func checkNewPlayerSessions(gameSessionID string, ps []PlayerSession) error {
	if len(ps) == 0 {
		return fmt.Errorf("create player sessions in %s: none given", gameSessionID)
	}
	seen := make(map[string]bool, len(ps))
	for _, p := range ps {
		if seen[p.PlayerSessionId] {
			return fmt.Errorf("create player sessions in %s: %s listed twice", gameSessionID, p.PlayerSessionId)
		}
		seen[p.PlayerSessionId] = true
		if p.GameSessionId != gameSessionID {
			return fmt.Errorf("create player session %s: of game session %q, not %q", p.PlayerSessionId, p.GameSessionId, gameSessionID)
		}
	}
	return nil
}

// acceptsPlayers reports why gs cannot take n more players, if it cannot.
func acceptsPlayers(gs *GameSession, n int) error {
	switch {
	case gs.Status != GameSessionActive:
		return fmt.Errorf("create player sessions in %s: it is %s: %w", gs.GameSessionId, gs.Status, ErrGameSessionStatus)
	case gs.PlayerSessionCreationPolicy == DenyAll:
		return fmt.Errorf("create player sessions in %s: its policy is %s: %w", gs.GameSessionId, DenyAll, ErrGameSessionStatus)
	case gs.CurrentPlayerSessionCount+n > gs.MaximumPlayerSessionCount:
		return fmt.Errorf("create player sessions in %s: %d of %d taken, %d asked: %w",
			gs.GameSessionId, gs.CurrentPlayerSessionCount, gs.MaximumPlayerSessionCount, n, ErrGameSessionFull)
	}
	return nil
}

// GetPlayerSession implements GameSessions.
func (m *Memory) GetPlayerSession(_ context.Context, id string) (PlayerSession, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	p, ok := g.players[id]
	if !ok {
		return PlayerSession{}, fmt.Errorf("get player session %s: %w", id, ErrNotFound)
	}
	return *p, nil
}

// ListPlayerSessions implements GameSessions.
func (m *Memory) ListPlayerSessions(_ context.Context, f PlayerSessionFilter, p Page) ([]PlayerSession, string, error) {
	if err := checkPlayerFilter(f); err != nil {
		return nil, "", err
	}
	offset, err := pageOffset(p)
	if err != nil {
		return nil, "", fmt.Errorf("list player sessions: %w", err)
	}
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	var ids []string
	if f.GameSessionID != "" {
		if s, ok := g.sessions[f.GameSessionID]; ok {
			ids = s.ps
		}
	} else {
		for id := range g.byPlayer[f.PlayerID] {
			ids = append(ids, id)
		}
	}
	var all []PlayerSession
	for _, id := range ids {
		if ps := g.players[id]; f.Status == "" || ps.Status == f.Status {
			all = append(all, *ps)
		}
	}
	sortPlayerSessions(all)
	page, next := cutPage(all, offset, p.Limit)
	return page, next, nil
}

// UpdatePlayerSession implements GameSessions.
func (m *Memory) UpdatePlayerSession(_ context.Context, ps PlayerSession) (int64, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	cur, ok := g.players[ps.PlayerSessionId]
	if !ok {
		return 0, fmt.Errorf("update player session %s: %w", ps.PlayerSessionId, ErrNotFound)
	}
	if err := checkPlayerUpdate(cur, &ps); err != nil {
		return 0, err
	}
	s := g.sessions[cur.GameSessionId]
	if d := holds(ps.Status) - holds(cur.Status); d != 0 {
		s.gs.CurrentPlayerSessionCount += d
		g.touched(s.gs.FleetId, s.gs.GameSessionId)
	}
	ps.Version++
	*cur = ps
	return ps.Version, nil
}

// DueReservations implements GameSessions: it walks the index of
// reservations from its first, up to the first not due, dropping the
// entries it passes of player sessions no longer RESERVED, so that a call
// costs what it returns and drops, not the number of player sessions.
func (m *Memory) DueReservations(_ context.Context, before time.Time, limit int) ([]Reservation, bool, error) {
	if limit <= 0 {
		return nil, false, fmt.Errorf("due reservations: limit %d is not positive", limit)
	}
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	cut := before.UnixMilli()
	var due []Reservation
	more := false
	i := 0
	for ; i < len(g.reserved) && g.reserved[i].ms <= cut; i++ {
		p, ok := g.players[g.reserved[i].id]
		if !ok || p.Status != PlayerSessionReserved {
			continue
		}
		if len(due) == limit {
			more = true
			break
		}
		r := ReservationOf(*p)
		r.CreationTime = r.CreationTime.Truncate(time.Millisecond)
		due = append(due, r)
	}
	// Keep the passed entries still RESERVED (those returned), moved to
	// the end of the passed prefix, and drop the prefix's others.
	kept := i
	for j := i - 1; j >= 0; j-- {
		if p, ok := g.players[g.reserved[j].id]; ok && p.Status == PlayerSessionReserved {
			kept--
			g.reserved[kept] = g.reserved[j]
		}
	}
	clear(g.reserved[:kept])
	g.reserved = g.reserved[kept:]
	return due, more, nil
}

// TimeOutReservations implements GameSessions.
func (m *Memory) TimeOutReservations(_ context.Context, due []Reservation) ([]Reservation, error) {
	g, _ := m.lockGS()
	defer m.mu.Unlock()
	var moved []Reservation
	for _, p := range due {
		cur, ok := g.players[p.PlayerSessionId]
		if !ok || cur.Status != PlayerSessionReserved || cur.Version != p.Version {
			continue
		}
		cur.Status, cur.TerminationTime = PlayerSessionTimedOut, p.TerminationTime
		cur.Version++
		if s := g.sessions[cur.GameSessionId]; s != nil {
			s.gs.CurrentPlayerSessionCount--
			g.touched(s.gs.FleetId, s.gs.GameSessionId)
		}
		p.Version = cur.Version
		moved = append(moved, p)
	}
	return moved, nil
}

// holding counts the player sessions that hold a slot.
func holding(ps []PlayerSession) int {
	n := 0
	for _, p := range ps {
		n += holds(p.Status)
	}
	return n
}

func holds(s PlayerSessionStatus) int {
	if s.Holds() {
		return 1
	}
	return 0
}

// checkPlayerUpdate refuses an UpdatePlayerSession of cur to ps at another
// version or moving it to another player or game session.
func checkPlayerUpdate(cur, ps *PlayerSession) error {
	switch {
	case cur.Version != ps.Version:
		return fmt.Errorf("update player session %s: at version %d, not %d: %w", ps.PlayerSessionId, cur.Version, ps.Version, ErrConflict)
	case cur.PlayerId != ps.PlayerId || cur.GameSessionId != ps.GameSessionId:
		return fmt.Errorf("update player session %s: player and game session cannot change: %w", ps.PlayerSessionId, ErrConflict)
	}
	return nil
}

func checkPlayerFilter(f PlayerSessionFilter) error {
	if (f.GameSessionID == "") == (f.PlayerID == "") {
		return fmt.Errorf("list player sessions: want exactly one of a game session and a player, got %q and %q", f.GameSessionID, f.PlayerID)
	}
	return nil
}

// checkNewGameSession checks that a new game session's id names its fleet
// and that its status is one of GameLift's.
func checkNewGameSession(gs *GameSession) error {
	if f := GameSessionFleet(gs.GameSessionId); f == "" || f != gs.FleetId {
		return fmt.Errorf("create game session %s: the id does not name fleet %q", gs.GameSessionId, gs.FleetId)
	}
	return checkGameSessionStatus(gs)
}

// gameSessionStatuses are GameLift's game session statuses.
var gameSessionStatuses = []GameSessionStatus{GameSessionActivating, GameSessionActive, GameSessionTerminating, GameSessionTerminated, GameSessionError}

func checkGameSessionStatus(gs *GameSession) error {
	if !slices.Contains(gameSessionStatuses, gs.Status) {
		return fmt.Errorf("game session %s: unknown status %q", gs.GameSessionId, gs.Status)
	}
	return nil
}

// pageOffset reads a page's NextToken: the offset of its first item.
func pageOffset(p Page) (int, error) {
	if p.NextToken == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(p.NextToken)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q: %w", p.NextToken, ErrInvalidToken)
	}
	return n, nil
}

// cutPage returns the page of all at offset and the next page's token.
func cutPage[T any](all []T, offset, limit int) ([]T, string) {
	if offset >= len(all) {
		return nil, ""
	}
	all = all[offset:]
	if limit <= 0 || limit >= len(all) {
		return all, ""
	}
	return all[:limit], strconv.Itoa(offset + limit)
}

func sortFleets(fs []Fleet) {
	slices.SortFunc(fs, func(a, b Fleet) int {
		return cmp.Or(cmp.Compare(a.CreationTime.UnixMilli(), b.CreationTime.UnixMilli()), strings.Compare(a.FleetId, b.FleetId))
	})
}

func sortAliases(as []Alias) {
	slices.SortFunc(as, func(a, b Alias) int {
		return cmp.Or(cmp.Compare(a.CreationTime.UnixMilli(), b.CreationTime.UnixMilli()), strings.Compare(a.AliasId, b.AliasId))
	})
}

func sortPlayerSessions(ps []PlayerSession) {
	slices.SortFunc(ps, func(a, b PlayerSession) int {
		return cmp.Or(cmp.Compare(a.CreationTime.UnixMilli(), b.CreationTime.UnixMilli()), strings.Compare(a.PlayerSessionId, b.PlayerSessionId))
	})
}
