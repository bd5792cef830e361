package bus

import (
	"encoding/json"
	"net/netip"
	"strconv"
	"time"
)

// Version is the major version of every payload this build writes and the only
// one it reads. Additive, optional fields do not change it; removing, renaming
// or changing the meaning of a field does (see docs/bus.md, Versioning).
const Version = 1

// Player is one matched player as the relay needs it.
type Player struct {
	PlayerID string `json:"playerId"`
	Team     string `json:"team,omitempty"`
	// Attributes are the player's attributes as the matchmaker holds them
	// (FlexMatch PlayerAttributes JSON); the bus only checks they are JSON.
	Attributes json.RawMessage `json:"attributes,omitempty"`
	// LatencyInMs is the player's latency per region, in milliseconds, as
	// the player reported it to the matchmaker. Placement requests give it
	// to the relay, which sends it back in the session's backfill requests
	// so that the matchmaker can apply latency rules to the backfill ticket.
	LatencyInMs map[string]int `json:"latencyInMs,omitempty"`
	// PlayerSessionID, when set, is the player session id the relay
	// reserves for this player instead of making one (the matchmaker's
	// CreatePlayerSessions made it first).
	PlayerSessionID string `json:"playerSessionId,omitempty"`
	// PlayerData is GameLift's PlayerData of the player session, opaque.
	PlayerData string `json:"playerData,omitempty"`
}

// GameProperty is one key/value game property, as in GameLift.
type GameProperty struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// PlacementRequest asks the relays of a region to create a game session for a
// match. Subject PlacementSubject(Region), request/reply, queue group.
type PlacementRequest struct {
	V int `json:"v"`
	// MatchID is the idempotency key: a relay that already placed this match
	// answers with the same session instead of creating a second one.
	MatchID          string `json:"matchId"`
	Configuration    string `json:"configurationName"`
	ConfigurationARN string `json:"configurationArn,omitempty"`
	Region           string `json:"region"`
	// RelayID, when set, addresses the request to that relay alone
	// (RelayPlacementSubject) instead of the region's queue group.
	RelayID string `json:"relayId,omitempty"`
	// GameSessionID, when set, asks the relay to add Players to that running
	// session (a backfill) instead of creating one; RelayID must name the
	// relay hosting it.
	GameSessionID string `json:"gameSessionId,omitempty"`
	// Script names the server script the session runs; empty for none. The
	// relay uses the newest version it knows.
	Script          string         `json:"script,omitempty"`
	GameProperties  []GameProperty `json:"gameProperties,omitempty"`
	GameSessionData string         `json:"gameSessionData,omitempty"`
	// MatchmakerData is the FlexMatch matchmakerData JSON document, as a
	// string; opaque to the bus.
	MatchmakerData string `json:"matchmakerData,omitempty"`
	// BackfillMode is AUTOMATIC, MANUAL or empty (no backfill).
	BackfillMode string   `json:"backfillMode,omitempty"`
	Players      []Player `json:"players"`
	MaxPlayers   int      `json:"maxPlayers"`
	// Deadline is when the matchmaker stops waiting; a relay that sees it
	// passed does not create the session.
	Deadline time.Time `json:"deadline"`
	// Attempt numbers the matchmaker's tries of this match id, from 1 (0:
	// not numbered). A PlacementCancel withdraws the tries up to its own
	// Attempt; a later try is not affected.
	Attempt int `json:"attempt,omitempty"`
	// GameSessionARN, when set on a request that creates a session, is the
	// game session's id and ARN (a CreateGameSession placement); the relay
	// then uses it instead of making one, and Players may be empty: the
	// session waits for player sessions (ReserveRequest).
	GameSessionARN string `json:"gameSessionArn,omitempty"`
	// FleetID, GameSessionName and CreatorID describe a CreateGameSession
	// placement to the session's script; optional.
	FleetID         string `json:"fleetId,omitempty"`
	GameSessionName string `json:"gameSessionName,omitempty"`
	CreatorID       string `json:"creatorId,omitempty"`
}

// PlayerSession is the reserved player session of one player.
type PlayerSession struct {
	PlayerID        string `json:"playerId"`
	PlayerSessionID string `json:"playerSessionId"`
}

