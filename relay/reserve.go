// Reservations of player sessions in a running session, asked by the
// matchmaker's CreatePlayerSession(s) with the ids it made.

package relay

import (
	"context"

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
	result := "ok"
	if reply.Error != nil {
		result = string(reply.Error.Code)
	}
	s.m.reserves.WithLabelValues(result).Inc()
	return bus.ReserveReply{RequestID: req.RequestID, PlayerSessions: reply.PlayerSessions, Error: reply.Error}
}
