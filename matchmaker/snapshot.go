package matchmaker

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// fetchChunk bounds the ids of one GetTickets call.
const fetchChunk = 500

// snapshotCache keeps a configuration's SEARCHING tickets between passes.
// A listing pass (list) reads the ids and versions from the store (cheap)
// and reads only the tickets it has not seen at that version; the passes in
// between (current) use the tickets held, plus those handed over since
// (arrived) and minus those claimed (drop). The loop is the only former of
// its configuration, so what it misses in between is what others changed
// (cancellations, timeouts, tickets accepted by other processes): the next
// listing finds it, and a claim of a ticket changed meanwhile is refused by
// the store's compare-and-swap.
type snapshotCache struct {
	tickets map[string]store.Ticket
	// order holds the ids of tickets in the store's order (oldest first),
	// arrivals appended; ids no longer in tickets are skipped.
	order []string
	// gone and goneBefore hold the ids dropped since the last listing and
	// during the one before: a ticket handed over after its claim (the
	// request that created it was slower than the pass that listed and
	// claimed it) is not taken back into the pool.
	gone, goneBefore map[string]struct{}
	seed             maphash.Seed
}

// read returns the SEARCHING tickets oldest first and a fingerprint of their
// ids and versions: listed from the store when list is set or nothing is
// held yet, otherwise the tickets held. arrived are tickets the caller has
// as stored (handed over by the process that created them): a listed ticket
// among them at the listed version is not read again.
func (s *snapshotCache) read(ctx context.Context, st store.Store, configuration string, arrived []store.Ticket, list bool) ([]store.Ticket, uint64, error) {
	if s.tickets == nil {
		s.tickets = map[string]store.Ticket{}
		s.seed = maphash.MakeSeed()
		list = true
	}
	for _, t := range arrived {
		if s.dropped(t.TicketId) {
			continue
		}
		old, ok := s.tickets[t.TicketId]
		if !ok {
			s.order = append(s.order, t.TicketId)
		}
		if !ok || old.Version < t.Version {
			s.tickets[t.TicketId] = t
		}
	}
	if list {
		return s.list(ctx, st, configuration)
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	var buf [8]byte
	out := make([]store.Ticket, 0, len(s.tickets))
	order := s.order[:0]
	for _, id := range s.order {
		t, ok := s.tickets[id]
		if !ok {
			continue
		}
		order = append(order, id)
		out = append(out, t)
		h.WriteString(id)
		h.Write(binary.LittleEndian.AppendUint64(buf[:0], uint64(t.Version)))
	}
	s.order = order
	return out, h.Sum64(), nil
}

// drop forgets tickets that left the pool (claimed).
func (s *snapshotCache) drop(ids []string) {
	if s.gone == nil && len(ids) > 0 {
		s.gone = map[string]struct{}{}
	}
	for _, id := range ids {
		delete(s.tickets, id)
		s.gone[id] = struct{}{}
	}
}

func (s *snapshotCache) dropped(id string) bool {
	_, a := s.gone[id]
	_, b := s.goneBefore[id]
	return a || b
}

// list reads the pool from the store (see read).
func (s *snapshotCache) list(ctx context.Context, st store.Store, configuration string) ([]store.Ticket, uint64, error) {
	s.goneBefore, s.gone = s.gone, nil
	versions, err := st.SearchingVersions(ctx, configuration)
	if err != nil {
		return nil, 0, err
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	var missing []string
	var buf [8]byte
	for _, tv := range versions {
		h.WriteString(tv.ID)
		h.Write(binary.LittleEndian.AppendUint64(buf[:0], uint64(tv.Version)))
		if t, ok := s.tickets[tv.ID]; !ok || t.Version != tv.Version {
			missing = append(missing, tv.ID)
		}
	}
	for len(missing) > 0 {
		n := min(len(missing), fetchChunk)
		got, err := st.GetTickets(ctx, missing[:n]...)
		if err != nil {
			return nil, 0, err
		}
		for _, t := range got {
			s.tickets[t.TicketId] = t
		}
		missing = missing[n:]
	}
	out := make([]store.Ticket, 0, len(versions))
	keep := make(map[string]store.Ticket, len(versions))
	s.order = s.order[:0]
	for _, tv := range versions {
		t, ok := s.tickets[tv.ID]
		// A ticket that changed between the listing and the read is left to
		// the next pass; the claim would refuse it at a stale version anyway.
		if !ok || t.Version != tv.Version || t.Status != store.StatusSearching {
			continue
		}
		out = append(out, t)
		keep[tv.ID] = t
		s.order = append(s.order, tv.ID)
	}
	s.tickets = keep
	return out, h.Sum64(), nil
}

// expansionDue reports whether some ticket of the snapshot reached an
// expansion step of the rule set between two times: a pass over an unchanged
// pool can then form matches the last one could not.
func expansionDue(def *rules.Definition, tickets []store.Ticket, from, to time.Time) bool {
	for _, e := range def.Expansions {
		for _, step := range e.Steps {
			wait := time.Duration(step.WaitTimeSeconds * float64(time.Second))
			for i := range tickets {
				at := tickets[i].StartTime.Add(wait)
				if at.After(from) && !at.After(to) {
					return true
				}
			}
		}
	}
	return false
}