// Endpoint is where players connect: an IP address and/or a DNS name, the
// WebSocket (TCP) port and the UDP port (0 when the relay offers no UDP).
type Endpoint struct {
	IPAddress string `json:"ipAddress,omitempty"`
	DNSName   string `json:"dnsName,omitempty"`
	TCPPort   int    `json:"tcpPort"`
	UDPPort   int    `json:"udpPort,omitempty"`
}

// PlacementReply answers a PlacementRequest: the game session and one player
// session per requested player, or Error.
type PlacementReply struct {
	V              int             `json:"v"`
	MatchID        string          `json:"matchId"`
	RelayID        string          `json:"relayId,omitempty"`
	GameSessionID  string          `json:"gameSessionId,omitempty"`
	GameSessionARN string          `json:"gameSessionArn,omitempty"`
	Endpoint       *Endpoint       `json:"endpoint,omitempty"`
	PlayerSessions []PlayerSession `json:"playerSessions,omitempty"`
	Error          *ReplyError     `json:"error,omitempty"`
}

// Heartbeat is a relay's periodic report of where it is and how full it is.
// Subject HeartbeatSubject(Region, RelayID).
type Heartbeat struct {
	V        int      `json:"v"`
	RelayID  string   `json:"relayId"`
	Region   string   `json:"region"`
	Endpoint Endpoint `json:"endpoint"`
	// MaxSessions is the relay's capacity in game sessions; MaxPlayers its
	// capacity in connected players (0: no limit).
	MaxSessions int  `json:"maxSessions"`
	MaxPlayers  int  `json:"maxPlayers,omitempty"`
	Sessions    int  `json:"sessions"`
	Players     int  `json:"players"`
	Draining    bool `json:"draining,omitempty"`
	// IntervalMs is how often the relay sends heartbeats; a relay silent for
	// three intervals is presumed gone.
	IntervalMs int       `json:"intervalMs"`
	SentAt     time.Time `json:"sentAt"`
	// Fleets are the fleets the relay serves (its --fleet flags); none:
	// every fleet of its region. Optional (issue 12).
	Fleets []string `json:"fleets,omitempty"`
}

// SessionRef identifies a game session and where it runs; every session event
// carries one (its fields appear at the top level of the JSON).
type SessionRef struct {
	GameSessionID  string `json:"gameSessionId"`
	GameSessionARN string `json:"gameSessionArn,omitempty"`
	MatchID        string `json:"matchId,omitempty"`
	Configuration  string `json:"configurationName"`
	Region         string `json:"region"`
	RelayID        string `json:"relayId"`
}

// SessionStarted: a relay created a game session.
// Subject SessionSubject(Region, Configuration, KindSessionStarted).
type SessionStarted struct {
	V int `json:"v"`
	SessionRef
	Endpoint   Endpoint  `json:"endpoint"`
	MaxPlayers int       `json:"maxPlayers"`
	StartedAt  time.Time `json:"startedAt"`
}

// Why a game session ended (SessionEnded.Reason).
const (
	EndEmpty   = "EMPTY"   // everybody left, or nobody came, for the empty timeout
	EndIdle    = "IDLE"    // no message for the idle timeout
	EndScript  = "SCRIPT"  // the script called processEnding
	EndDrained = "DRAINED" // the relay drained and its deadline came
	EndError   = "ERROR"   // the session failed
	EndExpired = "EXPIRED" // no reserved player ever connected
	// EndCancelled: the matchmaker cancelled the placement try that created
	// the session (PlacementCancel) before any player joined.
	EndCancelled = "CANCELLED"
)

// Why a player left (PlayerLeft.Reason).
const (
	LeftClosed  = "CLOSED"        // the player disconnected
	LeftKicked  = "KICKED"        // the script or the relay removed the player
	LeftTimeout = "TIMED_OUT"     // the connection stopped answering
	LeftEnded   = "SESSION_ENDED" // the session ended with the player in it
)

// SessionEnded: a game session ended. Reason is one of the End* constants (a
// newer relay may send others).
// Subject SessionSubject(Region, Configuration, KindSessionEnded).
type SessionEnded struct {
	V int `json:"v"`
	SessionRef
	Reason  string    `json:"reason"`
	Message string    `json:"message,omitempty"`
	EndedAt time.Time `json:"endedAt"`
}

