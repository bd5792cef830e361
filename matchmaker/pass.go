package matchmaker

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// configLoop is the forming state of one owned configuration.
type configLoop struct {
	w     *former
	name  string
	kept  *keptOut
	inbox *inbox
	rules ruleSets
	pool  *pool
	seed  uint64
	cache snapshotCache
	// waits holds the times to match of the last matched tickets, for the
	// configuration's wait estimate; estimates, what was last written of it.
	waits     waitSamples
	estimates estimateWrites
	// last is the fingerprint of the pool at the last forming pass, formed
	// when that pass ran and rs the rule set it used.
	last   uint64
	formed time.Time
	lastRS *rules.RuleSet
	// cfg and rsDoc are the configuration and its rule set as read at
	// cfgRead; swept is when the last sweep ran.
	cfg     store.Configuration
	rsDoc   store.RuleSet
	cfgRead time.Time
	swept   time.Time
	// relist asks the next pass to list the pool from the store: tickets
	// were announced by another process, or a claim found one changed.
	relist *atomic.Bool
	// reread asks the next pass to read the configuration and rule set
	// again: the configuration changed.
	reread *atomic.Bool
	// claimedMu guards claimed, the tickets the pass's claims took.
	claimedMu sync.Mutex
	claimed   []string
}

// configRefresh is how often a loop reads its configuration and rule set
// again: a change made through any process is seen within it.
const configRefresh = time.Second

// refreshEvery is the longest a configuration goes without a forming pass
// when its pool does not change: random batching groups tickets anew.
const refreshEvery = 5 * time.Second

// pass runs one forming pass. It returns done when the configuration is
// gone and the loop should stop, and claimed when the pass claimed a match
// (more tickets may be waiting) or lost a claim (the pool must be listed
// again).
func (c *configLoop) pass(ctx context.Context) (done, claimed bool) {
	w := c.w
	start := time.Now()
	now := w.opts.Now()
	if done, ok := c.readConfig(ctx, start); done || !ok {
		return done, false
	}
	cfg := c.cfg
	// Every Interval the pass sweeps the timeouts and lists the pool from the
	// store; the passes brought forward in between by arrivals or claims
	// form from the pool held (snapshotCache).
	list := c.relist.Swap(false)
	if start.Sub(c.swept) >= w.opts.Interval {
		c.swept, list = start, true
		if _, err := w.opts.Service.sweep(ctx, c.name, now); err != nil {
			c.warn(ctx, "sweep timeouts", err)
		}
	}
	rs, err := c.rules.get(c.rsDoc)
	if err != nil {
		c.warn(ctx, "compile rule set", err)
		return false, false
	}
	if c.pool == nil || c.pool.rs != rs {
		c.pool = newPool(rs)
	}
	snapshot, fingerprint, err := c.cache.read(ctx, w.opts.Store, c.name, c.inbox.drain(), list)
	if err != nil {
		c.warn(ctx, "read searching tickets", err)
		return false, false
	}
	// A pool that has not changed since the last pass, under the same rule
	// set and with no expansion step reached since, would form nothing new.
	if fingerprint == c.last && rs == c.lastRS && now.Sub(c.formed) < refreshEvery && !expansionDue(rs.Definition(), snapshot, c.formed, now) {
		w.metrics.skippedPasses.WithLabelValues(c.name).Inc()
		return false, false
	}
	c.last, c.formed, c.lastRS = fingerprint, now, rs
	normal := make([]store.Ticket, 0, len(snapshot))
	var backfill []store.Ticket
	for i := range snapshot {
		t := &snapshot[i]
		switch {
		case !t.Backfill:
			normal = append(normal, *t)
		case t.BackfillGameSessionArn != "" && w.sessionEnded(t.BackfillGameSessionArn):
			c.cancelBackfill(ctx, t)
		default:
			backfill = append(backfill, *t)
		}
	}
	ready, unmatchable := c.pool.refresh(normal)
	c.kept.unmatchable(unmatchable)
	w.metrics.pool.WithLabelValues(c.name).Set(float64(len(snapshot)))
	w.metrics.unmatchable.WithLabelValues(c.name).Set(float64(len(unmatchable)))
	if len(ready) == 0 {
		return false, false
	}
	c.seed++
	opts := w.opts.Forming
	opts.Seed = c.seed
	in := forming.Input{Tickets: ready, Now: now, AdditionalPlayerCount: cfg.AdditionalPlayerCount}
	byID := make(map[string]*store.Ticket, len(snapshot))
	for i := range snapshot {
		byID[snapshot[i].TicketId] = &snapshot[i]
	}
	for i := range backfill {
		if req, ok := c.backfillRequest(rs, &backfill[i]); ok {
			in.Backfill = append(in.Backfill, req)
		}
	}
	res, err := forming.Form(rs, in, opts)
	if err != nil {
		c.warn(ctx, "form matches", err)
		return false, false
	}
	c.kept.retain(func(id string) bool { _, ok := byID[id]; return ok })
	c.kept.add(rs, res.Kept)
	c.observe(res)
	n := c.claimAll(ctx, cfg, rs, res.Matches, byID)
	if n > 0 {
		c.recordEstimate(ctx)
	}
	c.cache.drop(c.claimed)
	c.claimed = c.claimed[:0]
	// A lost claim lists the pool again at once.
	claimed = n > 0 || c.relist.Load()
	w.metrics.passSeconds.WithLabelValues(c.name).Observe(time.Since(start).Seconds())
	return false, claimed
}

