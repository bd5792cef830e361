package store

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/wirejson/wirejsontest"
)

func randomTicket(r *rand.Rand) Ticket {
	words := []string{"", "a", "<x>", "é\n", "q\"", "us-east-1"}
	word := func() string { return words[r.IntN(len(words))] }
	t := Ticket{
		TicketId: "t-" + word(), ConfigurationName: word(), Status: StatusSearching, StatusReason: word(),
		StatusMessage: word(), MatchId: word(), Version: r.Int64N(9), MatchpointLocation: word(),
		BackfillGameSessionArn: word(), Backfill: r.IntN(2) == 0, PlacementRetries: r.IntN(3), EstimatedWaitTime: r.IntN(3),
	}
	if r.IntN(4) > 0 {
		t.StartTime = time.Unix(r.Int64N(2e9), r.Int64N(1e9)).In(time.FixedZone("z", 3600*(r.IntN(5)-2)))
	}
	if r.IntN(2) == 0 {
		t.EndTime, t.Deadline = time.Now(), time.Now()
	}
	if r.IntN(5) > 0 {
		t.Players = []Player{}
		for range r.IntN(4) {
			n := r.Float64() * 1000
			t.Players = append(t.Players, Player{PlayerId: word() + "p", Team: word(),
				PlayerAttributes: map[string]AttributeValue{word(): {N: &n}, "mode": {SL: []string{word()}}},
				LatencyInMs:      map[string]int{word(): r.IntN(90)}})
		}
	}
	switch r.IntN(6) {
	case 0:
		t.Acceptances = map[string]Acceptance{word(): AcceptanceAccept}
	case 1:
		t.GameSessionConnectionInfo = &GameSessionConnectionInfo{IpAddress: word(), Port: r.IntN(9000)}
	}
	return t
}

func TestTicketBodyIsMarshal(t *testing.T) {
	tks := wirejsontest.Random(9, 3000, randomTicket)
	wirejsontest.SameAsReference(t, tks, func(tk Ticket) ([]byte, error) { return ticketBody(&tk) },
		func(tk Ticket) ([]byte, error) { return marshalTicketBody(&tk) })
	wirejsontest.SameAsReference(t, tks, func(tk Ticket) ([]byte, error) { return playerIDsJSON(&tk), nil },
		func(tk Ticket) ([]byte, error) { return json.Marshal(tk.PlayerIDs()) })
}

// TestBodiesKnowEveryField fails when a field is added to Ticket or
// PlayerSession: ticketBody or playerSessionBody must then write it, or
// leave it to the HASH.
func TestBodiesKnowEveryField(t *testing.T) {
	wirejsontest.KnowsEveryField(t, map[reflect.Type][]string{
		reflect.TypeFor[Ticket](): {"TicketId", "ConfigurationName", "Status", "StatusReason", "StatusMessage", "StartTime",
			"EndTime", "EstimatedWaitTime", "Players", "MatchId", "GameSessionConnectionInfo", "MatchpointLocation",
			"Backfill", "BackfillGameSessionArn", "Acceptances", "Deadline", "PlacementRetries", "Version"},
		reflect.TypeFor[PlayerSession](): {"PlayerSessionId", "PlayerId", "GameSessionId", "FleetId", "FleetArn",
			"PlayerData", "Status", "IpAddress", "DnsName", "Port", "CreationTime", "TerminationTime", "Version"},
	})
}

func BenchmarkTicketBody(b *testing.B) {
	n := 1002.0
	tk := Ticket{TicketId: "cd8305da-b192-4fae-9c78-643bca207bd3", ConfigurationName: "duel-standalone",
		StartTime: time.Now(), Status: StatusSearching,
		Players: []Player{{PlayerId: "bench-7VRCHZT7-2", PlayerAttributes: map[string]AttributeValue{"skill": {N: &n}}}}}
	benchAppendVsMarshal(b, func() ([]byte, error) { return ticketBody(&tk) }, func() ([]byte, error) { return marshalTicketBody(&tk) })
}

// benchAppendVsMarshal measures an appender and the Marshal it replaced,
// as sub-benchmarks "append" and "marshal".
func benchAppendVsMarshal(b *testing.B, appender, marshal func() ([]byte, error)) {
	for _, c := range []struct {
		name   string
		encode func() ([]byte, error)
	}{{"append", appender}, {"marshal", marshal}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.encode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
