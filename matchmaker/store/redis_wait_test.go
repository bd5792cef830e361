package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

// TestRedisWaitReplicas: with WaitReplicas, writes wait for the replicas
// (Redis WAIT on the write's connection). One replica acknowledges a wait for
// one; a wait for two fails with ErrNotReplicated naming the count, on the
// scripted writes (tickets, configurations) and the plain ones (rule sets).
func TestRedisWaitReplicas(t *testing.T) {
	ctx := t.Context()
	pc, rc := primaryWithReplica(t)

	one := store.NewRedis(pc, store.Options{WaitReplicas: 1, WaitTimeout: 5 * time.Second})
	if err := one.CreateRuleSet(ctx, store.RuleSet{Name: "rs", Body: "{}"}); err != nil {
		t.Fatalf("rule set with one replica: %v", err)
	}
	if err := one.CreateConfiguration(ctx, store.Configuration{Name: "c", RuleSetName: "rs"}); err != nil {
		t.Fatalf("configuration with one replica: %v", err)
	}
	tk := store.Ticket{TicketId: "t1", ConfigurationName: "c", Status: store.StatusSearching, StartTime: time.Now(),
		Players: []store.Player{{PlayerId: "p1"}}}
	if _, err := one.CreateTicket(ctx, tk); err != nil {
		t.Fatalf("ticket with one replica: %v", err)
	}
	// The replica has what the primary acknowledged.
	if n, err := rc.Exists(ctx, "mp:{c}:t:t1").Result(); err != nil || n != 1 {
		t.Fatalf("the replica lacks the ticket: %d %v", n, err)
	}

	two := store.NewRedis(pc, store.Options{WaitReplicas: 2, WaitTimeout: 50 * time.Millisecond})
	tk.TicketId, tk.Players = "t2", []store.Player{{PlayerId: "p2"}}
	_, err := two.CreateTicket(ctx, tk)
	if !errors.Is(err, store.ErrNotReplicated) || !strings.Contains(err.Error(), "1 of 2 replicas") {
		t.Fatalf("ticket waiting for two replicas: %v, want ErrNotReplicated with 1 of 2", err)
	}
	if err := two.CreateRuleSet(ctx, store.RuleSet{Name: "rs2", Body: "{}"}); !errors.Is(err, store.ErrNotReplicated) {
		t.Fatalf("rule set waiting for two replicas: %v, want ErrNotReplicated", err)
	}
	if err := two.CreateRuleSet(ctx, store.RuleSet{Name: "rs", Body: "{}"}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("existing rule set: %v, want ErrExists before any wait", err)
	}
	// Without WaitReplicas nothing waits.
	none := store.NewRedis(pc, store.Options{})
	if err := none.CreateRuleSet(ctx, store.RuleSet{Name: "rs3", Body: "{}"}); err != nil {
		t.Fatal(err)
	}
}

