package store

import (
	"sync"
	"time"
)

// Memory is the in-process Store: everything lives in maps behind one mutex.
// It serves `matchpoint dev` and fast tests, with the same semantics as the
// Redis store (terminal tickets expire after Options.Retention, measured on
// Options.Now). Nothing survives the process.
type Memory struct {
	opts Options

	mu       sync.Mutex
	ruleSets map[string]RuleSet
	queues   map[string]Queue
	configs  map[string]Configuration
	tickets  map[string]*memTicket
	pools    map[string]*memPool
	expiry   []expiryEntry
	leases   map[string]memLease
	logs     map[string]*memLog
	// waits holds each configuration's wait estimate.
	waits map[string]memWait
	// gs holds fleets, aliases, game and player sessions (see
	// memory_gamesessions.go); nil until first used.
	gs *memGameSessions
	// placements holds game session placements (see
	// memory_placements.go); nil until first used.
	placements map[string]*memPlacement
}

type memTicket struct {
	t Ticket
	// expiresAt is set when the ticket became terminal.
	expiresAt time.Time
}

// memPool holds one configuration's indexes.
type memPool struct {
	searching map[string]struct{}
	deadlines map[string]time.Time
	// players maps a player id to the active ticket holding it.
	players map[string]string
}

type expiryEntry struct {
	id string
	at time.Time
}

type memLease struct {
	owner   string
	expires time.Time
}

type memLog struct {
	last   uint64
	events []Event
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory(opts Options) *Memory {
	return &Memory{
		opts:     opts.WithDefaults(),
		ruleSets: map[string]RuleSet{},
		queues:   map[string]Queue{},
		configs:  map[string]Configuration{},
		tickets:  map[string]*memTicket{},
		pools:    map[string]*memPool{},
		leases:   map[string]memLease{},
		logs:     map[string]*memLog{},
		waits:    map[string]memWait{},
	}
}

// lock takes the mutex, drops expired tickets and returns the current time.
func (m *Memory) lock() time.Time {
	m.mu.Lock()
	now := m.opts.Now()
	for len(m.expiry) > 0 && !m.expiry[0].at.After(now) {
		e := m.expiry[0]
		m.expiry = m.expiry[1:]
		if mt, ok := m.tickets[e.id]; ok && mt.expiresAt.Equal(e.at) {
			delete(m.tickets, e.id)
		}
	}
	return now
}

// ticket returns a live ticket by id.
func (m *Memory) ticket(id string, now time.Time) (*memTicket, bool) {
	mt, ok := m.tickets[id]
	if !ok || (!mt.expiresAt.IsZero() && !now.Before(mt.expiresAt)) {
		return nil, false
	}
	return mt, true
}

func (m *Memory) pool(configuration string) *memPool {
	p, ok := m.pools[configuration]
	if !ok {
		p = &memPool{
			searching: map[string]struct{}{},
			deadlines: map[string]time.Time{},
			players:   map[string]string{},
		}
		m.pools[configuration] = p
	}
	return p
}

// unindex removes a stored ticket from its configuration's indexes.
func (m *Memory) unindex(t *Ticket) {
	p := m.pool(t.ConfigurationName)
	delete(p.searching, t.TicketId)
	delete(p.deadlines, t.TicketId)
	for _, pl := range t.Players {
		if p.players[pl.PlayerId] == t.TicketId {
			delete(p.players, pl.PlayerId)
		}
	}
}

// put stores t (owned by the store from now on), indexes it when active and
// schedules its expiry when terminal.
func (m *Memory) put(t Ticket, now time.Time) {
	mt := &memTicket{t: t}
	m.tickets[t.TicketId] = mt
	if t.Status.Terminal() {
		mt.expiresAt = now.Add(m.opts.Retention)
		m.expiry = append(m.expiry, expiryEntry{id: t.TicketId, at: mt.expiresAt})
		return
	}
	p := m.pool(t.ConfigurationName)
	for _, pl := range t.Players {
		p.players[pl.PlayerId] = t.TicketId
	}
	if !t.Deadline.IsZero() {
		p.deadlines[t.TicketId] = t.Deadline
	}
	if t.Status == StatusSearching {
		p.searching[t.TicketId] = struct{}{}
	}
}
