package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// The errors of game session writes, wrapped with context; compare with
// errors.Is.
var (
	// ErrGameSessionFull: creating the player sessions would take the game
	// session over its MaximumPlayerSessionCount.
	ErrGameSessionFull = errors.New("game session full")
	// ErrGameSessionStatus: the game session does not take new players (it
	// is not ACTIVE, or its PlayerSessionCreationPolicy is DENY_ALL).
	ErrGameSessionStatus = errors.New("game session does not accept players")
	// ErrLimitExceeded: the creator has created as many game sessions in the
	// fleet as its ResourceCreationLimitPolicy allows in the period.
	ErrLimitExceeded = errors.New("limit exceeded")
	// ErrInvalidToken: a Page.NextToken that no list of this kind answered.
	ErrInvalidToken = errors.New("invalid next token")
)

// GameSessionStatus is a GameLift game session status.
type GameSessionStatus string

// The GameLift game session statuses.
const (
	GameSessionActivating  GameSessionStatus = "ACTIVATING"
	GameSessionActive      GameSessionStatus = "ACTIVE"
	GameSessionTerminating GameSessionStatus = "TERMINATING"
	GameSessionTerminated  GameSessionStatus = "TERMINATED"
	GameSessionError       GameSessionStatus = "ERROR"
)

// Ended reports whether a game session in this status has ended
// (TERMINATED or ERROR): it expires after Options.SessionRetention, with its
// player sessions, and is never active again.
func (s GameSessionStatus) Ended() bool {
	return s == GameSessionTerminated || s == GameSessionError
}

// PlayerSessionStatus is a GameLift player session status.
type PlayerSessionStatus string

// The GameLift player session statuses.
const (
	PlayerSessionReserved  PlayerSessionStatus = "RESERVED"
	PlayerSessionActive    PlayerSessionStatus = "ACTIVE"
	PlayerSessionCompleted PlayerSessionStatus = "COMPLETED"
	PlayerSessionTimedOut  PlayerSessionStatus = "TIMEDOUT"
)

// Holds reports whether a player session in this status holds a slot of its
// game session (RESERVED or ACTIVE): CurrentPlayerSessionCount counts them.
func (s PlayerSessionStatus) Holds() bool {
	return s == PlayerSessionReserved || s == PlayerSessionActive
}

// The PlayerSessionCreationPolicy values.
const (
	AcceptAll = "ACCEPT_ALL"
	DenyAll   = "DENY_ALL"
)

// ServerProcess is one entry of a fleet's RuntimeConfiguration.
type ServerProcess struct {
	LaunchPath           string `json:"LaunchPath"`
	Parameters           string `json:"Parameters,omitempty"`
	ConcurrentExecutions int    `json:"ConcurrentExecutions"`
}

// RuntimeConfiguration is GameLift's RuntimeConfiguration.
type RuntimeConfiguration struct {
	ServerProcesses                     []ServerProcess `json:"ServerProcesses,omitempty"`
	MaxConcurrentGameSessionActivations int             `json:"MaxConcurrentGameSessionActivations,omitempty"`
	GameSessionActivationTimeoutSeconds int             `json:"GameSessionActivationTimeoutSeconds,omitempty"`
}

// ResourceCreationLimitPolicy is GameLift's ResourceCreationLimitPolicy: at
// most NewGameSessionsPerCreator game sessions per creator in
// PolicyPeriodInMinutes.
type ResourceCreationLimitPolicy struct {
	NewGameSessionsPerCreator int `json:"NewGameSessionsPerCreator,omitempty"`
	PolicyPeriodInMinutes     int `json:"PolicyPeriodInMinutes,omitempty"`
}

