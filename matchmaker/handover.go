package matchmaker

import (
	"context"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// handOver claims a formed match and hands it over in one store step: the
// tickets go from SEARCHING, at the versions the forming pass read, straight
// to where matchProposed would move them after a store.Claim (acceptance,
// placement or COMPLETED), with the match's events
// (store.UpdateTicketsWithEvents, a compare-and-swap on every ticket's
// version). Each ticket's Claimed must be the pass's copy at the version it
// read, with the claim's status and match id. It reports false, having
// changed nothing, when a ticket is missing or changed since that read (the
// claim is lost); an error is the store's failure.
func (s *Service) handOver(ctx context.Context, cfg store.Configuration, matchID string, tickets []matchedTicket, metrics []RuleEvaluationMetric) (bool, error) {
	ids, current, move, details := s.proposal(cfg, matchID, tickets, metrics)
	moved, done, err := s.moveAtOnce(ctx, cfg, ids, current, move, details)
	if err != nil || !done {
		return false, err
	}
	s.metrics.ticket(cfg.Name, claimStatus(cfg), len(moved))
	return true, nil
}
