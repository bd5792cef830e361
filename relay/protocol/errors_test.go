package protocol

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// frameOf prefixes body with its varint length.
func frameOf(body []byte) []byte {
	return append(protowire.AppendVarint(nil, uint64(len(body))), body...)
}

// fieldBytes encodes one length-delimited field.
func fieldBytes(num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), v)
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestDecodePacketErrors(t *testing.T) {
	ff := bytes.Repeat([]byte{0xff}, 11)
	tests := []struct {
		name  string
		frame []byte
		kind  error
		text  string
	}{
		{"empty frame", nil, ErrTruncated, "frame.length: truncated varint"},
		{"truncated length varint", []byte{0x80}, ErrTruncated, "frame.length: truncated varint"},
		{"length beyond buffer", []byte{0x05, 0x08}, ErrTruncated, "frame.length: length 5 exceeds the remaining 1 bytes"},
		{"trailing bytes", []byte{0x00, 0x00}, ErrMalformed, "frame: 1 trailing bytes after the packet"},
		{"frame too large", make([]byte, MaxFrameSize+1), ErrTooLarge, "frame: length 16385 exceeds 16384"},
		{"truncated tag", frameOf([]byte{0x80}), ErrTruncated, "packet.tag: truncated varint"},
		{"field number zero", frameOf([]byte{0x00}), ErrMalformed, "packet.tag: invalid field number 0"},
		{"truncated opCode", frameOf([]byte{0x08, 0x80}), ErrTruncated, "packet.opCode: truncated varint"},
		{"overlong opCode varint", frameOf(append([]byte{0x08}, ff...)), ErrMalformed, "packet.opCode: malformed varint"},
		{"opCode wrong wire type", frameOf([]byte{0x0a, 0x00}), ErrWireType, "packet.opCode: wire type bytes, want varint"},
		{"sender wrong wire type", frameOf([]byte{0x2d, 0, 0, 0, 0}), ErrWireType, "packet.sender: wire type fixed32, want varint"},
		{"payload wrong wire type", frameOf([]byte{0x78, 0x01}), ErrWireType, "packet.payload: wire type varint, want bytes"},
		{"payload beyond buffer", frameOf([]byte{0x7a, 0x05, 0x01}), ErrTruncated,
			"packet.payload: length 5 exceeds the remaining 1 bytes"},
		{"payload length truncated", frameOf([]byte{0x7a, 0x85}), ErrTruncated, "packet.payload: truncated varint"},
		{"oversized payload", frameOf(fieldBytes(15, make([]byte, 5000))), ErrTooLarge,
			"packet.payload: length 5000 exceeds 4096"},
		{"unknown field truncated", frameOf([]byte{0xa2, 0x06, 0x05}), ErrTruncated,
			"packet.field 100: truncated unknown field (bytes)"},
		{"unknown fixed64 truncated", frameOf([]byte{0x49, 0x01}), ErrTruncated,
			"packet.field 9: truncated unknown field (fixed64)"},
		{"unknown end group", frameOf([]byte{0x9c, 0x06}), ErrMalformed, "packet.field 99: malformed unknown field"},
		{"member wrong wire type", frameOf([]byte{0xf0, 0x01, 0x00}), ErrWireType,
			"packet.login: wire type varint, want bytes"},
		{"member beyond buffer", frameOf([]byte{0xf2, 0x01, 0x05, 0x0a}), ErrTruncated,
			"packet.login: length 5 exceeds the remaining 1 bytes"},
		{"login string beyond member", frameOf(fieldBytes(30, []byte{0x0a, 0x05})), ErrTruncated,
			"packet.login.playerSessionId: length 5 exceeds the remaining 0 bytes"},
		{"login invalid UTF-8", frameOf(fieldBytes(30, fieldBytes(1, []byte{0xff, 0xfe}))), ErrMalformed,
			"packet.login.playerSessionId: invalid UTF-8"},
		{"login string too long", frameOf(fieldBytes(30, fieldBytes(1, bytes.Repeat([]byte("a"), MaxStringSize+1)))),
			ErrTooLarge, "packet.login.playerSessionId: length 1025 exceeds 1024"},
		{"login clientVersion wrong wire type", frameOf(fieldBytes(30, []byte{0x12, 0x00})), ErrWireType,
			"packet.login.clientVersion: wire type bytes, want varint"},
		{"caCert too large", frameOf(fieldBytes(31, fieldBytes(5, make([]byte, MaxCACertSize+1)))), ErrTooLarge,
			"packet.loginResult.caCert: length 8193 exceeds 8192"},
		{"verify identity token truncated", frameOf(fieldBytes(37, []byte{0x12, 0x03, 'a'})), ErrTruncated,
			"packet.verifyIdentity.connectToken: length 3 exceeds the remaining 1 bytes"},
		{"join group truncated", frameOf(fieldBytes(40, []byte{0x08})), ErrTruncated,
			"packet.joinGroup.group: truncated varint"},
		{"players packed truncated", frameOf(fieldBytes(43, []byte{0x12, 0x02, 0x80, 0x80})), ErrTruncated,
			"packet.groupMembershipUpdate.players: truncated varint"},
		{"players wrong wire type", frameOf(fieldBytes(43, []byte{0x15, 0, 0, 0, 0})), ErrWireType,
			"packet.groupMembershipUpdate.players: wire type fixed32, want varint"},
		{"ping id wrong wire type", frameOf(fieldBytes(32, []byte{0xa2, 0x06, 0x00})), ErrWireType,
			"packet.ping.id: wire type bytes, want varint"},
		{"udp connect token invalid", frameOf(fieldBytes(34, fieldBytes(100, []byte{0xc0}))), ErrMalformed,
			"packet.udpConnect.connectToken: invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Packet
			err := DecodePacket(tt.frame, &p)
			checkFieldError(t, err, tt.kind, tt.text)
		})
	}
}