// readConfig reads the configuration and its rule set when the copies the
// loop holds are older than configRefresh, or the configuration changed
// (reread). done reports the configuration gone; ok, that the loop holds a
// configuration to form with.
func (c *configLoop) readConfig(ctx context.Context, now time.Time) (done, ok bool) {
	if !c.reread.Swap(false) && !c.cfgRead.IsZero() && now.Sub(c.cfgRead) < configRefresh {
		return false, true
	}
	cfg, err := c.w.opts.Store.GetConfiguration(ctx, c.name)
	if errors.Is(err, store.ErrNotFound) {
		return true, false
	}
	if err != nil {
		c.warn(ctx, "read configuration", err)
		return false, false
	}
	rsDoc, err := c.w.opts.Store.GetRuleSet(ctx, cfg.RuleSetName)
	if err != nil {
		c.warn(ctx, "read rule set", err)
		return false, false
	}
	c.cfg, c.rsDoc, c.cfgRead = cfg, rsDoc, now
	return false, true
}

// recordEstimate writes the configuration's wait estimate to the store, for
// every process that answers DescribeMatchmaking, after a pass that matched:
// when it changed, else at most every estimateRewrite (estimateWrites), one
// small write. When there is too little recent data it
// writes nothing, and the last estimate written expires by itself when
// there is too little data for it.
func (c *configLoop) recordEstimate(ctx context.Context) {
	now := c.w.opts.Now()
	seconds, ttl, ok := c.waits.estimate(now)
	if !ok || !c.estimates.due(seconds, now) {
		return
	}
	if err := c.w.opts.Store.SetWaitEstimate(ctx, c.name, seconds, ttl); err != nil {
		c.warn(ctx, "record wait estimate", err)
		return
	}
	c.estimates.wrote(seconds, now)
}

// observe counts a pass's rule outcomes and what kept its unmatched tickets
// out.
func (c *configLoop) observe(res forming.Result) {
	m := c.w.metrics
	for _, rm := range res.Metrics {
		m.ruleOutcomes.WithLabelValues(c.name, rm.RuleName, "passed").Add(float64(rm.PassedCount))
		m.ruleOutcomes.WithLabelValues(c.name, rm.RuleName, "failed").Add(float64(rm.FailedCount))
	}
	byRule := map[string]int{}
	for _, rm := range res.Metrics {
		byRule[rm.RuleName] = 0
	}
	for _, ko := range res.Kept {
		if rule := mostFailed(ko.Metrics); rule != "" {
			byRule[rule]++
		}
	}
	for rule, n := range byRule {
		m.keptOut.WithLabelValues(c.name, rule).Set(float64(n))
	}
}

// mostFailed is the rule that failed most often, "" when none failed.
func mostFailed(metrics []forming.RuleMetric) string {
	best, worst := "", 0
	for _, rm := range metrics {
		if rm.FailedCount > worst {
			best, worst = rm.RuleName, rm.FailedCount
		}
	}
	return best
}

func (c *configLoop) warn(ctx context.Context, what string, err error) {
	if ctx.Err() == nil {
		c.w.log.Warn(what, "configuration", c.name, "err", err)
	}
}

// backfillSeparator joins a backfill ticket's id and a player id into the id
// of the one-player ticket that stands for that player in forming.
const backfillSeparator = "\x00"

// backfillRequest turns a backfill ticket (the session's current players, each
// with a team) into a forming request.
func (c *configLoop) backfillRequest(rs *rules.RuleSet, t *store.Ticket) (forming.BackfillRequest, bool) {
	teams := rs.Teams()
	req := forming.BackfillRequest{ID: t.TicketId, Teams: make([][]*forming.Ticket, len(teams))}
	spec := forming.TicketSpec(t.TicketId, t.StartTime, t.Backfill, t.Players)
	for i, p := range spec.Players {
		team := -1
		for ti, tm := range teams {
			if tm.Name == t.Players[i].Team {
				team = ti
			}
		}
		if team < 0 {
			c.w.log.Warn("backfill ticket names an unknown team", "ticket", t.TicketId, "team", t.Players[i].Team)
			return req, false
		}
		pt, err := forming.Prepare(rs, rules.TicketSpec{ID: t.TicketId + backfillSeparator + p.ID, Start: t.StartTime, Backfill: true, Players: []rules.Player{p}})
		if err != nil {
			c.w.log.Warn("backfill ticket cannot match", "ticket", t.TicketId, "err", err)
			return req, false
		}
		req.Teams[team] = append(req.Teams[team], pt)
	}
	return req, true
}

