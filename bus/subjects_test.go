package bus_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/matchpoint-dev/matchpoint/bus"
)

func TestToken(t *testing.T) {
	tests := []struct {
		name    string
		want    string
		wantErr bool
	}{
		{name: "us-east-1", want: "us-east-1"},
		{name: "Ranked_EU-2", want: "Ranked_EU-2"},
		{name: "ranked.eu", want: "ranked=2Eeu"},
		{name: "*", want: "=2A"},
		{name: ">", want: "=3E"},
		{name: "a b", want: "a=20b"},
		{name: "a\tb", want: "a=09b"},
		{name: "a=b", want: "a=3Db"},
		{name: "arn:aws:gamelift:us-east-1:1:x/y", want: "arn=3Aaws=3Agamelift=3Aus-east-1=3A1=3Ax=2Fy"},
		{name: "é", want: "=C3=A9"},
		{name: "", wantErr: true},
		{name: strings.Repeat("a", bus.MaxNameLen), want: strings.Repeat("a", bus.MaxNameLen)},
		{name: strings.Repeat("a", bus.MaxNameLen+1), wantErr: true},
		{name: "bad\xffutf8", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := bus.Token(tt.name)
			if tt.wantErr {
				if !errors.Is(err, bus.ErrInvalidName) {
					t.Fatalf("Token(%q) = %q, %v; want ErrInvalidName", tt.name, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Token(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
			}
			if strings.ContainsAny(got, ".*> \t\r\n") {
				t.Fatalf("Token(%q) = %q holds a subject metacharacter", tt.name, got)
			}
			back, err := bus.ParseToken(got)
			if err != nil || back != tt.name {
				t.Fatalf("ParseToken(%q) = %q, %v; want %q", got, back, err, tt.name)
			}
		})
	}
}

func TestParseTokenRejectsNonCanonical(t *testing.T) {
	for _, tok := range []string{"", "a.b", "*", ">", "a b", "=2e", "=41", "=4", "=", "abc=", "=ZZ", "=FF"} {
		if name, err := bus.ParseToken(tok); !errors.Is(err, bus.ErrInvalidName) {
			t.Errorf("ParseToken(%q) = %q, %v; want ErrInvalidName", tok, name, err)
		}
	}
}

func TestSubjects(t *testing.T) {
	must := func(s string, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct{ got, want string }{
		{must(bus.PlacementSubject("us-east-1")), "matchpoint.v1.placement.us-east-1"},
		{must(bus.PlacementSubject("eu.*")), "matchpoint.v1.placement.eu=2E=2A"},
		{must(bus.RelayPlacementSubject("eu", "relay.1")), "matchpoint.v1.placement.eu.relay=2E1"},
		{must(bus.BackfillSubject("ranked.eu")), "matchpoint.v1.backfill.ranked=2Eeu"},
		{must(bus.BackfillFilter("")), "matchpoint.v1.backfill.*"},
		{must(bus.HeartbeatSubject("eu", "relay 1")), "matchpoint.v1.relay.heartbeat.eu.relay=201"},
		{must(bus.HeartbeatFilter("eu")), "matchpoint.v1.relay.heartbeat.eu.*"},
		{must(bus.HeartbeatFilter("")), "matchpoint.v1.relay.heartbeat.*.*"},
		{must(bus.SessionSubject("eu", "ranked", bus.KindPlayerLeft)), "matchpoint.v1.session.eu.ranked.player_left"},
		{must(bus.SessionFilter("", "ranked")), "matchpoint.v1.session.*.ranked.*"},
		{must(bus.MatchmakingEventSubject("ranked", "MatchmakingSucceeded")), "matchpoint.v1.matchmaking.ranked.MatchmakingSucceeded"},
		{must(bus.MatchmakingEventFilter("ranked.eu", "")), "matchpoint.v1.matchmaking.ranked=2Eeu.*"},
		{must(bus.MatchmakingEventFilter("", "")), "matchpoint.v1.matchmaking.*.*"},
		{must(bus.MatchmakingEventFilter("", "MatchmakingSearching")), "matchpoint.v1.matchmaking.*.MatchmakingSearching"},
		{must(bus.ScriptSubject("ctf>v2")), "matchpoint.v1.script.ctf=3Ev2"},
		{must(bus.ScriptFilter("")), "matchpoint.v1.script.*"},
		{must(bus.ConfigurationSubject("ranked.eu")), "matchpoint.v1.configuration.ranked=2Eeu"},
		{must(bus.ConfigurationFilter("")), "matchpoint.v1.configuration.*"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("subject %q, want %q", tt.got, tt.want)
		}
	}
	if _, err := bus.PlacementSubject(""); !errors.Is(err, bus.ErrInvalidName) || !strings.Contains(err.Error(), "region") {
		t.Errorf("PlacementSubject(\"\") error %v; want ErrInvalidName naming region", err)
	}
	if _, err := bus.SessionSubject("eu", "ranked", "exploded"); !errors.Is(err, bus.ErrInvalidName) {
		t.Errorf("SessionSubject with unknown kind: %v; want ErrInvalidName", err)
	}
}
