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

// snapshotCache keeps a configuration's SEARCHING tickets between passes: a
// pass lists the ids and versions (cheap), and reads only the tickets it has
// not seen at that version.
type snapshotCache struct {
	tickets map[string]store.Ticket
	seed    maphash.Seed
}

// read returns the SEARCHING tickets in the store's order (oldest first) and
// a fingerprint of their ids and versions. arrived are tickets the caller
// already has as stored (handed over by the process that created them): a
// listed ticket among them at the listed version is not read again.
func (s *snapshotCache) read(ctx context.Context, st store.Store, configuration string, arrived []store.Ticket) ([]store.Ticket, uint64, error) {
	if s.tickets == nil {
		s.tickets = map[string]store.Ticket{}
		s.seed = maphash.MakeSeed()
	}
	for _, t := range arrived {
		if old, ok := s.tickets[t.TicketId]; !ok || old.Version < t.Version {
			s.tickets[t.TicketId] = t
		}
	}
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
	for _, tv := range versions {
		t, ok := s.tickets[tv.ID]
		// A ticket that changed between the listing and the read is left to
		// the next pass; the claim would refuse it at a stale version anyway.
		if !ok || t.Version != tv.Version || t.Status != store.StatusSearching {
			continue
		}
		out = append(out, t)
		keep[tv.ID] = t
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
