package protocol

import (
	"reflect"
	"testing"
)

// message is the API every inner message type offers.
type message interface {
	Size() int
	Append(dst []byte) []byte
	Marshal() []byte
	Unmarshal(b []byte) error
}

// sampleMessages pairs a filled message with a fresh value of its type.
func sampleMessages() map[string][2]message {
	return map[string][2]message{
		"LoginCommand": {&LoginCommand{PlayerSessionID: "psess-1", ClientVersion: 2, ReconnectToken: "rt",
			ExtensionVersion: 1}, &LoginCommand{}},
		"LoginCommand empty": {&LoginCommand{}, &LoginCommand{}},
		"LoginResult": {&LoginResult{Success: true, ReconnectToken: "r", PeerID: 3, FastPort: 1935,
			CACert: []byte("pem"), ConnectToken: "c", ReconnectGraceMillis: 30000}, &LoginResult{}},
		"LoginResult refused":     {&LoginResult{Refusal: RefusalRejectedByScript, Message: "no"}, &LoginResult{}},
		"PingCommand":             {&PingCommand{ID: 9, ClientTime: -1}, &PingCommand{}},
		"PingResult":              {&PingResult{ID: 9, ClientTime: 1, ServerTime: 2}, &PingResult{}},
		"UDPConnectMessage":       {&UDPConnectMessage{ConnectToken: "ct"}, &UDPConnectMessage{}},
		"UDPConnectMessage empty": {&UDPConnectMessage{}, &UDPConnectMessage{}},
		"PlayerConnectMessage":    {&PlayerConnectMessage{PeerID: 4}, &PlayerConnectMessage{}},
		"PlayerDisconnectMessage": {&PlayerDisconnectMessage{PeerID: -1}, &PlayerDisconnectMessage{}},
		"VerifyIdentityCommand":   {&VerifyIdentityCommand{PeerID: 4, ConnectToken: "ct"}, &VerifyIdentityCommand{}},
		"VerifyIdentityResult":    {&VerifyIdentityResult{Success: true, PeerID: 4}, &VerifyIdentityResult{}},
		"JoinGroup":               {&JoinGroup{Group: 1}, &JoinGroup{}},
		"LeaveGroup":              {&LeaveGroup{Group: 2147483647}, &LeaveGroup{}},
		"RequestGroupMembership":  {&RequestGroupMembership{Group: -1}, &RequestGroupMembership{}},
		"GroupMembershipUpdate": {&GroupMembershipUpdate{Group: 1, Players: []int32{1, 2, 3, 128, -2147483648}},
			&GroupMembershipUpdate{}},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for name, pair := range sampleMessages() {
		t.Run(name, func(t *testing.T) {
			want, got := pair[0], pair[1]
			b := want.Marshal()
			if len(b) != want.Size() {
				t.Fatalf("Marshal gave %d bytes, Size says %d", len(b), want.Size())
			}
			if prefixed := want.Append([]byte{0xee}); string(prefixed[1:]) != string(b) || prefixed[0] != 0xee {
				t.Fatalf("Append does not append: %x", prefixed)
			}
			if err := got.Unmarshal(b); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round trip: got %+v, want %+v", got, want)
			}
		})
	}
}

// TestUnmarshalReplaces checks that Unmarshal replaces, not merges, a used value.
func TestUnmarshalReplaces(t *testing.T) {
	m := &GroupMembershipUpdate{Group: 3, Players: []int32{7, 8, 9}}
	if err := m.Unmarshal((&GroupMembershipUpdate{Players: []int32{1}}).Marshal()); err != nil {
		t.Fatal(err)
	}
	if m.Group != 0 || len(m.Players) != 1 || m.Players[0] != 1 {
		t.Fatalf("got %+v, want {Group:0 Players:[1]}", m)
	}
	l := &LoginResult{Success: true, PeerID: 5, Message: "x"}
	if err := l.Unmarshal([]byte{0x18, 0x02}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*l, LoginResult{PeerID: 2}) {
		t.Fatalf("got %+v, want {PeerID:2}", l)
	}
}

// TestPlayersUnpacked checks that players encoded one varint per field (as proto2
// or a non-packing encoder writes them) decode like the packed form.
func TestPlayersUnpacked(t *testing.T) {
	var m GroupMembershipUpdate
	if err := m.Unmarshal(unhex(t, "0802 1001 1002 1204 0304ac02")); err != nil {
		t.Fatal(err)
	}
	want := GroupMembershipUpdate{Group: 2, Players: []int32{1, 2, 3, 4, 300}}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %+v, want %+v", m, want)
	}
}

// The login goldens are computed by hand from realtime.proto. The login packet is
// exactly what the Realtime client SDK 1.2 sends (docs/protocol.md quotes it).
func TestGoldenLogin(t *testing.T) {
	stockLogin := &Packet{OpCode: OpLogin, TargetPlayer: PeerServer, Reliable: true, Payload: []byte("tok")}
	stockLogin.SetMessage(MessageLogin)
	stockLogin.Login = LoginCommand{PlayerSessionID: "psess-1", ClientVersion: ClientVersionRealtime}

	result := &Packet{OpCode: OpLoginResult, TargetPlayer: 3, Sender: PeerServer, Reliable: true}
	result.SetMessage(MessageLoginResult)
	result.LoginResult = LoginResult{Success: true, ReconnectToken: "r", PeerID: 3, FastPort: 1935, ConnectToken: "c"}

	refused := &Packet{OpCode: OpLoginResult, Sender: PeerServer, Reliable: true}
	refused.SetMessage(MessageLoginResult)
	refused.LoginResult = LoginResult{Refusal: RefusalSessionFull, Message: "full"}

	packets := []struct {
		name string
		p    *Packet
		hex  string
	}{
		{"stock login", stockLogin,
			"20 18ffffffffffffffffff01 3001 7a03746f6b f201 0b 0a0770736573732d31 1002"},
		{"login result", result, "21 0801 1803 28ffffffffffffffffff01 3001 fa01 0d 0801 120172 1803 208f0f 320163"},
		{"login refused", refused, "1c 0801 28ffffffffffffffffff01 3001 fa01 0a a00604 aa060466756c6c"},
	}
	for _, g := range packets {
		t.Run(g.name, func(t *testing.T) {
			want := unhex(t, g.hex)
			if got := AppendPacket(nil, g.p); string(got) != string(want) {
				t.Fatalf("AppendPacket:\n got %x\nwant %x", got, want)
			}
			var got Packet
			if err := DecodePacket(want, &got); err != nil {
				t.Fatal(err)
			}
			if !packetsEqual(&got, g.p) {
				t.Fatalf("DecodePacket: got %+v, want %+v", got, *g.p)
			}
		})
	}

	messages := []struct {
		name string
		m    message
		hex  string
	}{
		{"LoginCommand with extensions",
			&LoginCommand{PlayerSessionID: "psess-1", ClientVersion: 2, ReconnectToken: "rt", ExtensionVersion: 1},
			"0a0770736573732d31 1002 a206027274 a80601"},
		{"LoginResult refused", &LoginResult{Refusal: RefusalSessionFull, Message: "full"},
			"a00604 aa060466756c6c"},
	}
	for _, g := range messages {
		t.Run(g.name, func(t *testing.T) {
			if got, want := g.m.Marshal(), unhex(t, g.hex); string(got) != string(want) {
				t.Fatalf("Marshal:\n got %x\nwant %x", got, want)
			}
		})
	}
}
