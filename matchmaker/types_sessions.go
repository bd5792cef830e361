package matchmaker

import "github.com/matchpoint-dev/matchpoint/matchmaker/store"

// Game session and player session shapes, with GameLift's field names
// (issue 12).

// GameProperty is one of a game session's GameProperties.
type GameProperty = store.GameProperty

// GameSession is a game session as GameLift describes it. GameSessionId is
// its ARN (arn:aws:gamelift:LOCATION::gamesession/FLEETID/ID).
type GameSession struct {
	GameSessionId               string         `json:"GameSessionId"`
	Name                        string         `json:"Name,omitempty"`
	FleetId                     string         `json:"FleetId"`
	FleetArn                    string         `json:"FleetArn,omitempty"`
	CreationTime                *Timestamp     `json:"CreationTime,omitempty"`
	TerminationTime             *Timestamp     `json:"TerminationTime,omitempty"`
	CurrentPlayerSessionCount   int            `json:"CurrentPlayerSessionCount"`
	MaximumPlayerSessionCount   int            `json:"MaximumPlayerSessionCount"`
	Status                      string         `json:"Status"`
	StatusReason                string         `json:"StatusReason,omitempty"`
	GameProperties              []GameProperty `json:"GameProperties,omitempty"`
	IpAddress                   string         `json:"IpAddress,omitempty"`
	DnsName                     string         `json:"DnsName,omitempty"`
	Port                        int            `json:"Port,omitempty"`
	PlayerSessionCreationPolicy string         `json:"PlayerSessionCreationPolicy,omitempty"`
	CreatorId                   string         `json:"CreatorId,omitempty"`
	GameSessionData             string         `json:"GameSessionData,omitempty"`
	MatchmakerData              string         `json:"MatchmakerData,omitempty"`
	Location                    string         `json:"Location,omitempty"`
	// protection is the session's ProtectionPolicy, which
	// DescribeGameSessionDetails answers beside it.
	protection string
}

// CreateGameSessionInput is the CreateGameSession request: FleetId or
// AliasId (one of them).
type CreateGameSessionInput struct {
	FleetId                   string         `json:"FleetId,omitempty"`
	AliasId                   string         `json:"AliasId,omitempty"`
	MaximumPlayerSessionCount *int           `json:"MaximumPlayerSessionCount"`
	Name                      string         `json:"Name,omitempty"`
	GameProperties            []GameProperty `json:"GameProperties,omitempty"`
	CreatorId                 string         `json:"CreatorId,omitempty"`
	GameSessionId             string         `json:"GameSessionId,omitempty"`
	IdempotencyToken          string         `json:"IdempotencyToken,omitempty"`
	GameSessionData           string         `json:"GameSessionData,omitempty"`
	Location                  string         `json:"Location,omitempty"`
}

// CreateGameSessionOutput is the CreateGameSession response.
type CreateGameSessionOutput struct {
	GameSession GameSession `json:"GameSession"`
}

// DescribeGameSessionsInput is the DescribeGameSessions request: one game
// session (GameSessionId), or the game sessions of a fleet (FleetId or
// AliasId), optionally of one Location and StatusFilter, a page at a time.
type DescribeGameSessionsInput struct {
	FleetId       string `json:"FleetId,omitempty"`
	GameSessionId string `json:"GameSessionId,omitempty"`
	AliasId       string `json:"AliasId,omitempty"`
	Location      string `json:"Location,omitempty"`
	StatusFilter  string `json:"StatusFilter,omitempty"`
	Limit         int    `json:"Limit,omitempty"`
	NextToken     string `json:"NextToken,omitempty"`
}

// DescribeGameSessionsOutput is the DescribeGameSessions response (and
// SearchGameSessions's).
type DescribeGameSessionsOutput struct {
	GameSessions []GameSession `json:"GameSessions"`
	NextToken    string        `json:"NextToken,omitempty"`
}

// SearchGameSessionsInput is the SearchGameSessions request: the ACTIVE game
// sessions of a fleet (FleetId or AliasId) that pass FilterExpression, in
// SortExpression's order.
type SearchGameSessionsInput struct {
	FleetId          string `json:"FleetId,omitempty"`
	AliasId          string `json:"AliasId,omitempty"`
	Location         string `json:"Location,omitempty"`
	FilterExpression string `json:"FilterExpression,omitempty"`
	SortExpression   string `json:"SortExpression,omitempty"`
	Limit            int    `json:"Limit,omitempty"`
	NextToken        string `json:"NextToken,omitempty"`
}

// SearchGameSessionsOutput is the SearchGameSessions response.
type SearchGameSessionsOutput = DescribeGameSessionsOutput

