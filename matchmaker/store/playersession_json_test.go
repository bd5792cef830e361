package store

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/wirejson/wirejsontest"
)

// marshalPlayerSessionBody is playerSessionBody written with Marshal: the
// members the HASH does not hold apart, FleetId only when it is not the
// game session's.
func marshalPlayerSessionBody(p PlayerSession) ([]byte, error) {
	body := struct {
		FleetId      *string   `json:",omitempty"`
		FleetArn     string    `json:",omitempty"`
		PlayerData   string    `json:",omitempty"`
		IpAddress    string    `json:",omitempty"`
		DnsName      string    `json:",omitempty"`
		Port         int       `json:",omitempty"`
		CreationTime time.Time `json:",omitzero"`
	}{nil, p.FleetArn, p.PlayerData, p.IpAddress, p.DnsName, p.Port, p.CreationTime}
	if p.FleetId != GameSessionFleet(p.GameSessionId) {
		body.FleetId = &p.FleetId
	}
	return json.Marshal(body)
}

// oldPlayerSessionBody is the body the store wrote before 2026-12-07: every
// member but those the HASH holds apart.
func oldPlayerSessionBody(p PlayerSession) ([]byte, error) {
	p.Status, p.Version, p.TerminationTime = "", 0, time.Time{}
	return json.Marshal(p)
}

// randomPlayerSession draws a player session whose strings hold the
// characters JSON escapes.
func randomPlayerSession(r *rand.Rand) PlayerSession {
	words := []string{"", "a", "<x>&", "é\n", "q\"", "psess-1", "{\"level\":3}"}
	word := func() string { return words[r.IntN(len(words))] }
	gs := []string{"", "gs-1", "arn:aws:gamelift:us-east-1::gamesession/fleet-1/gs-1"}[r.IntN(3)]
	fleet := []string{"", "fleet-1", "relay-\"2\""}[r.IntN(3)]
	p := PlayerSession{PlayerSessionId: word(), PlayerId: word(), GameSessionId: gs, FleetId: fleet,
		FleetArn: word(), PlayerData: word(), Status: PlayerSessionStatus(word()), IpAddress: word(), DnsName: word(),
		Port: []int{0, 1, 7777}[r.IntN(3)], Version: r.Int64N(3)}
	if r.IntN(4) > 0 {
		p.CreationTime = time.UnixMilli(r.Int64N(2e12)).In(time.FixedZone("z", 1800*(r.IntN(5)-2)))
	}
	if r.IntN(2) == 0 {
		p.TerminationTime = time.Now()
	}
	return p
}

func TestPlayerSessionBodyIsMarshal(t *testing.T) {
	wirejsontest.SameAsReference(t, wirejsontest.Random(13, 3000, randomPlayerSession),
		func(p PlayerSession) ([]byte, error) { return playerSessionBody(&p) }, marshalPlayerSessionBody)
}

// TestPlayerSessionRecordRoundTrip writes player sessions as the create
// script does (body, status, version, termination, player, game session)
// and reads them back, in the body of today and of before 2026-12-07.
func TestPlayerSessionRecordRoundTrip(t *testing.T) {
	if n := reflect.TypeFor[PlayerSession]().NumField(); n != 13 {
		t.Fatalf("PlayerSession has %d fields; playerSessionBody, decodePlayerSession and randomPlayerSession know 13", n)
	}
	r := rand.New(rand.NewPCG(17, 4))
	for range 3000 {
		p := randomPlayerSession(r)
		if p.PlayerSessionId == "" || p.PlayerId == "" || p.GameSessionId == "" {
			continue // a stored player session has all three
		}
		p.Status = PlayerSessionActive
		p.TerminationTime = p.TerminationTime.Round(0)
		want := p
		if !want.CreationTime.IsZero() {
			want.CreationTime = want.CreationTime.UTC()
		}
		for name, body := range map[string]func(PlayerSession) ([]byte, error){
			"today": func(p PlayerSession) ([]byte, error) { return playerSessionBody(&p) }, "old": oldPlayerSessionBody} {
			b, err := body(p)
			if err != nil {
				t.Fatal(err)
			}
			f := []string{string(b), string(p.Status), strconv.FormatInt(p.Version, 10), nsString(p.TerminationTime), p.PlayerId, p.GameSessionId}
			got, ok, err := decodePlayerSession(p.PlayerSessionId, f)
			if err != nil || !ok {
				t.Fatalf("%s body %s: ok %v, %v", name, b, ok, err)
			}
			if !got.CreationTime.Equal(want.CreationTime) || !got.TerminationTime.Equal(want.TerminationTime) {
				t.Fatalf("%s body %s: times %v %v, want %v %v", name, b, got.CreationTime, got.TerminationTime, want.CreationTime, want.TerminationTime)
			}
			got.CreationTime, got.TerminationTime = want.CreationTime, want.TerminationTime
			if got != want {
				t.Fatalf("%s body %s:\n got %+v\nwant %+v", name, b, got, want)
			}
		}
	}
}

func TestDecodePlayerSessionRefusesABadBody(t *testing.T) {
	for _, f := range [][]string{
		{"{", "ACTIVE", "1", "", "p", "g"},
		{`{"Port":"x"}`, "ACTIVE", "1", "", "p", "g"},
		{"{}", "ACTIVE", "one", "", "p", "g"},
	} {
		if _, _, err := decodePlayerSession("psess-1", f); err == nil || !strings.Contains(err.Error(), "psess-1") {
			t.Errorf("%q: %v, want an error naming psess-1", f, err)
		}
	}
	if _, ok, err := decodePlayerSession("psess-1", []string{"", "", "", "", "", ""}); ok || err != nil {
		t.Errorf("no record: ok %v, %v", ok, err)
	}
}

func BenchmarkPlayerSessionBody(b *testing.B) {
	p := PlayerSession{PlayerSessionId: "psess-5a1c7f3e-6f0e-4d7c-9f3f-0c6b2b1d8e11", PlayerId: "player-1",
		GameSessionId: "arn:aws:gamelift:us-east-1::gamesession/fleet-1/gs-1", FleetId: "fleet-1",
		PlayerData: `{"level":3}`, Status: "RESERVED", IpAddress: "127.0.0.1", Port: 7777, CreationTime: time.Now()}
	benchAppendVsMarshal(b, func() ([]byte, error) { return playerSessionBody(&p) },
		func() ([]byte, error) { return marshalPlayerSessionBody(p) })
}
