package matchmaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// place places a match and reports the outcome to the service. A match with
// a backfill ticket adds its other tickets' players to the backfill's game
// session, on the relay that hosts it; the backfill ticket completes with the
// session's connection info and no player sessions of its own (its players
// hold theirs).
func (w *former) place(ctx context.Context, cfg store.Configuration, matchID string, tickets []store.Ticket, regions []string) {
	ids := make([]string, len(tickets))
	for i, t := range tickets {
		ids[i] = t.TicketId
	}
	fail := func(detail string) {
		w.metrics.placements.WithLabelValues(cfg.Name, "failed").Inc()
		w.log.Warn("placement failed", "configuration", cfg.Name, "match", matchID, "reason", detail)
		if err := w.opts.Service.placementFailed(ctx, matchID, ids, detail); err != nil {
			w.log.Warn("report placement failure", "match", matchID, "err", err)
		}
	}
	if w.opts.Placer == nil {
		fail("no relay placement is configured for this matchmaker")
		return
	}
	arn := w.opts.Service.ConfigurationArn(cfg.Name)
	p := Placement{
		Configuration:    cfg,
		ConfigurationArn: arn,
		MatchID:          matchID,
		Tickets:          tickets,
	}
	autoID := ""
	if cfg.BackfillMode == BackfillAuto && playerCount(tickets) < w.sessionCapacity(ctx, cfg) {
		autoID = autoBackfillID(matchID)
	}
	p.MatchmakerData = matchmakerData(matchID, arn, cfg.BackfillMode, autoID, tickets)
	var backfill *store.Ticket
	for i := range tickets {
		if tickets[i].Backfill {
			backfill = &tickets[i]
		}
	}
	if backfill != nil {
		gs, err := ParseGameSessionArn(backfill.BackfillGameSessionArn)
		if err != nil {
			fail(fmt.Sprintf("backfill ticket %s: %v", backfill.TicketId, err))
			return
		}
		p.Backfill = &gs
		p.Tickets = make([]store.Ticket, 0, len(tickets)-1)
		for _, t := range tickets {
			if !t.Backfill {
				p.Tickets = append(p.Tickets, t)
			}
		}
		if len(p.Tickets) == 0 {
			fail(fmt.Sprintf("backfill ticket %s: the match adds no players", backfill.TicketId))
			return
		}
	}
	timeout := w.opts.PlacementTimeout
	if backfill == nil {
		queue, queueTimeout, err := w.queueRegions(ctx, cfg)
		if err != nil {
			fail(err.Error())
			return
		}
		p.Regions = placementRegions(queue, regions, tickets)
		timeout = queueTimeout
	}
	sp, sized := w.opts.Placer.(sessionPlacer)
	maxPlayers := 0
	if sized && backfill == nil {
		maxPlayers = w.sessionCapacity(ctx, cfg)
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	var conns map[string]store.GameSessionConnectionInfo
	var err error
	if sized {
		pending := false
		defer func() {
			if pending {
				w.waits.count.Add(-1)
				w.waits.add(cfg.Name, -1)
				w.metrics.pendingPlacements.WithLabelValues(cfg.Name).Dec()
			}
		}()
		wait := capacityWait{freed: w.waits.freedChan(), stop: w.stopping(), pending: func() bool {
			if w.waits.count.Add(1) > maxPendingPlacements {
				w.waits.count.Add(-1)
				return false
			}
			pending = true
			w.waits.add(cfg.Name, 1)
			w.metrics.pendingPlacements.WithLabelValues(cfg.Name).Inc()
			// The sweep leaves the tickets to this placement until it ends.
			deadline, _ := pctx.Deadline()
			if err := w.opts.Service.placementPending(ctx, matchID, ids, deadline.Add(pendingGrace)); err != nil {
				w.log.Warn("placement waits for capacity: ticket deadlines", "match", matchID, "err", err)
			}
			return true
		}}
		conns, err = sp.placeSession(pctx, p, maxPlayers, wait)
	} else {
		conns, err = w.opts.Placer.Place(pctx, p)
	}
	w.metrics.placementSeconds.WithLabelValues(cfg.Name).Observe(time.Since(start).Seconds())
	if errors.Is(err, errHandedOver) {
		// The former stops: the next sweep (of whichever process owns the
		// configuration then) places the match again.
		w.metrics.placements.WithLabelValues(cfg.Name, "handed_over").Inc()
		if err := w.opts.Service.placementPending(ctx, matchID, ids, w.opts.Now()); err != nil {
			w.log.Warn("hand over a placement waiting for capacity", "match", matchID, "err", err)
		}
		return
	}
	if err != nil {
		fail(err.Error())
		return
	}
	if backfill != nil {
		info := sessionConnection(conns)
		conns = maps.Clone(conns)
		if conns == nil {
			conns = map[string]store.GameSessionConnectionInfo{}
		}
		conns[backfill.TicketId] = info
	}
	if err := w.opts.Service.placementSucceeded(ctx, matchID, conns); err != nil {
		w.log.Warn("report placement", "match", matchID, "err", err)
		return
	}
	w.metrics.placements.WithLabelValues(cfg.Name, "succeeded").Inc()
	if cfg.BackfillMode == BackfillAuto {
		w.autoBackfill(ctx, cfg, matchID, tickets, sessionConnection(conns).GameSessionArn)
	}
}

// autoBackfillID is the id of the automatic backfill ticket of the session
// that match matchID created or filled: known before the placement (the
// session's matchmakerData carries it), and the same if the match is placed
// again.
func autoBackfillID(matchID string) string { return "auto-backfill-" + matchID }

// autoBackfill starts the automatic backfill ticket of a game session of an
// AUTOMATIC configuration that the match of tickets (a backfill match: the
// backfill ticket and the new ones) has just created or filled, when the
// session has open slots: the rule set's capacity is more than the players
// of tickets, who are the backfill ticket's players, as StartMatchBackfill
// takes them. FlexMatch's automatic backfill fills a session that starts
// short until it is full or its backfill ticket is stopped; it does not
// replace players who leave (BackfillLeaversProperty does, Matchpoint's own).
func (w *former) autoBackfill(ctx context.Context, cfg store.Configuration, matchID string, tickets []store.Ticket, gameSessionArn string) {
	capacity := w.sessionCapacity(ctx, cfg)
	if gameSessionArn == "" || playerCount(tickets) >= capacity {
		return
	}
	var players []store.Player
	for _, t := range tickets {
		players = append(players, t.Players...)
	}
	id := autoBackfillID(matchID)
	_, err := w.opts.Service.StartMatchBackfill(ctx, &StartMatchBackfillInput{TicketId: id, ConfigurationName: cfg.Name,
		GameSessionArn: gameSessionArn, Players: players})
	if err != nil {
		w.log.Warn("automatic backfill: start the backfill ticket", "configuration", cfg.Name, "match", matchID, "ticket", id, "err", err)
		return
	}
	w.log.Info("automatic backfill ticket started", "configuration", cfg.Name, "match", matchID, "ticket", id,
		"gameSessionArn", gameSessionArn, "players", len(players), "capacity", capacity)
}

// sessionPlacer is a Placer that also takes the maximum players of the game
// session it creates (*BusPlacer is one; 0 leaves it to the placer) and
// waits for capacity as wait says.
type sessionPlacer interface {
	placeSession(ctx context.Context, p Placement, maxPlayers int, wait capacityWait) (map[string]store.GameSessionConnectionInfo, error)
}

// maxPendingPlacements bounds the placements one matchmaker process holds
// waiting for capacity; one more fails at once.
const maxPendingPlacements = 10000

// maxCapacityBackoff is the longest pause between two rounds of a placement
// that waits for capacity (the pause doubles from BusPlacer.Backoff).
const maxCapacityBackoff = 5 * time.Second

// pendingGrace is how long after its placement's deadline a ticket of a
// placement waiting for capacity is left to it before the sweep acts.
const pendingGrace = 10 * time.Second

// errHandedOver ends a placement waiting for capacity when its former stops.
var errHandedOver = errors.New("the matchmaker stopped: the placement waiting for capacity is handed over")

// capacityWait is how a placement waits for capacity when a round over its
// regions placed nothing (every relay FULL or draining, no relay running,
// no answer in time), as a GameLift queue keeps a placement pending until
// its timeout. The zero value waits with the backoff alone.
type capacityWait struct {
	// pending is called once, after the first round that placed nothing;
	// false (too many placements wait) fails the placement at once.
	pending func() bool
	// freed wakes the wait: a game session ended, capacity may be free.
	freed <-chan struct{}
	// stop ends the wait with errHandedOver.
	stop <-chan struct{}
}

// placementWaits counts a former's placements waiting for capacity and
// wakes one of them each time a game session ends.
type placementWaits struct {
	count atomic.Int64
	once  sync.Once
	freed chan struct{}

	mu       sync.Mutex
	byConfig map[string]int // placements waiting, by configuration
}

// add counts n more placements of configuration waiting for capacity.
func (pw *placementWaits) add(configuration string, n int) {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if pw.byConfig == nil {
		pw.byConfig = map[string]int{}
	}
	if pw.byConfig[configuration] += n; pw.byConfig[configuration] <= 0 {
		delete(pw.byConfig, configuration)
	}
}

// pending returns the placements waiting for capacity, by configuration.
func (pw *placementWaits) pending() map[string]int {
	pw.mu.Lock()
	defer pw.mu.Unlock()
	out := make(map[string]int, len(pw.byConfig))
	for k, v := range pw.byConfig {
		out[k] = v
	}
	return out
}

func (pw *placementWaits) freedChan() chan struct{} {
	pw.once.Do(func() { pw.freed = make(chan struct{}) })
	return pw.freed
}

// PendingPlacements returns, by configuration, the matches this process is
// placing that wait for relay capacity (matchpoint_placements_pending): the
// dashboard shows them.
func (s *Service) PendingPlacements() map[string]int { return s.former.waits.pending() }

// capacityFreed wakes the longest waiting placement, if any: a game session
// ended.
func (pw *placementWaits) capacityFreed() {
	select {
	case pw.freedChan() <- struct{}{}:
	default:
	}
}

// stopping is closed when the former's run ends (nil before run).
func (w *former) stopping() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.runCtx == nil {
		return nil
	}
	return w.runCtx.Done()
}

