package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/wirejson"
)

// searchingChunk is how many tickets SearchingTickets reads per pipeline.
const searchingChunk = 1000

// CreateTicket implements Store (see create).
func (r *Redis) CreateTicket(ctx context.Context, t Ticket) ([]string, error) {
	cancelled, _, err := r.create(ctx, t, nil, false)
	return cancelled, err
}

// CreateTicketWithEvent implements Store (see create).
func (r *Redis) CreateTicketWithEvent(ctx context.Context, t Ticket, payload []byte) ([]string, uint64, error) {
	return r.create(ctx, t, payload, true)
}

// create stores a ticket and, with withEvent, appends payload to the
// configuration's log in the same script. On one Redis server it is one
// round trip: the script also checks the configuration and the global id
// entry and writes that entry. On a Cluster (or a Ring) the id entry lives
// on another slot than the configuration's keys, so it is written first
// (SET NX, pipelined with the configuration check), then the configuration's
// script runs; when the script refuses, the entry is removed again (only if
// it is still this create's).
func (r *Redis) create(ctx context.Context, t Ticket, payload []byte, withEvent bool) ([]string, uint64, error) {
	id, cfg := t.TicketId, t.ConfigurationName
	args, err := ticketArgs(&t)
	if err != nil {
		return nil, 0, fmt.Errorf("create ticket %s: %w", id, err)
	}
	now := r.opts.Now()
	nowMs := strconv.FormatInt(now.UnixMilli(), 10)
	mark := cfg + "|" + nowMs
	k := r.cfgKeys(cfg)
	keys := append(k.scriptKeys(5), k.ticket(id), k.eventSeq, k.events)
	argv := make([]any, 0, 22)
	argv = append(argv, id, k.ticketPrefix)
	argv = append(argv, args...)
	argv = append(argv, r.opts.Retention.Milliseconds(), now.UnixNano())
	if withEvent {
		argv = append(argv, "1", payload, r.opts.MaxEvents, wirejson.Strings(nil, []string{id}))
	} else {
		argv = append(argv, "0", "", 0, "")
	}
	if r.oneServer {
		keys = append(keys, r.idKey(id), r.configsKey())
		argv = append(argv, cfg, mark, r.opts.Prefix, nowMs, idPendingWindow.Milliseconds())
	} else if err := r.takeID(ctx, id, cfg, mark, now); err != nil {
		return nil, 0, fmt.Errorf("create ticket %s: %w", id, err)
	}
	via, done := r.tickets.scripter()
	v, err := r.runWrite(ctx, via, r.scripts.createTicket, keys, argv...).Result()
	done()
	if err != nil {
		// The script may or may not have run. On a Cluster the id entry is
		// kept: a later create reclaims it if the ticket does not exist.
		return nil, 0, fmt.Errorf("create ticket %s: %w", id, err)
	}
	reply, err := replyStrings(v)
	if err != nil {
		return nil, 0, fmt.Errorf("create ticket %s: %w", id, err)
	}
	if reply[0] != "ok" && !r.oneServer {
		r.releaseID(ctx, id, mark)
	}
	switch reply[0] {
	case "ok":
		if len(reply) < 2 {
			return nil, 0, fmt.Errorf("create ticket %s: unexpected script reply %v", id, reply)
		}
		seq, err := strconv.ParseUint(reply[1], 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("create ticket %s: event sequence: %w", id, err)
		}
		cancelled := reply[2:]
		if !r.oneServer {
			r.expireIDs(ctx, cancelled)
			if t.Status.Terminal() {
				r.expireIDs(ctx, []string{id})
			}
		}
		return cancelled, seq, nil
	case "exists":
		return nil, 0, fmt.Errorf("create ticket %s: %w", id, ErrExists)
	case "notfound":
		return nil, 0, fmt.Errorf("create ticket %s: configuration %s: %w", id, cfg, ErrNotFound)
	case "placing":
		if len(reply) < 3 {
			return nil, 0, fmt.Errorf("create ticket %s: unexpected script reply %v", id, reply)
		}
		return nil, 0, fmt.Errorf("create ticket %s: player %s is in ticket %s, which is PLACING: %w", id, reply[1], reply[2], ErrInUse)
	default:
		return nil, 0, fmt.Errorf("create ticket %s: unexpected script reply %v", id, reply)
	}
}

