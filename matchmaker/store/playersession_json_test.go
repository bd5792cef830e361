package store

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/wirejson/wirejsontest"
)

// marshalPlayerSessionBody is what the store kept before playerSessionBody:
// Marshal of p without the fields the HASH holds apart.
func marshalPlayerSessionBody(p PlayerSession) ([]byte, error) {
	p.Status, p.Version, p.TerminationTime = "", 0, time.Time{}
	return json.Marshal(p)
}

// randomPlayerSession draws a player session whose strings hold the
// characters JSON escapes.
func randomPlayerSession(r *rand.Rand) PlayerSession {
	words := []string{"", "a", "<x>&", "é\n", "q\"", "psess-1", "{\"level\":3}"}
	word := func() string { return words[r.IntN(len(words))] }
	p := PlayerSession{PlayerSessionId: word(), PlayerId: word(), GameSessionId: word(), FleetId: word(),
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

func BenchmarkPlayerSessionBody(b *testing.B) {
	p := PlayerSession{PlayerSessionId: "psess-5a1c7f3e-6f0e-4d7c-9f3f-0c6b2b1d8e11", PlayerId: "player-1",
		GameSessionId: "arn:aws:gamelift:us-east-1::gamesession/fleet-1/gs-1", FleetId: "fleet-1",
		PlayerData: `{"level":3}`, Status: "RESERVED", IpAddress: "127.0.0.1", Port: 7777, CreationTime: time.Now()}
	benchAppendVsMarshal(b, func() ([]byte, error) { return playerSessionBody(&p) },
		func() ([]byte, error) { return marshalPlayerSessionBody(p) })
}
