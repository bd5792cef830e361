package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The errors a Store returns, wrapped with context; compare with errors.Is.
var (
	// ErrNotFound: the rule set, queue, configuration, ticket or lease does
	// not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a rule set, queue, configuration or ticket with that id
	// exists.
	ErrExists = errors.New("already exists")
	// ErrConflict: a compare-and-swap lost (the stored version differs), a
	// claim found a ticket that is no longer claimable, or a lease is held by
	// another owner.
	ErrConflict = errors.New("conflict")
	// ErrNotReplicated: with Options.WaitReplicas, a write reached fewer
	// replicas than asked within Options.WaitTimeout. It is applied on the
	// primary, but a failover could lose it.
	ErrNotReplicated = errors.New("not acknowledged by enough replicas")
	// ErrInUse: the resource is referenced (a rule set or a queue used by a
	// configuration) or busy (a player's active ticket is PLACING).
	ErrInUse = errors.New("in use")
	// ErrUnreadable: a record is not in the form the store writes (damaged
	// or written by hand). DueReservations, DuePlacements and
	// ReleasedPlacements return it beside their results, having dropped the
	// unreadable records' index entries, so that one bad record does not
	// stop a sweep.
	ErrUnreadable = errors.New("unreadable record")
)

// TicketVersion names a ticket at the version a reader saw.
type TicketVersion struct {
	ID      string
	Version int64
}

// ClaimConflictError is the error Claim returns when a ticket blocked the
// claim. It matches ErrConflict with errors.Is; use errors.As to learn which
// ticket blocked and in what state, so the caller can drop it and retry.
type ClaimConflictError struct {
	MatchID  string
	TicketID string
	// Status and Version are what the store holds; Status is empty when the
	// ticket does not exist (expired, or of another configuration).
	Status  Status
	Version int64
	// Want is the version the claim expected.
	Want int64
}

// Error describes the blocking ticket.
func (e *ClaimConflictError) Error() string {
	if e.Status == "" {
		return fmt.Sprintf("claim match %s: ticket %s does not exist: %v", e.MatchID, e.TicketID, ErrConflict)
	}
	return fmt.Sprintf("claim match %s: ticket %s is %s at version %d, want SEARCHING at version %d: %v",
		e.MatchID, e.TicketID, e.Status, e.Version, e.Want, ErrConflict)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ClaimConflictError) Is(target error) bool { return target == ErrConflict }

// NewEvent is an event to append: the tickets it concerns and its payload.
type NewEvent struct {
	TicketIds []string
	Payload   []byte
}

// Event is one entry of a configuration's event log.
type Event struct {
	// Seq is the entry's sequence number: 1 for the first event of a
	// configuration, then dense (each append adds exactly 1).
	Seq uint64
	// TicketIds are the tickets the event concerns, so that a per-ticket
	// stream can filter the configuration log without decoding payloads.
	TicketIds []string
	// Payload is the event as the service encoded it; the store does not
	// look inside.
	Payload []byte
}

// Options tune a store. The zero value is usable: DefaultOptions fills what
// is left zero.
type Options struct {
	// Prefix starts every Redis key (default "mp:"). Unused by Memory.
	Prefix string
	// Retention is how long terminal tickets stay readable (default 1h).
	Retention time.Duration
	// SessionRetention is how long ended game sessions and their player
	// sessions stay readable (default 24h).
	SessionRetention time.Duration
	// MaxEvents bounds each configuration's event log (default 10000):
	// older events are dropped.
	MaxEvents int
	// WaitReplicas, on one Redis server with replicas (not a Cluster; not
	// Memory), makes every ticket, configuration, rule set, queue and event
	// write wait until that many replicas acknowledged it (Redis WAIT),
	// failing with ErrNotReplicated after WaitTimeout (default 1s). 0 waits
	// for none: a write is acknowledged once the primary has it.
	WaitReplicas int
	WaitTimeout  time.Duration
	// TicketBatchWindow, on one Redis server or Sentinel (not a Cluster;
	// not Memory), is how long ticket creates wait to share a round trip
	// (see NewRedis); 0 takes the window of the client's
	// AutoPipelineOptions, which player session creates use, and a
	// negative one none (creates are batched only when several are in
	// flight).
	TicketBatchWindow time.Duration
	// Now is the clock used for the EndTime of tickets cancelled as
	// duplicates, and by Memory for expiry and leases (default time.Now).
	// Redis expires keys by its own clock.
	Now func() time.Time
}

