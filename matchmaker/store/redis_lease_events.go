package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/wirejson"
)

// AcquireLease implements Store.
func (r *Redis) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) error {
	holder, err := r.scripts.acquireLease.Run(ctx, r.c, []string{r.leaseKey(name)}, owner, ttl.Milliseconds()).Text()
	if err != nil {
		return fmt.Errorf("acquire lease %s: %w", name, err)
	}
	if holder != "" {
		return fmt.Errorf("acquire lease %s: held by %s: %w", name, holder, ErrConflict)
	}
	return nil
}

// RenewLease implements Store.
func (r *Redis) RenewLease(ctx context.Context, name, owner string, ttl time.Duration) error {
	if err := r.ownLease(ctx, name, owner, strconv.FormatInt(ttl.Milliseconds(), 10)); err != nil {
		return fmt.Errorf("renew lease %s: %w", name, err)
	}
	return nil
}

// ReleaseLease implements Store.
func (r *Redis) ReleaseLease(ctx context.Context, name, owner string) error {
	if err := r.ownLease(ctx, name, owner, ""); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// ownLease renews (ttl in ms) or, with ttl "", releases the owner's lease.
func (r *Redis) ownLease(ctx context.Context, name, owner, ttl string) error {
	v, err := r.scripts.renewLease.Run(ctx, r.c, []string{r.leaseKey(name)}, owner, ttl).Result()
	if err != nil {
		return err
	}
	reply, err := replyStrings(v)
	if err != nil {
		return err
	}
	switch reply[0] {
	case "ok":
		return nil
	case "notfound":
		return ErrNotFound
	default:
		return fmt.Errorf("held by %s: %w", reply[1], ErrConflict)
	}
}

// AppendEvent implements Store.
func (r *Redis) AppendEvent(ctx context.Context, configuration string, ticketIDs []string, payload []byte) (uint64, error) {
	if ticketIDs == nil {
		ticketIDs = []string{}
	}
	ids := wirejson.Strings(nil, ticketIDs)
	k := r.cfgKeys(configuration)
	keys := []string{k.eventSeq, k.events}
	seq, err := r.runWrite(ctx, r.c, r.scripts.appendEvent, keys, r.opts.MaxEvents, ids, payload).Uint64()
	if err != nil {
		return 0, fmt.Errorf("append event to %s: %w", configuration, err)
	}
	return seq, nil
}

// EventsAfter implements Store.
func (r *Redis) EventsAfter(ctx context.Context, configuration string, after uint64, limit int) ([]Event, error) {
	key := r.cfgKeys(configuration).events
	start := strconv.FormatUint(after+1, 10)
	var msgs []redis.XMessage
	var err error
	if limit > 0 {
		msgs, err = r.c.XRangeN(ctx, key, start, "+", int64(limit)).Result()
	} else {
		msgs, err = r.c.XRange(ctx, key, start, "+").Result()
	}
	if err != nil {
		return nil, fmt.Errorf("events of %s after %d: %w", configuration, after, err)
	}
	out := make([]Event, len(msgs))
	for i, m := range msgs {
		ms, _, _ := strings.Cut(m.ID, "-")
		seq, err := strconv.ParseUint(ms, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("events of %s: entry id %s: %w", configuration, m.ID, err)
		}
		ids, _ := m.Values["t"].(string)
		payload, _ := m.Values["p"].(string)
		e := Event{Seq: seq, Payload: []byte(payload)}
		if err := json.Unmarshal([]byte(ids), &e.TicketIds); err != nil {
			return nil, fmt.Errorf("events of %s: entry %s ticket ids: %w", configuration, m.ID, err)
		}
		out[i] = e
	}
	return out, nil
}
