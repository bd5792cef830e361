package store_test

import (
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// redisFleet is a fleet a Redis test created, with its game sessions
// named by short ids.
type redisFleet struct {
	t  *testing.T
	s  *store.Redis
	id string
}

// newRedisFleet creates fleet id in s.
func newRedisFleet(t *testing.T, s *store.Redis, id string) redisFleet {
	t.Helper()
	if err := s.CreateFleet(t.Context(), store.Fleet{FleetId: id, CreationTime: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return redisFleet{t: t, s: s, id: id}
}

// arn is the id of the fleet's game session gs.
func (f redisFleet) arn(gs string) string {
	return "arn:aws:gamelift:local::gamesession/" + f.id + "/" + gs
}

// psid is the id join gives player's player session in gs.
func (f redisFleet) psid(gs, player string) string { return "psess-" + gs + "-" + player }

// start creates the ACTIVE game session gs of max players (by creator "c",
// under a creation limit, so that its key exists too) and joins players.
func (f redisFleet) start(gs string, max int, players ...string) {
	f.t.Helper()
	s := store.GameSession{GameSessionId: f.arn(gs), FleetId: f.id, MaximumPlayerSessionCount: max, Status: store.GameSessionActive, CreatorId: "c"}
	if _, _, err := f.s.CreateGameSession(f.t.Context(), s, store.CreatorLimit{Max: 1000, Period: time.Minute}); err != nil {
		f.t.Fatal(err)
	}
	if len(players) > 0 {
		if err := f.join(gs, players...); err != nil {
			f.t.Fatal(err)
		}
	}
}

// join creates a RESERVED player session in gs for each player.
func (f redisFleet) join(gs string, players ...string) error {
	ps := make([]store.PlayerSession, len(players))
	for i, p := range players {
		ps[i] = store.PlayerSession{PlayerSessionId: f.psid(gs, p), PlayerId: p, GameSessionId: f.arn(gs), Status: store.PlayerSessionReserved}
	}
	_, err := f.s.CreatePlayerSessions(f.t.Context(), f.arn(gs), ps)
	return err
}

// end terminates game session gs.
func (f redisFleet) end(gs string) {
	f.t.Helper()
	cur, err := f.s.GetGameSession(f.t.Context(), f.arn(gs))
	if err != nil {
		f.t.Fatal(err)
	}
	cur.Status = store.GameSessionTerminated
	if _, err := f.s.UpdateGameSession(f.t.Context(), cur); err != nil {
		f.t.Fatal(err)
	}
}
