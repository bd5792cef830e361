package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/internal/memo"
)

// Redis is the production Store, on one Redis server or a Redis Cluster
// (any redis.UniversalClient). docs/store.md describes its keys. The caller
// owns the client and closes it.
type Redis struct {
	c       redis.UniversalClient
	opts    Options
	scripts redisScripts
	// oneServer is true on a plain client (one server, or Sentinel): a
	// script may then touch keys of any hash tag, so a create is one script.
	oneServer bool
	// tickets and playerSessions route the creates of each kind (see
	// createRoute); their windows may differ (Options.TicketBatchWindow).
	tickets, playerSessions createRoute
	// oldReservedMoved is set once the index of reservations written before
	// 2026-12-06 is found empty (moveOldReservations).
	oldReservedMoved atomic.Bool
	// fleetSets and cfgSets hold the fleets' and the configurations' key
	// sets (fleetKeySet, cfgKeySet).
	fleetSets memo.Map[string, *fleetKeySet]
	cfgSets   memo.Map[string, *cfgKeySet]
}

// createRoute sends one kind of create script. On a plain client it has
// an autopipeliner (batcher): when more than batchAbove creates of its kind
// are in flight, a create goes through it, so that the creates of
// concurrent callers share round trips (one write and one read for a batch,
// on both sides). Fewer go to the client directly, which avoids the
// hand-off to the batcher's goroutine when there is nothing to batch with.
// window is the batcher's wait (its MaxFlushDelay), or 0. With a window, a
// create that comes less than followWindows windows after the one before
// goes through the batcher too, whose wait gathers creates that arrive one
// by one at a steady rate; a create after a quiet spell goes directly, with
// no wait.
type createRoute struct {
	direct   redis.Scripter
	batcher  redis.Scripter
	window   time.Duration
	inFlight atomic.Int64
	last     atomic.Int64
}

// followWindows is how many windows after the create before a create still
// goes through the batcher: with a 1 ms window, at a steady 1,000 creates a
// second or more nearly every create is gathered, and at 100 a second two
// in three go directly (gaps spread exponentially).
const followWindows = 4

// batchAbove is how many creates must be in flight for a new one to be
// batched whatever the window.
const batchAbove = 4

// scripter returns where a create script is sent; the caller calls done
// when the create has its reply.
func (c *createRoute) scripter() (s redis.Scripter, done func()) {
	if c.batcher == nil {
		return c.direct, func() {}
	}
	if c.inFlight.Add(1) > batchAbove || c.followsClosely() {
		return c.batcher, c.done
	}
	return c.direct, c.done
}

// followsClosely records a create's start and reports whether it comes
// less than followWindows windows after the one before (never without a
// window).
func (c *createRoute) followsClosely() bool {
	if c.window <= 0 {
		return false
	}
	now := time.Now().UnixNano()
	return now-c.last.Swap(now) < followWindows*int64(c.window)
}

func (c *createRoute) done() { c.inFlight.Add(-1) }

var _ Store = (*Redis)(nil)

// idPendingWindow is how long a global ticket id index entry without its
// ticket is taken to be a create still in flight rather than a leftover.
const idPendingWindow = time.Minute

// ticketBatchFull is how many ticket creates end the wait of their own
// autopipeliner at once: a long window saves round trips at moderate rates,
// where a batch gathers a few creates, and must not hold back a full one
// (in a closed loop of 32 callers a 2 ms wait for batches of up to 100 cut
// the rate by 30%).
const ticketBatchFull = 16

