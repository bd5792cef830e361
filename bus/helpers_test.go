package bus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

var sampleTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func samplePlacement(matchID, region string, players int) bus.PlacementRequest {
	req := bus.PlacementRequest{
		MatchID:          matchID,
		Configuration:    "ranked.eu",
		ConfigurationARN: "arn:aws:gamelift:eu-west-1:123456789012:matchmakingconfiguration/ranked.eu",
		Region:           region,
		GameProperties:   []bus.GameProperty{{Key: "mode", Value: "ctf"}},
		GameSessionData:  "map=harbor",
		MatchmakerData:   `{"matchId":"` + matchID + `","matchmakingConfigurationArn":"arn","teams":[]}`,
		BackfillMode:     "AUTOMATIC",
		MaxPlayers:       players,
		Deadline:         time.Now().Add(time.Minute),
	}
	for i := range players {
		req.Players = append(req.Players, bus.Player{
			PlayerID:   fmt.Sprintf("player-%d", i),
			Team:       []string{"red", "blue"}[i%2],
			Attributes: json.RawMessage(`{"skill":{"N":` + fmt.Sprint(1000+i) + `}}`),
		})
	}
	return req
}

// placeAll is a relay that places every request on relayID.
func placeAll(relayID string) bus.PlacementHandler {
	return func(_ context.Context, req bus.PlacementRequest) bus.PlacementReply {
		reply := bus.PlacementReply{
			MatchID:        req.MatchID,
			RelayID:        relayID,
			GameSessionID:  "gs-" + req.MatchID,
			GameSessionARN: "arn:aws:gamelift:local::gamesession/" + relayID + "/gs-" + req.MatchID,
			Endpoint:       &bus.Endpoint{IPAddress: "127.0.0.1", DNSName: "localhost", TCPPort: 7000, UDPPort: 7001},
		}
		for _, p := range req.Players {
			reply.PlayerSessions = append(reply.PlayerSessions, bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: "psess-" + p.PlayerID})
		}
		return reply
	}
}

// collector gathers values delivered on another goroutine.
type collector[T any] struct {
	mu    sync.Mutex
	items []T
	ch    chan struct{}
}

func newCollector[T any]() *collector[T] { return &collector[T]{ch: make(chan struct{}, 1024)} }

func (c *collector[T]) add(v T) {
	c.mu.Lock()
	c.items = append(c.items, v)
	c.mu.Unlock()
	c.ch <- struct{}{}
}

// wait returns once n values arrived, failing the test after 5s.
func (c *collector[T]) wait(t *testing.T, n int) []T {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		c.mu.Lock()
		if len(c.items) >= n {
			out := append([]T(nil), c.items...)
			c.mu.Unlock()
			return out
		}
		c.mu.Unlock()
		select {
		case <-c.ch:
		case <-timeout:
			t.Fatalf("got %d values, want %d", len(c.items), n)
		}
	}
}

func (c *collector[T]) snapshot() []T {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]T(nil), c.items...)
}
