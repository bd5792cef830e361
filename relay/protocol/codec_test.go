package protocol

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestPacketRoundTrip(t *testing.T) {
	for name, want := range samplePackets() {
		t.Run(name, func(t *testing.T) {
			frame := AppendPacket(nil, want)
			if len(frame) != want.FrameSize() {
				t.Fatalf("frame is %d bytes, FrameSize says %d", len(frame), want.FrameSize())
			}
			var got Packet
			if err := DecodePacket(frame, &got); err != nil {
				t.Fatalf("DecodePacket: %v", err)
			}
			if !packetsEqual(&got, want) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, *want)
			}
		})
	}
}

// TestDecodeReusesPacket decodes different packets into one Packet and checks that
// nothing leaks from one to the next.
func TestDecodeReusesPacket(t *testing.T) {
	samples := samplePackets()
	order := []string{"group membership update", "data reliable", "login", "login result",
		"group membership update empty", "udp connect token", "udp connect", "empty"}
	var p Packet
	for _, name := range order {
		want := samples[name]
		if err := DecodePacket(AppendPacket(nil, want), &p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !packetsEqual(&p, want) {
			t.Fatalf("%s: got %+v\nwant %+v", name, p, *want)
		}
	}
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenPackets are frames computed by hand from realtime.proto: the length prefix,
// then the fields in field-number order, int32 negatives as 10-byte varints, opCode
// zigzag-encoded. docs/protocol.md quotes the same bytes.
var goldenPackets = []struct {
	name   string
	packet string // key in samplePackets, or "" when built below
	hex    string
}{
	{"data reliable", "data reliable", "0d 08c801 1802 2801 3001 7a026869"},
	{"data fast group", "data fast group", "14 0802 1007 20ffffffffffffffffff01 2803 7a01ff"},
	{"udp connect", "udp connect", "12 0809 18ffffffffffffffffff01 2803 920200"},
	{"udp server ack", "udp server ack", "0d 080b 28ffffffffffffffffff01"},
	{"join group", "join group", "12 0813 18ffffffffffffffffff01 c202 02 0802"},
	{"group membership update", "group membership update",
		"24 0819 28ffffffffffffffffff01 3001 da02 12 0802 120e 0102ac02ffffffffffffffffff01"},
}

func TestGoldenPackets(t *testing.T) {
	samples := samplePackets()
	for _, g := range goldenPackets {
		t.Run(g.name, func(t *testing.T) {
			want := unhex(t, g.hex)
			p := samples[g.packet]
			if got := AppendPacket(nil, p); string(got) != string(want) {
				t.Fatalf("AppendPacket:\n got %x\nwant %x", got, want)
			}
			var got Packet
			if err := DecodePacket(want, &got); err != nil {
				t.Fatalf("DecodePacket: %v", err)
			}
			if !packetsEqual(&got, p) {
				t.Fatalf("DecodePacket: got %+v\nwant %+v", got, *p)
			}
		})
	}
}

// TestAppendPacketWithTail: a frame made of a shared tail and its own op code
// and sequence number is AppendPacket's frame, for every sample and for
// sequence numbers of every varint length, negative ones included.
func TestAppendPacketWithTail(t *testing.T) {
	for name, p := range samplePackets() {
		tail := AppendPacketTail(nil, p)
		for _, seq := range []int32{0, 1, 127, 128, 1 << 20, -1, -2147483648, 2147483647} {
			q := *p
			q.SequenceNumber = seq
			want := AppendPacket(nil, &q)
			if got := AppendPacketWithTail([]byte{0xee}, q.OpCode, seq, tail); string(got[1:]) != string(want) || got[0] != 0xee {
				t.Fatalf("%s, sequence number %d:\n got % x\nwant % x", name, seq, got, want)
			}
		}
	}
}
