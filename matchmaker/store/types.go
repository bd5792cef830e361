package store

import (
	"slices"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store/player"
)

// Status is a matchmaking ticket status, as in FlexMatch.
type Status string

// The FlexMatch ticket statuses.
const (
	StatusQueued             Status = "QUEUED"
	StatusSearching          Status = "SEARCHING"
	StatusRequiresAcceptance Status = "REQUIRES_ACCEPTANCE"
	StatusPlacing            Status = "PLACING"
	StatusCompleted          Status = "COMPLETED"
	StatusFailed             Status = "FAILED"
	StatusCancelled          Status = "CANCELLED"
	StatusTimedOut           Status = "TIMED_OUT"
)

// Terminal reports whether a ticket in this status has ended: COMPLETED,
// FAILED, CANCELLED and TIMED_OUT are terminal. Terminal tickets leave every
// index and expire after the retention period.
func (s Status) Terminal() bool {
	switch s {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusTimedOut:
		return true
	}
	return false
}

// DuplicatePlayerReason is the StatusReason FlexMatch gives a ticket cancelled
// because one of its players started a newer ticket.
const DuplicatePlayerReason = "Cancelled due to duplicate player"

// Acceptance is a player's answer to a proposed match.
type Acceptance string

// The AcceptMatch answers.
const (
	AcceptanceAccept Acceptance = "ACCEPT"
	AcceptanceReject Acceptance = "REJECT"
)

// AttributeValue is a typed player attribute (player.AttributeValue, which
// can be imported without the store's Redis client).
type AttributeValue = player.AttributeValue

// Player is one player of a ticket (player.Player, which can be imported
// without the store's Redis client).
type Player = player.Player

// MatchedPlayerSession is the player session reserved for one player.
type MatchedPlayerSession struct {
	PlayerId        string `json:"PlayerId"`
	PlayerSessionId string `json:"PlayerSessionId"`
}

// GameSessionConnectionInfo tells the players of a COMPLETED ticket where to
// connect.
type GameSessionConnectionInfo struct {
	GameSessionArn        string                 `json:"GameSessionArn,omitempty"`
	IpAddress             string                 `json:"IpAddress,omitempty"`
	DnsName               string                 `json:"DnsName,omitempty"`
	Port                  int                    `json:"Port,omitempty"`
	MatchedPlayerSessions []MatchedPlayerSession `json:"MatchedPlayerSessions,omitempty"`
}

// Ticket is a matchmaking ticket. The store owns Version: CreateTicket stores
// version 1 and every write (UpdateTicket, Claim, a duplicate-player
// cancellation) increments it.
type Ticket struct {
	TicketId                  string                     `json:"TicketId"`
	ConfigurationName         string                     `json:"ConfigurationName"`
	Status                    Status                     `json:"Status,omitempty"`
	StatusReason              string                     `json:"StatusReason,omitempty"`
	StatusMessage             string                     `json:"StatusMessage,omitempty"`
	StartTime                 time.Time                  `json:"StartTime,omitzero"`
	EndTime                   time.Time                  `json:"EndTime,omitzero"`
	EstimatedWaitTime         int                        `json:"EstimatedWaitTime,omitempty"`
	Players                   []Player                   `json:"Players"`
	MatchId                   string                     `json:"MatchId,omitempty"`
	GameSessionConnectionInfo *GameSessionConnectionInfo `json:"GameSessionConnectionInfo,omitempty"`
	// MatchpointLocation (Matchpoint's own) is the region the forming loop
	// chose for the ticket's STANDALONE match, from the latency rules or the
	// players' latencies; empty when none could be chosen.
	MatchpointLocation string `json:"MatchpointLocation,omitempty"`

	// Backfill marks a StartMatchBackfill ticket; BackfillGameSessionArn is
	// the game session it fills (empty in STANDALONE mode).
	Backfill               bool   `json:"Backfill,omitempty"`
	BackfillGameSessionArn string `json:"BackfillGameSessionArn,omitempty"`

	// Acceptances holds each player's answer while the ticket is in
	// REQUIRES_ACCEPTANCE; a player without an entry has not answered.
	Acceptances map[string]Acceptance `json:"Acceptances,omitempty"`

	// Deadline is when the service must act on the ticket if it is still
	// active (request timeout while QUEUED or SEARCHING, acceptance timeout in
	// REQUIRES_ACCEPTANCE). Active tickets with a deadline are indexed by it;
	// see Store.DueTickets. Zero means none.
	Deadline time.Time `json:"Deadline,omitzero"`

	// PlacementRetries counts the times the matchmaker asked the relays again
	// for a PLACING ticket's match, with the same match id, after its
	// placement went past its deadline with no answer (its placer gone).
	PlacementRetries int `json:"PlacementRetries,omitempty"`

	Version int64 `json:"Version,omitempty"`
}

