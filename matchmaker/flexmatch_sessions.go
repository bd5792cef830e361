package matchmaker

import (
	"context"
	"errors"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// recordFlexMatchSession puts the game session a FlexMatch placement of
// match matchID created, or filled (a backfill), in the registry of game
// sessions, with the player sessions of done's tickets RESERVED: ACTIVE, its
// FleetId the relay hosting it (its ARN's fleet segment: FlexMatch sessions
// have no fleet in Matchpoint), MaximumPlayerSessionCount the rule set's
// maximum of players, the configuration's GameProperties and
// GameSessionData, and the match's MatchmakerData. From then on
// DescribeGameSessions, DescribePlayerSessions, SearchGameSessions and the
// SessionRegistry see it like any other: the events its relay sent before
// (a player connected at once) are applied then. A failure is logged: the
// match has succeeded whatever the registry holds.
func (s *Service) recordFlexMatchSession(ctx context.Context, matchID string, done []store.Ticket) {
	if len(done) == 0 || done[0].GameSessionConnectionInfo == nil {
		return
	}
	info := *done[0].GameSessionConnectionInfo
	rs, err := ParseGameSessionArn(info.GameSessionArn)
	if err != nil {
		s.log.Warn("FlexMatch game session not recorded", "match", matchID, "err", err)
		return
	}
	cfg, err := s.store.GetConfiguration(ctx, done[0].ConfigurationName)
	if err != nil {
		s.log.Warn("FlexMatch game session not recorded", "match", matchID, "gameSessionArn", rs.Arn, "err", err)
		return
	}
	now := s.now().UTC()
	var ps []store.PlayerSession
	backfill := false
	for _, t := range done {
		if t.Backfill {
			// Its players are in the session already.
			backfill = true
			continue
		}
		if t.GameSessionConnectionInfo == nil {
			continue
		}
		for _, m := range t.GameSessionConnectionInfo.MatchedPlayerSessions {
			if m.PlayerSessionId == "" {
				continue
			}
			ps = append(ps, store.PlayerSession{
				PlayerSessionId: m.PlayerSessionId, PlayerId: m.PlayerId, GameSessionId: rs.Arn, FleetId: rs.RelayID,
				Status: store.PlayerSessionReserved, IpAddress: info.IpAddress, DnsName: info.DnsName, Port: info.Port, CreationTime: now,
			})
		}
	}
	if !backfill {
		capacity, err := ruleSetCapacities.get(ctx, s.store, cfg.RuleSetName)
		if err != nil {
			s.log.Warn("FlexMatch game session: the rule set's capacity", "match", matchID, "err", err)
		}
		autoID := ""
		if cfg.BackfillMode == BackfillAuto && playerCount(done) < capacity {
			autoID = autoBackfillID(matchID)
		}
		gs := store.GameSession{
			GameSessionId: rs.Arn, FleetId: rs.RelayID, FlexMatch: true, Location: rs.Region, RelayID: rs.RelayID,
			MaximumPlayerSessionCount: max(capacity, len(ps), 1), Status: store.GameSessionActive,
			GameProperties: cfg.GameProperties, GameSessionData: cfg.GameSessionData,
			MatchmakerData: matchmakerData(matchID, s.ConfigurationArn(cfg.Name), cfg.BackfillMode, autoID, done),
			IpAddress:      info.IpAddress, DnsName: info.DnsName, Port: info.Port,
			PlayerSessionCreationPolicy: store.AcceptAll, ProtectionPolicy: NoProtection, CreationTime: now,
		}
		if _, _, err := s.store.CreateGameSession(ctx, gs, store.CreatorLimit{}); err != nil && !errors.Is(err, store.ErrExists) {
			s.log.Warn("FlexMatch game session not recorded", "match", matchID, "gameSessionArn", rs.Arn, "err", err)
			return
		}
	}
	if len(ps) > 0 {
		if _, err := s.store.CreatePlayerSessions(ctx, rs.Arn, ps); err != nil && !errors.Is(err, store.ErrExists) && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("FlexMatch player sessions not recorded", "match", matchID, "gameSessionArn", rs.Arn, "err", err)
		}
	}
	s.recorded(ctx, rs.Arn)
}

// sessionsFleet resolves the FleetId or AliasId of a game session list
// (DescribeGameSessions, SearchGameSessions) to the fleet id the store
// lists by: a fleet's, or the id of a relay hosting FlexMatch sessions
// (their FleetId), known when the store holds a session under it or the
// relay is live. Otherwise the fleet's error stands.
func (s *Service) sessionsFleet(ctx context.Context, fleetID, aliasID string) (string, error) {
	f, err := s.sessionFleet(ctx, fleetID, aliasID)
	if err == nil {
		return f.FleetId, nil
	}
	if t := AsError(err).Type; t != NotFound && t != InvalidRequest || aliasID != "" || fleetID == "" {
		return "", err
	}
	for _, r := range s.relays() {
		if r.ID == fleetID {
			return fleetID, nil
		}
	}
	page, _, lerr := s.store.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetID}, store.Page{Limit: 1})
	if lerr != nil {
		return "", internal(lerr, "list game sessions of %s", fleetID)
	}
	if len(page) == 0 || !page[0].FlexMatch {
		return "", err
	}
	return fleetID, nil
}
