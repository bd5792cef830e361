package matchmaker

import (
	"context"
	"sync"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// maxSessionPlaces bounds sessionPlaces: past it, the cache starts over.
const maxSessionPlaces = 100_000

// sessionPlace is what never changes of a game session once it is ACTIVE:
// where it runs.
type sessionPlace struct {
	GameSessionID, FleetID, FleetArn, RelayID, IpAddress, DnsName string
	Port                                                          int
}

// sessionPlaces caches the places of ACTIVE game sessions, so that
// CreatePlayerSessions need not read the session before the store's create,
// which checks its status, policy and room in the same step as it writes.
type sessionPlaces struct {
	mu sync.Mutex
	m  map[string]sessionPlace
}

// placeOf returns where the game session id runs: from the cache, or read
// from the store (and cached when the session is ACTIVE). The errors are
// getGameSession's.
func (s *Service) placeOf(ctx context.Context, id string) (sessionPlace, error) {
	c := &s.places
	c.mu.Lock()
	p, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	gs, err := s.getGameSession(ctx, id)
	if err != nil {
		return sessionPlace{}, err
	}
	p = sessionPlace{GameSessionID: gs.GameSessionId, FleetID: gs.FleetId, FleetArn: gs.FleetArn, RelayID: gs.RelayID,
		IpAddress: gs.IpAddress, DnsName: gs.DnsName, Port: gs.Port}
	if gs.Status != store.GameSessionActive {
		return p, nil
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxSessionPlaces {
		c.m = make(map[string]sessionPlace)
	}
	c.m[id] = p
	c.mu.Unlock()
	return p, nil
}

// forget drops an ended game session's place: its id may name another
// session once the record has expired (a GameSessionId given again).
func (c *sessionPlaces) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}
