package matchmaker

import (
	"context"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// handOff is a formed match to hand over: its id, its tickets (each with
// the pass's copy as Claimed) and its rule evaluation metrics.
type handOff struct {
	matchID string
	tickets []matchedTicket
	metrics []RuleEvaluationMetric
}

// handOver claims a formed match and hands it over in one store step: the
// tickets go from SEARCHING, at the versions the forming pass read, straight
// to where matchProposed would move them after a store.Claim (acceptance,
// placement or COMPLETED), with the match's events
// (store.UpdateTicketsWithEvents, a compare-and-swap on every ticket's
// version). Each ticket's Claimed must be the pass's copy at the version it
// read, with the claim's status and match id. It reports false, having
// changed nothing, when a ticket is missing or changed since that read (the
// claim is lost); an error is the store's failure.
func (s *Service) handOver(ctx context.Context, cfg store.Configuration, m handOff) (bool, error) {
	return s.handOverAll(ctx, cfg, []handOff{m})
}

// handOverAll is handOver for several matches of one configuration with
// disjoint tickets, in one store step for all (one Redis script, where each
// match alone is one). It reports false, having changed nothing, when a
// ticket of any match is missing or changed since the pass read it; the
// caller then hands the matches over one by one, so that the others are
// not lost with it.
func (s *Service) handOverAll(ctx context.Context, cfg store.Configuration, matches []handOff) (bool, error) {
	steps := make([]*moveStep, len(matches))
	n := 0
	for i, m := range matches {
		ids, current, move, details := s.proposal(cfg, m.matchID, m.tickets, m.metrics)
		st, ok := s.prepareMove(cfg, ids, current, move, details)
		if !ok {
			return false, nil
		}
		steps[i] = st
		n += len(st.next)
	}
	if done, err := s.commitMoves(ctx, cfg, steps); !done || err != nil {
		return false, err
	}
	s.metrics.ticket(cfg.Name, claimStatus(cfg), n)
	return true, nil
}