// PlayerJoined: a player connected with their player session id.
// Subject SessionSubject(Region, Configuration, KindPlayerJoined).
type PlayerJoined struct {
	V int `json:"v"`
	SessionRef
	PlayerID        string    `json:"playerId"`
	PlayerSessionID string    `json:"playerSessionId"`
	PeerID          int       `json:"peerId"`
	Players         int       `json:"players"`
	JoinedAt        time.Time `json:"joinedAt"`
}

// PlayerLeft: a player left the session. Reason is one of the Left* constants.
// Subject SessionSubject(Region, Configuration, KindPlayerLeft).
type PlayerLeft struct {
	V int `json:"v"`
	SessionRef
	PlayerID        string    `json:"playerId"`
	PlayerSessionID string    `json:"playerSessionId"`
	PeerID          int       `json:"peerId"`
	Players         int       `json:"players"`
	Reason          string    `json:"reason"`
	LeftAt          time.Time `json:"leftAt"`
}

// BackfillRequest asks the matchmaker to fill a running session's open slots
// (FlexMatch StartMatchBackfill). Subject BackfillSubject(Configuration),
// request/reply, queue group.
type BackfillRequest struct {
	V int `json:"v"`
	// RequestID is the idempotency key; it becomes the backfill ticket id.
	RequestID      string `json:"requestId"`
	Configuration  string `json:"configurationName"`
	GameSessionID  string `json:"gameSessionId"`
	GameSessionARN string `json:"gameSessionArn"`
	Region         string `json:"region"`
	// RelayID is the relay hosting the session: the backfill placement goes
	// to it (PlacementRequest.RelayID).
	RelayID string `json:"relayId"`
	// Players are the players in the session now, with team and attributes.
	Players []Player `json:"players"`
}

// BackfillReply answers a BackfillRequest with the backfill ticket id, or Error.
type BackfillReply struct {
	V        int         `json:"v"`
	TicketID string      `json:"ticketId,omitempty"`
	Error    *ReplyError `json:"error,omitempty"`
}

// ReserveRequest asks the relay hosting a game session to reserve player
// sessions in it (CreatePlayerSession(s)), with the ids the matchmaker made.
// Subject ReserveSubject(RelayID), request/reply, that relay alone.
type ReserveRequest struct {
	V int `json:"v"`
	// RequestID is the idempotency key: a repeat answers the same.
	RequestID     string `json:"requestId"`
	RelayID       string `json:"relayId"`
	GameSessionID string `json:"gameSessionId"`
	// Players each carry PlayerSessionID (required here) and PlayerData.
	Players  []Player  `json:"players"`
	Deadline time.Time `json:"deadline"`
}

// ReserveReply answers a ReserveRequest with the reserved player sessions, or
// Error: FULL when they do not fit, INVALID when the session is not running
// there (ended or unknown).
type ReserveReply struct {
	V              int             `json:"v"`
	RequestID      string          `json:"requestId"`
	PlayerSessions []PlayerSession `json:"playerSessions,omitempty"`
	Error          *ReplyError     `json:"error,omitempty"`
}

// ScriptVersion announces a new version of a server script, stored in the
// JetStream object store. Subject ScriptSubject(Name).
type ScriptVersion struct {
	V    int    `json:"v"`
	Name string `json:"name"`
	// Version grows by one with each upload of Name.
	Version   int64     `json:"version"`
	SHA256    string    `json:"sha256"`
	Size      int64     `json:"size"`
	Bucket    string    `json:"bucket"`
	Object    string    `json:"object"`
	CreatedAt time.Time `json:"createdAt"`
	// Label is the uploader's own label of the version (GameLift's Version
	// string of CreateScript and UpdateScript), kept as given; empty for none.
	Label string `json:"label,omitempty"`
}

// MatchmakingEvent is one matchmaking event as a subscriber receives it. The
// payload is the matchmaker's own bytes (its event format and version); the
// bus only routes it by configuration and type.
type MatchmakingEvent struct {
	Configuration string
	Type          string
	Data          []byte
}

