package protocol

// Op codes. Internal op codes are <= 0 and belong to the protocol; developer op
// codes are > 0 and are relayed untouched.
const (
	// OpLogin is the client's login command (LoginCommand), sent on the WebSocket.
	OpLogin int32 = 0
	// OpLoginResult is the server's answer to OpLogin (LoginResult).
	OpLoginResult int32 = -1
	// OpPing is a client ping (PingCommand). The value is a Matchpoint decision: the
	// original SDK defines no constant for it.
	OpPing int32 = -2
	// OpPingResult is the server's answer to OpPing (PingResult).
	OpPingResult int32 = -3
	// OpUDPConnect starts the unsecured UDP handshake (client -> server, UDP).
	OpUDPConnect int32 = -5
	// OpUDPConnectServerAck answers OpUDPConnect (server -> client, UDP).
	OpUDPConnectServerAck int32 = -6
	// OpUDPConnectClientAck completes the unsecured UDP handshake (client -> server, UDP).
	OpUDPConnectClientAck int32 = -7
	// OpPlayerReady is defined by the original SDK and never used; the server refuses it.
	OpPlayerReady int32 = -8
	// OpJoinGroup asks to join a group (JoinGroup).
	OpJoinGroup int32 = -10
	// OpLeaveGroup asks to leave a group (LeaveGroup).
	OpLeaveGroup int32 = -11
	// OpRequestGroupMembership asks for a group's member list (RequestGroupMembership).
	OpRequestGroupMembership int32 = -12
	// OpGroupMembershipUpdate carries a group's member list (GroupMembershipUpdate).
	OpGroupMembershipUpdate int32 = -13
	// OpVerifyIdentity binds a DTLS association to a peer (VerifyIdentityCommand).
	OpVerifyIdentity int32 = -14
	// OpVerifyIdentityResult answers OpVerifyIdentity (VerifyIdentityResult).
	OpVerifyIdentityResult int32 = -15
	// OpPlayerConnect tells a Matchpoint client that a player connected
	// (PlayerConnectMessage).
	OpPlayerConnect int32 = -101
	// OpPlayerDisconnect tells a Matchpoint client that a player left
	// (PlayerDisconnectMessage).
	OpPlayerDisconnect int32 = -103
	// OpGameStart is defined by the original SDK and never sent.
	OpGameStart int32 = -1000
	// OpGameEnd is defined by the original SDK and never sent.
	OpGameEnd int32 = -1001
	// OpNull is the original SDK's "no op code" marker; it is never valid on the wire.
	OpNull int32 = -99999
	// OpFirstDeveloper is the smallest developer op code.
	OpFirstDeveloper int32 = 1
)

// Peer and group ids.
const (
	// PeerServer is the peer id of the server: the target of messages for the server
	// script and the sender of server-originated messages.
	PeerServer int32 = -1
	// PeerClientInternal is reserved by the original SDK for client-internal use.
	PeerClientInternal int32 = -2
	// PeerNone is "no peer": the sender before login and the "no target player" value.
	PeerNone int32 = 0
	// GroupAllPlayers is the group every connected player is in.
	GroupAllPlayers int32 = -1
	// GroupNone is "no target group"; it is never a real group.
	GroupNone int32 = 0
)

// Versions.
const (
	// ClientVersionRealtime is the LoginCommand.clientVersion of the Realtime client SDK 1.2.
	ClientVersionRealtime int32 = 2
	// ExtensionVersion is the LoginCommand.extensionVersion of clients that speak the
	// Matchpoint extensions (player connect/disconnect notices, connect token on UDP).
	ExtensionVersion int32 = 1
)

// Size limits, in bytes.
const (
	// MaxPayloadSize is the largest Packet.payload on any channel.
	MaxPayloadSize = 4096
	// MaxUDPPayloadSize is the largest payload of a developer message sent over UDP;
	// larger ones go over the WebSocket.
	MaxUDPPayloadSize = 1200
	// MaxFrameSize is the largest frame (length prefix and Packet) on any channel.
	MaxFrameSize = 16384
	// MaxStringSize is the largest string field (player session id, tokens, messages).
	MaxStringSize = 1024
	// MaxCACertSize is the largest LoginResult.caCert.
	MaxCACertSize = 8192
)

// DeliveryIntent says how a message should travel.
type DeliveryIntent uint8

const (
	// Fast sends over UDP when the client has a UDP path and the payload fits
	// MaxUDPPayloadSize, over the WebSocket otherwise. It is the original SDK's default.
	Fast DeliveryIntent = iota
	// Reliable sends over the WebSocket: delivered, in order per sender.
	Reliable
)

// String returns "fast" or "reliable".
func (d DeliveryIntent) String() string {
	if d == Reliable {
		return "reliable"
	}
	return "fast"
}

// IsDeveloperOpCode reports whether op is a developer op code (> 0).
func IsDeveloperOpCode(op int32) bool { return op >= OpFirstDeveloper }

// IsInternalOpCode reports whether op is an internal op code (<= 0).
func IsInternalOpCode(op int32) bool { return op <= 0 }