// Tag is a GameLift resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// Fleet is a Realtime script fleet. The store owns Version: CreateFleet
// stores version 1 and every UpdateFleet adds 1. AWSOnly keeps the request
// fields that mean something on AWS only (EC2InstanceType, ...), verbatim.
type Fleet struct {
	FleetId                        string                      `json:"FleetId"`
	FleetArn                       string                      `json:"FleetArn"`
	Name                           string                      `json:"Name"`
	Description                    string                      `json:"Description,omitempty"`
	ScriptId                       string                      `json:"ScriptId"`
	ScriptArn                      string                      `json:"ScriptArn,omitempty"`
	RuntimeConfiguration           RuntimeConfiguration        `json:"RuntimeConfiguration"`
	Locations                      []string                    `json:"Locations,omitempty"`
	NewGameSessionProtectionPolicy string                      `json:"NewGameSessionProtectionPolicy,omitempty"`
	ResourceCreationLimitPolicy    ResourceCreationLimitPolicy `json:"ResourceCreationLimitPolicy"`
	MetricGroups                   []string                    `json:"MetricGroups,omitempty"`
	Tags                           []Tag                       `json:"Tags,omitempty"`
	AWSOnly                        map[string]json.RawMessage  `json:"AWSOnly,omitempty"`
	// Status is what the service stored; it computes ACTIVE/ACTIVATING at
	// read time from the relays.
	Status       string    `json:"Status,omitempty"`
	CreationTime time.Time `json:"CreationTime,omitzero"`
	Version      int64     `json:"Version,omitempty"`
}

// The alias routing strategy types.
const (
	RoutingSimple   = "SIMPLE"
	RoutingTerminal = "TERMINAL"
)

// RoutingStrategy is GameLift's alias RoutingStrategy.
type RoutingStrategy struct {
	Type    string `json:"Type"`
	FleetId string `json:"FleetId,omitempty"`
	Message string `json:"Message,omitempty"`
}

// Alias is a GameLift fleet alias. The store owns Version like Fleet's.
type Alias struct {
	AliasId         string          `json:"AliasId"`
	AliasArn        string          `json:"AliasArn"`
	Name            string          `json:"Name"`
	Description     string          `json:"Description,omitempty"`
	RoutingStrategy RoutingStrategy `json:"RoutingStrategy"`
	Tags            []Tag           `json:"Tags,omitempty"`
	CreationTime    time.Time       `json:"CreationTime,omitzero"`
	LastUpdatedTime time.Time       `json:"LastUpdatedTime,omitzero"`
	Version         int64           `json:"Version,omitempty"`
}

// GameSession is one game session, whether a FlexMatch placement or
// CreateGameSession made it. GameSessionId is GameLift's ARN form,
// arn:aws:gamelift:REGION::gamesession/FLEETID/ID (see GameSessionFleet).
// The store owns Version (1 on create, +1 on every write) and
// CurrentPlayerSessionCount (the player sessions RESERVED or ACTIVE).
type GameSession struct {
	GameSessionId               string            `json:"GameSessionId"`
	FleetId                     string            `json:"FleetId"`
	FleetArn                    string            `json:"FleetArn,omitempty"`
	Name                        string            `json:"Name,omitempty"`
	CreatorId                   string            `json:"CreatorId,omitempty"`
	Location                    string            `json:"Location,omitempty"`
	MaximumPlayerSessionCount   int               `json:"MaximumPlayerSessionCount"`
	CurrentPlayerSessionCount   int               `json:"CurrentPlayerSessionCount"`
	Status                      GameSessionStatus `json:"Status"`
	StatusReason                string            `json:"StatusReason,omitempty"`
	GameProperties              []GameProperty    `json:"GameProperties,omitempty"`
	GameSessionData             string            `json:"GameSessionData,omitempty"`
	MatchmakerData              string            `json:"MatchmakerData,omitempty"`
	IpAddress                   string            `json:"IpAddress,omitempty"`
	DnsName                     string            `json:"DnsName,omitempty"`
	Port                        int               `json:"Port,omitempty"`
	PlayerSessionCreationPolicy string            `json:"PlayerSessionCreationPolicy,omitempty"`
	ProtectionPolicy            string            `json:"ProtectionPolicy,omitempty"`
	ScriptVersion               string            `json:"ScriptVersion,omitempty"`
	RelayID                     string            `json:"RelayID,omitempty"`
	IdempotencyToken            string            `json:"IdempotencyToken,omitempty"`
	CreationTime                time.Time         `json:"CreationTime,omitzero"`
	TerminationTime             time.Time         `json:"TerminationTime,omitzero"`
	Version                     int64             `json:"Version,omitempty"`
	// FlexMatch marks the session of a FlexMatch placement: its FleetId
	// (its ARN's fleet segment) is the id of the relay hosting it, which no
	// fleet record names, so CreateGameSession does not look for one.
	FlexMatch bool `json:"FlexMatch,omitempty"`
}