// takeID is the first step of a create on a Cluster: it checks that the
// configuration exists and writes the global id entry (SET NX) in one
// pipelined round trip, reclaiming a leftover entry (see reclaimID).
func (r *Redis) takeID(ctx context.Context, id, cfg, mark string, now time.Time) error {
	pipe := r.c.Pipeline()
	hasCfg := pipe.HExists(ctx, r.configsKey(), cfg)
	setID := pipe.SetNX(ctx, r.idKey(id), mark, 0)
	if _, err := pipe.Exec(ctx); err != nil {
		return err
	}
	if !hasCfg.Val() {
		if setID.Val() {
			r.releaseID(ctx, id, mark)
		}
		return fmt.Errorf("configuration %s: %w", cfg, ErrNotFound)
	}
	if !setID.Val() {
		return r.reclaimID(ctx, id, mark, now)
	}
	return nil
}

// releaseID removes the global id entry if it still holds mark. Best effort:
// a leftover entry is reclaimed by a later create.
func (r *Redis) releaseID(ctx context.Context, id, mark string) {
	_ = r.scripts.compareAndDelete.Run(ctx, r.c, []string{r.idKey(id)}, mark).Err()
}

// reclaimID takes over a global id entry whose ticket does not exist and
// whose create is older than idPendingWindow. Otherwise the id is taken.
func (r *Redis) reclaimID(ctx context.Context, id, mark string, now time.Time) error {
	key := r.idKey(id)
	cur, err := r.c.Get(ctx, key).Result()
	if isNil(err) {
		ok, err := r.c.SetNX(ctx, key, mark, 0).Result()
		if err != nil {
			return err
		}
		if !ok {
			return ErrExists
		}
		return nil
	}
	if err != nil {
		return err
	}
	cfg, at := splitIDMark(cur)
	n, err := r.c.Exists(ctx, r.cfgKeys(cfg).ticket(id)).Result()
	if err != nil {
		return err
	}
	if n == 1 || now.Sub(at) < idPendingWindow {
		return ErrExists
	}
	ok, err := r.scripts.compareAndSet.Run(ctx, r.c, []string{key}, cur, mark).Int()
	if err != nil {
		return err
	}
	if ok == 0 {
		return ErrExists
	}
	return nil
}

// splitIDMark parses a global id entry "configuration|unix ms".
func splitIDMark(v string) (string, time.Time) {
	i := strings.LastIndexByte(v, '|')
	if i < 0 {
		return v, time.Time{}
	}
	ms, _ := strconv.ParseInt(v[i+1:], 10, 64)
	return v[:i], time.UnixMilli(ms)
}

// GetTicket implements Store.
func (r *Redis) GetTicket(ctx context.Context, id string) (Ticket, error) {
	ts, err := r.GetTickets(ctx, id)
	if err != nil {
		return Ticket{}, fmt.Errorf("get ticket %s: %w", id, err)
	}
	if len(ts) == 0 {
		return Ticket{}, fmt.Errorf("get ticket %s: %w", id, ErrNotFound)
	}
	return ts[0], nil
}

