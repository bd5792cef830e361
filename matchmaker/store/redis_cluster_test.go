package store_test

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/internal/freeport"
	"github.com/matchpoint-dev/matchpoint/internal/poll"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

// startCluster starts a one-node Redis Cluster owning every slot and returns
// its address. One node is enough to test what matters here: Redis refuses
// any command or script whose keys span two slots (CROSSSLOT), and the store
// takes the Cluster code path (the id entry written before the script).
func startCluster(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not found")
	}
	var lastErr error
	for range 5 {
		// Below the ephemeral range, so the cluster bus port (port + 10000)
		// is valid too.
		port, err := freeport.Get()
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if lastErr = launchCluster(t, path, addr); lastErr == nil {
			return addr
		}
	}
	t.Fatalf("start a Redis Cluster node: %v", lastErr)
	return ""
}

func launchCluster(t *testing.T, path, addr string) error {
	_, port, _ := strings.Cut(addr, ":")
	dir := t.TempDir()
	cmd := exec.Command(path, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--cluster-enabled", "yes", "--cluster-config-file", dir+"/nodes.conf", "--dir", dir)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer func() { _ = c.Close() }()
	ctx := t.Context()
	added := false
	if poll.Until(10*time.Second, func() bool {
		if !added {
			added = c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err() == nil
		}
		info, err := c.ClusterInfo(ctx).Result()
		return err == nil && strings.Contains(info, "cluster_state:ok")
	}) {
		t.Cleanup(stop)
		return nil
	}
	stop()
	return fmt.Errorf("cluster node %s not ready within 10s", addr)
}

// TestRedisClusterConformance runs the whole suite through a ClusterClient:
// every script's keys must be on one slot, and a create takes two round
// trips (the id entry on its own slot, then the configuration's script).
func TestRedisClusterConformance(t *testing.T) {
	addr := startCluster(t)
	storetest.Run(t, clientOpener(func() redis.UniversalClient {
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	}))
	t.Run("PlayerIndexUndo", func(t *testing.T) { testClusterPlayerIndexUndo(t, addr) })
	t.Run("ReservationEntries", func(t *testing.T) {
		c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
		t.Cleanup(func() { _ = c.Close() })
		testReservationEntries(t, store.NewRedis(c, store.Options{Prefix: "entries:"}), c, "entries:{_meta}:reservations")
	})
}

// testClusterPlayerIndexUndo checks that on a cluster, where a player's
// index entry is written before the fleet's script, a refused create gives
// the index back the expiry the write took off: the player's only game
// session ended, so the index must still expire.
func testClusterPlayerIndexUndo(t *testing.T, addr string) {
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{addr}})
	t.Cleanup(func() { _ = c.Close() })
	s := store.NewRedis(c, store.Options{Prefix: "undo:"})
	f := newRedisFleet(t, s, "fleet-1")
	f.start("a", 1, "p")
	f.start("b", 1, "q")
	f.end("a")
	if err := f.join("b", "p"); !errors.Is(err, store.ErrGameSessionFull) {
		t.Fatalf("joining a full game session: %v, want ErrGameSessionFull", err)
	}
	if d := c.PTTL(t.Context(), "undo:pl:p").Val(); d <= 0 {
		t.Errorf("index of p after a refused create has TTL %v; want the retention of its ended entry", d)
	}
}
