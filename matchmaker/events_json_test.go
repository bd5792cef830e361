package matchmaker

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/matchpoint-dev/matchpoint/wirejson/wirejsontest"
)

func randomEvent(r *rand.Rand) Event {
	words := []string{"", "a", "<x>&", "é\n", "q\"", "MatchmakingSucceeded", "\u2028"}
	word := func() string { return words[r.IntN(len(words))] }
	players := func() []EventPlayer {
		if r.IntN(5) == 0 {
			return nil
		}
		ps := []EventPlayer{}
		for range r.IntN(4) {
			p := EventPlayer{PlayerID: word(), Team: word(), PlayerSessionID: word()}
			if r.IntN(2) == 0 {
				v := r.IntN(2) == 0
				p.Accepted = &v
			}
			ps = append(ps, p)
		}
		return ps
	}
	d := EventDetail{Type: word(), AcceptanceTimeout: r.IntN(3), Acceptance: word(), Reason: word(), Message: word(),
		MatchID: word(), CustomEventData: word(), KeptOutBy: word(), Unmatchable: word(), PlacementError: word(),
		MatchpointLocation: word(), EstimatedWaitMillis: []EstimatedWait{"", "NOT_AVAILABLE", "12", "<b>"}[r.IntN(4)],
		GameSessionInfo: GameSessionInfo{GameSessionArn: word(), IPAddress: word(), Port: []int{0, 1, 7777}[r.IntN(3)], Players: players()}}
	if r.IntN(4) > 0 {
		d.Tickets = []EventTicket{}
		for range r.IntN(3) {
			d.Tickets = append(d.Tickets, EventTicket{TicketID: word(), StartTime: word(), Players: players()})
		}
	}
	if r.IntN(2) == 0 {
		v := r.IntN(2) == 0
		d.AcceptanceRequired = &v
	}
	if r.IntN(2) == 0 {
		d.RuleEvaluationMetrics = []RuleEvaluationMetric{{RuleName: word(), PassedCount: r.IntN(9), FailedCount: r.IntN(9)}}
	}
	if r.IntN(3) == 0 {
		d.Expansions = []string{word(), word()}[:r.IntN(3)]
	}
	ev := Event{Version: "0", ID: word(), DetailType: word(), Source: word(), Account: word(), Time: word(),
		Region: word(), Detail: d}
	if r.IntN(5) > 0 {
		ev.Resources = []string{word()}
	}
	return ev
}

func TestEventAppendJSONIsMarshal(t *testing.T) {
	wirejsontest.SameAsReference(t, wirejsontest.Random(11, 3000, randomEvent), func(ev Event) ([]byte, error) { return ev.appendJSON(nil), nil },
		func(ev Event) ([]byte, error) { return json.Marshal(&ev) })
}

// TestEstimatedWaitJSON: a number of seconds is written as a JSON number,
// anything else (NOT_AVAILABLE, or what JSON could not read as a number) as
// a string, and reads back as it was.
func TestEstimatedWaitJSON(t *testing.T) {
	for in, want := range map[EstimatedWait]string{
		"0": `0`, "12": `12`, "2147483647": `2147483647`,
		"NOT_AVAILABLE": `"NOT_AVAILABLE"`, "0012": `"0012"`, "2147483648": `"2147483648"`, "-1": `"-1"`, "1.5": `"1.5"`, "1e3": `"1e3"`,
	} {
		got, err := json.Marshal(in)
		if err != nil || string(got) != want {
			t.Errorf("Marshal(%q) = %s, %v; want %s", in, got, err, want)
			continue
		}
		var back EstimatedWait
		if err := json.Unmarshal(got, &back); err != nil || back != in {
			t.Errorf("Unmarshal(%s) = %q, %v; want %q", got, back, err, in)
		}
	}
}

// TestEventAppendJSONKnowsEveryField fails when a field is added to an event
// type: appendJSON must then write it too.
func TestEventAppendJSONKnowsEveryField(t *testing.T) {
	wirejsontest.KnowsEveryField(t, map[reflect.Type][]string{
		reflect.TypeFor[Event](): {"Version", "ID", "DetailType", "Source", "Account", "Time", "Region", "Resources", "Detail"},
		reflect.TypeFor[EventDetail](): {"Type", "Tickets", "EstimatedWaitMillis", "AcceptanceTimeout", "AcceptanceRequired",
			"Acceptance", "RuleEvaluationMetrics", "Reason", "Message", "MatchID", "GameSessionInfo", "CustomEventData",
			"KeptOutBy", "Expansions", "Unmatchable", "PlacementError", "MatchpointLocation"},
		reflect.TypeFor[EventTicket]():          {"TicketID", "StartTime", "Players"},
		reflect.TypeFor[EventPlayer]():          {"PlayerID", "Team", "PlayerSessionID", "Accepted"},
		reflect.TypeFor[GameSessionInfo]():      {"GameSessionArn", "IPAddress", "Port", "Players"},
		reflect.TypeFor[RuleEvaluationMetric](): {"RuleName", "PassedCount", "FailedCount"},
	})
}

func BenchmarkEncodeEvent(b *testing.B) {
	players := []EventPlayer{{PlayerID: "bench-7VRCHZT7-2", Team: "red"}, {PlayerID: "bench-7VRCHZT7-3", Team: "blue"}}
	ev := Event{Version: "0", ID: "c5cc945f-9c99-4693-b2e3-410c00424a71", DetailType: "GameLift Matchmaking Event",
		Source: "aws.gamelift", Account: "000000000000", Time: "2026-12-05T16:13:00.227Z", Region: "us-east-1",
		Resources: []string{"arn:aws:gamelift:us-east-1:000000000000:matchmakingconfiguration/duel-standalone"},
		Detail: EventDetail{Type: "MatchmakingSucceeded", MatchID: "5a1c7f3e-6f0e-4d7c-9f3f-0c6b2b1d8e11",
			Tickets: []EventTicket{
				{TicketID: "cd8305da-b192-4fae-9c78-643bca207bd3", StartTime: "2026-12-05T16:13:00.226Z", Players: players[:1]},
				{TicketID: "0b1f9c1e-2d6a-4f7b-8e3c-5a4d3c2b1a09", StartTime: "2026-12-05T16:13:00.228Z", Players: players[1:]}},
			GameSessionInfo: GameSessionInfo{Players: players}}}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if out := ev.appendJSON(make([]byte, 0, eventSize(&ev.Detail))); len(out) == 0 {
				b.Fatal("empty event")
			}
		}
	})
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(&ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
