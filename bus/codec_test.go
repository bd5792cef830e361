package bus_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/matchpoint-dev/matchpoint/bus"
)

const validPlacement = `{"v":1,"matchId":"m1","configurationName":"ranked","region":"eu","players":[{"playerId":"a","team":"red","attributes":{"skill":{"N":10}}},{"playerId":"b"}],"maxPlayers":2,"deadline":"2026-03-01T12:00:00Z"}`

func TestDecodePlacementRequestErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		is    error
		field string // expected in the message
	}{
		{"not json", `{"v":1,`, bus.ErrMalformed, "invalid JSON"},
		{"array", `[1,2]`, bus.ErrMalformed, "want a JSON object"},
		{"missing v", `{"matchId":"m1"}`, bus.ErrMalformed, "v: required"},
		{"v as string", `{"v":"1"}`, bus.ErrMalformed, "v: want an integer"},
		{"unknown major", `{"v":2,"matchId":"m1"}`, bus.ErrUnsupportedVersion, "version 2"},
		{"unknown major reshaped", `{"v":3,"players":{"a":1}}`, bus.ErrUnsupportedVersion, "version 3"},
		{"wrong type nested", strings.Replace(validPlacement, `"team":"red"`, `"team":7`, 1), bus.ErrMalformed, "players.team: want a string"},
		{"missing match id", strings.Replace(validPlacement, `"matchId":"m1"`, `"matchId":""`, 1), bus.ErrMalformed, "matchId: required"},
		{"region with dot allowed but empty rejected", strings.Replace(validPlacement, `"region":"eu"`, `"region":""`, 1), bus.ErrMalformed, "region: required"},
		{"missing player id", strings.Replace(validPlacement, `{"playerId":"b"}`, `{"team":"blue"}`, 1), bus.ErrMalformed, "players[1].playerId: required"},
		{"game property without key", strings.Replace(validPlacement, `"v":1,`, `"v":1,"gameProperties":[{"key":"mode","value":"a"},{"key":"","value":"b"}],`, 1), bus.ErrMalformed, "gameProperties[1].key: required"},
		{"duplicate player", strings.Replace(validPlacement, `{"playerId":"b"}`, `{"playerId":"a"}`, 1), bus.ErrMalformed, "players[1].playerId: duplicate"},
		{"no players", strings.Replace(validPlacement, `"players":[{"playerId":"a","team":"red","attributes":{"skill":{"N":10}}},{"playerId":"b"}]`, `"players":[]`, 1), bus.ErrMalformed, "players: at least one"},
		{"too many players", strings.Replace(validPlacement, `"maxPlayers":2`, `"maxPlayers":1`, 1), bus.ErrMalformed, "maxPlayers: smaller"},
		{"bad deadline", strings.Replace(validPlacement, `"2026-03-01T12:00:00Z"`, `"tomorrow"`, 1), bus.ErrMalformed, "deadline: want an RFC 3339 time"},
		{"no deadline", strings.Replace(validPlacement, `,"deadline":"2026-03-01T12:00:00Z"`, ``, 1), bus.ErrMalformed, "deadline: required"},
		{"bad backfill mode", strings.Replace(validPlacement, `"v":1,`, `"v":1,"backfillMode":"SOMETIMES",`, 1), bus.ErrMalformed, "backfillMode"},
		{"matchmaker data not json", strings.Replace(validPlacement, `"v":1,`, `"v":1,"matchmakerData":"{oops",`, 1), bus.ErrMalformed, "matchmakerData: not a JSON document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := bus.DecodePlacementRequest([]byte(tt.in))
			if !errors.Is(err, tt.is) {
				t.Fatalf("error %v; want %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.field) || !strings.Contains(err.Error(), "PlacementRequest") {
				t.Fatalf("error %q does not name %q and the type", err, tt.field)
			}
		})
	}
}