func (m *PlacementRequest) ver() *int { return &m.V }
func (m *PlacementReply) ver() *int   { return &m.V }
func (m *Heartbeat) ver() *int        { return &m.V }
func (m *SessionStarted) ver() *int   { return &m.V }
func (m *SessionEnded) ver() *int     { return &m.V }
func (m *PlayerJoined) ver() *int     { return &m.V }
func (m *PlayerLeft) ver() *int       { return &m.V }
func (m *BackfillRequest) ver() *int  { return &m.V }
func (m *BackfillReply) ver() *int    { return &m.V }
func (m *ScriptVersion) ver() *int    { return &m.V }
func (m *ReserveRequest) ver() *int   { return &m.V }
func (m *ReserveReply) ver() *int     { return &m.V }

func (m *PlacementRequest) validate(c *check) {
	c.required("matchId", m.MatchID)
	c.name("configurationName", m.Configuration)
	c.name("region", m.Region)
	if m.RelayID != "" {
		c.name("relayId", m.RelayID)
	}
	if m.GameSessionID != "" && m.RelayID == "" {
		c.fail("relayId", "required with gameSessionId (a backfill goes to the relay hosting the session)")
	}
	if m.Script != "" {
		c.name("script", m.Script)
	}
	for i, p := range m.GameProperties {
		c.requiredAt("gameProperties", i, "key", p.Key)
	}
	if m.MatchmakerData != "" && !json.Valid([]byte(m.MatchmakerData)) {
		c.fail("matchmakerData", "not a JSON document")
	}
	switch m.BackfillMode {
	case "", "AUTOMATIC", "MANUAL":
	default:
		c.fail("backfillMode", "want AUTOMATIC, MANUAL or empty, got "+quote(m.BackfillMode))
	}
	if m.GameSessionARN != "" && m.GameSessionID != "" {
		c.fail("gameSessionArn", "names a session to create; gameSessionId names one to backfill: not both")
	}
	if m.GameSessionARN == "" || len(m.Players) > 0 {
		c.players("players", m.Players)
	}
	switch {
	case m.MaxPlayers <= 0:
		c.fail("maxPlayers", "must be positive")
	case m.MaxPlayers < len(m.Players):
		c.fail("maxPlayers", "smaller than the number of players")
	}
	c.time("deadline", m.Deadline)
	c.nonNegative("attempt", m.Attempt)
}

func (m *PlacementReply) validate(c *check) {
	c.required("matchId", m.MatchID)
	if m.Error != nil {
		c.required("error.code", string(m.Error.Code))
		return
	}
	c.required("gameSessionId", m.GameSessionID)
	if m.Endpoint == nil {
		c.fail("endpoint", "required")
	} else {
		c.endpoint("endpoint", *m.Endpoint)
	}
	c.playerSessions("playerSessions", m.PlayerSessions)
}

// playerSessions checks reply player sessions: each with both ids, one per
// player. A CreateGameSession placement is answered with none, so none is
// valid; the requester checks there is one per player it asked for.
func (c *check) playerSessions(field string, pss []PlayerSession) {
	seen := make(map[string]struct{}, len(pss))
	for i, ps := range pss {
		c.requiredAt(field, i, "playerId", ps.PlayerID)
		c.requiredAt(field, i, "playerSessionId", ps.PlayerSessionID)
		if _, dup := seen[ps.PlayerID]; dup {
			c.fail(c.at(field, i, "playerId"), "duplicate "+quote(ps.PlayerID))
		}
		seen[ps.PlayerID] = struct{}{}
	}
}

func (m *ReserveRequest) validate(c *check) {
	c.required("requestId", m.RequestID)
	c.name("relayId", m.RelayID)
	c.required("gameSessionId", m.GameSessionID)
	c.players("players", m.Players)
	for i, p := range m.Players {
		c.requiredAt("players", i, "playerSessionId", p.PlayerSessionID)
	}
	c.time("deadline", m.Deadline)
}

func (m *ReserveReply) validate(c *check) {
	c.required("requestId", m.RequestID)
	if m.Error != nil {
		c.required("error.code", string(m.Error.Code))
		return
	}
	if len(m.PlayerSessions) == 0 {
		c.fail("playerSessions", "required")
	}
	c.playerSessions("playerSessions", m.PlayerSessions)
}

func (m *Heartbeat) validate(c *check) {
	c.name("relayId", m.RelayID)
	c.name("region", m.Region)
	c.endpoint("endpoint", m.Endpoint)
	c.nonNegative("maxSessions", m.MaxSessions)
	c.nonNegative("maxPlayers", m.MaxPlayers)
	c.nonNegative("sessions", m.Sessions)
	c.nonNegative("players", m.Players)
	if m.IntervalMs <= 0 {
		c.fail("intervalMs", "must be positive")
	}
	c.time("sentAt", m.SentAt)
	for i, f := range m.Fleets {
		c.name("fleets["+strconv.Itoa(i)+"]", f)
	}
}