// sessionCapacity is the maximum players of a new game session of cfg, as
// GameLift sets it: the capacity of the configuration's rule set (the sum
// over its teams of maxPlayers times quantity), so that backfill can fill
// the teams a match formed short. It is 0 (the placer's default) when the
// rule set cannot be read.
func (w *former) sessionCapacity(ctx context.Context, cfg store.Configuration) int {
	n, err := ruleSetCapacities.get(ctx, w.opts.Store, cfg.RuleSetName)
	if err != nil {
		w.log.Warn("game session capacity: the session holds the match's players and the configuration's additional player count",
			"configuration", cfg.Name, "err", err)
	}
	return n
}

// capacityCache holds the capacity of each rule set by name, with the body
// it was computed from, so that a placement compiles a rule set only when
// its body changed.
type capacityCache struct {
	mu sync.Mutex
	m  map[string]ruleSetCapacity
}

type ruleSetCapacity struct {
	body     string
	capacity int
}

var ruleSetCapacities = &capacityCache{m: map[string]ruleSetCapacity{}}

func (c *capacityCache) get(ctx context.Context, st store.Store, name string) (int, error) {
	doc, err := st.GetRuleSet(ctx, name)
	if err != nil {
		return 0, fmt.Errorf("read rule set %q: %w", name, err)
	}
	c.mu.Lock()
	cached, ok := c.m[name]
	c.mu.Unlock()
	if ok && cached.body == doc.Body {
		return cached.capacity, nil
	}
	rs, err := rules.CompileJSON([]byte(doc.Body))
	if err != nil {
		return 0, fmt.Errorf("compile rule set %q: %w", name, err)
	}
	c.mu.Lock()
	c.m[name] = ruleSetCapacity{body: doc.Body, capacity: rs.MaxPlayers()}
	c.mu.Unlock()
	return rs.MaxPlayers(), nil
}

