package protocol

import (
	"bytes"
	"testing"
)

func TestValidateFromClientAccepts(t *testing.T) {
	s := samplePackets()
	tests := []struct {
		name string
		p    *Packet
		udp  bool
	}{
		{"data to player over WebSocket", s["data reliable"], false},
		{"data to all players over UDP", s["data fast group"], true},
		{"data to server", &Packet{OpCode: 5, TargetPlayer: PeerServer}, true},
		{"data with no target", &Packet{OpCode: 5}, false},
		{"data at the UDP limit", &Packet{OpCode: 5, TargetGroup: 2, Payload: make([]byte, MaxUDPPayloadSize)}, true},
		{"data at the WebSocket limit", &Packet{OpCode: 5, TargetGroup: 2, Payload: make([]byte, MaxPayloadSize)}, false},
		{"login", s["login"], false},
		{"ping over UDP", s["ping"], true},
		{"empty ping over WebSocket", &Packet{OpCode: OpPing}, false},
		{"udp connect", s["udp connect"], true},
		{"udp connect without message", &Packet{OpCode: OpUDPConnect, Sender: 3}, true},
		{"udp client ack", &Packet{OpCode: OpUDPConnectClientAck, TargetPlayer: PeerServer}, true},
		{"verify identity", s["verify identity"], true},
		{"join group over UDP", s["join group"], true},
		{"leave group over WebSocket", s["leave group"], false},
		{"request all-players membership", s["request group membership"], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidateFromClient(tt.p, tt.udp); err != nil {
				t.Fatalf("ValidateFromClient: %v", err)
			}
		})
	}
}

func TestValidateFromClientRefuses(t *testing.T) {
	s := samplePackets()
	withGroup := func(op int32, k MessageKind, g int32) *Packet {
		p := &Packet{OpCode: op}
		p.SetMessage(k)
		p.JoinGroup.Group, p.LeaveGroup.Group, p.RequestGroupMembership.Group = g, g, g
		return p
	}
	withLogin := func(id string) *Packet {
		p := &Packet{OpCode: OpLogin}
		p.SetMessage(MessageLogin)
		p.Login.PlayerSessionID = id
		return p
	}
	withVerify := func(peer int32, token string) *Packet {
		p := &Packet{OpCode: OpVerifyIdentity}
		p.SetMessage(MessageVerifyIdentity)
		p.VerifyIdentity = VerifyIdentityCommand{PeerID: peer, ConnectToken: token}
		return p
	}
	tests := []struct {
		name string
		p    *Packet
		udp  bool
		kind error
		text string
	}{
		{"negative developer op code", &Packet{OpCode: -42, TargetGroup: 1}, false, ErrOpCode,
			"packet.opCode: internal op code -42 is not accepted from a client"},
		{"server-only op code", s["group membership update"], false, ErrOpCode,
			"packet.opCode: internal op code -13 is not accepted from a client"},
		{"login result from client", s["login result"], false, ErrOpCode,
			"packet.opCode: internal op code -1 is not accepted from a client"},
		{"player ready", &Packet{OpCode: OpPlayerReady}, false, ErrOpCode,
			"packet.opCode: internal op code -8 is not accepted from a client"},
		{"null op code", &Packet{OpCode: OpNull}, true, ErrOpCode,
			"packet.opCode: internal op code -99999 is not accepted from a client"},
		{"login over UDP", s["login"], true, ErrOpCode, "packet.opCode: op code 0 is only accepted on the WebSocket"},
		{"udp connect over WebSocket", s["udp connect"], false, ErrOpCode,
			"packet.opCode: op code -5 is only accepted on UDP"},
		{"verify identity over WebSocket", s["verify identity"], false, ErrOpCode,
			"packet.opCode: op code -14 is only accepted on UDP"},
		{"login without message", &Packet{OpCode: OpLogin}, false, ErrMessage, "packet.login: missing for op code 0"},
		{"join without message", &Packet{OpCode: OpJoinGroup}, true, ErrMessage, "packet.joinGroup: missing for op code -10"},
		{"verify identity without message", &Packet{OpCode: OpVerifyIdentity}, true, ErrMessage,
			"packet.verifyIdentity: missing for op code -14"},
		{"mismatched message", withGroup(OpLeaveGroup, MessageJoinGroup, 2), true, ErrMessage,
			"packet.joinGroup: does not match op code -11"},
		{"message on developer op", withGroup(7, MessageJoinGroup, 2), true, ErrMessage,
			"packet.joinGroup: not allowed with developer op code 7"},
		{"login without session id", withLogin(""), false, ErrMessage, "packet.login.playerSessionId: empty"},
		{"verify identity peer 0", withVerify(0, "c"), true, ErrMessage, "packet.verifyIdentity.peerId: 0 is not a peer id"},
		{"verify identity without token", withVerify(3, ""), true, ErrMessage, "packet.verifyIdentity.connectToken: empty"},
		{"join group 0", withGroup(OpJoinGroup, MessageJoinGroup, 0), false, ErrTarget,
			"packet.joinGroup.group: 0 is not a custom group id (> 0)"},
		{"join all players", withGroup(OpJoinGroup, MessageJoinGroup, -1), false, ErrTarget,
			"packet.joinGroup.group: -1 is not a custom group id (> 0)"},
		{"leave all players", withGroup(OpLeaveGroup, MessageLeaveGroup, -1), false, ErrTarget,
			"packet.leaveGroup.group: -1 is not a custom group id (> 0)"},
		{"request group -2", withGroup(OpRequestGroupMembership, MessageRequestGroupMembership, -2), false, ErrTarget,
			"packet.requestGroupMembership.group: -2 is neither a group id nor -1 (all players)"},
		{"target player -2", &Packet{OpCode: 3, TargetPlayer: PeerClientInternal}, false, ErrTarget,
			"packet.targetPlayer: -2 is neither a peer id, 0 (none) nor -1 (server)"},
		{"target group -5", &Packet{OpCode: 3, TargetGroup: -5}, false, ErrTarget,
			"packet.targetGroup: -5 is neither a group id, 0 (none) nor -1 (all players)"},
		{"oversized payload on UDP", &Packet{OpCode: 3, TargetGroup: 1, Payload: make([]byte, MaxUDPPayloadSize+1)}, true,
			ErrTooLarge, "packet.payload: length 1201 exceeds 1200 on UDP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFieldError(t, ValidateFromClient(tt.p, tt.udp), tt.kind, tt.text)
		})
	}
}

