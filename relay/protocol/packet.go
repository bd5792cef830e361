package protocol

import "strconv"

// MessageKind says which member of the Packet's message oneof is set. Its value
// is the member's field number.
type MessageKind uint8

// The members of the Packet's message oneof.
const (
	MessageNone                   MessageKind = 0
	MessageLogin                  MessageKind = 30
	MessageLoginResult            MessageKind = 31
	MessagePing                   MessageKind = 32
	MessagePingResult             MessageKind = 33
	MessageUDPConnect             MessageKind = 34
	MessagePlayerConnect          MessageKind = 35
	MessagePlayerDisconnect       MessageKind = 36
	MessageVerifyIdentity         MessageKind = 37
	MessageVerifyIdentityResult   MessageKind = 38
	MessageJoinGroup              MessageKind = 40
	MessageLeaveGroup             MessageKind = 41
	MessageRequestGroupMembership MessageKind = 42
	MessageGroupMembershipUpdate  MessageKind = 43
)

// String returns the protobuf field name of the member ("login", "udpConnect", ...),
// "none" for MessageNone.
func (k MessageKind) String() string {
	switch k {
	case MessageNone:
		return "none"
	case MessageLogin:
		return "login"
	case MessageLoginResult:
		return "loginResult"
	case MessagePing:
		return "ping"
	case MessagePingResult:
		return "pingResult"
	case MessageUDPConnect:
		return "udpConnect"
	case MessagePlayerConnect:
		return "playerConnect"
	case MessagePlayerDisconnect:
		return "playerDisconnect"
	case MessageVerifyIdentity:
		return "verifyIdentity"
	case MessageVerifyIdentityResult:
		return "verifyIdentityResult"
	case MessageJoinGroup:
		return "joinGroup"
	case MessageLeaveGroup:
		return "leaveGroup"
	case MessageRequestGroupMembership:
		return "requestGroupMembership"
	case MessageGroupMembershipUpdate:
		return "groupMembershipUpdate"
	}
	return "message(" + strconv.Itoa(int(k)) + ")"
}

// Packet is the one message of the wire format. The message oneof is held inline:
// Message says which member is set, and only that member's field is meaningful
// (the others keep their buffers for reuse by DecodePacket). A Packet is not safe
// for concurrent use.
type Packet struct {
	OpCode         int32 // field 1, sint32
	SequenceNumber int32 // field 2; UDP only, 0 = unsequenced
	TargetPlayer   int32 // field 3; PeerNone, PeerServer or a peer id
	TargetGroup    int32 // field 4; GroupNone, GroupAllPlayers or a group id
	Sender         int32 // field 5; PeerServer for the server
	Reliable       bool  // field 6; true when the packet travels over the WebSocket
	ClientVersion  int32 // field 7; unused by the SDK
	// Payload (field 15) is the developer data, or the connection payload on login
	// and verify identity. After DecodePacket it aliases the decoded frame.
	Payload []byte

	Message                MessageKind
	Login                  LoginCommand            // field 30
	LoginResult            LoginResult             // field 31
	Ping                   PingCommand             // field 32
	PingResult             PingResult              // field 33
	UDPConnect             UDPConnectMessage       // field 34
	PlayerConnect          PlayerConnectMessage    // field 35
	PlayerDisconnect       PlayerDisconnectMessage // field 36
	VerifyIdentity         VerifyIdentityCommand   // field 37
	VerifyIdentityResult   VerifyIdentityResult    // field 38
	JoinGroup              JoinGroup               // field 40
	LeaveGroup             LeaveGroup              // field 41
	RequestGroupMembership RequestGroupMembership  // field 42
	GroupMembershipUpdate  GroupMembershipUpdate   // field 43
}

// Reset clears p for reuse, keeping the GroupMembershipUpdate.Players array.
func (p *Packet) Reset() {
	players := p.GroupMembershipUpdate.Players[:0]
	*p = Packet{}
	p.GroupMembershipUpdate.Players = players
}

// SetMessage selects the oneof member k and clears it, so the caller can fill it:
//
//	p.SetMessage(protocol.MessageJoinGroup)
//	p.JoinGroup.Group = 3
func (p *Packet) SetMessage(k MessageKind) {
	p.Message = k
	p.resetMember(k)
}

func (p *Packet) resetMember(k MessageKind) {
	switch k {
	case MessageLogin:
		p.Login = LoginCommand{}
	case MessageLoginResult:
		p.LoginResult = LoginResult{}
	case MessagePing:
		p.Ping = PingCommand{}
	case MessagePingResult:
		p.PingResult = PingResult{}
	case MessageUDPConnect:
		p.UDPConnect = UDPConnectMessage{}
	case MessagePlayerConnect:
		p.PlayerConnect = PlayerConnectMessage{}
	case MessagePlayerDisconnect:
		p.PlayerDisconnect = PlayerDisconnectMessage{}
	case MessageVerifyIdentity:
		p.VerifyIdentity = VerifyIdentityCommand{}
	case MessageVerifyIdentityResult:
		p.VerifyIdentityResult = VerifyIdentityResult{}
	case MessageJoinGroup:
		p.JoinGroup = JoinGroup{}
	case MessageLeaveGroup:
		p.LeaveGroup = LeaveGroup{}
	case MessageRequestGroupMembership:
		p.RequestGroupMembership = RequestGroupMembership{}
	case MessageGroupMembershipUpdate:
		p.GroupMembershipUpdate.reset()
	}
}