// GameSessionFleet returns the fleet id a game session ARN names (the
// segment after "gamesession/"), or "" when id is not of that form.
func GameSessionFleet(id string) string {
	_, rest, ok := strings.Cut(id, ":gamesession/")
	if !ok {
		return ""
	}
	fleet, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return fleet
}

// PlayerSession is one player's seat in a game session. The store owns
// Version like GameSession's.
type PlayerSession struct {
	PlayerSessionId string              `json:"PlayerSessionId"`
	PlayerId        string              `json:"PlayerId"`
	GameSessionId   string              `json:"GameSessionId"`
	FleetId         string              `json:"FleetId"`
	FleetArn        string              `json:"FleetArn,omitempty"`
	PlayerData      string              `json:"PlayerData,omitempty"`
	Status          PlayerSessionStatus `json:"Status"`
	IpAddress       string              `json:"IpAddress,omitempty"`
	DnsName         string              `json:"DnsName,omitempty"`
	Port            int                 `json:"Port,omitempty"`
	CreationTime    time.Time           `json:"CreationTime,omitzero"`
	TerminationTime time.Time           `json:"TerminationTime,omitzero"`
	Version         int64               `json:"Version,omitempty"`
}

// Reservation is a player session read RESERVED, as the sweep that times
// reservations out needs it: its ids, the Version it was read at and its
// CreationTime (to the millisecond, as GameLift reports times), and the
// TerminationTime TimeOutReservations is to give it.
type Reservation struct {
	PlayerSessionId string
	// GameSessionId names the fleet too (GameSessionFleet).
	GameSessionId   string
	Version         int64
	CreationTime    time.Time
	TerminationTime time.Time
	// entry is the Redis index entry DueReservations read it from, which
	// TimeOutReservations drops; "" for one made by ReservationOf.
	entry string
}

// ReservationOf is the Reservation of p at its Version.
func ReservationOf(p PlayerSession) Reservation {
	return Reservation{PlayerSessionId: p.PlayerSessionId, GameSessionId: p.GameSessionId,
		Version: p.Version, CreationTime: p.CreationTime, TerminationTime: p.TerminationTime}
}

// CreatorLimit bounds the game sessions one creator may create in a fleet:
// at most Max whose CreationTime is within Period before the new one's.
// Max 0 means no limit.
type CreatorLimit struct {
	Max    int
	Period time.Duration
}

// GameSessionFilter selects the game sessions of ListGameSessions.
type GameSessionFilter struct {
	FleetID string
	// Status, if set, keeps only game sessions in that status.
	Status GameSessionStatus
	// NewestFirst lists in the reverse order (CreationTime, then id,
	// descending): the newest sessions of a fleet in one short page.
	NewestFirst bool
}

// GameSessionChanges is what GameSessions.GameSessionChanges returns.
type GameSessionChanges struct {
	// Rev is the fleet's change counter as of Sessions: pass it as the
	// next call's since.
	Rev int64
	// Reset is set when Sessions holds every game session of the fleet
	// (since was 0, or older than the changes the store remembers: the
	// sessions of some ended and expired): the caller starts over.
	Reset bool
	// Sessions are the changed game sessions, in any status.
	Sessions []GameSession
}

// PlayerSessionFilter selects the player sessions of ListPlayerSessions:
// exactly one of GameSessionID and PlayerID is set.
type PlayerSessionFilter struct {
	GameSessionID string
	PlayerID      string
	// Status, if set, keeps only player sessions in that status.
	Status PlayerSessionStatus
}

