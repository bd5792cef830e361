package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// lostConfigs remembers the configurations a Service has seen in the store,
// to notice when the store loses them (docs/operations.md, "Lost
// configurations").
type lostConfigs struct {
	mu   sync.Mutex
	seen map[string]string // configuration -> its rule set
	lost map[string]bool
}

// CheckConfigurations is a readiness check: it fails, naming them, while
// configurations this Service had seen are gone from the store together with
// their rule sets, which is what losing the store's data (FLUSHALL, a Redis
// restarted without persistence, a failover to an empty replica) looks like.
// A configuration deleted through the API leaves its rule set (a rule set in
// use cannot be deleted), so a delete made through another matchmaker is
// told apart and forgotten. Nothing is recreated: the check passes again
// once an operator recreates each lost configuration, or deletes it through
// this matchmaker's API. Each loss is logged once at ERROR.
func (s *Service) CheckConfigurations(ctx context.Context) error {
	cfgs, err := s.store.ListConfigurations(ctx)
	if err != nil {
		return fmt.Errorf("list configurations: %w", err)
	}
	present := make(map[string]bool, len(cfgs))
	for _, c := range cfgs {
		present[c.Name] = true
	}
	l := &s.lostConfigs
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen, l.lost = map[string]string{}, map[string]bool{}
	}
	for _, c := range cfgs {
		l.seen[c.Name] = c.RuleSetName
		if l.lost[c.Name] {
			delete(l.lost, c.Name)
			s.log.Info("a lost matchmaking configuration is in the store again", "configuration", c.Name)
		}
	}
	for name, ruleSet := range l.seen {
		if present[name] || l.lost[name] {
			continue
		}
		_, err := s.store.GetRuleSet(ctx, ruleSet)
		switch {
		case err == nil:
			delete(l.seen, name) // deleted through the API
		case errors.Is(err, store.ErrNotFound):
			l.lost[name] = true
			s.log.Error("a matchmaking configuration this matchmaker served is gone from the store, with its rule set: the store lost data; recreate it or delete it through the API",
				"configuration", name, "rule_set", ruleSet)
		default:
			return fmt.Errorf("get rule set %s of configuration %s: %w", ruleSet, name, err)
		}
	}
	if len(l.lost) == 0 {
		return nil
	}
	names := make([]string, 0, len(l.lost))
	for name := range l.lost {
		names = append(names, name)
	}
	slices.Sort(names)
	return fmt.Errorf("matchmaking configurations gone from the store (data lost?): %s; recreate them, or delete them through the API", strings.Join(names, ", "))
}

// forgetSeen drops a configuration deleted through this Service's API from
// the ones CheckConfigurations watches.
func (s *Service) forgetSeen(name string) {
	l := &s.lostConfigs
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, name)
	delete(l.lost, name)
}