func (r *SessionRef) validate(c *check) {
	c.required("gameSessionId", r.GameSessionID)
	c.name("configurationName", r.Configuration)
	c.name("region", r.Region)
	c.name("relayId", r.RelayID)
}

func (m *SessionStarted) validate(c *check) {
	m.SessionRef.validate(c)
	c.endpoint("endpoint", m.Endpoint)
	if m.MaxPlayers <= 0 {
		c.fail("maxPlayers", "must be positive")
	}
	c.time("startedAt", m.StartedAt)
}

func (m *SessionEnded) validate(c *check) {
	m.SessionRef.validate(c)
	c.required("reason", m.Reason)
	c.time("endedAt", m.EndedAt)
}

func (m *PlayerJoined) validate(c *check) {
	m.SessionRef.validate(c)
	c.required("playerId", m.PlayerID)
	c.required("playerSessionId", m.PlayerSessionID)
	c.nonNegative("players", m.Players)
	c.time("joinedAt", m.JoinedAt)
}

func (m *PlayerLeft) validate(c *check) {
	m.SessionRef.validate(c)
	c.required("playerId", m.PlayerID)
	c.required("playerSessionId", m.PlayerSessionID)
	c.nonNegative("players", m.Players)
	c.required("reason", m.Reason)
	c.time("leftAt", m.LeftAt)
}

func (m *BackfillRequest) validate(c *check) {
	c.required("requestId", m.RequestID)
	c.name("configurationName", m.Configuration)
	c.required("gameSessionId", m.GameSessionID)
	c.required("gameSessionArn", m.GameSessionARN)
	c.name("region", m.Region)
	c.name("relayId", m.RelayID)
	c.players("players", m.Players)
}

func (m *BackfillReply) validate(c *check) {
	if m.Error != nil {
		c.required("error.code", string(m.Error.Code))
		return
	}
	c.required("ticketId", m.TicketID)
}

func (m *ScriptVersion) validate(c *check) {
	c.name("name", m.Name)
	if m.Version <= 0 {
		c.fail("version", "must be positive")
	}
	if len(m.SHA256) != 64 || !isLowerHex(m.SHA256) {
		c.fail("sha256", "want 64 lower-case hex digits")
	}
	if m.Size < 0 {
		c.fail("size", "must not be negative")
	}
	c.required("bucket", m.Bucket)
	c.required("object", m.Object)
	c.time("createdAt", m.CreatedAt)
}

func (c *check) players(field string, ps []Player) {
	if len(ps) == 0 {
		c.fail(field, "at least one player required")
		return
	}
	seen := make(map[string]struct{}, len(ps))
	for i, p := range ps {
		c.requiredAt(field, i, "playerId", p.PlayerID)
		if _, dup := seen[p.PlayerID]; dup {
			c.fail(c.at(field, i, "playerId"), "duplicate "+quote(p.PlayerID))
		}
		seen[p.PlayerID] = struct{}{}
		if len(p.Attributes) > 0 && !json.Valid(p.Attributes) {
			c.fail(c.at(field, i, "attributes"), "not JSON")
		}
		for region, ms := range p.LatencyInMs {
			if ms < 0 {
				c.fail(c.at(field, i, "latencyInMs")+"."+region, "must not be negative")
			}
		}
	}
}

