package matchmaker

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// Timestamp is a time as the GameLift JSON protocol writes it: seconds since
// the Unix epoch, a JSON number with millisecond precision. Both HTTP faces
// use it, so that AWS SDKs read the times they expect.
type Timestamp struct{ time.Time }

// MarshalJSON writes the time as epoch seconds.
func (t Timestamp) MarshalJSON() ([]byte, error) { return t.appendJSON(nil), nil }

// UnmarshalJSON reads epoch seconds (a number).
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("timestamp %s: want epoch seconds", b)
	}
	t.Time = time.UnixMilli(int64(math.Round(f * 1000))).UTC()
	return nil
}

func ts(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	return &Timestamp{t}
}

// Tag is a GameLift resource tag. Tags are accepted (and validated) for
// compatibility, but not stored.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// MatchmakingRuleSet is a rule set as GameLift returns it.
type MatchmakingRuleSet struct {
	RuleSetName  string     `json:"RuleSetName"`
	RuleSetArn   string     `json:"RuleSetArn"`
	RuleSetBody  string     `json:"RuleSetBody"`
	CreationTime *Timestamp `json:"CreationTime,omitempty"`
}

// CreateMatchmakingRuleSetInput is the CreateMatchmakingRuleSet request.
type CreateMatchmakingRuleSetInput struct {
	Name        string `json:"Name"`
	RuleSetBody string `json:"RuleSetBody"`
	Tags        []Tag  `json:"Tags,omitempty"`
}

// CreateMatchmakingRuleSetOutput is the CreateMatchmakingRuleSet response.
type CreateMatchmakingRuleSetOutput struct {
	RuleSet MatchmakingRuleSet `json:"RuleSet"`
}

