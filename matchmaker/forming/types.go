package forming

import (
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// Defaults of Options.
const (
	// DefaultBatchSize is the number of tickets in one batch: an anchor
	// considers at most this many tickets for its match.
	DefaultBatchSize = 1000
	// DefaultRepairBudget is the number of extra final checks an anchor may
	// spend swapping tickets between teams when a full candidate fails.
	DefaultRepairBudget = 32
)

// Options tune one Form call. The zero value is ready to use.
type Options struct {
	// MaxMatches stops the pass after this many matches; 0 means no limit.
	MaxMatches int
	// BatchSize is the batch size of exhaustiveSearch and the number of
	// candidates a balanced anchor considers; 0 means DefaultBatchSize.
	BatchSize int
	// Seed drives the random batching preference: the same input, options
	// and seed form the same matches.
	Seed uint64
	// RepairBudget bounds the final checks spent per anchor on swapping
	// tickets between teams; 0 means DefaultRepairBudget, a negative value
	// turns swapping off.
	RepairBudget int
}

// Input is one pass over a configuration's pool.
type Input struct {
	// Tickets is the pool: the SEARCHING tickets of one configuration,
	// prepared with Prepare for the rule set given to Form.
	Tickets []*Ticket
	// Backfill holds the backfill requests to fill from the same pool.
	Backfill []BackfillRequest
	// Now is the time of the pass: ticket ages, and so expansions, are
	// measured against it.
	Now time.Time
	// AdditionalPlayerCount is the number of player slots new matches keep
	// open (FlexMatch AdditionalPlayerCount). Backfill ignores it.
	AdditionalPlayerCount int
}

// BackfillRequest is a running game session that wants more players: its
// current players, prepared as tickets with TicketSpec.Backfill set and
// Start set to the backfill ticket's start time, on their teams.
type BackfillRequest struct {
	// ID is the backfill ticket's id.
	ID string
	// Teams holds the session's current tickets by index in rs.Teams().
	Teams [][]*Ticket
	// Open is the number of players to add to each team, by index in
	// rs.Teams(); nil means each team may grow to its maxPlayers.
	Open []int
}

// Match is one match formed by Form.
type Match struct {
	// Teams holds the match's tickets by index in rs.Teams(). A backfill
	// match includes the session's current tickets (Backfill set).
	Teams [][]*Ticket
	// Region is where the match should be placed: the best region of
	// Regions per the algorithm (see docs/forming.md), or, without latency
	// rules, the region every ticket reported with the lowest worst latency;
	// "" when there is none.
	Region string
	// Regions lists the regions where every latency rule passes, lowest
	// worst-ticket latency first; nil without latency rules.
	Regions []rules.RegionLatency
	// Expansions holds the step in force for each expansion of the rule
	// set when the match passed its final check, -1 where none was reached.
	// A step >= 0 means the match formed under expanded values.
	Expansions []int
	// Backfill is the request this match fills, nil for a new match.
	Backfill *BackfillRequest
	// Metrics counts the rule outcomes of the evaluations done while
	// searching for this match.
	Metrics []RuleMetric
}

// Expanded reports whether any expansion step was in force when the match
// formed.
func (m *Match) Expanded() bool {
	for _, s := range m.Expansions {
		if s >= 0 {
			return true
		}
	}
	return false
}

// Tickets returns the match's tickets, team by team.
func (m *Match) Tickets() []*Ticket {
	var out []*Ticket
	for _, team := range m.Teams {
		out = append(out, team...)
	}
	return out
}

// RuleMetric is how often one rule passed and failed, in the shape of
// FlexMatch's ruleEvaluationMetrics.
type RuleMetric struct {
	RuleName    string `json:"ruleName"`
	PassedCount int    `json:"passedCount"`
	FailedCount int    `json:"failedCount"`
}

// KeptOut is a pool ticket that found no match in a pass, and the rule
// outcomes of the search for a match anchored on it (every rule except sort
// rules, in rule order).
type KeptOut struct {
	Ticket  *Ticket
	Metrics []RuleMetric
}

// Result is the outcome of one Form call.
type Result struct {
	// Matches in the order they formed.
	Matches []Match
	// Metrics counts rule outcomes over every evaluation of the pass, one
	// entry per rule of the rule set except sort rules, in rule order.
	Metrics []RuleMetric
	// Unmatched is the number of pool tickets left out of every match.
	Unmatched int
	// Kept lists the unmatched pool tickets that anchored a search for a
	// match, in pool order, with the rule outcomes of that search: what
	// kept each out this pass.
	Kept []KeptOut
	// Evaluations is the number of rule set evaluations the pass made.
	Evaluations int
}
