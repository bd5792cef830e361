package bus

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func canonicalSamples() []ReserveRequest {
	deadline := time.Date(2026, 12, 5, 23, 59, 58, 123456789, time.UTC)
	return []ReserveRequest{
		{RequestID: "r1", RelayID: "relay-1", GameSessionID: "gs-1", Deadline: deadline,
			Players: []Player{{PlayerID: "p1", PlayerSessionID: "psess-1"}}},
		{RequestID: "r2", RelayID: "relay-1", GameSessionID: "arn:aws:gamelift:us-east-1::gamesession/fleet-1/gs-2",
			Deadline: deadline.In(time.FixedZone("", 2*3600)),
			Players: []Player{
				{PlayerID: "p1", Team: "red", PlayerSessionID: "psess-1", PlayerData: `{"skin":"red","note":"a\tb\\c"}`},
				{PlayerID: "jöns <&> \u2028", PlayerSessionID: "psess-2", PlayerData: "line\nbreak\x01\x7f"},
			}},
	}
}

// TestReserveRequestCanonical: what Encode writes takes the hand-written
// path and decodes to what was encoded; other forms of the same JSON do not
// take it, and still decode through encoding/json.
func TestReserveRequestCanonical(t *testing.T) {
	for _, want := range canonicalSamples() {
		data, err := want.Encode()
		if err != nil {
			t.Fatal(err)
		}
		var got ReserveRequest
		if !decodeReserveRequestCanonical(data, &got) {
			t.Fatalf("Encode's own form %s did not take the canonical path", data)
		}
		want.V = Version
		if !got.Deadline.Equal(want.Deadline) {
			t.Fatalf("deadline %v, want %v", got.Deadline, want.Deadline)
		}
		got.Deadline, want.Deadline = time.Time{}, time.Time{}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %+v\nwant %+v", got, want)
		}
	}
	for _, tc := range []struct{ name, data string }{
		{"space", `{"v":1, "requestId":"r","relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p","playerSessionId":"s"}],"deadline":"2026-12-05T00:00:00Z"}`},
		{"keys reordered", `{"requestId":"r","v":1,"relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p","playerSessionId":"s"}],"deadline":"2026-12-05T00:00:00Z"}`},
		{"attributes", `{"v":1,"requestId":"r","relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p","attributes":{"skill":1},"playerSessionId":"s"}],"deadline":"2026-12-05T00:00:00Z"}`},
		{"surrogate escape", `{"v":1,"requestId":"\ud83d\ude00","relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p","playerSessionId":"s"}],"deadline":"2026-12-05T00:00:00Z"}`},
		{"key in other case", `{"V":1,"requestId":"r","relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p","playerSessionId":"s"}],"deadline":"2026-12-05T00:00:00Z"}`},
		{"unknown field", `{"v":1,"requestId":"r","relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p","playerSessionId":"s"}],"deadline":"2026-12-05T00:00:00Z","extra":2}`},
	} {
		var m ReserveRequest
		if decodeReserveRequestCanonical([]byte(tc.data), &m) {
			t.Errorf("%s: took the canonical path", tc.name)
		}
		if _, err := DecodeReserveRequest([]byte(tc.data)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	for _, bad := range []string{
		`{"v":1,"requestId":"r","relayId":"relay-1","gameSessionId":"g","players":null,"deadline":"2026-12-05T00:00:00Z"}`,
		`{"v":1,"requestId":"r","relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p","playerSessionId":"s"}],"deadline":"yesterday"}`,
		`{"v":1,"requestId":"r","relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p","playerSessionId":"s"}],"deadline":"2026-12-05T00:00:00Z"}x`,
		`{"v":2,"requestId":"r","relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p","playerSessionId":"s"}],"deadline":"2026-12-05T00:00:00Z"}`,
		`{"v":1,"requestId":"r","relayId":"relay-1","gameSessionId":"g","players":[{"playerId":"p"}],"deadline":"2026-12-05T00:00:00Z"}`,
	} {
		if _, err := DecodeReserveRequest([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// fuzzCanonical checks that whatever fast accepts, encoding/json accepts
// too and decodes to what same calls the same.
func fuzzCanonical[T any](f *testing.F, seeds []T, encode func(T) ([]byte, error), fast func([]byte, *T) bool, same func(a, b *T) bool) {
	for _, m := range seeds {
		data, err := encode(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got, want T
		if !fast(data, &got) {
			return
		}
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("canonical path accepted %q; encoding/json: %v", data, err)
		}
		if !same(&got, &want) {
			t.Fatalf("%q: decoded %+v\nencoding/json %+v", data, got, want)
		}
	})
}

// FuzzReserveRequestCanonical: the request's canonical path against
// encoding/json.
func FuzzReserveRequestCanonical(f *testing.F) {
	fuzzCanonical(f, canonicalSamples(), ReserveRequest.Encode, decodeReserveRequestCanonical, func(a, b *ReserveRequest) bool {
		if !a.Deadline.Equal(b.Deadline) || a.Deadline.String() != b.Deadline.String() {
			return false
		}
		x, y := *a, *b
		x.Deadline, y.Deadline = time.Time{}, time.Time{}
		return reflect.DeepEqual(x, y)
	})
}

func replySamples() []ReserveReply {
	return []ReserveReply{
		{RequestID: "r1", PlayerSessions: []PlayerSession{{PlayerID: "p1", PlayerSessionID: "psess-1"}}},
		{RequestID: "r\"2\"", PlayerSessions: []PlayerSession{{PlayerID: "jöns <&>", PlayerSessionID: "psess-1"}, {PlayerID: "p\n2", PlayerSessionID: "psess-2"}}},
	}
}

// FuzzReserveReplyCanonical: the reply's canonical path against
// encoding/json.
func FuzzReserveReplyCanonical(f *testing.F) {
	fuzzCanonical(f, replySamples(), ReserveReply.Encode, decodeReserveReplyCanonical, func(a, b *ReserveReply) bool {
		return reflect.DeepEqual(a, b)
	})
}

// TestReserveReplyCanonical: a successful reply as Encode writes it takes
// the canonical path; a refusal and other forms do not, and decode as
// before.
func TestReserveReplyCanonical(t *testing.T) {
	for _, want := range replySamples() {
		data, err := want.Encode()
		if err != nil {
			t.Fatal(err)
		}
		var got ReserveReply
		if !decodeReserveReplyCanonical(data, &got) {
			t.Fatalf("Encode's own form %s did not take the canonical path", data)
		}
		want.V = Version
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("decoded %+v\nwant %+v", got, want)
		}
	}
	refusal, err := ReserveReply{RequestID: "r", Error: &ReplyError{Code: CodeFull, Message: "full"}}.Encode()
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{refusal,
		[]byte(`{"v":1,"requestId":"r","playerSessions":[{"playerSessionId":"s","playerId":"p"}]}`),
		[]byte(`{"v":1,"requestId":"r","playerSessions":[{"playerId":"p","playerSessionId":"s"}] }`),
	} {
		var m ReserveReply
		if decodeReserveReplyCanonical(data, &m) {
			t.Errorf("%s: took the canonical path", data)
		}
		if _, err := DecodeReserveReply(data); err != nil {
			t.Errorf("%s: %v", data, err)
		}
	}
	if _, err := DecodeReserveReply([]byte(`{"v":1,"requestId":"","playerSessions":[{"playerId":"p","playerSessionId":"s"}]}`)); err == nil {
		t.Error("a reply without requestId was accepted")
	}
}
