package protocol

import (
	"strconv"
	"testing"
)

// benchPacket is a fast developer message to all players, as the relay forwards it.
func benchPacket(size int) *Packet {
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i)
	}
	return &Packet{OpCode: 42, SequenceNumber: 123456, TargetGroup: GroupAllPlayers, Sender: 7, Payload: payload}
}

var benchSizes = []int{64, 1024}

func BenchmarkAppendPacket(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(strconv.Itoa(size)+"B", func(b *testing.B) {
			p := benchPacket(size)
			buf := make([]byte, 0, p.FrameSize())
			b.SetBytes(int64(p.FrameSize()))
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendPacket(buf[:0], p)
			}
		})
	}
}

func BenchmarkDecodePacket(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(strconv.Itoa(size)+"B", func(b *testing.B) {
			frame := AppendPacket(nil, benchPacket(size))
			var p Packet
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if err := DecodePacket(frame, &p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRelayHop is what the relay does per message: decode, validate, route,
// stamp the sender and a sequence number, and re-encode.
func BenchmarkRelayHop(b *testing.B) {
	frame := AppendPacket(nil, benchPacket(64))
	out := make([]byte, 0, len(frame)+16)
	var p Packet
	var seq SeqCounter
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodePacket(frame, &p); err != nil {
			b.Fatal(err)
		}
		if err := ValidateFromClient(&p, true); err != nil {
			b.Fatal(err)
		}
		if RouteOf(&p).Kind != TargetGroup {
			b.Fatal("wrong route")
		}
		p.Sender, p.SequenceNumber = 7, seq.Next()
		out = AppendPacket(out[:0], &p)
	}
}

func BenchmarkDecodeGroupMembershipUpdate(b *testing.B) {
	p := &Packet{OpCode: OpGroupMembershipUpdate, Sender: PeerServer, Reliable: true}
	p.SetMessage(MessageGroupMembershipUpdate)
	p.GroupMembershipUpdate.Group = 1
	for i := int32(1); i <= 32; i++ {
		p.GroupMembershipUpdate.Players = append(p.GroupMembershipUpdate.Players, i)
	}
	frame := AppendPacket(nil, p)
	var q Packet
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodePacket(frame, &q); err != nil {
			b.Fatal(err)
		}
	}
}
