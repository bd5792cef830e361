package bus

import (
	"bytes"
	"testing"
	"time"
)

// sameEncoding fails unless Encode (the hand-written writer first) and the
// plain encode (json.Marshal) give the same bytes or both the same error.
func sameEncoding[T any](t *testing.T, m T, encode func(T) ([]byte, error), plain func(T) ([]byte, error)) {
	t.Helper()
	got, gerr := encode(m)
	want, werr := plain(m)
	if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
		t.Fatalf("%+v: error %v, want %v", m, gerr, werr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%+v:\nwrote %s\nwant  %s", m, got, want)
	}
}

func requestEncodings(t *testing.T, m ReserveRequest) {
	t.Helper()
	sameEncoding(t, m, ReserveRequest.Encode, encode[ReserveRequest])
}

func replyEncodings(t *testing.T, m ReserveReply) {
	t.Helper()
	sameEncoding(t, m, ReserveReply.Encode, encode[ReserveReply])
}

// TestReserveEncodeIsMarshal: the writers' output is json.Marshal's, and
// what they do not write (attributes, latencies, an error, a deadline out
// of range) json.Marshal writes; the samples without those take them.
func TestReserveEncodeIsMarshal(t *testing.T) {
	for _, m := range canonicalSamples() {
		requestEncodings(t, m)
		if _, ok := appendReserveRequest(&m); !ok {
			t.Errorf("%+v did not take the writer", m)
		}
	}
	withAttributes := canonicalSamples()[0]
	withAttributes.Players = []Player{{PlayerID: "p1", PlayerSessionID: "s", Attributes: []byte(`{"skill": 1}`), LatencyInMs: map[string]int{"b": 2, "a": 1}}}
	for _, m := range []ReserveRequest{withAttributes,
		{RequestID: "r", RelayID: "relay-1", GameSessionID: "g", Deadline: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Players: []Player{{PlayerID: "p", PlayerSessionID: "s"}}},
		{RequestID: "r", RelayID: "relay-1", GameSessionID: "g", Players: []Player{{PlayerID: "p", PlayerSessionID: "s", Team: "a&b"}}},
		{RequestID: "r", RelayID: "relay-1", GameSessionID: "g", Players: []Player{}},
		{RequestID: "r", RelayID: "relay-1", GameSessionID: "g"},
		{V: 3, RequestID: "r", RelayID: "relay-1", GameSessionID: "g"},
	} {
		requestEncodings(t, m)
	}
	for _, m := range replySamples() {
		replyEncodings(t, m)
		if _, ok := appendReserveReply(&m); !ok {
			t.Errorf("%+v did not take the writer", m)
		}
	}
	for _, m := range []ReserveReply{
		{RequestID: "r", Error: &ReplyError{Code: CodeFull, Message: "full"}},
		{RequestID: "r"},
		{RequestID: "r", PlayerSessions: []PlayerSession{}},
	} {
		replyEncodings(t, m)
	}
}

// FuzzReserveRequestEncode: Encode against json.Marshal for any strings,
// deadline and zone.
func FuzzReserveRequestEncode(f *testing.F) {
	f.Add("r1", "relay-1", "gs-1", "p1", "", "psess-1", "", int64(1796527618), int64(123456789), 0, false)
	f.Add("r\"2", "relay-1", "arn:aws:gamelift:us-east-1::gamesession/fleet-1/gs-2", "jöns <&>", "red", "psess-2", `{"a":1}`, int64(-62135596800), int64(0), 7200, true)
	f.Fuzz(func(t *testing.T, requestID, relayID, gameSessionID, playerID, team, psid, data string, sec, nsec int64, offset int, attributes bool) {
		p := Player{PlayerID: playerID, Team: team, PlayerSessionID: psid, PlayerData: data}
		if attributes {
			p.Attributes = []byte(`{"skill":{"N":1}}`)
		}
		requestEncodings(t, ReserveRequest{RequestID: requestID, RelayID: relayID, GameSessionID: gameSessionID,
			Players: []Player{p, p}, Deadline: time.Unix(sec, nsec).In(time.FixedZone("", offset%(48*3600)))})
	})
}

// FuzzReserveReplyEncode: Encode against json.Marshal for any strings.
func FuzzReserveReplyEncode(f *testing.F) {
	f.Add("r1", "p1", "psess-1", "")
	f.Add("r\"2\"", "jöns <&>", "psess-2", "full")
	f.Fuzz(func(t *testing.T, requestID, playerID, psid, refusal string) {
		m := ReserveReply{RequestID: requestID, PlayerSessions: []PlayerSession{{PlayerID: playerID, PlayerSessionID: psid}}}
		if refusal != "" {
			m = ReserveReply{RequestID: requestID, Error: &ReplyError{Code: CodeFull, Message: refusal}}
		}
		replyEncodings(t, m)
	})
}
