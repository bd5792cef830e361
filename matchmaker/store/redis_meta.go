package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// CreateRuleSet implements Store.
func (r *Redis) CreateRuleSet(ctx context.Context, rs RuleSet) error {
	b, err := json.Marshal(rs)
	if err != nil {
		return fmt.Errorf("create rule set %s: %w", rs.Name, err)
	}
	created, err := r.hSetNXWrite(ctx, r.ruleSetsKey(), rs.Name, b)
	if err != nil {
		return fmt.Errorf("create rule set %s: %w", rs.Name, err)
	}
	if !created {
		return fmt.Errorf("create rule set %s: %w", rs.Name, ErrExists)
	}
	return nil
}

// GetRuleSet implements Store.
func (r *Redis) GetRuleSet(ctx context.Context, name string) (RuleSet, error) {
	var rs RuleSet
	if err := r.getJSON(ctx, r.ruleSetsKey(), name, &rs); err != nil {
		return RuleSet{}, fmt.Errorf("get rule set %s: %w", name, err)
	}
	return rs, nil
}

// ListRuleSets implements Store.
func (r *Redis) ListRuleSets(ctx context.Context) ([]RuleSet, error) {
	out, err := listJSON[RuleSet](ctx, r, r.ruleSetsKey())
	if err != nil {
		return nil, fmt.Errorf("list rule sets: %w", err)
	}
	slices.SortFunc(out, func(a, b RuleSet) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// DeleteRuleSet implements Store.
func (r *Redis) DeleteRuleSet(ctx context.Context, name string) error {
	v, err := r.runWrite(ctx, r.c, r.scripts.deleteRuleSet, r.metaKeys(), name).Result()
	if err != nil {
		return fmt.Errorf("delete rule set %s: %w", name, err)
	}
	reply, err := replyStrings(v)
	if err != nil {
		return fmt.Errorf("delete rule set %s: %w", name, err)
	}
	switch reply[0] {
	case "ok":
		return nil
	case "notfound":
		return fmt.Errorf("delete rule set %s: %w", name, ErrNotFound)
	default:
		return fmt.Errorf("delete rule set %s: used by configuration %s: %w", name, reply[1], ErrInUse)
	}
}

// CreateConfiguration implements Store.
func (r *Redis) CreateConfiguration(ctx context.Context, c Configuration) error {
	if err := r.putConfiguration(ctx, c, true); err != nil {
		return fmt.Errorf("create configuration %s: %w", c.Name, err)
	}
	return nil
}

// UpdateConfiguration implements Store.
func (r *Redis) UpdateConfiguration(ctx context.Context, c Configuration) error {
	if err := r.putConfiguration(ctx, c, false); err != nil {
		return fmt.Errorf("update configuration %s: %w", c.Name, err)
	}
	return nil
}

func (r *Redis) putConfiguration(ctx context.Context, c Configuration, create bool) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	mode := "0"
	if create {
		mode = "1"
	}
	queues := c.QueueNames()
	list, err := json.Marshal(queues)
	if err != nil {
		return err
	}
	args := []any{c.Name, c.RuleSetName, b, mode, list}
	for _, q := range queues {
		args = append(args, q)
	}
	res, err := r.runWrite(ctx, r.c, r.scripts.putConfiguration, r.metaKeys(), args...).Text()
	if err != nil {
		return err
	}
	if q, ok := strings.CutPrefix(res, "noqueue:"); ok {
		return fmt.Errorf("queue %s: %w", q, ErrNotFound)
	}
	switch res {
	case "ok":
		return nil
	case "exists":
		return ErrExists
	case "notfound":
		return ErrNotFound
	default:
		return fmt.Errorf("rule set %s: %w", c.RuleSetName, ErrNotFound)
	}
}

// CreateQueue implements Store.
func (r *Redis) CreateQueue(ctx context.Context, q Queue) error {
	b, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("create queue %s: %w", q.Name, err)
	}
	created, err := r.hSetNXWrite(ctx, r.queuesKey(), q.Name, b)
	if err != nil {
		return fmt.Errorf("create queue %s: %w", q.Name, err)
	}
	if !created {
		return fmt.Errorf("create queue %s: %w", q.Name, ErrExists)
	}
	return nil
}