func (c *check) endpoint(field string, e Endpoint) {
	if e.IPAddress == "" && e.DNSName == "" {
		c.fail(field, "ipAddress or dnsName required")
	}
	if e.IPAddress != "" {
		if _, err := netip.ParseAddr(e.IPAddress); err != nil {
			c.fail(field+".ipAddress", "not an IP address: "+quote(e.IPAddress))
		}
	}
	if e.TCPPort < 1 || e.TCPPort > 65535 {
		c.fail(field+".tcpPort", "want 1..65535")
	}
	if e.UDPPort < 0 || e.UDPPort > 65535 {
		c.fail(field+".udpPort", "want 0..65535 (0: no UDP)")
	}
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// Configuration changes.

// ConfigurationChange says what happened to a configuration.
type ConfigurationChange string

// The configuration changes.
const (
	ConfigurationCreated ConfigurationChange = "created"
	ConfigurationUpdated ConfigurationChange = "updated"
	ConfigurationDeleted ConfigurationChange = "deleted"
)

// ConfigurationChanged announces that a matchmaking configuration was
// created, updated or deleted, so that the matchmakers' forming loops take
// it up (or let it go) at once instead of at their next scan of the store,
// which stays the truth. Subject ConfigurationSubject(Name).
type ConfigurationChanged struct {
	V      int                 `json:"v"`
	Name   string              `json:"name"`
	Change ConfigurationChange `json:"change"`
	At     time.Time           `json:"at"`
}

func (m *ConfigurationChanged) ver() *int { return &m.V }

func (m *ConfigurationChanged) validate(c *check) {
	c.name("name", m.Name)
	switch m.Change {
	case ConfigurationCreated, ConfigurationUpdated, ConfigurationDeleted:
	case "":
		c.fail("change", "required")
	default:
		c.fail("change", "want created, updated or deleted, got "+quote(string(m.Change)))
	}
	c.time("at", m.At)
}

// Game session updates and terminations (issue 12).

// The SessionUpdateRequest.Terminate modes.
const (
	// TerminateNormal ends the session as a drain does: the script's
	// onProcessTerminate runs first.
	TerminateNormal = "NORMAL"
	// TerminateForce ends the session at once, without onProcessTerminate.
	TerminateForce = "FORCE_TERMINATE"
)

// The SessionEnded.Reason of a session ended by a SessionUpdateRequest.
const (
	EndTerminated      = "TERMINATED"       // TerminateNormal
	EndForceTerminated = "FORCE_TERMINATED" // TerminateForce
)

// SessionUpdateRequest asks the relay hosting a game session to change its
// maximum of players (UpdateGameSession) or to end it (TerminateGameSession):
// exactly one of MaxPlayers and Terminate. Subject
// SessionUpdateSubject(RelayID), request/reply, that relay alone.
type SessionUpdateRequest struct {
	V int `json:"v"`
	// RequestID names the request in logs and replies.
	RequestID     string `json:"requestId"`
	RelayID       string `json:"relayId"`
	GameSessionID string `json:"gameSessionId"`
	// MaxPlayers, when positive, is the session's new maximum of players;
	// the relay refuses it (CONFLICT) below the players it holds (connected
	// or reserved).
	MaxPlayers int `json:"maxPlayers,omitempty"`
	// Terminate, when set, ends the session: TerminateNormal or
	// TerminateForce. The reply comes once the end is requested; the
	// SessionEnded event follows.
	Terminate string    `json:"terminate,omitempty"`
	Deadline  time.Time `json:"deadline"`
}

// SessionUpdateReply answers a SessionUpdateRequest: no Error when done.
// INVALID when the session does not run on the relay (ended or unknown),
// CONFLICT for a maximum below the players it holds.
type SessionUpdateReply struct {
	V         int         `json:"v"`
	RequestID string      `json:"requestId"`
	Error     *ReplyError `json:"error,omitempty"`
}

func (m *SessionUpdateRequest) ver() *int { return &m.V }
func (m *SessionUpdateReply) ver() *int   { return &m.V }

func (m *SessionUpdateRequest) validate(c *check) {
	c.required("requestId", m.RequestID)
	c.name("relayId", m.RelayID)
	c.required("gameSessionId", m.GameSessionID)
	c.nonNegative("maxPlayers", m.MaxPlayers)
	switch m.Terminate {
	case "":
		if m.MaxPlayers == 0 {
			c.fail("maxPlayers", "a positive maxPlayers or terminate is required")
		}
	case TerminateNormal, TerminateForce:
		if m.MaxPlayers != 0 {
			c.fail("terminate", "not with maxPlayers: one change per request")
		}
	default:
		c.fail("terminate", "want "+TerminateNormal+", "+TerminateForce+" or empty, got "+quote(m.Terminate))
	}
	c.time("deadline", m.Deadline)
}

func (m *SessionUpdateReply) validate(c *check) {
	c.required("requestId", m.RequestID)
	if m.Error != nil {
		c.required("error.code", string(m.Error.Code))
	}
}