// playerCount is the number of players of tickets.
func playerCount(tickets []store.Ticket) int {
	n := 0
	for _, t := range tickets {
		n += len(t.Players)
	}
	return n
}

// sessionConnection is the connection info of the session the tickets of
// conns joined, without player sessions.
func sessionConnection(conns map[string]store.GameSessionConnectionInfo) store.GameSessionConnectionInfo {
	for _, ci := range conns {
		ci.MatchedPlayerSessions = nil
		return ci
	}
	return store.GameSessionConnectionInfo{}
}

// RelaySession is a running game session on a relay, as its ARN names it:
// arn:aws:gamelift:<region>:<account>:gamesession/<relayId>/<gameSessionId>
// (relays leave the account empty).
type RelaySession struct {
	Arn           string
	Region        string
	RelayID       string
	GameSessionID string
}

// ParseGameSessionArn reads the region, relay and game session of a game
// session ARN as relays write it.
func ParseGameSessionArn(arn string) (RelaySession, error) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "gamelift" || parts[3] == "" {
		return RelaySession{}, fmt.Errorf("game session ARN %q is not arn:aws:gamelift:<region>::gamesession/<relayId>/<gameSessionId>", arn)
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 || res[0] != "gamesession" || res[1] == "" || res[2] == "" {
		return RelaySession{}, fmt.Errorf("game session ARN %q does not name a relay and a game session (gamesession/<relayId>/<gameSessionId>)", arn)
	}
	return RelaySession{Arn: arn, Region: parts[3], RelayID: res[1], GameSessionID: res[2]}, nil
}

