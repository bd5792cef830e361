package relay

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// Script is the Go form of a GameLift Realtime server script: the callbacks a game
// session calls as players connect, send and leave. The JavaScript runtime
// (relay/script) implements it for Realtime scripts; games that embed the relay may
// implement it in Go.
//
// One Script instance serves one game session (see ScriptFactory). The relay calls
// every callback of a session on that session's own goroutine, one at a time and in
// the order the events happened, so an implementation needs no locking for its own
// per-session state. A callback must not block for long: while it runs, the
// session's messages that need the script wait. A callback that panics is recovered
// and logged, and the relay applies that callback's default (the value listed for a
// nil Script).
//
// A nil Script means the defaults: every player, message and group change is
// allowed, server-addressed messages are dropped, and the session is healthy.
type Script interface {
	// OnStartGameSession is called once, when the session has been created and
	// before any player can log in. Default: nothing.
	OnStartGameSession(s Session)
	// OnPlayerConnect is called when a player logs in with a valid player
	// session id, before it is admitted. p has its peer id already assigned;
	// connectPayload is the connection payload of the login (valid only during
	// the call). Returning false refuses the login
	// (protocol.RefusalRejectedByScript). Default: true.
	OnPlayerConnect(s Session, p Player, connectPayload []byte) bool
	// OnPlayerAccepted is called after the player has been admitted and told so;
	// messages may now be sent to p.PeerID. Default: nothing.
	OnPlayerAccepted(s Session, p Player)
	// OnPlayerDisconnect is called when an admitted player leaves (closed,
	// kicked, timed out), before it is removed from GetPlayers. Default: nothing.
	OnPlayerDisconnect(s Session, peerID int32)
	// OnPlayerJoinGroup is called when a player asks to join a group; false
	// refuses. Default: true.
	OnPlayerJoinGroup(s Session, groupID, peerID int32) bool
	// OnPlayerLeaveGroup is called when a player asks to leave a group; false
	// refuses. Default: true.
	OnPlayerLeaveGroup(s Session, groupID, peerID int32) bool
	// OnSendToPlayer is called for a player-to-player message before delivery;
	// false drops it. Default: true.
	OnSendToPlayer(s Session, m Message) bool
	// OnSendToGroup is called for a player-to-group message before delivery;
	// false drops it. Default: true.
	OnSendToGroup(s Session, m Message) bool
	// OnMessage receives the messages addressed to the server (target player
	// protocol.PeerServer). They are not relayed. Default: nothing.
	OnMessage(s Session, m Message)
	// OnHealthCheck is called every Options.HeartbeatInterval; false marks the
	// session unhealthy (logged and counted). Default: true.
	OnHealthCheck(s Session) bool
	// OnProcessTerminate is called once when the session is about to end for a
	// reason other than the script's own ProcessEnding (empty, idle, drained),
	// while players may still be connected. Default: nothing.
	OnProcessTerminate(s Session)
}

// ScriptConfig is what a Script may also implement to configure its session, as a
// Realtime script's ssExports.configuration does (relay/script's *Instance
// implements it). The relay admits no more players than the smallest of
// MaxPlayers, the placement's maxPlayers and Options.MaxPlayersPerSession (a
// placement with more players is refused, INVALID), and pings the session's
// WebSocket connections every PingInterval instead of Options.PingInterval, closing
// one silent for the larger of Options.ConnectionIdleTimeout and 3 PingIntervals.
// A value of 0 or less leaves the relay's.
type ScriptConfig interface {
	MaxPlayers() int
	PingInterval() time.Duration
}

// ScriptFilters is implemented by a Script that can tell whether it defines its
// delivery callbacks. A message between players whose callback the script does
// not define goes straight from the sender's connection to the recipients, as
// with no script, instead of through the session's goroutine: the script could
// not have refused it, and every message from one sender to one recipient
// still takes the same path, so their order is kept.
type ScriptFilters interface {
	FiltersSendToPlayer() bool
	FiltersSendToGroup() bool
}

// ScriptFactory creates the Script of one game session; the relay calls it once per
// session, before OnStartGameSession. Returning an error fails the placement
// (bus.CodeInternal); returning a nil Script and no error gives the defaults.
type ScriptFactory func(info GameSessionInfo) (Script, error)

// Message is a developer message as a script sees it, and as it sends one.
type Message struct {
	// OpCode is the developer op code (> 0).
	OpCode int32
	// Sender is the peer id of the sender; protocol.PeerServer for the server.
	// On messages the script sends it is what recipients see as the sender.
	Sender int32
	// TargetPlayer and TargetGroup are the destination the sender chose
	// (0 = none); they are informational on messages the script sends.
	TargetPlayer int32
	TargetGroup  int32
	// Reliable is true when the message arrived over the WebSocket.
	Reliable bool
	// Payload is the developer data. On messages passed to a callback it aliases
	// the relay's receive buffer and is valid only during the call: copy it to
	// keep it.
	Payload []byte
}

