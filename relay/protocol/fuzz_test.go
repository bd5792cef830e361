package protocol

import (
	"bytes"
	"reflect"
	"testing"
)

// The seed corpora are checked in under testdata/fuzz/<FuzzName>/ and run with the
// plain tests. Every target asserts round-trip stability: what decodes re-encodes
// canonically, and the canonical encoding decodes to an equal value and re-encodes
// to the same bytes.

func FuzzDecodePacket(f *testing.F) {
	f.Fuzz(func(t *testing.T, frame []byte) {
		var p Packet
		if err := DecodePacket(frame, &p); err != nil {
			return
		}
		enc := AppendPacket(nil, &p)
		if len(enc) > MaxFrameSize {
			// The canonical form of some int32 values is longer than theirs
			// (a 5-byte varint re-encoded sign-extended to 10 bytes).
			return
		}
		var q Packet
		if err := DecodePacket(enc, &q); err != nil {
			t.Fatalf("re-decoding %x: %v", enc, err)
		}
		if !packetsEqual(&p, &q) {
			t.Fatalf("round trip changed the packet:\n got %+v\nwant %+v", q, p)
		}
		if again := AppendPacket(nil, &q); !bytes.Equal(again, enc) {
			t.Fatalf("encoding is not stable:\n got %x\nwant %x", again, enc)
		}
		// Validation and routing see the same packet before and after the round trip.
		for _, udp := range []bool{false, true} {
			if e1, e2 := ValidateFromClient(&p, udp), ValidateFromClient(&q, udp); (e1 == nil) != (e2 == nil) ||
				(e1 != nil && e1.Error() != e2.Error()) {
				t.Fatalf("validation changed over the round trip: %v, then %v", e1, e2)
			}
		}
		if RouteOf(&p) != RouteOf(&q) {
			t.Fatalf("route changed over the round trip: %+v, then %+v", RouteOf(&p), RouteOf(&q))
		}
		// Decoding into a used Packet gives the same result as into a fresh one.
		if err := DecodePacket(frame, &q); err != nil || !packetsEqual(&p, &q) {
			t.Fatalf("decoding into a reused Packet: err %v, got %+v, want %+v", err, q, p)
		}
	})
}

// fuzzMessage is the round-trip check shared by the inner-message targets.
func fuzzMessage[T any, P interface {
	*T
	message
}](f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		var m1, m2 T
		if err := P(&m1).Unmarshal(b); err != nil {
			return
		}
		enc := P(&m1).Marshal()
		if len(enc) != P(&m1).Size() {
			t.Fatalf("Marshal gave %d bytes, Size says %d", len(enc), P(&m1).Size())
		}
		if err := P(&m2).Unmarshal(enc); err != nil {
			t.Fatalf("re-decoding %x: %v", enc, err)
		}
		if !reflect.DeepEqual(normalize(&m1), normalize(&m2)) {
			t.Fatalf("round trip changed the message:\n got %+v\nwant %+v", m2, m1)
		}
		if again := P(&m2).Marshal(); !bytes.Equal(again, enc) {
			t.Fatalf("encoding is not stable:\n got %x\nwant %x", again, enc)
		}
	})
}

// normalize maps empty slices to nil: the decoder yields an empty slice for a field
// present with no elements, which the encoder then omits.
func normalize(m any) any {
	switch v := m.(type) {
	case *LoginResult:
		c := *v
		if len(c.CACert) == 0 {
			c.CACert = nil
		}
		return c
	case *GroupMembershipUpdate:
		c := *v
		if len(c.Players) == 0 {
			c.Players = nil
		}
		return c
	}
	return m
}

func FuzzLoginCommand(f *testing.F)            { fuzzMessage[LoginCommand](f) }
func FuzzLoginResult(f *testing.F)             { fuzzMessage[LoginResult](f) }
func FuzzPingCommand(f *testing.F)             { fuzzMessage[PingCommand](f) }
func FuzzPingResult(f *testing.F)              { fuzzMessage[PingResult](f) }
func FuzzUDPConnectMessage(f *testing.F)       { fuzzMessage[UDPConnectMessage](f) }
func FuzzPlayerConnectMessage(f *testing.F)    { fuzzMessage[PlayerConnectMessage](f) }
func FuzzPlayerDisconnectMessage(f *testing.F) { fuzzMessage[PlayerDisconnectMessage](f) }
func FuzzVerifyIdentityCommand(f *testing.F)   { fuzzMessage[VerifyIdentityCommand](f) }
func FuzzVerifyIdentityResult(f *testing.F)    { fuzzMessage[VerifyIdentityResult](f) }
func FuzzJoinGroup(f *testing.F)               { fuzzMessage[JoinGroup](f) }
func FuzzLeaveGroup(f *testing.F)              { fuzzMessage[LeaveGroup](f) }
func FuzzRequestGroupMembership(f *testing.F)  { fuzzMessage[RequestGroupMembership](f) }
func FuzzGroupMembershipUpdate(f *testing.F)   { fuzzMessage[GroupMembershipUpdate](f) }
