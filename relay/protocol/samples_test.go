package protocol

import (
	"bytes"
	"slices"
	"strings"
)

// samplePackets returns one packet per shape the protocol uses: data packets over
// both channels and every member of the message oneof with its fields set.
func samplePackets() map[string]*Packet {
	pk := func(f func(p *Packet)) *Packet {
		p := &Packet{}
		f(p)
		return p
	}
	return map[string]*Packet{
		"empty":         {},
		"data reliable": {OpCode: 100, TargetPlayer: 2, Sender: 1, Reliable: true, Payload: []byte("hi")},
		"data fast group": {OpCode: 1, SequenceNumber: 7, TargetGroup: GroupAllPlayers, Sender: 3,
			Payload: []byte{0xff}},
		"data all fields": {OpCode: 2147483647, SequenceNumber: -2147483648, TargetPlayer: 5, TargetGroup: 9,
			Sender: -1, Reliable: true, ClientVersion: 2, Payload: bytes.Repeat([]byte{0xab}, MaxPayloadSize)},
		"login": pk(func(p *Packet) {
			p.OpCode, p.TargetPlayer, p.Reliable, p.Payload = OpLogin, PeerServer, true, []byte("tok")
			p.SetMessage(MessageLogin)
			p.Login = LoginCommand{PlayerSessionID: "psess-1", ClientVersion: 2, ReconnectToken: "rt", ExtensionVersion: 1}
		}),
		"login result": pk(func(p *Packet) {
			p.OpCode, p.TargetPlayer, p.Reliable = OpLoginResult, 3, true
			p.SetMessage(MessageLoginResult)
			p.LoginResult = LoginResult{Success: true, ReconnectToken: "r", PeerID: 3, FastPort: 1935,
				CACert: []byte("-----BEGIN CERTIFICATE-----\n"), ConnectToken: "c", ReconnectGraceMillis: 30000}
		}),
		"login refused": pk(func(p *Packet) {
			p.OpCode, p.Reliable = OpLoginResult, true
			p.SetMessage(MessageLoginResult)
			p.LoginResult = LoginResult{Refusal: RefusalSessionFull, Message: "session full: 32 players"}
		}),
		"ping": pk(func(p *Packet) {
			p.OpCode, p.TargetPlayer, p.SequenceNumber = OpPing, PeerServer, 4
			p.SetMessage(MessagePing)
			p.Ping = PingCommand{ID: 4294967295, ClientTime: -5}
		}),
		"ping result": pk(func(p *Packet) {
			p.OpCode, p.Sender = OpPingResult, PeerServer
			p.SetMessage(MessagePingResult)
			p.PingResult = PingResult{ID: 1, ClientTime: 123456789, ServerTime: 1764000000000000000}
		}),
		"udp connect": pk(func(p *Packet) {
			p.OpCode, p.TargetPlayer, p.Sender = OpUDPConnect, PeerServer, 3
			p.SetMessage(MessageUDPConnect)
		}),
		"udp connect token": pk(func(p *Packet) {
			p.OpCode, p.TargetPlayer, p.Sender = OpUDPConnect, PeerServer, 3
			p.SetMessage(MessageUDPConnect)
			p.UDPConnect.ConnectToken = "ct"
		}),
		"udp server ack": {OpCode: OpUDPConnectServerAck, Sender: PeerServer},
		"player connect": pk(func(p *Packet) {
			p.OpCode, p.Sender = OpPlayerConnect, PeerServer
			p.SetMessage(MessagePlayerConnect)
			p.PlayerConnect.PeerID = 7
		}),
		"player disconnect": pk(func(p *Packet) {
			p.OpCode, p.Sender = OpPlayerDisconnect, PeerServer
			p.SetMessage(MessagePlayerDisconnect)
			p.PlayerDisconnect.PeerID = 7
		}),
		"verify identity": pk(func(p *Packet) {
			p.OpCode, p.Sender, p.Payload = OpVerifyIdentity, 3, []byte("tok")
			p.SetMessage(MessageVerifyIdentity)
			p.VerifyIdentity = VerifyIdentityCommand{PeerID: 3, ConnectToken: "ct"}
		}),
		"verify identity result": pk(func(p *Packet) {
			p.OpCode = OpVerifyIdentityResult
			p.SetMessage(MessageVerifyIdentityResult)
			p.VerifyIdentityResult = VerifyIdentityResult{Success: true, PeerID: 3}
		}),
		"join group": pk(func(p *Packet) {
			p.OpCode, p.TargetPlayer = OpJoinGroup, PeerServer
			p.SetMessage(MessageJoinGroup)
			p.JoinGroup.Group = 2
		}),
		"leave group": pk(func(p *Packet) {
			p.OpCode, p.TargetPlayer = OpLeaveGroup, PeerServer
			p.SetMessage(MessageLeaveGroup)
			p.LeaveGroup.Group = 2
		}),
		"request group membership": pk(func(p *Packet) {
			p.OpCode, p.TargetPlayer = OpRequestGroupMembership, PeerServer
			p.SetMessage(MessageRequestGroupMembership)
			p.RequestGroupMembership.Group = GroupAllPlayers
		}),
		"group membership update": pk(func(p *Packet) {
			p.OpCode, p.Sender, p.Reliable = OpGroupMembershipUpdate, PeerServer, true
			p.SetMessage(MessageGroupMembershipUpdate)
			p.GroupMembershipUpdate = GroupMembershipUpdate{Group: 2, Players: []int32{1, 2, 300, -1}}
		}),
		"group membership update empty": pk(func(p *Packet) {
			p.OpCode = OpGroupMembershipUpdate
			p.SetMessage(MessageGroupMembershipUpdate)
			p.GroupMembershipUpdate.Group = 5
		}),
		"long strings": pk(func(p *Packet) {
			p.OpCode = OpLogin
			p.SetMessage(MessageLogin)
			p.Login.PlayerSessionID = strings.Repeat("é", MaxStringSize/2)
		}),
	}
}