// NewMessage returns a message with op code, sender and payload, as the Realtime
// session's newBinaryGameMessage does.
func NewMessage(opCode, sender int32, payload []byte) Message {
	return Message{OpCode: opCode, Sender: sender, Payload: payload}
}

// NewTextMessage returns a message whose payload is text in UTF-8, as the Realtime
// session's newTextGameMessage does.
func NewTextMessage(opCode, sender int32, text string) Message {
	return Message{OpCode: opCode, Sender: sender, Payload: []byte(text)}
}

// Player is a connected player: its peer id, its player session and what the match
// said about it.
type Player struct {
	PeerID          int32
	PlayerSessionID string
	// PlayerID, Team, Attributes and LatencyInMs come from the placement
	// request (the matchmaker's view of the player); Attributes is FlexMatch
	// PlayerAttributes JSON, or nil; LatencyInMs is the latency per region the
	// player reported, or nil.
	PlayerID    string
	Team        string
	Attributes  json.RawMessage
	LatencyInMs map[string]int
	// PlayerData is the GameLift PlayerData of the player session
	// (CreatePlayerSession(s), a placement's DesiredPlayerSessions), or "".
	PlayerData  string
	ConnectedAt time.Time
}

// MatchedPlayer is a player the session reserved a player session for, connected
// or not.
type MatchedPlayer struct {
	PlayerID        string
	PlayerSessionID string
	Team            string
	Attributes      json.RawMessage
	// LatencyInMs is the latency per region the player reported to the
	// matchmaker; the session's backfill requests carry it back.
	LatencyInMs map[string]int
	// PlayerData is the GameLift PlayerData of the player session, or "".
	PlayerData string
}

// GameSessionInfo describes a game session as its placement created it.
type GameSessionInfo struct {
	GameSessionID    string
	GameSessionARN   string
	MatchID          string
	Configuration    string
	ConfigurationARN string
	Region           string
	RelayID          string
	// ScriptName is the script the placement asked for; empty for none.
	ScriptName      string
	GameProperties  []bus.GameProperty
	GameSessionData string
	// MatchmakerData is the FlexMatch matchmakerData JSON document.
	MatchmakerData string
	BackfillMode   string
	MaxPlayers     int
	// Players are the players of the placement (and of later backfill
	// placements, for the copy a Session returns).
	Players   []MatchedPlayer
	CreatedAt time.Time
}

// Session is the handle a script uses to act on its game session: the Realtime
// session object (rtSession) in Go. Its methods are safe to call from any goroutine;
// sends are queued to the recipients' connections and never wait for the network.
type Session interface {
	// GetPlayers returns the connected players, by ascending peer id.
	GetPlayers() []Player
	// BroadcastGroupMembershipUpdate sends the member list of groupToBroadcast
	// to the members of targetGroup (protocol.GroupAllPlayers for everyone).
	BroadcastGroupMembershipUpdate(groupToBroadcast, targetGroup int32) error
	// GetServerID returns the server's peer id (protocol.PeerServer, -1).
	GetServerID() int32
	// GetAllPlayersGroupID returns the all-players group id
	// (protocol.GroupAllPlayers, -1).
	GetAllPlayersGroupID() int32
	// ProcessEnding ends the game session: players are disconnected with
	// protocol.CloseSessionEnded and the end is reported with reason
	// bus.EndScript. It returns at once; the end happens after the current
	// callback returns.
	ProcessEnding()
	// GetGameSessionID returns the game session id.
	GetGameSessionID() string
	// Info returns the session's placement data: game properties, game session
	// data, matchmaker data and the matched players. Its Players is shared
	// with the session and must not be modified.
	Info() GameSessionInfo
	// Logger returns the session's logger (it carries the game session id).
	Logger() *slog.Logger
	// SendMessage sends m to one player by the fast path (UDP when the player
	// has one and the payload fits, the WebSocket otherwise).
	SendMessage(m Message, peerID int32) error
	// SendReliableMessage sends m to one player over the WebSocket.
	SendReliableMessage(m Message, peerID int32) error
	// SendGroupMessage sends m to every member of a group by the fast path
	// (protocol.GroupAllPlayers for everyone).
	SendGroupMessage(m Message, groupID int32) error
	// SendReliableGroupMessage sends m to every member of a group over the
	// WebSocket.
	SendReliableGroupMessage(m Message, groupID int32) error
	// Kick disconnects a player with protocol.CloseKicked and reason as the
	// close reason; the player leaves with bus.LeftKicked.
	Kick(peerID int32, reason string) error
	// AfterFunc runs fn on the session's goroutine after d, like the other
	// callbacks, unless the returned stop is called first or the session ends.
	// Scripts use it for timers and game loops.
	AfterFunc(d time.Duration, fn func()) (stop func() bool)
}