// PlayerSession is a player session as GameLift describes it.
type PlayerSession struct {
	PlayerSessionId string     `json:"PlayerSessionId"`
	PlayerId        string     `json:"PlayerId"`
	GameSessionId   string     `json:"GameSessionId"`
	FleetId         string     `json:"FleetId"`
	FleetArn        string     `json:"FleetArn,omitempty"`
	CreationTime    *Timestamp `json:"CreationTime,omitempty"`
	TerminationTime *Timestamp `json:"TerminationTime,omitempty"`
	Status          string     `json:"Status"`
	IpAddress       string     `json:"IpAddress,omitempty"`
	DnsName         string     `json:"DnsName,omitempty"`
	Port            int        `json:"Port,omitempty"`
	PlayerData      string     `json:"PlayerData,omitempty"`
}

// CreatePlayerSessionInput is the CreatePlayerSession request.
type CreatePlayerSessionInput struct {
	GameSessionId string `json:"GameSessionId"`
	PlayerId      string `json:"PlayerId"`
	PlayerData    string `json:"PlayerData,omitempty"`
}

// CreatePlayerSessionOutput is the CreatePlayerSession response.
type CreatePlayerSessionOutput struct {
	PlayerSession PlayerSession `json:"PlayerSession"`
}

// CreatePlayerSessionsInput is the CreatePlayerSessions request: up to 25
// players; PlayerDataMap entries of players not in PlayerIds are ignored, as
// GameLift does.
type CreatePlayerSessionsInput struct {
	GameSessionId string            `json:"GameSessionId"`
	PlayerIds     []string          `json:"PlayerIds"`
	PlayerDataMap map[string]string `json:"PlayerDataMap,omitempty"`
}

// CreatePlayerSessionsOutput is the CreatePlayerSessions response.
type CreatePlayerSessionsOutput struct {
	PlayerSessions []PlayerSession `json:"PlayerSessions"`
}

// DescribePlayerSessionsInput is the DescribePlayerSessions request: one of
// PlayerSessionId, GameSessionId and PlayerId.
type DescribePlayerSessionsInput struct {
	GameSessionId             string `json:"GameSessionId,omitempty"`
	PlayerId                  string `json:"PlayerId,omitempty"`
	PlayerSessionId           string `json:"PlayerSessionId,omitempty"`
	PlayerSessionStatusFilter string `json:"PlayerSessionStatusFilter,omitempty"`
	Limit                     int    `json:"Limit,omitempty"`
	NextToken                 string `json:"NextToken,omitempty"`
}

// DescribePlayerSessionsOutput is the DescribePlayerSessions response.
type DescribePlayerSessionsOutput struct {
	PlayerSessions []PlayerSession `json:"PlayerSessions"`
	NextToken      string          `json:"NextToken,omitempty"`
}

// UpdateGameSessionInput is the UpdateGameSession request: absent fields
// keep their value.
type UpdateGameSessionInput struct {
	GameSessionId               string         `json:"GameSessionId"`
	MaximumPlayerSessionCount   *int           `json:"MaximumPlayerSessionCount,omitempty"`
	Name                        *string        `json:"Name,omitempty"`
	PlayerSessionCreationPolicy string         `json:"PlayerSessionCreationPolicy,omitempty"`
	ProtectionPolicy            string         `json:"ProtectionPolicy,omitempty"`
	GameProperties              []GameProperty `json:"GameProperties,omitempty"`
}

// UpdateGameSessionOutput is the UpdateGameSession response.
type UpdateGameSessionOutput struct {
	GameSession GameSession `json:"GameSession"`
}

// GameSessionDetail is a game session with its protection policy.
type GameSessionDetail struct {
	GameSession      GameSession `json:"GameSession"`
	ProtectionPolicy string      `json:"ProtectionPolicy,omitempty"`
}

// DescribeGameSessionDetailsInput is the DescribeGameSessionDetails
// request, with DescribeGameSessions's fields.
type DescribeGameSessionDetailsInput = DescribeGameSessionsInput

// DescribeGameSessionDetailsOutput is the DescribeGameSessionDetails
// response.
type DescribeGameSessionDetailsOutput struct {
	GameSessionDetails []GameSessionDetail `json:"GameSessionDetails"`
	NextToken          string              `json:"NextToken,omitempty"`
}

// TerminateGameSessionInput is the TerminateGameSession request.
type TerminateGameSessionInput struct {
	GameSessionId   string `json:"GameSessionId"`
	TerminationMode string `json:"TerminationMode"`
}

// TerminateGameSessionOutput is the TerminateGameSession response: the
// session TERMINATING.
type TerminateGameSessionOutput struct {
	GameSession GameSession `json:"GameSession"`
}