// PlayerIDs returns the ids of the ticket's players, in order.
func (t *Ticket) PlayerIDs() []string {
	ids := make([]string, len(t.Players))
	for i, p := range t.Players {
		ids[i] = p.PlayerId
	}
	return ids
}

// RuleSet is a stored matchmaking rule set: its name and its body (the rule
// set JSON, validated by the service before it is stored).
type RuleSet struct {
	Name         string    `json:"RuleSetName"`
	Body         string    `json:"RuleSetBody"`
	CreationTime time.Time `json:"CreationTime,omitzero"`
}

// GameProperty is one key/value game property of a configuration.
type GameProperty struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Configuration is a matchmaking configuration, with the fields of
// FlexMatch's CreateMatchmakingConfiguration. Each entry of
// GameSessionQueueArns names a Queue (see QueueName). Regions (not a
// FlexMatch field) lists the regions the matchmaker places matches in when
// the configuration names no queue.
type Configuration struct {
	Name                     string         `json:"Name"`
	Description              string         `json:"Description,omitempty"`
	RuleSetName              string         `json:"RuleSetName"`
	RequestTimeoutSeconds    int            `json:"RequestTimeoutSeconds"`
	AcceptanceRequired       bool           `json:"AcceptanceRequired"`
	AcceptanceTimeoutSeconds int            `json:"AcceptanceTimeoutSeconds,omitempty"`
	BackfillMode             string         `json:"BackfillMode,omitempty"`
	FlexMatchMode            string         `json:"FlexMatchMode,omitempty"`
	GameSessionQueueArns     []string       `json:"GameSessionQueueArns,omitempty"`
	AdditionalPlayerCount    int            `json:"AdditionalPlayerCount,omitempty"`
	CustomEventData          string         `json:"CustomEventData,omitempty"`
	GameProperties           []GameProperty `json:"GameProperties,omitempty"`
	GameSessionData          string         `json:"GameSessionData,omitempty"`
	NotificationTarget       string         `json:"NotificationTarget,omitempty"`
	Regions                  []string       `json:"Regions,omitempty"`
	CreationTime             time.Time      `json:"CreationTime,omitzero"`
}

// QueueNames returns the names of the queues the configuration's
// GameSessionQueueArns name, in order and without repeats.
func (c *Configuration) QueueNames() []string {
	var out []string
	for _, a := range c.GameSessionQueueArns {
		if n := QueueName(a); !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// queueArnMarker precedes a queue's name in a game session queue ARN.
const queueArnMarker = ":gamesessionqueue/"

// QueueName returns the name of the game session queue that an entry of
// GameSessionQueueArns names: the part after "gamesessionqueue/" of an ARN
// such as arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/default,
// or the entry itself when it is not an ARN.
func QueueName(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return arn
	}
	if i := strings.LastIndex(arn, queueArnMarker); i >= 0 {
		return arn[i+len(queueArnMarker):]
	}
	return arn
}

// Queue is a game session queue: where the matches of the configurations
// that name it are placed. Regions are relay regions in order of preference
// (GameLift's destinations); TimeoutSeconds bounds one placement (GameLift's
// TimeoutInSeconds).
type Queue struct {
	Name           string    `json:"Name"`
	Regions        []string  `json:"Regions"`
	TimeoutSeconds int       `json:"TimeoutInSeconds"`
	CreationTime   time.Time `json:"CreationTime,omitzero"`
	// Destinations are the destination ARNs as given (Regions are their
	// regions): StartGameSessionPlacement sends a fleet or alias ARN's
	// placements to that fleet only.
	Destinations []string `json:"Destinations,omitempty"`
	// The queue's placement settings (GameLift's), for
	// StartGameSessionPlacement.
	PlayerLatencyPolicies []PlayerLatencyPolicy `json:"PlayerLatencyPolicies,omitempty"`
	AllowedLocations      []string              `json:"AllowedLocations,omitempty"`
	PriorityOrder         []string              `json:"PriorityOrder,omitempty"`
	LocationOrder         []string              `json:"LocationOrder,omitempty"`
	NotificationTarget    string                `json:"NotificationTarget,omitempty"`
	CustomEventData       string                `json:"CustomEventData,omitempty"`
}

// PlayerLatencyPolicy is GameLift's: for PolicyDurationSeconds (0: from
// then on), a placement only goes where every player's latency is at most
// MaximumIndividualPlayerLatencyMilliseconds.
type PlayerLatencyPolicy struct {
	MaximumIndividualPlayerLatencyMilliseconds int `json:"MaximumIndividualPlayerLatencyMilliseconds"`
	PolicyDurationSeconds                      int `json:"PolicyDurationSeconds,omitempty"`
}