// NewRedis returns a Store on c. On a plain *redis.Client, ticket and
// player session creates made while several others are in flight go
// through an autopipeliner, which closing the client stops; so do those
// that follow another closely when a batch window is set (see createRoute).
// Player session creates use the client's shared autopipeliner
// (redis.Client.AutoPipeline, configured by redis.Options.AutoPipelineOptions,
// whose MaxFlushDelay is their window); ticket creates use one of their own
// when Options.TicketBatchWindow differs from that window, on the same
// connections: each such call starts one, which runs until the client is
// closed, so a process makes one Redis store per client.
func NewRedis(c redis.UniversalClient, opts Options) *Redis {
	r := &Redis{c: c, opts: opts.WithDefaults(), scripts: newRedisScripts()}
	r.tickets.direct, r.playerSessions.direct = c, c
	one, ok := c.(*redis.Client)
	if !ok {
		return r
	}
	r.oneServer = true
	ap, err := one.AutoPipeline()
	if err != nil {
		return r
	}
	r.playerSessions.batcher, r.tickets.batcher = ap, ap
	apOpts := one.Options().AutoPipelineOptions
	if apOpts != nil {
		r.playerSessions.window, r.tickets.window = apOpts.MaxFlushDelay, apOpts.MaxFlushDelay
	}
	w := r.opts.TicketBatchWindow
	switch {
	case w < 0:
		w = 0
	case w == 0:
		w = r.tickets.window
	}
	if w != r.tickets.window {
		o := redis.AutoPipelineOptions{MaxFlushDelay: w, MaxBatchSize: ticketBatchFull}
		// A clone shares the client's connections and has an autopipeliner
		// of its own, which closing the client stops.
		if tap, err := one.WithTimeout(one.Options().ReadTimeout).AutoPipelineWithOptions(&o); err == nil {
			r.tickets.batcher, r.tickets.window = tap, w
		}
	}
	return r
}

// Key names. Per-configuration keys carry the configuration name as hash tag.

func (r *Redis) metaKey(name string) string { return r.opts.Prefix + "{_meta}:" + name }

func (r *Redis) ruleSetsKey() string { return r.metaKey("rulesets") }

func (r *Redis) configsKey() string { return r.metaKey("configs") }

func (r *Redis) configRuleSetsKey() string { return r.metaKey("config-rulesets") }

func (r *Redis) queuesKey() string { return r.metaKey("queues") }

func (r *Redis) configQueuesKey() string { return r.metaKey("config-queues") }

// metaKeys are the KEYS of every meta script (see luaPutConfiguration).
func (r *Redis) metaKeys() []string {
	return []string{r.ruleSetsKey(), r.configsKey(), r.configRuleSetsKey(), r.queuesKey(), r.configQueuesKey()}
}

// cfgKeySet is what a configuration's keys are made of: KEYS[1..4] of
// every ticket script (its searching ZSET, deadlines ZSET, players HASH and
// versions HASH), its tickets' key prefix, its event counter and event log
// and its wait estimate.
type cfgKeySet struct {
	searching, deadlines, players, versions string
	pool                                    []string
	ticketPrefix, eventSeq, events, wait    string
}

// cfgKeys returns cfg's key set, made once: a StartMatchmaking made nine
// key strings of its configuration for each call.
func (r *Redis) cfgKeys(cfg string) *cfgKeySet { return r.cfgSets.Get(cfg, r.newCfgKeySet) }

func (r *Redis) newCfgKeySet(cfg string) *cfgKeySet {
	tag := r.opts.Prefix + "{" + cfg + "}:"
	set := &cfgKeySet{
		searching: tag + "searching", deadlines: tag + "deadlines", players: tag + "players", versions: tag + "searching:v",
		ticketPrefix: tag + "t:", eventSeq: tag + "events:seq", events: tag + "events", wait: tag + "wait",
	}
	set.pool = []string{set.searching, set.deadlines, set.players, set.versions}
	return set
}

// ticket is the key of the configuration's ticket id.
func (k *cfgKeySet) ticket(id string) string { return k.ticketPrefix + id }

// scriptKeys are KEYS[1..4] of every ticket script, with room for extra
// more: the caller's own slice.
func (k *cfgKeySet) scriptKeys(extra int) []string {
	return append(make([]string, 0, len(k.pool)+extra), k.pool...)
}

func (r *Redis) idKey(id string) string { return r.opts.Prefix + "tid:" + id }

