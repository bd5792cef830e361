package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// CreateRuleSet implements Store.
func (m *Memory) CreateRuleSet(_ context.Context, rs RuleSet) error {
	m.lock()
	defer m.mu.Unlock()
	if _, ok := m.ruleSets[rs.Name]; ok {
		return fmt.Errorf("create rule set %s: %w", rs.Name, ErrExists)
	}
	m.ruleSets[rs.Name] = rs
	return nil
}

// GetRuleSet implements Store.
func (m *Memory) GetRuleSet(_ context.Context, name string) (RuleSet, error) {
	m.lock()
	defer m.mu.Unlock()
	rs, ok := m.ruleSets[name]
	if !ok {
		return RuleSet{}, fmt.Errorf("get rule set %s: %w", name, ErrNotFound)
	}
	return rs, nil
}

// ListRuleSets implements Store.
func (m *Memory) ListRuleSets(context.Context) ([]RuleSet, error) {
	m.lock()
	defer m.mu.Unlock()
	out := make([]RuleSet, 0, len(m.ruleSets))
	for _, rs := range m.ruleSets {
		out = append(out, rs)
	}
	slices.SortFunc(out, func(a, b RuleSet) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// DeleteRuleSet implements Store.
func (m *Memory) DeleteRuleSet(_ context.Context, name string) error {
	m.lock()
	defer m.mu.Unlock()
	if _, ok := m.ruleSets[name]; !ok {
		return fmt.Errorf("delete rule set %s: %w", name, ErrNotFound)
	}
	for _, c := range m.configs {
		if c.RuleSetName == name {
			return fmt.Errorf("delete rule set %s: used by configuration %s: %w", name, c.Name, ErrInUse)
		}
	}
	delete(m.ruleSets, name)
	return nil
}

// CreateConfiguration implements Store.
func (m *Memory) CreateConfiguration(_ context.Context, c Configuration) error {
	m.lock()
	defer m.mu.Unlock()
	if _, ok := m.configs[c.Name]; ok {
		return fmt.Errorf("create configuration %s: %w", c.Name, ErrExists)
	}
	if _, ok := m.ruleSets[c.RuleSetName]; !ok {
		return fmt.Errorf("create configuration %s: rule set %s: %w", c.Name, c.RuleSetName, ErrNotFound)
	}
	m.configs[c.Name] = c.clone()
	return nil
}

// GetConfiguration implements Store.
func (m *Memory) GetConfiguration(_ context.Context, name string) (Configuration, error) {
	m.lock()
	defer m.mu.Unlock()
	c, ok := m.configs[name]
	if !ok {
		return Configuration{}, fmt.Errorf("get configuration %s: %w", name, ErrNotFound)
	}
	return c.clone(), nil
}

// ListConfigurations implements Store.
func (m *Memory) ListConfigurations(context.Context) ([]Configuration, error) {
	m.lock()
	defer m.mu.Unlock()
	out := make([]Configuration, 0, len(m.configs))
	for _, c := range m.configs {
		out = append(out, c.clone())
	}
	slices.SortFunc(out, func(a, b Configuration) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// UpdateConfiguration implements Store.
func (m *Memory) UpdateConfiguration(_ context.Context, c Configuration) error {
	m.lock()
	defer m.mu.Unlock()
	if _, ok := m.configs[c.Name]; !ok {
		return fmt.Errorf("update configuration %s: %w", c.Name, ErrNotFound)
	}
	if _, ok := m.ruleSets[c.RuleSetName]; !ok {
		return fmt.Errorf("update configuration %s: rule set %s: %w", c.Name, c.RuleSetName, ErrNotFound)
	}
	m.configs[c.Name] = c.clone()
	return nil
}

// DeleteConfiguration implements Store.
func (m *Memory) DeleteConfiguration(_ context.Context, name string) error {
	m.lock()
	defer m.mu.Unlock()
	if _, ok := m.configs[name]; !ok {
		return fmt.Errorf("delete configuration %s: %w", name, ErrNotFound)
	}
	delete(m.configs, name)
	return nil
}