// WithDefaults returns o with its zero fields set to the defaults.
func (o Options) WithDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = "mp:"
	}
	if o.Retention <= 0 {
		o.Retention = time.Hour
	}
	if o.SessionRetention <= 0 {
		o.SessionRetention = 24 * time.Hour
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 10000
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Store is the matchmaker's persistence. Every method is safe for
// concurrent use; every multi-record change is atomic.
type Store interface {
	GameSessions
	GameSessionPlacements

	// CreateRuleSet stores a new rule set; ErrExists if the name is taken.
	CreateRuleSet(ctx context.Context, rs RuleSet) error
	// GetRuleSet returns a rule set; ErrNotFound if there is none.
	GetRuleSet(ctx context.Context, name string) (RuleSet, error)
	// ListRuleSets returns every rule set, ordered by name.
	ListRuleSets(ctx context.Context) ([]RuleSet, error)
	// DeleteRuleSet deletes a rule set; ErrNotFound if there is none,
	// ErrInUse if a configuration references it.
	DeleteRuleSet(ctx context.Context, name string) error

	// CreateQueue stores a new game session queue; ErrExists if the name is
	// taken.
	CreateQueue(ctx context.Context, q Queue) error
	// GetQueue returns a queue; ErrNotFound if there is none.
	GetQueue(ctx context.Context, name string) (Queue, error)
	// ListQueues returns every queue, ordered by name.
	ListQueues(ctx context.Context) ([]Queue, error)
	// UpdateQueue replaces a queue; ErrNotFound if there is none.
	UpdateQueue(ctx context.Context, q Queue) error
	// DeleteQueue deletes a queue; ErrNotFound if there is none, ErrInUse if
	// a configuration names it.
	DeleteQueue(ctx context.Context, name string) error

	// CreateConfiguration stores a new configuration; ErrExists if the name
	// is taken, ErrNotFound if its rule set or a queue it names (QueueNames)
	// does not exist.
	CreateConfiguration(ctx context.Context, c Configuration) error
	// GetConfiguration returns a configuration; ErrNotFound if there is none.
	GetConfiguration(ctx context.Context, name string) (Configuration, error)
	// ListConfigurations returns every configuration, ordered by name.
	ListConfigurations(ctx context.Context) ([]Configuration, error)
	// UpdateConfiguration replaces a configuration; ErrNotFound if it, its
	// rule set or a queue it names does not exist.
	UpdateConfiguration(ctx context.Context, c Configuration) error
	// DeleteConfiguration deletes a configuration; ErrNotFound if there is
	// none. Its tickets are left to end on their own.
	DeleteConfiguration(ctx context.Context, name string) error

	// CreateTicket stores a new ticket at version 1 in its configuration.
	// ErrExists if a ticket with that id exists in any configuration;
	// ErrNotFound if the configuration does not exist. Atomically with the
	// create, every active ticket of the same configuration that holds one of
	// its players is CANCELLED (reason DuplicatePlayerReason, version bumped);
	// their ids are returned. If such a ticket is PLACING, nothing is written
	// and the error is ErrInUse: a placement is never cancelled.
	CreateTicket(ctx context.Context, t Ticket) (cancelled []string, err error)
	// CreateTicketWithEvent is CreateTicket and AppendEvent in one atomic
	// step: it stores t exactly as CreateTicket does (same errors, same
	// duplicate-player rule) and appends payload to the configuration's
	// event log with TicketIds [t.TicketId], returning the event's sequence
	// number. On any error nothing is written: no ticket, no cancellation,
	// no event, and no sequence number is used up. The service creates
	// tickets directly in SEARCHING with their MatchmakingSearching event.
	CreateTicketWithEvent(ctx context.Context, t Ticket, payload []byte) (cancelled []string, seq uint64, err error)
	// GetTicket returns one ticket; ErrNotFound if it does not exist (or has
	// expired).
	GetTicket(ctx context.Context, id string) (Ticket, error)
	// GetTickets returns the tickets that exist among ids, in the order of
	// ids; missing ones are skipped.
	GetTickets(ctx context.Context, ids ...string) ([]Ticket, error)
	// UpdateTicket replaces a ticket if its stored version equals t.Version
	// and returns the new version (t.Version+1). ErrNotFound if the ticket
	// does not exist in t.ConfigurationName, ErrConflict if the version
	// differs. Every index follows the new status, players and deadline;
	// the duplicate-player rule is CreateTicket's only.
	UpdateTicket(ctx context.Context, t Ticket) (version int64, err error)
	// UpdateTicketsWithEvents is UpdateTicket for several tickets of one
	// configuration and AppendEvent for events, in one atomic step: either
	// every ticket is at its given Version and all are replaced and the
	// events appended, in order, or nothing changes (ErrNotFound for a
	// ticket missing or of another configuration, ErrConflict for one at
	// another version). It returns the tickets' new versions and the events'
	// sequence numbers. A match former hands a match over with it, so that
	// the tickets' moves and their events are never apart.
	UpdateTicketsWithEvents(ctx context.Context, configuration string, tickets []Ticket, events []NewEvent) (versions []int64, seqs []uint64, err error)
	// SearchingTickets returns the configuration's SEARCHING tickets, oldest
	// StartTime first (to the millisecond, then by id): the match former's
	// pool. Each ticket is consistent at
	// its version; the claim re-checks versions.
	SearchingTickets(ctx context.Context, configuration string) ([]Ticket, error)
	// SearchingVersions returns the id and version of the configuration's
	// SEARCHING tickets, oldest StartTime first, without reading the
	// tickets: a match former that caches its pool fetches only the tickets
	// it has not seen at that version (GetTickets). A ticket's content never
	// changes without its version changing.
	SearchingVersions(ctx context.Context, configuration string) ([]TicketVersion, error)
	// DueTickets returns up to limit active tickets of the configuration
	// whose Deadline is at or before now, earliest deadline first (to the
	// millisecond, then by id).
	DueTickets(ctx context.Context, configuration string, now time.Time, limit int) ([]Ticket, error)
	// Claim atomically moves every listed ticket from SEARCHING at exactly
	// the listed version to newStatus with MatchId matchID and version+1.
	// If any ticket is missing, not SEARCHING, at another version or not of
	// this configuration, nothing changes and the error is a
	// *ClaimConflictError (errors.Is ErrConflict) naming it.
	Claim(ctx context.Context, configuration, matchID string, tickets []TicketVersion, newStatus Status) error

	// AcquireLease takes the named lease for owner for ttl. Acquiring a
	// lease the owner already holds extends it. ErrConflict if another
	// owner holds it.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) error
	// RenewLease extends the owner's lease to ttl from now. ErrConflict if
	// another owner holds it, ErrNotFound if it lapsed.
	RenewLease(ctx context.Context, name, owner string, ttl time.Duration) error
	// ReleaseLease gives the lease up. ErrConflict if another owner holds
	// it, ErrNotFound if nobody does.
	ReleaseLease(ctx context.Context, name, owner string) error

	// SetWaitEstimate records the configuration's estimated wait for a
	// match, in whole seconds, for ttl (> 0) from now, replacing the one
	// recorded before. The match former writes it after each pass that
	// matched; it is a hint (not kept in step with anything else).
	SetWaitEstimate(ctx context.Context, configuration string, seconds int, ttl time.Duration) error
	// WaitEstimate returns the configuration's estimated wait in seconds;
	// ok is false when none is recorded or it has expired.
	WaitEstimate(ctx context.Context, configuration string) (seconds int, ok bool, err error)

	// AppendEvent appends an event to the configuration's log and returns
	// its sequence number. The log keeps the newest Options.MaxEvents.
	AppendEvent(ctx context.Context, configuration string, ticketIDs []string, payload []byte) (uint64, error)
	// EventsAfter returns up to limit events with Seq > after, in order. A
	// first event with Seq > after+1 means the events between were trimmed.
	EventsAfter(ctx context.Context, configuration string, after uint64, limit int) ([]Event, error)
}

// checkUpdates checks the tickets of an UpdateTicketsWithEvents: each of the
// configuration (ErrNotFound otherwise), none listed twice.
func checkUpdates(configuration string, tickets []Ticket) error {
	seen := make(map[string]bool, len(tickets))
	for i := range tickets {
		t := &tickets[i]
		if t.ConfigurationName != configuration {
			return fmt.Errorf("update ticket %s: of %q, not %q: %w", t.TicketId, t.ConfigurationName, configuration, ErrNotFound)
		}
		if seen[t.TicketId] {
			return fmt.Errorf("update tickets: ticket %s listed twice", t.TicketId)
		}
		seen[t.TicketId] = true
	}
	return nil
}

func checkClaim(matchID string, tickets []TicketVersion) error {
	if len(tickets) == 0 {
		return fmt.Errorf("claim match %s: no tickets", matchID)
	}
	seen := make(map[string]struct{}, len(tickets))
	for _, tv := range tickets {
		if _, dup := seen[tv.ID]; dup {
			return fmt.Errorf("claim match %s: ticket %s listed twice", matchID, tv.ID)
		}
		seen[tv.ID] = struct{}{}
	}
	return nil
}