func checkFieldError(t *testing.T, err error, kind error, text string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", text)
	}
	if !strings.HasPrefix(err.Error(), text) {
		t.Fatalf("error %q, want it to start with %q", err, text)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q is not %v", err, kind)
	}
	var fe *FieldError
	if !errors.As(err, &fe) || !strings.HasPrefix(text, fe.Field+": ") {
		t.Fatalf("error %q: FieldError.Field does not name the field", err)
	}
}

// TestUnmarshalErrors checks that each inner message names itself and the field.
func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		m    message
		in   []byte
		kind error
		text string
	}{
		{&LoginCommand{}, []byte{0x0a, 0x02, 0xff, 0xfe}, ErrMalformed, "LoginCommand.playerSessionId: invalid UTF-8"},
		{&LoginCommand{}, []byte{0xa8, 0x06}, ErrTruncated, "LoginCommand.extensionVersion: truncated varint"},
		{&LoginResult{}, []byte{0x08}, ErrTruncated, "LoginResult.success: truncated varint"},
		{&LoginResult{}, []byte{0x2a, 0x09}, ErrTruncated, "LoginResult.caCert: length 9 exceeds the remaining 0 bytes"},
		{&PingCommand{}, []byte{0xa8, 0x06, 0x80}, ErrTruncated, "PingCommand.clientTime: truncated varint"},
		{&PingResult{}, []byte{0xb0, 0x06}, ErrTruncated, "PingResult.serverTime: truncated varint"},
		{&UDPConnectMessage{}, []byte{0xa0, 0x06, 0x01}, ErrWireType, "UDPConnectMessage.connectToken: wire type varint, want bytes"},
		{&PlayerConnectMessage{}, []byte{0x0a, 0x00}, ErrWireType, "PlayerConnectMessage.peerId: wire type bytes, want varint"},
		{&PlayerDisconnectMessage{}, []byte{0x08}, ErrTruncated, "PlayerDisconnectMessage.peerId: truncated varint"},
		{&VerifyIdentityCommand{}, []byte{0x12, 0x01}, ErrTruncated, "VerifyIdentityCommand.connectToken: length 1 exceeds"},
		{&VerifyIdentityResult{}, []byte{0x10}, ErrTruncated, "VerifyIdentityResult.peerId: truncated varint"},
		{&JoinGroup{}, []byte{0x08}, ErrTruncated, "JoinGroup.group: truncated varint"},
		{&LeaveGroup{}, []byte{0x08}, ErrTruncated, "LeaveGroup.group: truncated varint"},
		{&RequestGroupMembership{}, []byte{0x08}, ErrTruncated, "RequestGroupMembership.group: truncated varint"},
		{&GroupMembershipUpdate{}, []byte{0x12, 0x01, 0x80}, ErrTruncated, "GroupMembershipUpdate.players: truncated varint"},
		{&GroupMembershipUpdate{}, []byte{0x00}, ErrMalformed, "GroupMembershipUpdate.tag: invalid field number 0"},
		{&JoinGroup{}, []byte{0x12, 0x05}, ErrTruncated, "JoinGroup.field 2: truncated unknown field (bytes)"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			checkFieldError(t, tt.m.Unmarshal(tt.in), tt.kind, tt.text)
		})
	}
}