// TestOversizedPayloadRefusedOnDecode: payloads above MaxPayloadSize never reach
// validation; the decoder refuses them on every channel.
func TestOversizedPayloadRefusedOnDecode(t *testing.T) {
	p := &Packet{OpCode: 3, TargetGroup: 1, Payload: bytes.Repeat([]byte{1}, MaxPayloadSize+1)}
	var got Packet
	checkFieldError(t, DecodePacket(AppendPacket(nil, p), &got), ErrTooLarge, "packet.payload: length 4097 exceeds 4096")
}

func TestRouteOf(t *testing.T) {
	tests := []struct {
		name string
		p    Packet
		want Target
	}{
		{"server", Packet{TargetPlayer: PeerServer, TargetGroup: 3}, Target{TargetServer, PeerServer}},
		{"player wins over group", Packet{TargetPlayer: 4, TargetGroup: 3}, Target{TargetPlayer, 4}},
		{"group", Packet{TargetGroup: 3}, Target{TargetGroup, 3}},
		{"all players", Packet{TargetGroup: GroupAllPlayers}, Target{TargetGroup, GroupAllPlayers}},
		{"no target means all players", Packet{}, Target{TargetGroup, GroupAllPlayers}},
	}
	for _, tt := range tests {
		if got := RouteOf(&tt.p); got != tt.want {
			t.Errorf("%s: RouteOf = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestNamesAndHelpers(t *testing.T) {
	if got := MessageGroupMembershipUpdate.String(); got != "groupMembershipUpdate" {
		t.Errorf("MessageKind.String = %q", got)
	}
	if got := MessageKind(39).String(); got != "message(39)" {
		t.Errorf("MessageKind(39).String = %q", got)
	}
	if RefusalSessionFull.String() != "session_full" || Refusal(99).String() != "refusal(99)" {
		t.Errorf("Refusal.String: %q %q", RefusalSessionFull, Refusal(99))
	}
	if TargetPlayer.String() != "player" || TargetServer.String() != "server" || TargetKind(9).String() != "target(9)" {
		t.Errorf("TargetKind.String: %q %q %q", TargetPlayer, TargetServer, TargetKind(9))
	}
	if Fast.String() != "fast" || Reliable.String() != "reliable" {
		t.Errorf("DeliveryIntent.String: %q %q", Fast, Reliable)
	}
	if !IsDeveloperOpCode(1) || IsDeveloperOpCode(0) || !IsInternalOpCode(0) || IsInternalOpCode(1) {
		t.Error("op code range helpers disagree with internal <= 0 < developer")
	}
	if !FitsUDP(MaxUDPPayloadSize) || FitsUDP(MaxUDPPayloadSize+1) {
		t.Error("FitsUDP disagrees with MaxUDPPayloadSize")
	}
}