// cancelBackfill cancels a backfill ticket whose game session has ended.
func (c *configLoop) cancelBackfill(ctx context.Context, t *store.Ticket) {
	if _, err := c.w.opts.Service.StopMatchmaking(ctx, &StopMatchmakingInput{TicketId: t.TicketId}); err != nil {
		c.warn(ctx, "cancel the backfill of an ended game session", err)
		return
	}
	c.w.log.Info("backfill cancelled: its game session ended", "configuration", c.name, "ticket", t.TicketId, "gameSessionArn", t.BackfillGameSessionArn)
}

// claimParallelism bounds the batches of one pass's claims (claimAll) handed
// over at once. The matches of one pass have disjoint tickets and can go
// concurrently.
const claimParallelism = 16

// claimBatchTickets bounds the tickets of one store step that hands several
// matches over (handOverAll): one Redis script runs alone, so a pass of
// hundreds of matches goes in several.
const claimBatchTickets = 64

// claimAll claims the matches of one pass and hands them on, and returns when
// all are, so that the next pass sees their tickets gone from the pool. The
// matches go in batches of up to claimBatchTickets tickets, one store step
// each; a batch that loses a race (a ticket cancelled or changed since the
// pass read it) goes again one match at a time, so that only the matches of
// that ticket are lost. It returns the number of matches claimed.
func (c *configLoop) claimAll(ctx context.Context, cfg store.Configuration, rs *rules.RuleSet, matches []forming.Match, byID map[string]*store.Ticket) int {
	var batches [][]*claimStep
	var batch []*claimStep
	size := 0
	for i := range matches {
		st := c.prepareClaim(cfg, rs, &matches[i], byID)
		if st == nil {
			continue
		}
		if size > 0 && size+len(st.tickets) > claimBatchTickets {
			batches, batch, size = append(batches, batch), nil, 0
		}
		batch = append(batch, st)
		size += len(st.tickets)
	}
	if len(batch) > 0 {
		batches = append(batches, batch)
	}
	if ctx.Err() != nil {
		return 0
	}
	if len(batches) == 1 {
		return c.claimEach(ctx, cfg, batches[0])
	}
	var claimed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, claimParallelism)
	for _, b := range batches {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			claimed.Add(int64(c.claimEach(ctx, cfg, b)))
		})
	}
	wg.Wait()
	return int(claimed.Load())
}

// claimEach claims the matches of one batch, in one store step if it can,
// else one at a time, and returns the number claimed.
func (c *configLoop) claimEach(ctx context.Context, cfg store.Configuration, steps []*claimStep) int {
	if len(steps) > 1 && c.claimBatch(ctx, cfg, steps) {
		return len(steps)
	}
	n := 0
	for _, st := range steps {
		if c.claim(ctx, cfg, st) {
			n++
		}
	}
	return n
}

// claimStep is a formed match on its way to its claim: the match, and what
// the hand-over takes (the tickets as the pass read them, with the claim's
// status and match id as matchedTicket's Claimed).
type claimStep struct {
	m *forming.Match
	handOff
}

// prepareClaim makes a formed match's claimStep. It returns nil, counting a
// lost claim, when a ticket of the match is not in the pass's copies.
func (c *configLoop) prepareClaim(cfg store.Configuration, rs *rules.RuleSet, m *forming.Match, byID map[string]*store.Ticket) *claimStep {
	st := &claimStep{m: m, handOff: handOff{matchID: newUUID()}}
	teams := rs.Teams()
	// A STANDALONE match's tickets say where it should be played, so that
	// a backend placing it itself need not work it out again.
	location := ""
	if cfg.FlexMatchMode == ModeStandalone && m.Backfill == nil {
		location = m.Region
	}
	if m.Backfill != nil {
		st.tickets = append(st.tickets, matchedTicket{TicketId: m.Backfill.ID})
	}
	for ti, team := range m.Teams {
		for _, t := range team {
			if t.Backfill || strings.Contains(t.ID, backfillSeparator) {
				continue
			}
			st.tickets = append(st.tickets, matchedTicket{TicketId: t.ID, Team: teams[ti].Name, Location: location})
		}
	}
	// The pass's copies, as the claim leaves them but at the version the
	// pass read: the claim and the hand-over are one store step (handOver).
	status := claimStatus(cfg)
	for i := range st.tickets {
		t := byID[st.tickets[i].TicketId]
		if t == nil {
			c.relist.Store(true)
			c.w.metrics.claimConflicts.WithLabelValues(c.name).Inc()
			return nil
		}
		cl := *t
		cl.Players = slices.Clone(t.Players)
		cl.Status, cl.MatchId = status, st.matchID
		st.tickets[i].Claimed = &cl
	}
	st.metrics = make([]RuleEvaluationMetric, len(m.Metrics))
	for i, rm := range m.Metrics {
		st.metrics[i] = RuleEvaluationMetric{RuleName: rm.RuleName, PassedCount: rm.PassedCount, FailedCount: rm.FailedCount}
	}
	return st
}

