package matchmaker

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/wirejson/wirejsontest"
)

// randomTimestamp is nil one time in three, else a time with sub-millisecond
// digits that the JSON drops.
func randomTimestamp(r *rand.Rand) *Timestamp {
	if r.IntN(3) == 0 {
		return nil
	}
	return ts(time.UnixMilli(r.Int64N(4e12)).Add(time.Duration(r.IntN(1e6))))
}

func randomMatchmakingTicket(r *rand.Rand) MatchmakingTicket {
	words := []string{"", "a", "<x>&", "é\n", "q\"", "SEARCHING", "\u2028"}
	word := func() string { return words[r.IntN(len(words))] }
	t := MatchmakingTicket{TicketId: word(), ConfigurationName: word(), ConfigurationArn: word(),
		Status: store.Status(word()), StatusReason: word(), StatusMessage: word(), StartTime: randomTimestamp(r), EndTime: randomTimestamp(r),
		MatchpointLocation: word()}
	if r.IntN(2) == 0 {
		w := r.IntN(100) - 1
		t.EstimatedWaitTime = &w
	}
	if r.IntN(5) > 0 {
		t.Players = []store.Player{}
		for range r.IntN(3) {
			n := []float64{r.Float64() * 1000, 1e21, 1e-7, math.NaN()}[r.IntN(4)]
			t.Players = append(t.Players, store.Player{PlayerId: word(), Team: word(),
				PlayerAttributes: map[string]store.AttributeValue{word(): {N: &n}, "mode": {SL: []string{word()}}},
				LatencyInMs:      map[string]int{word(): r.IntN(90)}})
		}
	}
	if r.IntN(4) == 0 {
		t.GameSessionConnectionInfo = &store.GameSessionConnectionInfo{GameSessionArn: word(), IpAddress: word(), Port: r.IntN(9000),
			MatchedPlayerSessions: []store.MatchedPlayerSession{{PlayerId: word(), PlayerSessionId: word()}}}
	}
	return t
}

// TestMatchmakingTicketAppendJSONIsMarshal holds the answers' appenders to
// Marshal, refusals included (a NaN attribute).
func TestMatchmakingTicketAppendJSONIsMarshal(t *testing.T) {
	tickets := wirejsontest.Random(13, 3000, randomMatchmakingTicket)
	wirejsontest.SameAsReference(t, tickets, func(tk MatchmakingTicket) ([]byte, error) {
		return (&StartMatchmakingOutput{MatchmakingTicket: tk}).AppendJSON(nil)
	}, func(tk MatchmakingTicket) ([]byte, error) {
		return json.Marshal(&StartMatchmakingOutput{MatchmakingTicket: tk})
	})
	lists := [][]MatchmakingTicket{nil, {}, tickets[:1], tickets[1:4]}
	wirejsontest.SameAsReference(t, lists, func(l []MatchmakingTicket) ([]byte, error) {
		return (&DescribeMatchmakingOutput{TicketList: l}).AppendJSON(nil)
	}, func(l []MatchmakingTicket) ([]byte, error) {
		return json.Marshal(&DescribeMatchmakingOutput{TicketList: l})
	})
}

// TestMatchmakingTicketAppenderKnowsEveryField fails when a field is added
// to MatchmakingTicket or the outputs that hold it: their appenders must
// then write it.
func TestMatchmakingTicketAppenderKnowsEveryField(t *testing.T) {
	wirejsontest.KnowsEveryField(t, map[reflect.Type][]string{
		reflect.TypeFor[MatchmakingTicket](): {"TicketId", "ConfigurationName", "ConfigurationArn", "Status", "StatusReason",
			"StatusMessage", "StartTime", "EndTime", "EstimatedWaitTime", "Players", "GameSessionConnectionInfo", "MatchpointLocation"},
		reflect.TypeFor[StartMatchmakingOutput]():    {"MatchmakingTicket"},
		reflect.TypeFor[DescribeMatchmakingOutput](): {"TicketList"},
	})
}

func BenchmarkStartMatchmakingOutputJSON(b *testing.B) {
	n := 1002.0
	wait := 3
	out := &StartMatchmakingOutput{MatchmakingTicket: MatchmakingTicket{TicketId: "cd8305da-b192-4fae-9c78-643bca207bd3",
		ConfigurationName: "duel-standalone", ConfigurationArn: "arn:aws:gamelift:us-east-1:000000000000:matchmakingconfiguration/duel-standalone",
		Status: store.StatusQueued, StartTime: ts(time.Now()), EstimatedWaitTime: &wait,
		Players: []store.Player{{PlayerId: "bench-7VRCHZT7-2", PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &n}}}}}}
	for _, c := range []struct {
		name   string
		encode func() ([]byte, error)
	}{{"append", func() ([]byte, error) { return out.AppendJSON(nil) }}, {"marshal", func() ([]byte, error) { return json.Marshal(out) }}} {
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
