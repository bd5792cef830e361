package simulate_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLinksNoNetworkClient: the rules, the forming code and the simulator run
// offline, so they link no network client: not the package net (every client
// dials through it, net/http included), nor the store's Redis client, NATS,
// Prometheus or WebSocket.
func TestLinksNoNetworkClient(t *testing.T) {
	const module = "github.com/matchpoint-dev/matchpoint/"
	pkgs := []string{module + "rules", module + "matchmaker/forming", module + "matchmaker/simulate"}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	// Standard packages by name; modules with what is under them.
	forbidden := []string{"net", "net/http", "crypto/tls"}
	forbiddenModules := []string{"github.com/redis/go-redis", "github.com/nats-io", "github.com/prometheus", "github.com/gorilla/websocket"}
	deps := strings.Fields(string(out))
	if len(deps) < len(pkgs) {
		t.Fatalf("go list -deps listed %d packages: %q", len(deps), deps)
	}
	for _, dep := range deps {
		bad := slices.Contains(forbidden, dep)
		for _, m := range forbiddenModules {
			bad = bad || dep == m || strings.HasPrefix(dep, m+"/")
		}
		if bad {
			t.Errorf("%s links %s", strings.Join(pkgs, ", "), dep)
		}
	}
}