// GetTickets implements Store.
func (r *Redis) GetTickets(ctx context.Context, ids ...string) ([]Ticket, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := r.c.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.Get(ctx, r.idKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isNil(err) {
		return nil, fmt.Errorf("get tickets: %w", err)
	}
	keys := make([]string, 0, len(ids))
	for i, cmd := range cmds {
		err := cmd.Err()
		if isNil(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get tickets: %w", err)
		}
		cfg, _ := splitIDMark(cmd.Val())
		keys = append(keys, r.cfgKeys(cfg).ticket(ids[i]))
	}
	ts, err := r.readTickets(ctx, keys, nil)
	if err != nil {
		return nil, fmt.Errorf("get tickets: %w", err)
	}
	return ts, nil
}

// UpdateTicket implements Store.
func (r *Redis) UpdateTicket(ctx context.Context, t Ticket) (int64, error) {
	id, cfg := t.TicketId, t.ConfigurationName
	args, err := ticketArgs(&t)
	if err != nil {
		return 0, fmt.Errorf("update ticket %s: %w", id, err)
	}
	k := r.cfgKeys(cfg)
	keys := append(k.scriptKeys(2), k.ticket(id))
	if r.oneServer {
		keys = append(keys, r.idKey(id))
	}
	argv := make([]any, 0, 12)
	argv = append(argv, id, t.Version)
	argv = append(argv, args...)
	argv = append(argv, r.opts.Retention.Milliseconds())
	v, err := r.runWrite(ctx, r.c, r.scripts.updateTicket, keys, argv...).Result()
	if err != nil {
		return 0, fmt.Errorf("update ticket %s: %w", id, err)
	}
	reply, err := replyStrings(v)
	if err != nil {
		return 0, fmt.Errorf("update ticket %s: %w", id, err)
	}
	switch reply[0] {
	case "ok":
		// On one server the script has set the id entry's expiry; on a
		// Cluster it lives in another slot and follows in a second step.
		switch was := Status(reply[2]); {
		case r.oneServer:
		case t.Status.Terminal():
			r.expireIDs(ctx, []string{id})
		case was.Terminal():
			// Revived: the id entry must outlive the retention again.
			_ = r.c.Persist(ctx, r.idKey(id)).Err()
		}
		return strconv.ParseInt(reply[1], 10, 64)
	case "notfound":
		return 0, fmt.Errorf("update ticket %s: %w", id, ErrNotFound)
	default:
		return 0, fmt.Errorf("update ticket %s: stored version %s, given %d: %w", id, reply[1], t.Version, ErrConflict)
	}
}

// SearchingTickets implements Store. It reads the searching index, then the
// tickets in pipelined chunks, so that a large pool never blocks Redis in
// one long command.
func (r *Redis) SearchingTickets(ctx context.Context, configuration string) ([]Ticket, error) {
	k := r.cfgKeys(configuration)
	ids, err := r.c.ZRange(ctx, k.searching, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("searching tickets of %s: %w", configuration, err)
	}
	out := make([]Ticket, 0, len(ids))
	searching := func(t *Ticket) bool { return t.Status == StatusSearching }
	for start := 0; start < len(ids); start += searchingChunk {
		chunk := ids[start:min(start+searchingChunk, len(ids))]
		keys := make([]string, len(chunk))
		for i, id := range chunk {
			keys[i] = k.ticket(id)
		}
		ts, err := r.readTickets(ctx, keys, searching)
		if err != nil {
			return nil, fmt.Errorf("searching tickets of %s: %w", configuration, err)
		}
		out = append(out, ts...)
	}
	return out, nil
}

// SearchingVersions implements Store: the searching index and the versions
// HASH, read in one MULTI.
func (r *Redis) SearchingVersions(ctx context.Context, configuration string) ([]TicketVersion, error) {
	pipe := r.c.TxPipeline()
	k := r.cfgKeys(configuration)
	idsCmd := pipe.ZRange(ctx, k.searching, 0, -1)
	versionsCmd := pipe.HGetAll(ctx, k.versions)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("searching versions of %s: %w", configuration, err)
	}
	versions := versionsCmd.Val()
	out := make([]TicketVersion, 0, len(idsCmd.Val()))
	for _, id := range idsCmd.Val() {
		v, err := strconv.ParseInt(versions[id], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("searching versions of %s: ticket %s: %w", configuration, id, err)
		}
		out = append(out, TicketVersion{ID: id, Version: v})
	}
	return out, nil
}

// DueTickets implements Store.
func (r *Redis) DueTickets(ctx context.Context, configuration string, now time.Time, limit int) ([]Ticket, error) {
	by := &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(now.UnixMilli(), 10)}
	if limit > 0 {
		by.Count = int64(limit)
	}
	k := r.cfgKeys(configuration)
	ids, err := r.c.ZRangeByScore(ctx, k.deadlines, by).Result()
	if err != nil {
		return nil, fmt.Errorf("due tickets of %s: %w", configuration, err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = k.ticket(id)
	}
	due := func(t *Ticket) bool {
		return !t.Status.Terminal() && !t.Deadline.IsZero() && !t.Deadline.After(now)
	}
	ts, err := r.readTickets(ctx, keys, due)
	if err != nil {
		return nil, fmt.Errorf("due tickets of %s: %w", configuration, err)
	}
	return ts, nil
}