// primaryWithReplica starts a Redis primary and a replica of it, and
// returns clients of both once the replica is linked.
func primaryWithReplica(t *testing.T) (pc, rc *redis.Client) {
	ctx := t.Context()
	primary, replica := redistest.Start(t), redistest.Start(t)
	pc = redis.NewClient(&redis.Options{Addr: primary.Addr})
	rc = redis.NewClient(&redis.Options{Addr: replica.Addr})
	t.Cleanup(func() { _ = pc.Close(); _ = rc.Close() })
	host, port, _ := strings.Cut(primary.Addr, ":")
	if err := rc.Do(ctx, "replicaof", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	storetest.Eventually(t, 20*time.Second, func() string { return "the replica did not connect within 20s" }, func() bool {
		return strings.Contains(pc.Info(ctx, "replication").Val(), "connected_slaves:1") &&
			strings.Contains(rc.Info(ctx, "replication").Val(), "master_link_status:up")
	})
	return pc, rc
}

// TestRedisWaitReplicasGameSessions: WaitReplicas applies to the writes of
// fleets, aliases, game sessions, player sessions and placements as to
// tickets: with one replica they succeed, waiting for two fails with
// ErrNotReplicated.
func TestRedisWaitReplicasGameSessions(t *testing.T) {
	ctx := t.Context()
	pc, _ := primaryWithReplica(t)
	one := store.NewRedis(pc, store.Options{WaitReplicas: 1, WaitTimeout: 5 * time.Second})
	two := store.NewRedis(pc, store.Options{WaitReplicas: 2, WaitTimeout: 50 * time.Millisecond})
	arn := func(id string) string { return "arn:aws:gamelift:local::gamesession/fleet-1/" + id }
	gs := func(id string) store.GameSession {
		return store.GameSession{GameSessionId: arn(id), FleetId: "fleet-1", MaximumPlayerSessionCount: 4, Status: store.GameSessionActive, CreationTime: time.Now()}
	}
	ps := func(id string) []store.PlayerSession {
		return []store.PlayerSession{{PlayerSessionId: "psess-" + id, PlayerId: id, GameSessionId: arn("gs"), Status: store.PlayerSessionReserved, CreationTime: time.Now()}}
	}
	placement := func(id string) store.GameSessionPlacement {
		return store.GameSessionPlacement{PlacementId: id, GameSessionQueueName: "q", Status: store.PlacementPending, MaximumPlayerSessionCount: 2, StartTime: time.Now()}
	}
	for _, w := range []struct {
		name string
		fn   func(s *store.Redis, first bool) error
	}{
		{"CreateFleet", func(s *store.Redis, first bool) error {
			id := map[bool]string{true: "fleet-1", false: "fleet-2"}[first]
			return s.CreateFleet(ctx, store.Fleet{FleetId: id, CreationTime: time.Now()})
		}},
		{"UpdateFleet", func(s *store.Redis, _ bool) error {
			f, err := s.GetFleet(ctx, "fleet-1")
			if err != nil {
				return err
			}
			f.Name = "renamed"
			_, err = s.UpdateFleet(ctx, f)
			return err
		}},
		{"CreateAlias", func(s *store.Redis, first bool) error {
			return s.CreateAlias(ctx, store.Alias{AliasId: map[bool]string{true: "alias-1", false: "alias-2"}[first]})
		}},
		{"CreateGameSession", func(s *store.Redis, first bool) error {
			_, _, err := s.CreateGameSession(ctx, gs(map[bool]string{true: "gs", false: "gs-2"}[first]), store.CreatorLimit{})
			return err
		}},
		{"CreatePlayerSessions", func(s *store.Redis, first bool) error {
			_, err := s.CreatePlayerSessions(ctx, arn("gs"), ps(map[bool]string{true: "ana", false: "bo"}[first]))
			return err
		}},
		{"UpdatePlayerSession", func(s *store.Redis, _ bool) error {
			p, err := s.GetPlayerSession(ctx, "psess-ana")
			if err != nil {
				return err
			}
			p.Status = map[store.PlayerSessionStatus]store.PlayerSessionStatus{store.PlayerSessionReserved: store.PlayerSessionActive, store.PlayerSessionActive: store.PlayerSessionCompleted}[p.Status]
			_, err = s.UpdatePlayerSession(ctx, p)
			return err
		}},
		{"UpdateGameSession", func(s *store.Redis, _ bool) error {
			g, err := s.GetGameSession(ctx, arn("gs"))
			if err != nil {
				return err
			}
			g.Name += "x"
			_, err = s.UpdateGameSession(ctx, g)
			return err
		}},
		{"CreatePlacement", func(s *store.Redis, first bool) error {
			return s.CreatePlacement(ctx, placement(map[bool]string{true: "pl-1", false: "pl-2"}[first]))
		}},
		{"UpdatePlacement", func(s *store.Redis, _ bool) error {
			p, err := s.GetPlacement(ctx, "pl-1")
			if err != nil {
				return err
			}
			p.GameSessionName += "x"
			_, err = s.UpdatePlacement(ctx, p)
			return err
		}},
	} {
		if err := w.fn(one, true); err != nil {
			t.Fatalf("%s with one replica: %v", w.name, err)
		}
		if err := w.fn(two, false); !errors.Is(err, store.ErrNotReplicated) {
			t.Errorf("%s waiting for two replicas: %v, want ErrNotReplicated", w.name, err)
		}
	}
}
