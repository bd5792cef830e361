package store

import (
	"context"
	"slices"
	"time"
)

// PlacementStatus is a GameLift game session placement status.
type PlacementStatus string

// The GameLift game session placement statuses.
const (
	PlacementPending   PlacementStatus = "PENDING"
	PlacementFulfilled PlacementStatus = "FULFILLED"
	PlacementCancelled PlacementStatus = "CANCELLED"
	PlacementTimedOut  PlacementStatus = "TIMED_OUT"
	PlacementFailed    PlacementStatus = "FAILED"
)

// Ended reports whether a placement in this status is over (anything but
// PENDING): it expires after Options.SessionRetention.
func (s PlacementStatus) Ended() bool { return s != PlacementPending }

// PlayerLatency is one player's latency to one location.
type PlayerLatency struct {
	PlayerId              string  `json:"PlayerId"`
	RegionIdentifier      string  `json:"RegionIdentifier"`
	LatencyInMilliseconds float64 `json:"LatencyInMilliseconds"`
}

// DesiredPlayerSession is a player a placement makes a player session for.
type DesiredPlayerSession struct {
	PlayerId   string `json:"PlayerId"`
	PlayerData string `json:"PlayerData,omitempty"`
}

// PlacedPlayerSession is a player session a FULFILLED placement made.
type PlacedPlayerSession struct {
	PlayerId        string `json:"PlayerId"`
	PlayerSessionId string `json:"PlayerSessionId"`
}

// GameSessionPlacement is one StartGameSessionPlacement request and its
// outcome. The store owns Version (1 on create, +1 on every write).
// Deadline is when a PENDING placement times out (StartTime plus the
// queue's TimeoutInSeconds). Owner is the matchmaker process placing a
// PENDING placement; empty once that process has released it (it
// closed), when any matchmaker may take it over.
type GameSessionPlacement struct {
	PlacementId               string                 `json:"PlacementId"`
	GameSessionQueueName      string                 `json:"GameSessionQueueName"`
	Status                    PlacementStatus        `json:"Status"`
	GameProperties            []GameProperty         `json:"GameProperties,omitempty"`
	MaximumPlayerSessionCount int                    `json:"MaximumPlayerSessionCount"`
	GameSessionName           string                 `json:"GameSessionName,omitempty"`
	GameSessionData           string                 `json:"GameSessionData,omitempty"`
	DesiredPlayerSessions     []DesiredPlayerSession `json:"DesiredPlayerSessions,omitempty"`
	PlayerLatencies           []PlayerLatency        `json:"PlayerLatencies,omitempty"`
	GameSessionId             string                 `json:"GameSessionId,omitempty"`
	GameSessionArn            string                 `json:"GameSessionArn,omitempty"`
	GameSessionRegion         string                 `json:"GameSessionRegion,omitempty"`
	IpAddress                 string                 `json:"IpAddress,omitempty"`
	DnsName                   string                 `json:"DnsName,omitempty"`
	Port                      int                    `json:"Port,omitempty"`
	PlacedPlayerSessions      []PlacedPlayerSession  `json:"PlacedPlayerSessions,omitempty"`
	StatusReason              string                 `json:"StatusReason,omitempty"`
	StartTime                 time.Time              `json:"StartTime,omitzero"`
	EndTime                   time.Time              `json:"EndTime,omitzero"`
	Deadline                  time.Time              `json:"Deadline,omitzero"`
	Version                   int64                  `json:"Version,omitempty"`
	Owner                     string                 `json:"Owner,omitempty"`
}

// GameSessionPlacements is the storage of game session placements.
type GameSessionPlacements interface {
	// CreatePlacement stores a new placement at version 1; ErrExists if
	// the id is taken (an ended placement keeps its id until it expires).
	CreatePlacement(ctx context.Context, p GameSessionPlacement) error
	// GetPlacement returns a placement; ErrNotFound if there is none (or
	// it has expired).
	GetPlacement(ctx context.Context, id string) (GameSessionPlacement, error)
	// UpdatePlacement replaces a placement if its stored version equals
	// p.Version and returns the new version; ErrNotFound if there is none,
	// ErrConflict if the version differs or the stored placement has ended
	// (an ended placement never changes). A placement that ends expires
	// after Options.SessionRetention.
	UpdatePlacement(ctx context.Context, p GameSessionPlacement) (int64, error)
	// DuePlacements returns up to limit PENDING placements whose Deadline
	// is at or before before, earliest first (then by id): those a
	// matchmaker that died left PENDING. ReleasedPlacements returns up to
	// limit PENDING placements without an Owner, released longest ago first.
	// Each lists what CreatePlacement and UpdatePlacement stored, as of the
	// last of them for each placement; placements stored before 2026-12-06
	// are not listed. A listed placement whose record cannot be read is
	// left out of the list for good and reported by an error wrapping
	// ErrUnreadable, returned with the others.
	DuePlacements(ctx context.Context, before time.Time, limit int) ([]GameSessionPlacement, error)
	ReleasedPlacements(ctx context.Context, limit int) ([]GameSessionPlacement, error)
}

func (p GameSessionPlacement) clone() GameSessionPlacement {
	p.GameProperties = slices.Clone(p.GameProperties)
	p.DesiredPlayerSessions = slices.Clone(p.DesiredPlayerSessions)
	p.PlayerLatencies = slices.Clone(p.PlayerLatencies)
	p.PlacedPlayerSessions = slices.Clone(p.PlacedPlayerSessions)
	return p
}
