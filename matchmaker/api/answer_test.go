package api

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestWriteAnswerIsEncoder: an answer that appends its own JSON is written
// as json.Encoder writes it (newline included), and one that cannot be
// encoded writes nothing, as the Encoder does; the buffers answers share
// write each answer whole, after a long one too.
func TestWriteAnswerIsEncoder(t *testing.T) {
	skill, nan := 12.5, math.NaN()
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"ticket", &matchmaker.StartMatchmakingOutput{MatchmakingTicket: matchmaker.MatchmakingTicket{TicketId: "t<1>",
			Status: store.StatusQueued, Players: []store.Player{{PlayerId: "p", PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &skill}}}}}}},
		{"list", &matchmaker.DescribeMatchmakingOutput{TicketList: []matchmaker.MatchmakingTicket{{TicketId: "a"}, {TicketId: "b"}}}},
		{"refused", &matchmaker.StartMatchmakingOutput{MatchmakingTicket: matchmaker.MatchmakingTicket{
			Players: []store.Player{{PlayerId: "p", PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &nan}}}}}}},
		{"long list", &matchmaker.DescribePlayerSessionsOutput{PlayerSessions: slices.Repeat([]matchmaker.PlayerSession{
			{PlayerSessionId: "psess-1", PlayerId: "p", GameSessionId: "gs", Status: "ACTIVE"}}, 1000), NextToken: "n"}},
		{"player sessions", &matchmaker.CreatePlayerSessionsOutput{PlayerSessions: []matchmaker.PlayerSession{
			{PlayerSessionId: "psess-1", PlayerId: "p<1>", Status: "RESERVED", Port: 7777}, {PlayerSessionId: "psess-2"}}}},
		{"no appender", map[string]int{"a": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got, want bytes.Buffer
			writeAnswer(&got, tc.v)
			_ = json.NewEncoder(&want).Encode(tc.v)
			if got.String() != want.String() {
				t.Fatalf("writeAnswer wrote %q; json.Encoder %q", got.String(), want.String())
			}
			if _, ok := tc.v.(jsonAppender); !ok && tc.name != "no appender" {
				t.Fatalf("%T does not append its own JSON", tc.v)
			}
		})
	}
}