func TestDecodeIgnoresUnknownFields(t *testing.T) {
	in := strings.Replace(validPlacement, `"v":1,`, `"v":1,"addedInV1_3":{"x":[1]},`, 1)
	req, err := bus.DecodePlacementRequest([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if req.MatchID != "m1" || len(req.Players) != 2 || string(req.Players[0].Attributes) != `{"skill":{"N":10}}` {
		t.Fatalf("decoded %+v", req)
	}
}

func TestEncodeValidates(t *testing.T) {
	req := samplePlacement("m1", "eu", 2)
	req.Players[1].PlayerID = ""
	if _, err := req.Encode(); !errors.Is(err, bus.ErrMalformed) || !strings.Contains(err.Error(), "players[1].playerId") {
		t.Fatalf("Encode error %v; want ErrMalformed naming players[1].playerId", err)
	}
	req = samplePlacement("m1", "eu", 2)
	req.V = 2
	if _, err := req.Encode(); !errors.Is(err, bus.ErrUnsupportedVersion) {
		t.Fatalf("Encode v2 error %v; want ErrUnsupportedVersion", err)
	}
}

func TestRoundTrips(t *testing.T) {
	ref := bus.SessionRef{GameSessionID: "gs1", GameSessionARN: "arn:gs1", MatchID: "m1", Configuration: "ranked.eu", Region: "eu", RelayID: "relay-1"}
	ep := bus.Endpoint{IPAddress: "10.0.0.1", DNSName: "relay-1.local", TCPPort: 7000, UDPPort: 7001}
	cases := []struct {
		name   string
		encode func() ([]byte, error)
		decode func([]byte) (any, error)
	}{
		{"PlacementRequest", samplePlacement("m1", "eu", 4).Encode, func(b []byte) (any, error) { return bus.DecodePlacementRequest(b) }},
		{"PlacementReply", bus.PlacementReply{MatchID: "m1", GameSessionID: "gs1", Endpoint: &ep, PlayerSessions: []bus.PlayerSession{{PlayerID: "a", PlayerSessionID: "ps-a"}}}.Encode, func(b []byte) (any, error) { return bus.DecodePlacementReply(b) }},
		{"PlacementReply error", bus.PlacementReply{MatchID: "m1", Error: &bus.ReplyError{Code: bus.CodeFull, Message: "10/10 sessions"}}.Encode, func(b []byte) (any, error) { return bus.DecodePlacementReply(b) }},
		{"Heartbeat", bus.Heartbeat{RelayID: "relay-1", Region: "eu", Endpoint: ep, MaxSessions: 100, Sessions: 3, Players: 12, IntervalMs: 1000, SentAt: sampleTime}.Encode, func(b []byte) (any, error) { return bus.DecodeHeartbeat(b) }},
		{"SessionStarted", bus.SessionStarted{SessionRef: ref, Endpoint: ep, MaxPlayers: 10, StartedAt: sampleTime}.Encode, func(b []byte) (any, error) { return bus.DecodeSessionStarted(b) }},
		{"SessionEnded", bus.SessionEnded{SessionRef: ref, Reason: bus.EndEmpty, EndedAt: sampleTime}.Encode, func(b []byte) (any, error) { return bus.DecodeSessionEnded(b) }},
		{"PlayerJoined", bus.PlayerJoined{SessionRef: ref, PlayerID: "a", PlayerSessionID: "ps-a", PeerID: 1, Players: 1, JoinedAt: sampleTime}.Encode, func(b []byte) (any, error) { return bus.DecodePlayerJoined(b) }},
		{"PlayerLeft", bus.PlayerLeft{SessionRef: ref, PlayerID: "a", PlayerSessionID: "ps-a", PeerID: 1, Reason: bus.LeftClosed, LeftAt: sampleTime}.Encode, func(b []byte) (any, error) { return bus.DecodePlayerLeft(b) }},
		{"BackfillRequest", bus.BackfillRequest{RequestID: "bf1", Configuration: "ranked.eu", GameSessionID: "gs1", GameSessionARN: "arn:gs1", Region: "eu", RelayID: "relay-1", Players: []bus.Player{{PlayerID: "a", LatencyInMs: map[string]int{"eu": 20}}}}.Encode, func(b []byte) (any, error) { return bus.DecodeBackfillRequest(b) }},
		{"BackfillReply", bus.BackfillReply{TicketID: "bf1"}.Encode, func(b []byte) (any, error) { return bus.DecodeBackfillReply(b) }},
		{"ScriptVersion", bus.ScriptVersion{Name: "ctf", Version: 3, SHA256: strings.Repeat("ab", 32), Size: 1200, Bucket: "scripts", Object: "ctf/3", CreatedAt: sampleTime}.Encode, func(b []byte) (any, error) { return bus.DecodeScriptVersion(b) }},
		{"ConfigurationChanged", bus.ConfigurationChanged{Name: "ranked.eu", Change: bus.ConfigurationCreated, At: sampleTime}.Encode, func(b []byte) (any, error) { return bus.DecodeConfigurationChanged(b) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.encode()
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !strings.HasPrefix(string(b), `{"v":1,`) {
				t.Fatalf("encoded %s does not start with the version", b)
			}
			if _, err := tc.decode(b); err != nil {
				t.Fatalf("decode %s: %v", b, err)
			}
			if _, err := tc.decode([]byte(strings.Replace(string(b), `"v":1`, `"v":9`, 1))); !errors.Is(err, bus.ErrUnsupportedVersion) {
				t.Fatalf("v9: %v; want ErrUnsupportedVersion", err)
			}
			if _, err := tc.decode(b[:len(b)-1]); !errors.Is(err, bus.ErrMalformed) {
				t.Fatalf("truncated: %v; want ErrMalformed", err)
			}
		})
	}
}

func TestErrorCodeRetryable(t *testing.T) {
	for code, want := range map[bus.ErrorCode]bool{bus.CodeFull: true, bus.CodeDraining: true, bus.CodeInternal: true, bus.CodeInvalid: false, bus.CodeExpired: false, bus.CodeConflict: false, "FUTURE": false} {
		if got := code.Retryable(); got != want {
			t.Errorf("%s.Retryable() = %v, want %v", code, got, want)
		}
	}
}
