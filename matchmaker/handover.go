package matchmaker

import (
	"context"
	"errors"

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
	ids, current, move, details := s.proposal(cfg, m.matchID, m.tickets, m.metrics)
	moved, done, err := s.moveAtOnce(ctx, cfg, ids, current, move, details)
	if err != nil || !done {
		return false, err
	}
	s.metrics.ticket(cfg.Name, claimStatus(cfg), len(moved))
	return true, nil
}

// handOverAll is handOver for several matches of one configuration with
// disjoint tickets, in one store step for all (one Redis script, where each
// match alone is one). It reports false, having changed nothing, when a
// ticket of any match is missing or changed since the pass read it; the
// caller then hands the matches over one by one, so that the others are
// not lost with it.
func (s *Service) handOverAll(ctx context.Context, cfg store.Configuration, matches []handOff) (bool, error) {
	n := 0
	for _, m := range matches {
		n += len(m.tickets)
	}
	steps := make([]*moveStep, len(matches))
	tickets := make([]store.Ticket, 0, n)
	evs := make([]store.NewEvent, 0, 2*len(matches))
	for i, m := range matches {
		ids, current, move, details := s.proposal(cfg, m.matchID, m.tickets, m.metrics)
		st, ok := s.prepareMove(cfg, ids, current, move, details)
		if !ok {
			return false, nil
		}
		steps[i] = st
		tickets = append(tickets, st.next...)
		evs = append(evs, st.evs...)
	}
	versions, seqs, err := s.store.UpdateTicketsWithEvents(ctx, cfg.Name, tickets, evs)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, internal(err, "move the tickets of %d matches", len(matches))
	}
	for _, st := range steps {
		s.finishMove(ctx, cfg, st, versions[:len(st.next)], seqs[:len(st.evs)])
		versions, seqs = versions[len(st.next):], seqs[len(st.evs):]
	}
	s.metrics.ticket(cfg.Name, claimStatus(cfg), len(tickets))
	return true, nil
}
