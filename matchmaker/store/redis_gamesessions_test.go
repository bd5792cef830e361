package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestRedisGameSessionKeys checks the layout docs/store.md documents for
// game sessions: a fleet's keys carry its hash tag, and an ended session,
// its player sessions and their global index entry get the retention as
// TTL while a live session's keys have none.
func TestRedisGameSessionKeys(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	if err := s.CreateFleet(ctx, store.Fleet{FleetId: "fleet-1", CreationTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	arn := func(id string) string { return "arn:aws:gamelift:local::gamesession/fleet-1/" + id }
	for _, id := range []string{"live", "ends"} {
		gs := store.GameSession{GameSessionId: arn(id), FleetId: "fleet-1", MaximumPlayerSessionCount: 2, Status: store.GameSessionActive, CreatorId: "c"}
		if _, _, err := s.CreateGameSession(ctx, gs, store.CreatorLimit{Max: 5, Period: time.Minute}); err != nil {
			t.Fatal(err)
		}
		ps := store.PlayerSession{PlayerSessionId: "psess-" + id, PlayerId: "p", GameSessionId: arn(id), Status: store.PlayerSessionReserved}
		if _, err := s.CreatePlayerSessions(ctx, arn(id), []store.PlayerSession{ps}); err != nil {
			t.Fatal(err)
		}
	}
	gs, err := s.GetGameSession(ctx, arn("ends"))
	if err != nil {
		t.Fatal(err)
	}
	gs.Status = store.GameSessionTerminated
	if _, err := s.UpdateGameSession(ctx, gs); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "mp:{_meta}:") || strings.HasPrefix(k, "mp:{cfg-") ||
			strings.HasPrefix(k, "mp:psf:") || strings.HasPrefix(k, "mp:pl:") {
			continue
		}
		if !strings.HasPrefix(k, "mp:{f:fleet-1}:") {
			t.Errorf("key %s has no fleet hash tag", k)
		}
	}
	for key, ended := range map[string]bool{
		"mp:{f:fleet-1}:gs:" + arn("live"): false, "mp:{f:fleet-1}:ps:psess-live": false, "mp:psf:psess-live": false,
		"mp:{f:fleet-1}:gs:" + arn("ends"): true, "mp:{f:fleet-1}:ps:psess-ends": true, "mp:psf:psess-ends": true,
		"mp:{f:fleet-1}:gsps:" + arn("ends"): true, "mp:{f:fleet-1}:fleet": false,
	} {
		ttl, err := c.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case ended && (ttl <= 0 || ttl > 24*time.Hour):
			t.Errorf("ended key %s has TTL %v, want at most the retention", key, ttl)
		case !ended && ttl != -1:
			t.Errorf("live key %s has TTL %v, want none", key, ttl)
		}
	}
}
