package matchmaker

import (
	"fmt"

	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// pool prepares a configuration's searching tickets for its rule set and
// keeps them across forming passes: a ticket is prepared once per version,
// not once per pass.
type pool struct {
	rs       *rules.RuleSet
	prepared map[string]preparedTicket
}

type preparedTicket struct {
	version int64
	ticket  *forming.Ticket
	err     error
}

func newPool(rs *rules.RuleSet) *pool {
	return &pool{rs: rs, prepared: map[string]preparedTicket{}}
}

// refresh prepares the snapshot's tickets and forgets tickets no longer in
// it. It returns the prepared tickets in snapshot order and, by ticket id,
// why the tickets that can never match this rule set do not (Prepare's
// *forming.Unmatchable); they stay searching until they time out, as in
// FlexMatch.
func (p *pool) refresh(snapshot []store.Ticket) (ready []*forming.Ticket, unmatchable map[string]string) {
	seen := make(map[string]bool, len(snapshot))
	ready = make([]*forming.Ticket, 0, len(snapshot))
	unmatchable = map[string]string{}
	for i := range snapshot {
		t := &snapshot[i]
		seen[t.TicketId] = true
		pt, ok := p.prepared[t.TicketId]
		if !ok || pt.version != t.Version {
			rt, err := forming.Prepare(p.rs, forming.TicketSpec(t.TicketId, t.StartTime, t.Backfill, t.Players))
			pt = preparedTicket{version: t.Version, ticket: rt, err: err}
			p.prepared[t.TicketId] = pt
		}
		if pt.err != nil {
			unmatchable[t.TicketId] = pt.err.Error()
			continue
		}
		ready = append(ready, pt.ticket)
	}
	for id := range p.prepared {
		if !seen[id] {
			delete(p.prepared, id)
		}
	}
	return ready, unmatchable
}

// ruleSets compiles rule sets once per body.
type ruleSets struct {
	byName map[string]compiled
}

type compiled struct {
	body string
	rs   *rules.RuleSet
}

func (c *ruleSets) get(r store.RuleSet) (*rules.RuleSet, error) {
	if c.byName == nil {
		c.byName = map[string]compiled{}
	}
	if got, ok := c.byName[r.Name]; ok && got.body == r.Body {
		return got.rs, nil
	}
	rs, err := rules.CompileJSON([]byte(r.Body))
	if err != nil {
		return nil, fmt.Errorf("compile rule set %s: %w", r.Name, err)
	}
	c.byName[r.Name] = compiled{body: r.Body, rs: rs}
	return rs, nil
}
