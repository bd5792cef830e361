package protocol

import "strconv"

// TargetKind says where a developer message goes.
type TargetKind uint8

// Target kinds.
const (
	// TargetServer: the server script's onMessage.
	TargetServer TargetKind = iota + 1
	// TargetPlayer: one player, by peer id.
	TargetPlayer
	// TargetGroup: the members of a group, by group id (GroupAllPlayers included).
	TargetGroup
)

// String returns "server", "player" or "group".
func (k TargetKind) String() string {
	switch k {
	case TargetServer:
		return "server"
	case TargetPlayer:
		return "player"
	case TargetGroup:
		return "group"
	}
	return "target(" + strconv.Itoa(int(k)) + ")"
}

// Target is the resolved destination of a developer message.
type Target struct {
	Kind TargetKind
	ID   int32 // peer id for TargetPlayer, group id for TargetGroup, PeerServer for TargetServer
}

// RouteOf resolves the destination of a developer message the way the Realtime SDK
// documents it: a target player wins over a target group (PeerServer meaning the
// server); with neither set the message goes to the all-players group. Call it on
// packets that passed ValidateFromClient.
func RouteOf(p *Packet) Target {
	switch {
	case p.TargetPlayer == PeerServer:
		return Target{Kind: TargetServer, ID: PeerServer}
	case p.TargetPlayer != PeerNone:
		return Target{Kind: TargetPlayer, ID: p.TargetPlayer}
	case p.TargetGroup != GroupNone:
		return Target{Kind: TargetGroup, ID: p.TargetGroup}
	}
	return Target{Kind: TargetGroup, ID: GroupAllPlayers}
}

// FitsUDP reports whether a developer payload of n bytes may travel over UDP; larger
// ones go over the WebSocket.
func FitsUDP(n int) bool { return n <= MaxUDPPayloadSize }

// channel restricts where a client op code is accepted.
type channel uint8

const (
	eitherChannel channel = iota
	webSocketOnly
	udpOnly
)

// clientOp describes an internal op code a client may send.
type clientOp struct {
	channel  channel
	message  MessageKind
	required bool // the inner message must be present
}

// lookupClientOp returns the rules of an internal op code accepted from clients.
func lookupClientOp(op int32) (clientOp, bool) {
	switch op {
	case OpLogin:
		return clientOp{webSocketOnly, MessageLogin, true}, true
	case OpPing:
		return clientOp{eitherChannel, MessagePing, false}, true
	case OpUDPConnect, OpUDPConnectClientAck:
		return clientOp{udpOnly, MessageUDPConnect, false}, true
	case OpJoinGroup:
		return clientOp{eitherChannel, MessageJoinGroup, true}, true
	case OpLeaveGroup:
		return clientOp{eitherChannel, MessageLeaveGroup, true}, true
	case OpRequestGroupMembership:
		return clientOp{eitherChannel, MessageRequestGroupMembership, true}, true
	case OpVerifyIdentity:
		return clientOp{udpOnly, MessageVerifyIdentity, true}, true
	}
	return clientOp{}, false
}

// ValidateFromClient checks a decoded packet received from a client, on UDP (or
// DTLS) when udp is true and on the WebSocket otherwise. It accepts:
//
//   - developer op codes (> 0) with a valid target (player PeerServer, PeerNone or a
//     positive peer id; group GroupAllPlayers, GroupNone or a positive group id), no
//     inner message, and a payload of at most MaxUDPPayloadSize on UDP;
//   - the internal op codes a client sends, each on its channel (login on the
//     WebSocket; UDP connect, UDP client ack and verify identity on UDP; ping and the
//     group commands on either), with the matching inner message and valid group ids.
//
// The Sender field is not checked: the server stamps the authenticated peer id. The
// decoder has already enforced MaxPayloadSize, MaxFrameSize and the string limits.
func ValidateFromClient(p *Packet, udp bool) error {
	if IsDeveloperOpCode(p.OpCode) {
		return validateDeveloper(p, udp)
	}
	rule, ok := lookupClientOp(p.OpCode)
	if !ok {
		return fieldErr(ErrOpCode, "packet.opCode", "internal op code "+strconv.Itoa(int(p.OpCode))+" is not accepted from a client")
	}
	switch {
	case rule.channel == webSocketOnly && udp:
		return fieldErr(ErrOpCode, "packet.opCode", "op code "+strconv.Itoa(int(p.OpCode))+" is only accepted on the WebSocket")
	case rule.channel == udpOnly && !udp:
		return fieldErr(ErrOpCode, "packet.opCode", "op code "+strconv.Itoa(int(p.OpCode))+" is only accepted on UDP")
	}
	switch {
	case p.Message == MessageNone && rule.required:
		return fieldErr(ErrMessage, "packet."+rule.message.String(), "missing for op code "+strconv.Itoa(int(p.OpCode)))
	case p.Message != MessageNone && p.Message != rule.message:
		return fieldErr(ErrMessage, "packet."+p.Message.String(), "does not match op code "+strconv.Itoa(int(p.OpCode)))
	}
	return validateMessage(p)
}

func validateDeveloper(p *Packet, udp bool) error {
	if p.Message != MessageNone {
		return fieldErr(ErrMessage, "packet."+p.Message.String(), "not allowed with developer op code "+strconv.Itoa(int(p.OpCode)))
	}
	if t := p.TargetPlayer; t < PeerServer {
		return fieldErr(ErrTarget, "packet.targetPlayer", strconv.Itoa(int(t))+" is neither a peer id, 0 (none) nor -1 (server)")
	}
	if g := p.TargetGroup; g < GroupAllPlayers {
		return fieldErr(ErrTarget, "packet.targetGroup", strconv.Itoa(int(g))+" is neither a group id, 0 (none) nor -1 (all players)")
	}
	if udp && !FitsUDP(len(p.Payload)) {
		return fieldErr(ErrTooLarge, "packet.payload", "length "+strconv.Itoa(len(p.Payload))+" exceeds "+strconv.Itoa(MaxUDPPayloadSize)+" on UDP")
	}
	return nil
}

func validateMessage(p *Packet) error {
	switch p.Message {
	case MessageLogin:
		if p.Login.PlayerSessionID == "" {
			return fieldErr(ErrMessage, "packet.login.playerSessionId", "empty")
		}
	case MessageVerifyIdentity:
		if p.VerifyIdentity.PeerID <= 0 {
			return fieldErr(ErrMessage, "packet.verifyIdentity.peerId", strconv.Itoa(int(p.VerifyIdentity.PeerID))+" is not a peer id")
		}
		if p.VerifyIdentity.ConnectToken == "" {
			return fieldErr(ErrMessage, "packet.verifyIdentity.connectToken", "empty")
		}
	case MessageJoinGroup:
		return positiveGroup("packet.joinGroup.group", p.JoinGroup.Group)
	case MessageLeaveGroup:
		return positiveGroup("packet.leaveGroup.group", p.LeaveGroup.Group)
	case MessageRequestGroupMembership:
		if g := p.RequestGroupMembership.Group; g != GroupAllPlayers && g <= 0 {
			return fieldErr(ErrTarget, "packet.requestGroupMembership.group",
				strconv.Itoa(int(g))+" is neither a group id nor -1 (all players)")
		}
	}
	return nil
}

func positiveGroup(field string, g int32) error {
	if g > 0 {
		return nil
	}
	return fieldErr(ErrTarget, field, strconv.Itoa(int(g))+" is not a custom group id (> 0)")
}
