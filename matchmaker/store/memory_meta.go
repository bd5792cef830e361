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
	if err := m.references(&c); err != nil {
		return fmt.Errorf("create configuration %s: %w", c.Name, err)
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
	if err := m.references(&c); err != nil {
		return fmt.Errorf("update configuration %s: %w", c.Name, err)
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

// references checks that the rule set and the queues c names exist.
func (m *Memory) references(c *Configuration) error {
	if _, ok := m.ruleSets[c.RuleSetName]; !ok {
		return fmt.Errorf("rule set %s: %w", c.RuleSetName, ErrNotFound)
	}
	for _, q := range c.QueueNames() {
		if _, ok := m.queues[q]; !ok {
			return fmt.Errorf("queue %s: %w", q, ErrNotFound)
		}
	}
	return nil
}

// CreateQueue implements Store.
func (m *Memory) CreateQueue(_ context.Context, q Queue) error {
	m.lock()
	defer m.mu.Unlock()
	if _, ok := m.queues[q.Name]; ok {
		return fmt.Errorf("create queue %s: %w", q.Name, ErrExists)
	}
	m.queues[q.Name] = q.clone()
	return nil
}

// GetQueue implements Store.
func (m *Memory) GetQueue(_ context.Context, name string) (Queue, error) {
	m.lock()
	defer m.mu.Unlock()
	q, ok := m.queues[name]
	if !ok {
		return Queue{}, fmt.Errorf("get queue %s: %w", name, ErrNotFound)
	}
	return q.clone(), nil
}

// ListQueues implements Store.
func (m *Memory) ListQueues(context.Context) ([]Queue, error) {
	m.lock()
	defer m.mu.Unlock()
	out := make([]Queue, 0, len(m.queues))
	for _, q := range m.queues {
		out = append(out, q.clone())
	}
	slices.SortFunc(out, func(a, b Queue) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// UpdateQueue implements Store.
func (m *Memory) UpdateQueue(_ context.Context, q Queue) error {
	m.lock()
	defer m.mu.Unlock()
	if _, ok := m.queues[q.Name]; !ok {
		return fmt.Errorf("update queue %s: %w", q.Name, ErrNotFound)
	}
	m.queues[q.Name] = q.clone()
	return nil
}

// DeleteQueue implements Store.
func (m *Memory) DeleteQueue(_ context.Context, name string) error {
	m.lock()
	defer m.mu.Unlock()
	if _, ok := m.queues[name]; !ok {
		return fmt.Errorf("delete queue %s: %w", name, ErrNotFound)
	}
	for _, c := range m.configs {
		if slices.Contains(c.QueueNames(), name) {
			return fmt.Errorf("delete queue %s: used by configuration %s: %w", name, c.Name, ErrInUse)
		}
	}
	delete(m.queues, name)
	return nil
}