// DescribeMatchmakingRuleSetsInput is the DescribeMatchmakingRuleSets request:
// the named rule sets (names or ARNs), or every rule set a page at a time.
type DescribeMatchmakingRuleSetsInput struct {
	Names     []string `json:"Names,omitempty"`
	Limit     int      `json:"Limit,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

// DescribeMatchmakingRuleSetsOutput is the DescribeMatchmakingRuleSets response.
type DescribeMatchmakingRuleSetsOutput struct {
	RuleSets  []MatchmakingRuleSet `json:"RuleSets"`
	NextToken string               `json:"NextToken,omitempty"`
}

// DeleteMatchmakingRuleSetInput is the DeleteMatchmakingRuleSet request.
type DeleteMatchmakingRuleSetInput struct {
	Name string `json:"Name"`
}

// DeleteMatchmakingRuleSetOutput is the (empty) DeleteMatchmakingRuleSet response.
type DeleteMatchmakingRuleSetOutput struct{}

// ValidateMatchmakingRuleSetInput is the ValidateMatchmakingRuleSet request.
type ValidateMatchmakingRuleSetInput struct {
	RuleSetBody string `json:"RuleSetBody"`
}

// ValidateMatchmakingRuleSetOutput is the ValidateMatchmakingRuleSet response.
// As in GameLift, an invalid rule set is an InvalidRequestException (whose
// message lists every problem), not Valid false.
type ValidateMatchmakingRuleSetOutput struct {
	Valid bool `json:"Valid"`
}

// MatchmakingConfiguration is a configuration as GameLift returns it.
type MatchmakingConfiguration struct {
	Name                     string               `json:"Name"`
	ConfigurationArn         string               `json:"ConfigurationArn"`
	Description              string               `json:"Description,omitempty"`
	GameSessionQueueArns     []string             `json:"GameSessionQueueArns,omitempty"`
	RequestTimeoutSeconds    int                  `json:"RequestTimeoutSeconds"`
	AcceptanceTimeoutSeconds int                  `json:"AcceptanceTimeoutSeconds,omitempty"`
	AcceptanceRequired       bool                 `json:"AcceptanceRequired"`
	RuleSetName              string               `json:"RuleSetName"`
	RuleSetArn               string               `json:"RuleSetArn"`
	NotificationTarget       string               `json:"NotificationTarget,omitempty"`
	AdditionalPlayerCount    int                  `json:"AdditionalPlayerCount"`
	CustomEventData          string               `json:"CustomEventData,omitempty"`
	CreationTime             *Timestamp           `json:"CreationTime,omitempty"`
	GameProperties           []store.GameProperty `json:"GameProperties,omitempty"`
	GameSessionData          string               `json:"GameSessionData,omitempty"`
	BackfillMode             string               `json:"BackfillMode,omitempty"`
	FlexMatchMode            string               `json:"FlexMatchMode,omitempty"`
}

// CreateMatchmakingConfigurationInput is the CreateMatchmakingConfiguration
// request. Pointers distinguish "absent" from zero.
type CreateMatchmakingConfigurationInput struct {
	Name                     string               `json:"Name"`
	Description              *string              `json:"Description,omitempty"`
	GameSessionQueueArns     []string             `json:"GameSessionQueueArns,omitempty"`
	RequestTimeoutSeconds    *int                 `json:"RequestTimeoutSeconds,omitempty"`
	AcceptanceTimeoutSeconds *int                 `json:"AcceptanceTimeoutSeconds,omitempty"`
	AcceptanceRequired       *bool                `json:"AcceptanceRequired,omitempty"`
	RuleSetName              string               `json:"RuleSetName"`
	NotificationTarget       *string              `json:"NotificationTarget,omitempty"`
	AdditionalPlayerCount    *int                 `json:"AdditionalPlayerCount,omitempty"`
	CustomEventData          *string              `json:"CustomEventData,omitempty"`
	GameProperties           []store.GameProperty `json:"GameProperties,omitempty"`
	GameSessionData          *string              `json:"GameSessionData,omitempty"`
	BackfillMode             *string              `json:"BackfillMode,omitempty"`
	FlexMatchMode            *string              `json:"FlexMatchMode,omitempty"`
	Tags                     []Tag                `json:"Tags,omitempty"`
}

// CreateMatchmakingConfigurationOutput is the CreateMatchmakingConfiguration response.
type CreateMatchmakingConfigurationOutput struct {
	Configuration MatchmakingConfiguration `json:"Configuration"`
}

// UpdateMatchmakingConfigurationInput is the UpdateMatchmakingConfiguration
// request: absent fields keep their value.
type UpdateMatchmakingConfigurationInput struct {
	Name                     string               `json:"Name"`
	Description              *string              `json:"Description,omitempty"`
	GameSessionQueueArns     []string             `json:"GameSessionQueueArns,omitempty"`
	RequestTimeoutSeconds    *int                 `json:"RequestTimeoutSeconds,omitempty"`
	AcceptanceTimeoutSeconds *int                 `json:"AcceptanceTimeoutSeconds,omitempty"`
	AcceptanceRequired       *bool                `json:"AcceptanceRequired,omitempty"`
	RuleSetName              *string              `json:"RuleSetName,omitempty"`
	NotificationTarget       *string              `json:"NotificationTarget,omitempty"`
	AdditionalPlayerCount    *int                 `json:"AdditionalPlayerCount,omitempty"`
	CustomEventData          *string              `json:"CustomEventData,omitempty"`
	GameProperties           []store.GameProperty `json:"GameProperties,omitempty"`
	GameSessionData          *string              `json:"GameSessionData,omitempty"`
	BackfillMode             *string              `json:"BackfillMode,omitempty"`
	FlexMatchMode            *string              `json:"FlexMatchMode,omitempty"`
}

// UpdateMatchmakingConfigurationOutput is the UpdateMatchmakingConfiguration response.
type UpdateMatchmakingConfigurationOutput struct {
	Configuration MatchmakingConfiguration `json:"Configuration"`
}

// DescribeMatchmakingConfigurationsInput is the
// DescribeMatchmakingConfigurations request: the named configurations, those
// using RuleSetName, or every one, a page at a time.
type DescribeMatchmakingConfigurationsInput struct {
	Names       []string `json:"Names,omitempty"`
	RuleSetName string   `json:"RuleSetName,omitempty"`
	Limit       int      `json:"Limit,omitempty"`
	NextToken   string   `json:"NextToken,omitempty"`
}

// DescribeMatchmakingConfigurationsOutput is the
// DescribeMatchmakingConfigurations response.
type DescribeMatchmakingConfigurationsOutput struct {
	Configurations []MatchmakingConfiguration `json:"Configurations"`
	NextToken      string                     `json:"NextToken,omitempty"`
}

// DeleteMatchmakingConfigurationInput is the DeleteMatchmakingConfiguration request.
type DeleteMatchmakingConfigurationInput struct {
	Name string `json:"Name"`
}

// DeleteMatchmakingConfigurationOutput is the (empty)
// DeleteMatchmakingConfiguration response.
type DeleteMatchmakingConfigurationOutput struct{}

// MatchmakingTicket is a ticket as GameLift returns it.
type MatchmakingTicket struct {
	TicketId          string       `json:"TicketId"`
	ConfigurationName string       `json:"ConfigurationName"`
	ConfigurationArn  string       `json:"ConfigurationArn"`
	Status            store.Status `json:"Status"`
	StatusReason      string       `json:"StatusReason,omitempty"`
	StatusMessage     string       `json:"StatusMessage,omitempty"`
	StartTime         *Timestamp   `json:"StartTime,omitempty"`
	EndTime           *Timestamp   `json:"EndTime,omitempty"`
	// EstimatedWaitTime is the configuration's wait estimate in seconds
	// while the ticket is QUEUED or SEARCHING; absent otherwise and when
	// there is too little recent data (docs/api.md).
	EstimatedWaitTime         *int                             `json:"EstimatedWaitTime,omitempty"`
	Players                   []store.Player                   `json:"Players"`
	GameSessionConnectionInfo *store.GameSessionConnectionInfo `json:"GameSessionConnectionInfo,omitempty"`
	// MatchpointLocation is Matchpoint's own: the region chosen for the
	// ticket's STANDALONE match (see store.Ticket).
	MatchpointLocation string `json:"MatchpointLocation,omitempty"`
}

// StartMatchmakingInput is the StartMatchmaking request.
type StartMatchmakingInput struct {
	TicketId          string         `json:"TicketId,omitempty"`
	ConfigurationName string         `json:"ConfigurationName"`
	Players           []store.Player `json:"Players"`
}

// StartMatchmakingOutput is the StartMatchmaking response.
type StartMatchmakingOutput struct {
	MatchmakingTicket MatchmakingTicket `json:"MatchmakingTicket"`
}

// DescribeMatchmakingInput is the DescribeMatchmaking request.
type DescribeMatchmakingInput struct {
	TicketIds []string `json:"TicketIds"`
}

// DescribeMatchmakingOutput is the DescribeMatchmaking response.
type DescribeMatchmakingOutput struct {
	TicketList []MatchmakingTicket `json:"TicketList"`
}

// StopMatchmakingInput is the StopMatchmaking request.
type StopMatchmakingInput struct {
	TicketId string `json:"TicketId"`
}

// StopMatchmakingOutput is the (empty) StopMatchmaking response.
type StopMatchmakingOutput struct{}

// ExplainMatchmakingInput is the ExplainMatchmaking request (Matchpoint's
// own).
type ExplainMatchmakingInput struct {
	TicketId string `json:"TicketId"`
}

// ExplainMatchmakingOutput says what has kept a searching ticket out of a
// match so far. The last four fields are empty when this process does not
// form the ticket's configuration, or no pass has kept the ticket out yet;
// Message then says so. Unmatchable, when set, says why the ticket can never
// match ("can never match: ..."), and the rule fields are empty.
type ExplainMatchmakingOutput struct {
	TicketId              string                 `json:"TicketId"`
	Status                store.Status           `json:"Status"`
	Message               string                 `json:"Message,omitempty"`
	RuleEvaluationMetrics []RuleEvaluationMetric `json:"RuleEvaluationMetrics,omitempty"`
	KeptOutBy             string                 `json:"KeptOutBy,omitempty"`
	Expansions            []string               `json:"Expansions,omitempty"`
	Unmatchable           string                 `json:"Unmatchable,omitempty"`
}

// AcceptMatchInput is the AcceptMatch request.
type AcceptMatchInput struct {
	TicketId       string   `json:"TicketId"`
	PlayerIds      []string `json:"PlayerIds"`
	AcceptanceType string   `json:"AcceptanceType"`
}

// AcceptMatchOutput is the (empty) AcceptMatch response.
type AcceptMatchOutput struct{}

// StartMatchBackfillInput is the StartMatchBackfill request.
type StartMatchBackfillInput struct {
	TicketId          string         `json:"TicketId,omitempty"`
	ConfigurationName string         `json:"ConfigurationName"`
	GameSessionArn    string         `json:"GameSessionArn,omitempty"`
	Players           []store.Player `json:"Players"`
}

// StartMatchBackfillOutput is the StartMatchBackfill response.
type StartMatchBackfillOutput struct {
	MatchmakingTicket MatchmakingTicket `json:"MatchmakingTicket"`
}