// TestUnknownFieldsSkipped mixes unknown fields of every wire type into a packet and
// its inner message; they are skipped and the known fields decode as without them.
func TestUnknownFieldsSkipped(t *testing.T) {
	var unknown []byte
	unknown = protowire.AppendVarint(protowire.AppendTag(unknown, 8, protowire.VarintType), 300)
	unknown = protowire.AppendFixed32(protowire.AppendTag(unknown, 9, protowire.Fixed32Type), 1)
	unknown = protowire.AppendFixed64(protowire.AppendTag(unknown, 10, protowire.Fixed64Type), 1)
	unknown = protowire.AppendBytes(protowire.AppendTag(unknown, 16, protowire.BytesType), []byte("x"))
	unknown = protowire.AppendTag(unknown, 200, protowire.StartGroupType)
	unknown = protowire.AppendVarint(protowire.AppendTag(unknown, 1, protowire.VarintType), 1)
	unknown = protowire.AppendTag(unknown, 200, protowire.EndGroupType)

	want := samplePackets()["login result"]
	inner := append(want.LoginResult.Marshal(), unknown...)
	body := join(unknown, []byte{0x08, 0x01, 0x18, 0x03, 0x30, 0x01}, unknown, fieldBytes(31, inner), unknown)
	var got Packet
	if err := DecodePacket(frameOf(body), &got); err != nil {
		t.Fatal(err)
	}
	if !packetsEqual(&got, want) {
		t.Fatalf("got %+v, want %+v", got, *want)
	}
}

// TestOneofSemantics: a later, different member replaces an earlier one; a repeated
// member is merged into the earlier one, as protobuf specifies.
func TestOneofSemantics(t *testing.T) {
	var p Packet
	body := join(fieldBytes(40, []byte{0x08, 0x02}), fieldBytes(41, []byte{0x08, 0x03}))
	if err := DecodePacket(frameOf(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Message != MessageLeaveGroup || p.LeaveGroup.Group != 3 {
		t.Fatalf("later member: got %v %+v", p.Message, p.LeaveGroup)
	}
	body = join(fieldBytes(31, []byte{0x08, 0x01, 0x18, 0x04}), fieldBytes(31, []byte{0x20, 0x05, 0x18, 0x06}))
	if err := DecodePacket(frameOf(body), &p); err != nil {
		t.Fatal(err)
	}
	r := p.LoginResult
	if p.Message != MessageLoginResult || !r.Success || r.PeerID != 6 || r.FastPort != 5 {
		t.Fatalf("merged member: got %+v", r)
	}
	body = join(fieldBytes(43, []byte{0x12, 0x01, 0x01}), fieldBytes(43, []byte{0x12, 0x01, 0x02}))
	if err := DecodePacket(frameOf(body), &p); err != nil {
		t.Fatal(err)
	}
	if got := p.GroupMembershipUpdate.Players; len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("merged players: got %v, want [1 2]", got)
	}
}

// TestInt32Truncation: int32 fields keep the low 32 bits of a wider varint and
// sint32 op codes decode from the low 32 bits, as protobuf does.
func TestInt32Truncation(t *testing.T) {
	body := protowire.AppendVarint([]byte{0x18}, 1<<32|5)
	body = protowire.AppendVarint(append(body, 0x08), 1<<40|3)
	var p Packet
	if err := DecodePacket(frameOf(body), &p); err != nil {
		t.Fatal(err)
	}
	if p.TargetPlayer != 5 || p.OpCode != -2 {
		t.Fatalf("got targetPlayer %d opCode %d, want 5 and -2", p.TargetPlayer, p.OpCode)
	}
}