// UpdateTicketsWithEvents implements Store: one script checks every ticket,
// then appends the events and replaces the tickets.
func (r *Redis) UpdateTicketsWithEvents(ctx context.Context, configuration string, tickets []Ticket, events []NewEvent) ([]int64, []uint64, error) {
	if err := checkUpdates(configuration, tickets); err != nil {
		return nil, nil, err
	}
	k := r.cfgKeys(configuration)
	keys := append(k.scriptKeys(2+2*len(tickets)), k.eventSeq, k.events)
	argv := make([]any, 0, 3+12*len(tickets)+2*len(events))
	argv = append(argv, len(tickets), r.opts.Retention.Milliseconds(), r.opts.MaxEvents)
	for i := range tickets {
		t := &tickets[i]
		args, err := ticketArgs(t)
		if err != nil {
			return nil, nil, fmt.Errorf("update ticket %s: %w", t.TicketId, err)
		}
		keys = append(keys, k.ticket(t.TicketId))
		argv = append(argv, t.TicketId, t.Version, t.Version+1)
		argv = append(argv, args...)
	}
	if r.oneServer {
		for i := range tickets {
			keys = append(keys, r.idKey(tickets[i].TicketId))
		}
	}
	for _, e := range events {
		ids := e.TicketIds
		if ids == nil {
			ids = []string{}
		}
		argv = append(argv, wirejson.Strings(nil, ids), e.Payload)
	}
	v, err := r.runWrite(ctx, r.c, r.scripts.updateTickets, keys, argv...).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("update tickets of %s: %w", configuration, err)
	}
	reply, err := replyStrings(v)
	if err != nil {
		return nil, nil, fmt.Errorf("update tickets of %s: %w", configuration, err)
	}
	switch reply[0] {
	case "notfound":
		return nil, nil, fmt.Errorf("update ticket %s: %w", reply[1], ErrNotFound)
	case "conflict":
		return nil, nil, fmt.Errorf("update ticket %s: stored version %s: %w", reply[1], reply[2], ErrConflict)
	case "ok":
	default:
		return nil, nil, fmt.Errorf("update tickets of %s: unexpected reply %v", configuration, reply)
	}
	if len(reply) != 1+len(tickets)+len(events) {
		return nil, nil, fmt.Errorf("update tickets of %s: unexpected reply %v", configuration, reply)
	}
	versions := make([]int64, len(tickets))
	for i := range versions {
		if versions[i], err = strconv.ParseInt(reply[1+i], 10, 64); err != nil {
			return nil, nil, fmt.Errorf("update tickets of %s: %w", configuration, err)
		}
	}
	seqs := make([]uint64, len(events))
	for i := range seqs {
		if seqs[i], err = strconv.ParseUint(reply[1+len(tickets)+i], 10, 64); err != nil {
			return nil, nil, fmt.Errorf("update tickets of %s: %w", configuration, err)
		}
	}
	return versions, seqs, nil
}

// Claim implements Store: one script checks every ticket, then moves all.
func (r *Redis) Claim(ctx context.Context, configuration, matchID string, tickets []TicketVersion, newStatus Status) error {
	if err := checkClaim(matchID, tickets); err != nil {
		return err
	}
	k := r.cfgKeys(configuration)
	keys := k.scriptKeys(len(tickets))
	argv := make([]any, 0, 3+2*len(tickets))
	argv = append(argv, matchID, string(newStatus), r.opts.Retention.Milliseconds())
	for _, tv := range tickets {
		keys = append(keys, k.ticket(tv.ID))
		argv = append(argv, tv.ID, tv.Version)
	}
	v, err := r.runWrite(ctx, r.c, r.scripts.claim, keys, argv...).Result()
	if err != nil {
		return fmt.Errorf("claim match %s: %w", matchID, err)
	}
	reply, err := replyStrings(v)
	if err != nil {
		return fmt.Errorf("claim match %s: %w", matchID, err)
	}
	if reply[0] != "ok" {
		ce := &ClaimConflictError{MatchID: matchID, TicketID: reply[1], Status: Status(reply[2])}
		ce.Version, _ = strconv.ParseInt(reply[3], 10, 64)
		for _, tv := range tickets {
			if tv.ID == ce.TicketID {
				ce.Want = tv.Version
			}
		}
		return ce
	}
	if newStatus.Terminal() {
		ids := make([]string, len(tickets))
		for i, tv := range tickets {
			ids[i] = tv.ID
		}
		r.expireIDs(ctx, ids)
	}
	return nil
}