// queueRegions returns where the configuration's matches are placed, in
// order of preference, and the time one placement may take. A configuration
// that names game session queues uses their regions (each queue's in turn)
// and the first queue's TimeoutInSeconds (a placement waits for capacity
// that long, as in a GameLift queue); one that names none uses its own
// Regions, else the former's default regions, with the former's
// PlacementTimeout.
func (w *former) queueRegions(ctx context.Context, cfg store.Configuration) ([]string, time.Duration, error) {
	timeout := w.opts.PlacementTimeout
	names := cfg.QueueNames()
	if len(names) == 0 {
		if len(cfg.Regions) > 0 {
			return cfg.Regions, timeout, nil
		}
		return w.opts.Regions, timeout, nil
	}
	var regions []string
	for i, name := range names {
		q, err := w.opts.Store.GetQueue(ctx, name)
		if err != nil {
			return nil, 0, fmt.Errorf("game session queue %q: %w", name, err)
		}
		if i == 0 && q.TimeoutSeconds > 0 {
			timeout = time.Duration(q.TimeoutSeconds) * time.Second
		}
		for _, r := range q.Regions {
			if !slices.Contains(regions, r) {
				regions = append(regions, r)
			}
		}
	}
	return regions, timeout, nil
}

// placementRegions orders the regions a match may be placed in. The
// configuration's regions (its game session queue) bound the choice when it
// names any. Regions that passed the latency rules come first, best first;
// without latency rules, regions where every player reported a latency come
// first, lowest worst-player latency first; the queue's other regions follow
// in queue order, as GameLift may place a queue match in a region that does
// not satisfy the latency rule.
func placementRegions(queue, passed []string, tickets []store.Ticket) []string {
	order := passed
	if len(order) == 0 {
		order = byWorstLatency(tickets)
	}
	var out []string
	seen := map[string]bool{}
	add := func(r string) {
		if r != "" && !seen[r] && (len(queue) == 0 || slices.Contains(queue, r)) {
			seen[r] = true
			out = append(out, r)
		}
	}
	for _, r := range order {
		add(r)
	}
	for _, r := range queue {
		add(r)
	}
	return out
}

