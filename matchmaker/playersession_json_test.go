package matchmaker

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/matchpoint-dev/matchpoint/wirejson/wirejsontest"
)

func randomPlayerSession(r *rand.Rand) PlayerSession {
	words := []string{"", "a", "<x>&", "é\n", "q\"", "RESERVED", "\u2028", "\xff"}
	word := func() string { return words[r.IntN(len(words))] }
	return PlayerSession{PlayerSessionId: word(), PlayerId: word(), GameSessionId: word(), FleetId: word(), FleetArn: word(),
		CreationTime: randomTimestamp(r), TerminationTime: randomTimestamp(r), Status: word(), IpAddress: word(), DnsName: word(),
		Port: []int{0, 7777, -1}[r.IntN(3)], PlayerData: word()}
}

// TestPlayerSessionAppendJSONIsMarshal holds the player session answers'
// appenders to Marshal.
func TestPlayerSessionAppendJSONIsMarshal(t *testing.T) {
	sessions := wirejsontest.Random(17, 3000, randomPlayerSession)
	wirejsontest.SameAsReference(t, sessions, func(p PlayerSession) ([]byte, error) {
		return (&CreatePlayerSessionOutput{PlayerSession: p}).AppendJSON(nil)
	}, func(p PlayerSession) ([]byte, error) {
		return json.Marshal(&CreatePlayerSessionOutput{PlayerSession: p})
	})
	lists := [][]PlayerSession{nil, {}, sessions[:1], sessions[1:5], sessions[5:30]}
	wirejsontest.SameAsReference(t, lists, func(l []PlayerSession) ([]byte, error) {
		return (&CreatePlayerSessionsOutput{PlayerSessions: l}).AppendJSON(nil)
	}, func(l []PlayerSession) ([]byte, error) {
		return json.Marshal(&CreatePlayerSessionsOutput{PlayerSessions: l})
	})
	for _, token := range []string{"", "next<1>"} {
		wirejsontest.SameAsReference(t, lists, func(l []PlayerSession) ([]byte, error) {
			return (&DescribePlayerSessionsOutput{PlayerSessions: l, NextToken: token}).AppendJSON(nil)
		}, func(l []PlayerSession) ([]byte, error) {
			return json.Marshal(&DescribePlayerSessionsOutput{PlayerSessions: l, NextToken: token})
		})
	}
}

// TestPlayerSessionAppenderKnowsEveryField fails when a field is added to
// PlayerSession or the outputs that hold it.
func TestPlayerSessionAppenderKnowsEveryField(t *testing.T) {
	wirejsontest.KnowsEveryField(t, map[reflect.Type][]string{
		reflect.TypeFor[PlayerSession](): {"PlayerSessionId", "PlayerId", "GameSessionId", "FleetId", "FleetArn", "CreationTime",
			"TerminationTime", "Status", "IpAddress", "DnsName", "Port", "PlayerData"},
		reflect.TypeFor[CreatePlayerSessionOutput]():    {"PlayerSession"},
		reflect.TypeFor[CreatePlayerSessionsOutput]():   {"PlayerSessions"},
		reflect.TypeFor[DescribePlayerSessionsOutput](): {"PlayerSessions", "NextToken"},
	})
}
