package protocol_test

import (
	"fmt"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// A client sends a fast message to group 2; the relay decodes it into a reused
// Packet, validates it as coming over UDP and routes it.
func Example() {
	out := &protocol.Packet{
		OpCode:      100,
		TargetGroup: 2,
		Sender:      3,
		Payload:     []byte("hello"),
	}
	frame := protocol.AppendPacket(nil, out) // one UDP datagram or WebSocket binary frame
	fmt.Printf("frame % x\n", frame)

	var in protocol.Packet // reuse one per connection
	if err := protocol.DecodePacket(frame, &in); err != nil {
		fmt.Println("decode:", err)
		return
	}
	if err := protocol.ValidateFromClient(&in, true); err != nil {
		fmt.Println("refused:", err)
		return
	}
	fmt.Printf("op %d from %d to %+v: %s\n", in.OpCode, in.Sender, protocol.RouteOf(&in), in.Payload)

	// A malformed frame is refused with an error naming the field.
	err := protocol.DecodePacket([]byte{0x03, 0x7a, 0x05, 0x01}, &in)
	fmt.Println(err)
	// Output:
	// frame 0e 08 c8 01 20 02 28 03 7a 05 68 65 6c 6c 6f
	// op 100 from 3 to {Kind:group ID:2}: hello
	// packet.payload: length 5 exceeds the remaining 1 bytes
}

// The login a Realtime client sends first on the WebSocket.
func ExamplePacket_login() {
	login := &protocol.Packet{
		OpCode:       protocol.OpLogin,
		TargetPlayer: protocol.PeerServer,
		Reliable:     true,
		Payload:      []byte("tok"), // the connection payload
	}
	login.SetMessage(protocol.MessageLogin)
	login.Login.PlayerSessionID = "psess-1"
	login.Login.ClientVersion = protocol.ClientVersionRealtime

	var in protocol.Packet
	if err := protocol.DecodePacket(protocol.AppendPacket(nil, login), &in); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(in.Message, in.Login.PlayerSessionID, in.Login.ClientVersion, string(in.Payload))
	// Output: login psess-1 2 tok
}