// GetQueue implements Store.
func (r *Redis) GetQueue(ctx context.Context, name string) (Queue, error) {
	var q Queue
	if err := r.getJSON(ctx, r.queuesKey(), name, &q); err != nil {
		return Queue{}, fmt.Errorf("get queue %s: %w", name, err)
	}
	return q, nil
}

// ListQueues implements Store.
func (r *Redis) ListQueues(ctx context.Context) ([]Queue, error) {
	out, err := listJSON[Queue](ctx, r, r.queuesKey())
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	slices.SortFunc(out, func(a, b Queue) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// UpdateQueue implements Store.
func (r *Redis) UpdateQueue(ctx context.Context, q Queue) error {
	b, err := json.Marshal(q)
	if err != nil {
		return fmt.Errorf("update queue %s: %w", q.Name, err)
	}
	n, err := r.runWrite(ctx, r.c, r.scripts.updateQueue, r.metaKeys(), q.Name, b).Int()
	if err != nil {
		return fmt.Errorf("update queue %s: %w", q.Name, err)
	}
	if n == 0 {
		return fmt.Errorf("update queue %s: %w", q.Name, ErrNotFound)
	}
	return nil
}

// DeleteQueue implements Store.
func (r *Redis) DeleteQueue(ctx context.Context, name string) error {
	v, err := r.runWrite(ctx, r.c, r.scripts.deleteQueue, r.metaKeys(), name).Result()
	if err != nil {
		return fmt.Errorf("delete queue %s: %w", name, err)
	}
	reply, err := replyStrings(v)
	if err != nil {
		return fmt.Errorf("delete queue %s: %w", name, err)
	}
	switch reply[0] {
	case "ok":
		return nil
	case "notfound":
		return fmt.Errorf("delete queue %s: %w", name, ErrNotFound)
	default:
		return fmt.Errorf("delete queue %s: used by configuration %s: %w", name, reply[1], ErrInUse)
	}
}

// GetConfiguration implements Store.
func (r *Redis) GetConfiguration(ctx context.Context, name string) (Configuration, error) {
	var c Configuration
	if err := r.getJSON(ctx, r.configsKey(), name, &c); err != nil {
		return Configuration{}, fmt.Errorf("get configuration %s: %w", name, err)
	}
	return c, nil
}

// ListConfigurations implements Store.
func (r *Redis) ListConfigurations(ctx context.Context) ([]Configuration, error) {
	out, err := listJSON[Configuration](ctx, r, r.configsKey())
	if err != nil {
		return nil, fmt.Errorf("list configurations: %w", err)
	}
	slices.SortFunc(out, func(a, b Configuration) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// DeleteConfiguration implements Store.
func (r *Redis) DeleteConfiguration(ctx context.Context, name string) error {
	n, err := r.runWrite(ctx, r.c, r.scripts.deleteConfiguration, r.metaKeys(), name).Int()
	if err != nil {
		return fmt.Errorf("delete configuration %s: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("delete configuration %s: %w", name, ErrNotFound)
	}
	return nil
}

func (r *Redis) getJSON(ctx context.Context, key, field string, v any) error {
	b, err := r.c.HGet(ctx, key, field).Bytes()
	if isNil(err) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func listJSON[T any](ctx context.Context, r *Redis, key string) ([]T, error) {
	vals, err := r.c.HVals(ctx, key).Result()
	if err != nil {
		return nil, err
	}
	out := make([]T, len(vals))
	for i, v := range vals {
		if err := json.Unmarshal([]byte(v), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
