package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// TestRedisWaitReplicas: with WaitReplicas, writes wait for the replicas
// (Redis WAIT on the write's connection). One replica acknowledges a wait for
// one; a wait for two fails with ErrNotReplicated naming the count, on the
// scripted writes (tickets, configurations) and the plain ones (rule sets).
func TestRedisWaitReplicas(t *testing.T) {
	ctx := t.Context()
	primary, replica := redistest.Start(t), redistest.Start(t)
	pc := redis.NewClient(&redis.Options{Addr: primary.Addr})
	rc := redis.NewClient(&redis.Options{Addr: replica.Addr})
	t.Cleanup(func() { _ = pc.Close(); _ = rc.Close() })
	host, port, _ := strings.Cut(primary.Addr, ":")
	if err := rc.Do(ctx, "replicaof", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(pc.Info(ctx, "replication").Val(), "connected_slaves:1") ||
		!strings.Contains(rc.Info(ctx, "replication").Val(), "master_link_status:up") {
		if time.Now().After(deadline) {
			t.Fatal("the replica did not connect within 20s")
		}
		time.Sleep(20 * time.Millisecond) // polling the replication state
	}

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