// Page asks for one page of a list: up to Limit items (0: all) after the
// position NextToken names ("" for the first page). A list answers the
// next page's token, "" after the last page. Tokens are opaque.
type Page struct {
	Limit     int
	NextToken string
}

// GameSessions is the storage of fleets, aliases, game sessions and player
// sessions. Lists are ordered by CreationTime, then id.
type GameSessions interface {
	// CreateFleet stores a new fleet at version 1; ErrExists if the id is
	// taken.
	CreateFleet(ctx context.Context, f Fleet) error
	// GetFleet returns a fleet; ErrNotFound if there is none.
	GetFleet(ctx context.Context, id string) (Fleet, error)
	// ListFleets returns every fleet.
	ListFleets(ctx context.Context) ([]Fleet, error)
	// UpdateFleet replaces a fleet if its stored version equals f.Version
	// and returns the new version; ErrNotFound if there is none,
	// ErrConflict if the version differs.
	UpdateFleet(ctx context.Context, f Fleet) (int64, error)
	// DeleteFleet deletes a fleet; ErrNotFound if there is none, ErrInUse
	// while it has a game session that is not TERMINATED. A deleted fleet
	// takes no new game session; its ended ones expire as usual.
	DeleteFleet(ctx context.Context, id string) error

	// CreateAlias stores a new alias at version 1; ErrExists if the id is
	// taken.
	CreateAlias(ctx context.Context, a Alias) error
	// GetAlias returns an alias; ErrNotFound if there is none.
	GetAlias(ctx context.Context, id string) (Alias, error)
	// ListAliases returns every alias.
	ListAliases(ctx context.Context) ([]Alias, error)
	// UpdateAlias replaces an alias on a version match, as UpdateFleet.
	UpdateAlias(ctx context.Context, a Alias) (int64, error)
	// DeleteAlias deletes an alias; ErrNotFound if there is none.
	DeleteAlias(ctx context.Context, id string) error

	// CreateGameSession stores a new game session at version 1 in the fleet
	// its GameSessionId names (which must be gs.FleetId), with no player
	// session. GameLift derives the id from the IdempotencyToken: if a game
	// session with gs's id exists and both carry the same non-empty
	// IdempotencyToken, nothing is written and the stored session is
	// returned with created false. Otherwise: ErrNotFound if the fleet does
	// not exist (unless gs.FlexMatch), ErrExists if the id is taken, ErrLimitExceeded if
	// gs.CreatorId has created limit.Max sessions of the fleet within
	// limit.Period before gs.CreationTime.
	CreateGameSession(ctx context.Context, gs GameSession, limit CreatorLimit) (stored GameSession, created bool, err error)
	// GetGameSession returns a game session; ErrNotFound if there is none
	// (or it has expired).
	GetGameSession(ctx context.Context, id string) (GameSession, error)
	// ListGameSessions returns one page of a fleet's game sessions that
	// pass the filter.
	ListGameSessions(ctx context.Context, f GameSessionFilter, p Page) (sessions []GameSession, next string, err error)
	// GameSessionChanges returns the fleet's change counter and the
	// current record of every game session of the fleet changed after
	// since, a counter it returned before: created, updated, or whose
	// CurrentPlayerSessionCount moved. With since 0, a since older than the
	// store remembers changes for, or one past its counter (the store lost
	// its record), it returns every game session of the fleet the store
	// holds, with Reset set. A caller keeping a copy of a
	// fleet's sessions applies the changes in the order of their counters.
	GameSessionChanges(ctx context.Context, fleetID string, since int64) (GameSessionChanges, error)
	// UpdateGameSession replaces a game session if its stored version
	// equals gs.Version and returns the new version (the stored
	// CurrentPlayerSessionCount is kept, and FleetId cannot change);
	// ErrNotFound, ErrConflict as UpdateFleet, ErrConflict for an ended
	// session moved to a status that is not ended, and ErrConflict for a
	// new MaximumPlayerSessionCount below the stored
	// CurrentPlayerSessionCount (player sessions created since the read do
	// not change the version), unless the session ends. A game session that ends
	// completes its RESERVED and ACTIVE player sessions (TerminationTime
	// gs.TerminationTime) and starts their retention with its own.
	UpdateGameSession(ctx context.Context, gs GameSession) (int64, error)

	// CreatePlayerSessions stores the player sessions, at version 1, in
	// the game session in one step: either all or none. ErrNotFound if the
	// game session does not exist, ErrGameSessionStatus if it is not ACTIVE
	// or its policy is DENY_ALL, ErrGameSessionFull if they do not fit in
	// its MaximumPlayerSessionCount, ErrExists if a player session id is
	// taken. It returns the player sessions the game session holds after
	// (its CurrentPlayerSessionCount).
	CreatePlayerSessions(ctx context.Context, gameSessionID string, ps []PlayerSession) (held int, err error)
	// GetPlayerSession returns a player session; ErrNotFound if there is
	// none (or it has expired).
	GetPlayerSession(ctx context.Context, id string) (PlayerSession, error)
	// ListPlayerSessions returns one page of the player sessions of a game
	// session or of a player.
	ListPlayerSessions(ctx context.Context, f PlayerSessionFilter, p Page) (sessions []PlayerSession, next string, err error)
	// UpdatePlayerSession replaces a player session on a version match, as
	// UpdateFleet (its PlayerId and GameSessionId cannot change), and its
	// game session's CurrentPlayerSessionCount follows its status (without
	// a new game session version). Player sessions expire with their game
	// session.
	UpdatePlayerSession(ctx context.Context, ps PlayerSession) (int64, error)
	// DueReservations returns the player sessions created RESERVED at or
	// before before that are still RESERVED, for the sweep that times them
	// out, in the order they were created in the store, up to the first not
	// due: one stamped earlier than one created before it (a clock that went
	// back, or several processes' clocks apart) is due with that one. It
	// looks at up to limit of them (an index may hold some no longer
	// RESERVED: it drops those), and more reports that it stopped at limit:
	// another call may find more. It reads what the sweep needs of each
	// (Reservation), not the whole player session. An entry whose player
	// session record cannot be read is dropped from the index as well, and
	// reported by an error wrapping ErrUnreadable returned with the others'
	// results, which are then valid too.
	DueReservations(ctx context.Context, before time.Time, limit int) (due []Reservation, more bool, err error)
	// TimeOutReservations moves each of due (read RESERVED at its Version,
	// by DueReservations or as ReservationOf a player session) that is
	// still RESERVED at that Version to TIMEDOUT, with the TerminationTime
	// it carries, and returns those it moved, at their new Version; one
	// that changed since it was read, or is gone, is left as it is. The
	// game sessions' CurrentPlayerSessionCount follow, as with
	// UpdatePlayerSession. It is one store step per fleet, so that a sweep
	// keeps up with thousands of reservations a second.
	TimeOutReservations(ctx context.Context, due []Reservation) ([]Reservation, error)
}

func (f Fleet) clone() Fleet {
	f.RuntimeConfiguration.ServerProcesses = slices.Clone(f.RuntimeConfiguration.ServerProcesses)
	f.Locations = slices.Clone(f.Locations)
	f.MetricGroups = slices.Clone(f.MetricGroups)
	f.Tags = slices.Clone(f.Tags)
	if f.AWSOnly != nil {
		m := make(map[string]json.RawMessage, len(f.AWSOnly))
		for k, v := range f.AWSOnly {
			m[k] = slices.Clone(v)
		}
		f.AWSOnly = m
	}
	return f
}

func (a Alias) clone() Alias {
	a.Tags = slices.Clone(a.Tags)
	return a
}

func (gs GameSession) clone() GameSession {
	gs.GameProperties = slices.Clone(gs.GameProperties)
	return gs
}