// packetsEqual compares the fields of a and b that are meaningful: the scalars, the
// payload and the selected oneof member. nil and empty byte slices are equal.
func packetsEqual(a, b *Packet) bool {
	if a.OpCode != b.OpCode || a.SequenceNumber != b.SequenceNumber || a.TargetPlayer != b.TargetPlayer ||
		a.TargetGroup != b.TargetGroup || a.Sender != b.Sender || a.Reliable != b.Reliable ||
		a.ClientVersion != b.ClientVersion || !bytes.Equal(a.Payload, b.Payload) || a.Message != b.Message {
		return false
	}
	switch a.Message {
	case MessageLogin:
		return a.Login == b.Login
	case MessageLoginResult:
		x, y := &a.LoginResult, &b.LoginResult
		return x.Success == y.Success && x.ReconnectToken == y.ReconnectToken && x.PeerID == y.PeerID &&
			x.FastPort == y.FastPort && bytes.Equal(x.CACert, y.CACert) && x.ConnectToken == y.ConnectToken &&
			x.Refusal == y.Refusal && x.Message == y.Message && x.ReconnectGraceMillis == y.ReconnectGraceMillis
	case MessagePing:
		return a.Ping == b.Ping
	case MessagePingResult:
		return a.PingResult == b.PingResult
	case MessageUDPConnect:
		return a.UDPConnect == b.UDPConnect
	case MessagePlayerConnect:
		return a.PlayerConnect == b.PlayerConnect
	case MessagePlayerDisconnect:
		return a.PlayerDisconnect == b.PlayerDisconnect
	case MessageVerifyIdentity:
		return a.VerifyIdentity == b.VerifyIdentity
	case MessageVerifyIdentityResult:
		return a.VerifyIdentityResult == b.VerifyIdentityResult
	case MessageJoinGroup:
		return a.JoinGroup == b.JoinGroup
	case MessageLeaveGroup:
		return a.LeaveGroup == b.LeaveGroup
	case MessageRequestGroupMembership:
		return a.RequestGroupMembership == b.RequestGroupMembership
	case MessageGroupMembershipUpdate:
		return a.GroupMembershipUpdate.Group == b.GroupMembershipUpdate.Group &&
			slices.Equal(a.GroupMembershipUpdate.Players, b.GroupMembershipUpdate.Players)
	}
	return true
}
