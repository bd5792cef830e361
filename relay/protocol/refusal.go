package protocol

import "strconv"

// Refusal is the reason a login was refused, carried in LoginResult.refusal (a
// Matchpoint extension; stock clients only see success = false) and, by name, in the
// reason of the WebSocket close frame that follows.
type Refusal int32

const (
	// RefusalNone means the login was not refused.
	RefusalNone Refusal = 0
	// RefusalUnknownPlayerSession: the player session id is not reserved in this game session.
	RefusalUnknownPlayerSession Refusal = 1
	// RefusalPlayerSessionExpired: the reservation timed out before the login.
	RefusalPlayerSessionExpired Refusal = 2
	// RefusalPlayerSessionUsed: the player session id has already logged in.
	RefusalPlayerSessionUsed Refusal = 3
	// RefusalSessionFull: the game session has its maximum number of players.
	RefusalSessionFull Refusal = 4
	// RefusalRejectedByScript: the script's onPlayerConnect returned false.
	RefusalRejectedByScript Refusal = 5
	// RefusalSessionEnded: the game session has ended or is ending.
	RefusalSessionEnded Refusal = 6
	// RefusalReconnectFailed: the reconnect token is unknown, expired or not this player's.
	RefusalReconnectFailed Refusal = 7
	// RefusalMalformedLogin: the login packet is invalid (op code, fields, sizes).
	RefusalMalformedLogin Refusal = 8
	// RefusalRateLimited: too many connections or logins from this address.
	RefusalRateLimited Refusal = 9
	// RefusalLoginTimeout: no login arrived in time after the WebSocket opened.
	RefusalLoginTimeout Refusal = 10
)

// String returns the refusal's snake_case name, or "refusal(N)" for an unknown code.
func (r Refusal) String() string {
	switch r {
	case RefusalNone:
		return "none"
	case RefusalUnknownPlayerSession:
		return "unknown_player_session"
	case RefusalPlayerSessionExpired:
		return "player_session_expired"
	case RefusalPlayerSessionUsed:
		return "player_session_used"
	case RefusalSessionFull:
		return "session_full"
	case RefusalRejectedByScript:
		return "rejected_by_script"
	case RefusalSessionEnded:
		return "session_ended"
	case RefusalReconnectFailed:
		return "reconnect_failed"
	case RefusalMalformedLogin:
		return "malformed_login"
	case RefusalRateLimited:
		return "rate_limited"
	case RefusalLoginTimeout:
		return "login_timeout"
	}
	return "refusal(" + strconv.Itoa(int(r)) + ")"
}

// WebSocket close codes the relay uses (RFC 6455 section 7.4; 4000-4999 are private).
const (
	// CloseNormal: the client disconnected or the server shut down cleanly.
	CloseNormal = 1000
	// CloseGoingAway: the relay is draining (graceful shutdown).
	CloseGoingAway = 1001
	// CloseProtocolError: a frame could not be decoded (text frame, malformed packet).
	CloseProtocolError = 1002
	// ClosePolicyViolation: rate limits exceeded repeatedly.
	ClosePolicyViolation = 1008
	// CloseMessageTooBig: a frame exceeded MaxFrameSize.
	CloseMessageTooBig = 1009
	// CloseLoginRefused follows a LoginResult with success = false; the reason is the
	// Refusal name.
	CloseLoginRefused = 4000
	// CloseKicked: the server (script or operator) removed the player; the reason is
	// the kick reason.
	CloseKicked = 4001
	// CloseSessionEnded: the game session ended.
	CloseSessionEnded = 4002
	// CloseReplaced: the same peer reconnected on another connection.
	CloseReplaced = 4003
	// CloseIdle: the client answered no WebSocket ping for too long.
	CloseIdle = 4004
)