// byWorstLatency lists the regions every player reported, lowest worst-player
// latency first.
func byWorstLatency(tickets []store.Ticket) []string {
	worst := map[string]int{}
	count := map[string]int{}
	players := 0
	for _, t := range tickets {
		for _, p := range t.Players {
			players++
			for r, ms := range p.LatencyInMs {
				count[r]++
				worst[r] = max(worst[r], ms)
			}
		}
	}
	var out []string
	for r, n := range count {
		if n == players {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if worst[out[i]] != worst[out[j]] {
			return worst[out[i]] < worst[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// ScriptProperty is the game property by which a configuration names the server
// script of its game sessions (FlexMatch configurations have no script field):
// when a configuration's GameProperties hold this key, its placements ask for
// the script its value names (an empty value: none), whatever BusPlacer.Script
// says. The property is passed on to the session with the others.
const ScriptProperty = "matchpoint:script"

// BusPlacer places matches on the relays of a region over NATS.
type BusPlacer struct {
	Conn *bus.Conn
	// Script names the server script new sessions run when their configuration
	// does not name one (ScriptProperty); empty for none.
	Script string
	// TryTimeout bounds one request to one region (default 5s). A try never
	// takes more than half of the time left, so that a request lost with a
	// relay leaves time for another.
	TryTimeout time.Duration
	// Backoff is the pause between rounds over every region (default 250ms).
	Backoff time.Duration
}

// relayGoneGrace is how long a backfill retries a relay that has no
// subscription (it may be reconnecting to NATS) before its session is taken
// for gone.
const relayGoneGrace = 2 * time.Second

func (b *BusPlacer) timeouts() (try, backoff time.Duration) {
	try, backoff = b.TryTimeout, b.Backoff
	if try <= 0 {
		try = 5 * time.Second
	}
	if backoff <= 0 {
		backoff = 250 * time.Millisecond
	}
	return try, backoff
}

// request sends req once, bounded by the try timeout, with the placement's
// deadline (or the try's end) as the relay's deadline, which it returns.
func (b *BusPlacer) request(ctx context.Context, req bus.PlacementRequest, try time.Duration) (bus.PlacementReply, time.Time, error) {
	if deadline, ok := ctx.Deadline(); ok {
		try = min(try, max(time.Until(deadline)/2, 50*time.Millisecond))
		req.Deadline = deadline
	} else {
		req.Deadline = time.Now().Add(try)
	}
	tctx, cancel := context.WithTimeout(ctx, try)
	defer cancel()
	reply, err := b.Conn.RequestPlacement(tctx, req)
	return reply, req.Deadline, err
}

// withdrawTries publishes through pub the cancellation of the tries of
// req's match up to req.Attempt to the relays of req.Region, after a try
// that got no answer (a FlexMatch placement's, or a CreateGameSession's): a
// relay that took it ends the session it created, if no player joined, and
// refuses it if it arrives later (docs/bus.md, Cancellation). It never
// waits: the publish is buffered by the NATS client.
func withdrawTries(ctx context.Context, pub placementWithdrawer, req bus.PlacementRequest, deadline time.Time) error {
	err := pub.PublishPlacementCancel(context.WithoutCancel(ctx), bus.PlacementCancel{MatchID: req.MatchID, Region: req.Region,
		Attempt: req.Attempt, Deadline: deadline})
	if err != nil {
		return fmt.Errorf("cancel try %d of match %s in %s: %w", req.Attempt, req.MatchID, req.Region, err)
	}
	return nil
}

// Place asks the relays of each region in turn, until one creates the game
// session or ctx ends. A region without relays, a full or draining relay and
// a relay that does not answer in time move on to the next region (after a
// try that got no answer, the relays of its region are told to cancel it,
// so that the retry, which may land on another relay, leaves no second
// session behind); a round
// over every region that fails starts again after Backoff. A round in which
// no region has a relay (NATS answers no responders in each) fails at once,
// naming the regions, and so does a refusal that no retry can fix (INVALID).
// A backfill goes to the relay that hosts the session (see placeBackfill).
// The new session holds the match's players and the configuration's
// AdditionalPlayerCount; the former gives it the rule set's capacity.
func (b *BusPlacer) Place(ctx context.Context, p Placement) (map[string]store.GameSessionConnectionInfo, error) {
	return b.placeSession(ctx, p, 0, capacityWait{})
}

// placeSession is Place with the new session's maximum players: at least
// maxPlayers, and at least the match's players and the configuration's
// AdditionalPlayerCount.
func (b *BusPlacer) placeSession(ctx context.Context, p Placement, maxPlayers int, wait capacityWait) (map[string]store.GameSessionConnectionInfo, error) {
	if p.Backfill != nil {
		return b.placeBackfill(ctx, p)
	}
	if len(p.Regions) == 0 {
		return nil, errors.New("no region to place the match in: the configuration names no regions and the players reported no latencies")
	}
	try, backoff := b.timeouts()
	req := placementRequest(p, b.Script)
	req.MaxPlayers = max(req.MaxPlayers, maxPlayers)
	var problems []string
	delay, waiting := backoff, false
	for {
		problems = problems[:0]
		noRelay := 0
		for _, region := range p.Regions {
			req.Region = region
			req.Attempt++
			reply, deadline, err := b.request(ctx, req, try)
			if err == nil {
				return connections(p.Tickets, reply), nil
			}
			if errors.Is(err, bus.ErrTimeout) {
				if cerr := withdrawTries(ctx, b.Conn, req, deadline); cerr != nil {
					err = fmt.Errorf("%w; %w", err, cerr)
				}
			}
			var re *bus.ReplyError
			if errors.As(err, &re) && !re.Code.Retryable() {
				return nil, fmt.Errorf("relay in %s refused the match: %w", region, err)
			}
			if errors.Is(err, bus.ErrMalformed) {
				return nil, fmt.Errorf("place in %s: %w", region, err)
			}
			if errors.Is(err, bus.ErrNoResponders) {
				noRelay++
			}
			problems = append(problems, fmt.Sprintf("%s: %v", region, err))
			if ctx.Err() != nil {
				break
			}
		}
		summary := strings.Join(problems, "; ")
		if noRelay == len(p.Regions) {
			summary = fmt.Sprintf("no relay in region(s) %s", strings.Join(p.Regions, ", "))
		}
		if !waiting {
			waiting = true
			if wait.pending != nil && !wait.pending() {
				return nil, fmt.Errorf("no capacity, and %d placements wait already (%s)", maxPendingPlacements, summary)
			}
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("no relay placed the match in time (%s)", summary)
		case <-wait.stop:
			timer.Stop()
			return nil, errHandedOver
		case <-wait.freed:
		case <-timer.C:
		}
		timer.Stop()
		delay = min(2*delay, max(backoff, maxCapacityBackoff))
	}
}

// placeBackfill adds the new players to the running session, on the relay
// that hosts it (its own subject, no queue group). Only a request that got no
// answer is sent again (the relay answers a repeated match id with the same
// player sessions); a refusal (the session is full or over, the relay
// drains) fails at once, and so does a relay that has had no subscription
// for relayGoneGrace.
func (b *BusPlacer) placeBackfill(ctx context.Context, p Placement) (map[string]store.GameSessionConnectionInfo, error) {
	gs := p.Backfill
	try, backoff := b.timeouts()
	req := placementRequest(p, b.Script)
	req.Region, req.RelayID, req.GameSessionID = gs.Region, gs.RelayID, gs.GameSessionID
	// The relay keeps the session's own maximum; the request's must only
	// cover the players it adds.
	req.MaxPlayers = len(req.Players)
	start := time.Now()
	for {
		reply, _, err := b.request(ctx, req, try)
		switch {
		case err == nil:
			return connections(p.Tickets, reply), nil
		case errors.Is(err, bus.ErrRefused):
			return nil, fmt.Errorf("relay %s refused the backfill into game session %s: %w", gs.RelayID, gs.GameSessionID, err)
		case errors.Is(err, bus.ErrMalformed):
			return nil, fmt.Errorf("backfill into game session %s: %w", gs.GameSessionID, err)
		case errors.Is(err, bus.ErrNoResponders) && time.Since(start) >= relayGoneGrace:
			return nil, fmt.Errorf("relay %s, which hosts game session %s, is gone: %w", gs.RelayID, gs.GameSessionID, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("relay %s did not take the backfill into game session %s in time: %w", gs.RelayID, gs.GameSessionID, err)
		case <-time.After(backoff):
		}
	}
}

// placementRequest builds the request of placement p; script is the placer's
// default script, which the configuration's ScriptProperty overrides.
func placementRequest(p Placement, script string) bus.PlacementRequest {
	cfg := p.Configuration
	for _, gp := range cfg.GameProperties {
		if gp.Key == ScriptProperty {
			script = gp.Value
		}
	}
	req := bus.PlacementRequest{
		MatchID:          p.MatchID,
		Configuration:    cfg.Name,
		ConfigurationARN: p.ConfigurationArn,
		Script:           script,
		GameSessionData:  cfg.GameSessionData,
		MatchmakerData:   p.MatchmakerData,
		BackfillMode:     cfg.BackfillMode,
	}
	for _, gp := range cfg.GameProperties {
		req.GameProperties = append(req.GameProperties, bus.GameProperty{Key: gp.Key, Value: gp.Value})
	}
	for _, t := range p.Tickets {
		for _, pl := range t.Players {
			bp := bus.Player{PlayerID: pl.PlayerId, Team: pl.Team, LatencyInMs: pl.LatencyInMs}
			if len(pl.PlayerAttributes) > 0 {
				bp.Attributes, _ = json.Marshal(pl.PlayerAttributes)
			}
			req.Players = append(req.Players, bp)
		}
	}
	req.MaxPlayers = len(req.Players) + cfg.AdditionalPlayerCount
	return req
}

// connections maps a placement reply to each ticket's connection info.
func connections(tickets []store.Ticket, reply bus.PlacementReply) map[string]store.GameSessionConnectionInfo {
	sessions := make(map[string]string, len(reply.PlayerSessions))
	for _, ps := range reply.PlayerSessions {
		sessions[ps.PlayerID] = ps.PlayerSessionID
	}
	out := make(map[string]store.GameSessionConnectionInfo, len(tickets))
	for _, t := range tickets {
		ci := store.GameSessionConnectionInfo{GameSessionArn: reply.GameSessionARN}
		if e := reply.Endpoint; e != nil {
			ci.IpAddress, ci.DnsName, ci.Port = e.IPAddress, e.DNSName, e.TCPPort
		}
		for _, pl := range t.Players {
			ci.MatchedPlayerSessions = append(ci.MatchedPlayerSessions, store.MatchedPlayerSession{PlayerId: pl.PlayerId, PlayerSessionId: sessions[pl.PlayerId]})
		}
		out[t.TicketId] = ci
	}
	return out
}

// matchmakerData builds the FlexMatch matchmakerData document a game session
// receives: match id, configuration ARN, teams with their players and
// attributes (typed as the GameLift server SDK reads them), and the
// auto-backfill settings: the mode and, when the session starts with open
// slots, the id of its automatic backfill ticket.
func matchmakerData(matchID, configurationArn, backfillMode, autoBackfillTicketID string, tickets []store.Ticket) string {
	type attr struct {
		AttributeType  string `json:"attributeType"`
		ValueAttribute any    `json:"valueAttribute"`
	}
	type player struct {
		PlayerID   string          `json:"playerId"`
		Attributes map[string]attr `json:"attributes,omitempty"`
	}
	type team struct {
		Name    string   `json:"name"`
		Players []player `json:"players"`
	}
	var teams []team
	index := map[string]int{}
	for _, t := range tickets {
		for _, p := range t.Players {
			i, ok := index[p.Team]
			if !ok {
				i = len(teams)
				index[p.Team] = i
				teams = append(teams, team{Name: p.Team})
			}
			pl := player{PlayerID: p.PlayerId}
			if len(p.PlayerAttributes) > 0 {
				pl.Attributes = make(map[string]attr, len(p.PlayerAttributes))
				for name, v := range p.PlayerAttributes {
					switch {
					case v.S != nil:
						pl.Attributes[name] = attr{"STRING", *v.S}
					case v.N != nil && !math.IsNaN(*v.N):
						pl.Attributes[name] = attr{"DOUBLE", *v.N}
					case v.SDM != nil:
						pl.Attributes[name] = attr{"STRING_DOUBLE_MAP", v.SDM}
					default:
						pl.Attributes[name] = attr{"STRING_LIST", v.SL}
					}
				}
			}
			teams[i].Players = append(teams[i].Players, pl)
		}
	}
	doc := struct {
		MatchID              string  `json:"matchId"`
		ConfigurationArn     string  `json:"matchmakingConfigurationArn"`
		Teams                []team  `json:"teams"`
		AutoBackfillMode     *string `json:"autoBackfillMode"`
		AutoBackfillTicketID *string `json:"autoBackfillTicketId"`
	}{MatchID: matchID, ConfigurationArn: configurationArn, Teams: teams}
	if backfillMode != "" {
		doc.AutoBackfillMode = &backfillMode
	}
	if autoBackfillTicketID != "" {
		doc.AutoBackfillTicketID = &autoBackfillTicketID
	}
	b, _ := json.Marshal(doc)
	return string(b)
}