// claimContext is the context of a claim's store step: once started, the
// step is finished even if this former is stopping, or its tickets could
// wait in PLACING for the sweep.
func claimContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// claimBatch claims the matches of steps in one store step (handOverAll) and
// goes on with each, and reports whether it did. It reports false, having
// changed nothing, when a ticket of one of them changed since the pass read
// it; and false when the store failed, after which the step may have been
// made: the matches going again one by one then find their tickets moved
// (lost claims, their events stored but not published).
func (c *configLoop) claimBatch(ctx context.Context, cfg store.Configuration, steps []*claimStep) bool {
	offs := make([]handOff, len(steps))
	for i, st := range steps {
		offs[i] = st.handOff
	}
	pctx, cancel := claimContext(ctx)
	defer cancel()
	done, err := c.w.opts.Service.handOverAll(pctx, cfg, offs)
	if err != nil {
		c.warn(ctx, "claim matches", err)
		return false
	}
	if !done {
		return false
	}
	for _, st := range steps {
		c.afterClaim(ctx, cfg, st)
	}
	return true
}

// claim claims a formed match in the store and hands it on, and reports
// whether the claim was made. A claim that loses a race (a ticket cancelled,
// timed out or claimed meanwhile) drops the match; its other tickets stay
// SEARCHING for the next pass.
func (c *configLoop) claim(ctx context.Context, cfg store.Configuration, st *claimStep) bool {
	pctx, cancel := claimContext(ctx)
	defer cancel()
	claimed, err := c.w.opts.Service.handOver(pctx, cfg, st.handOff)
	if err != nil {
		c.warn(ctx, "claim match", err)
		return false
	}
	if !claimed {
		c.relist.Store(true)
		c.w.metrics.claimConflicts.WithLabelValues(c.name).Inc()
		c.w.log.Debug("claim lost", "configuration", c.name, "match", st.matchID)
		return false
	}
	c.afterClaim(ctx, cfg, st)
	return true
}

// afterClaim goes on with a claimed match: the pass's records and metrics, then,
// unless it waits for acceptance or is STANDALONE, its placement.
func (c *configLoop) afterClaim(ctx context.Context, cfg store.Configuration, st *claimStep) {
	w, m, matchID, matched := c.w, st.m, st.matchID, st.tickets
	c.claimedMu.Lock()
	for _, mt := range matched {
		c.claimed = append(c.claimed, mt.TicketId)
	}
	c.claimedMu.Unlock()
	w.metrics.matches.WithLabelValues(c.name).Inc()
	w.metrics.matchPlayers.WithLabelValues(c.name).Observe(float64(matchPlayers(m)))
	now := w.opts.Now()
	for _, team := range m.Teams {
		for _, t := range team {
			if !t.Backfill {
				w.metrics.timeToMatch.WithLabelValues(c.name).Observe(now.Sub(t.Start).Seconds())
				c.waits.add(now, now.Sub(t.Start))
			}
		}
	}
	if cfg.AcceptanceRequired || cfg.FlexMatchMode == ModeStandalone {
		return
	}
	ids := make([]string, len(matched))
	for i, mt := range matched {
		ids[i] = mt.TicketId
	}
	regions := make([]string, 0, len(m.Regions)+1)
	for _, r := range m.Regions {
		regions = append(regions, r.Region)
	}
	if len(regions) == 0 && m.Region != "" {
		regions = append(regions, m.Region)
	}
	w.places.Add(1)
	// The placement, too, goes on when the former stops: run waits for it.
	gctx := context.WithoutCancel(ctx)
	go func() {
		defer w.places.Done()
		tickets, err := w.opts.Store.GetTickets(gctx, ids...)
		if err != nil {
			c.warn(gctx, "read matched tickets", err)
			return
		}
		w.place(gctx, cfg, matchID, tickets, regions)
	}()
}

func matchPlayers(m *forming.Match) int {
	n := 0
	for _, team := range m.Teams {
		for _, t := range team {
			n += t.Players()
		}
	}
	return n
}