func (r *Redis) leaseKey(name string) string { return r.opts.Prefix + "lease:" + name }

// replyStrings reads a Lua table reply of strings and integers.
func replyStrings(v any) ([]string, error) {
	items, ok := v.([]any)
	if !ok || len(items) == 0 {
		return nil, fmt.Errorf("unexpected script reply %v", v)
	}
	out := make([]string, len(items))
	for i, it := range items {
		switch x := it.(type) {
		case string:
			out[i] = x
		case int64:
			out[i] = strconv.FormatInt(x, 10)
		default:
			return nil, fmt.Errorf("unexpected script reply item %v", it)
		}
	}
	return out, nil
}

func nsString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixNano(), 10)
}

func parseNs(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(0, ns), nil
}

// ticketArgs are ARGV 3-11 of the create and update scripts.
func ticketArgs(t *Ticket) ([]any, error) {
	b, err := ticketBody(t)
	if err != nil {
		return nil, err
	}
	return []any{b, string(t.Status), t.StatusReason, t.StatusMessage, nsString(t.EndTime),
		t.MatchId, nsString(t.Deadline), nsString(t.StartTime), playerIDsJSON(t)}, nil
}

// readFields are the HASH fields a read fetches, in decodeTicket's order.
func readFields() []string { return []string{"b", "s", "v", "r", "sm", "e", "m", "dl"} }

// decodeTicket rebuilds a ticket from the values of readFields; ok is false
// when the ticket does not exist.
func decodeTicket(vals []any) (t Ticket, ok bool, err error) {
	var f [8]string
	for i, v := range vals {
		f[i], _ = v.(string)
	}
	if f[0] == "" {
		return Ticket{}, false, nil
	}
	if err := json.Unmarshal([]byte(f[0]), &t); err != nil {
		return Ticket{}, false, fmt.Errorf("decode ticket body: %w", err)
	}
	t.Status, t.StatusReason, t.StatusMessage, t.MatchId = Status(f[1]), f[3], f[4], f[6]
	if t.Version, err = strconv.ParseInt(f[2], 10, 64); err != nil {
		return Ticket{}, false, fmt.Errorf("decode ticket %s version: %w", t.TicketId, err)
	}
	if t.EndTime, err = parseNs(f[5]); err != nil {
		return Ticket{}, false, fmt.Errorf("decode ticket %s end time: %w", t.TicketId, err)
	}
	if t.Deadline, err = parseNs(f[7]); err != nil {
		return Ticket{}, false, fmt.Errorf("decode ticket %s deadline: %w", t.TicketId, err)
	}
	return t, true, nil
}

// readTickets fetches tickets by key in one pipeline and decodes the ones
// that exist and pass keep (nil keeps all).
func (r *Redis) readTickets(ctx context.Context, keys []string, keep func(*Ticket) bool) ([]Ticket, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	pipe := r.c.Pipeline()
	cmds := make([]*redis.SliceCmd, len(keys))
	fields := readFields()
	for i, k := range keys {
		cmds[i] = pipe.HMGet(ctx, k, fields...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := make([]Ticket, 0, len(keys))
	for _, cmd := range cmds {
		t, ok, err := decodeTicket(cmd.Val())
		if err != nil {
			return nil, err
		}
		if ok && (keep == nil || keep(&t)) {
			out = append(out, t)
		}
	}
	return out, nil
}

// expireIDs shortens the global id index entries of tickets that became
// terminal to the retention period. It is best effort: the tickets are
// already written, and a leftover entry is reclaimed by CreateTicket.
func (r *Redis) expireIDs(ctx context.Context, ids []string) {
	if len(ids) == 0 {
		return
	}
	pipe := r.c.Pipeline()
	for _, id := range ids {
		pipe.PExpire(ctx, r.idKey(id), r.opts.Retention)
	}
	_, _ = pipe.Exec(ctx)
}

func isNil(err error) bool { return errors.Is(err, redis.Nil) }
