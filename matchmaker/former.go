package matchmaker

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// Placer creates the game session of a matched WITH_QUEUE match and returns
// the connection info of each of its tickets, by ticket id (*BusPlacer does it
// over NATS).
type Placer interface {
	Place(ctx context.Context, p Placement) (map[string]store.GameSessionConnectionInfo, error)
}

// Placement is a match to place.
type Placement struct {
	Configuration    store.Configuration
	ConfigurationArn string
	MatchID          string
	// Tickets carry their players' teams. In a backfill they are the new
	// tickets only: their players join the running session.
	Tickets []store.Ticket
	// Regions are the regions the match may be placed in, best first. A
	// backfill ignores them: it goes to Backfill's relay.
	Regions []string
	// MatchmakerData is the FlexMatch matchmakerData JSON document.
	MatchmakerData string
	// Backfill, when set, adds the players of Tickets to a running game
	// session instead of creating one.
	Backfill *RelaySession
}

// formerOptions configure a former. Store and Service are required.
type formerOptions struct {
	Store   store.Store
	Service *Service
	// Placer places WITH_QUEUE matches; nil fails them ("no placer").
	Placer Placer
	// Arrivals, when set, is where the former hears of the tickets other
	// processes accept (bus.Conn.SubscribeArrivals): an announcement wakes
	// the loop of its configuration (wake). The tickets this process accepts
	// are handed to the loop directly (arrivals). Without it a ticket
	// accepted elsewhere waits for the next pass, Interval at most. It is
	// also where the former hears of configuration changes
	// (bus.ConfigurationChanged), whichever process made them: each one
	// starts a look for configurations to own at once, and makes the loop of
	// the configuration read it again and run a pass, so that a new
	// configuration forms matches without waiting for Discover.
	Arrivals *bus.Conn
	// Owner identifies this process in leases (default: host name and a
	// random suffix).
	Owner string
	// LeaseTTL is how long a configuration stays owned without renewal
	// (default 10s): the takeover time after a crash. Leases are renewed
	// every LeaseTTL/3.
	LeaseTTL time.Duration
	// Interval is the longest time between forming passes of a
	// configuration (default 200ms): expansions and timeouts are seen at
	// least this often.
	Interval time.Duration
	// MinInterval is the shortest time between the starts of two passes of
	// a configuration (default 10ms). A wake, or a pass that claimed
	// matches, runs the next pass as soon as MinInterval allows instead of
	// waiting for Interval, so that a ticket is formed soon after it
	// arrives and, under load, passes follow one another.
	MinInterval time.Duration
	// Discover is the time between looks for configurations to own
	// (default 2s): the safety net for configuration changes the former
	// did not hear of.
	Discover time.Duration
	// Regions are where WITH_QUEUE matches go when the configuration names
	// no game session queue and no Regions, in order of preference.
	Regions []string
	// PlacementTimeout bounds one placement, retries included (default 30s).
	PlacementTimeout time.Duration
	// Forming tunes the forming passes.
	Forming forming.Options
	// NoForming makes run own no configuration: the process serves the API
	// and places the matches accepted through it, while other matchmakers
	// form matches (and sweep timeouts). Default false.
	NoForming bool
	Now       func() time.Time
	Logger    *slog.Logger
	// Registerer receives the forming metrics; nil registers none.
	Registerer prometheus.Registerer
}

func (o formerOptions) withDefaults() formerOptions {
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = fmt.Sprintf("%s-%s", host, rand.Text()[:8])
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 10 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = 200 * time.Millisecond
	}
	if o.MinInterval <= 0 {
		o.MinInterval = 10 * time.Millisecond
	}
	o.MinInterval = min(o.MinInterval, o.Interval)
	if o.Discover <= 0 {
		o.Discover = 2 * time.Second
	}
	if o.PlacementTimeout <= 0 {
		o.PlacementTimeout = 30 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// former runs FlexMatch's match-forming loop: it owns configurations
// through leases in the store (one owner per configuration at a time, across
// any number of matchmaker processes), and for each owned configuration
// repeatedly times out overdue tickets, forms matches from the searching pool
// with matchmaker/forming, claims each match atomically in the store, hands it
// to the service (PotentialMatchCreated, acceptance) and places it on a relay.
type former struct {
	opts    formerOptions
	log     *slog.Logger
	metrics *formingMetrics

	// rediscover asks run for a look for configurations to own now (a
	// configuration changed); sends coalesce.
	rediscover chan struct{}

	mu     sync.Mutex
	owned  map[string]ownedLoop
	places sync.WaitGroup
	waits  placementWaits // placements waiting for capacity (placer.go)
	runCtx context.Context

	endedMu    sync.Mutex
	ended      map[string]time.Time // game session ARN -> when it was reported ended
	endedPrune time.Time
}

// endedRetention is how long the former remembers an ended game session: a
// backfill ticket for it that arrives later than this would search until
// its request timeout.
const endedRetention = 10 * time.Minute

// newFormer returns a former; run starts it.
func newFormer(opts formerOptions) (*former, error) {
	if opts.Store == nil || opts.Service == nil {
		return nil, errors.New("former: Store and Service are required")
	}
	opts = opts.withDefaults()
	m, err := newFormingMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	return &former{opts: opts, log: opts.Logger.With("owner", opts.Owner), metrics: m, owned: map[string]ownedLoop{},
		ended: map[string]time.Time{}, rediscover: make(chan struct{}, 1)}, nil
}

// leaseName is the store lease that guards a configuration.
func leaseName(configuration string) string { return "forming:" + configuration }

// run owns configurations and forms their matches until ctx is done; then it
// waits for placements in flight (bounded by PlacementTimeout) and hands its
// leases back so that another process takes over at once. With NoForming it
// only waits for ctx and then for the placements in flight.
func (w *former) run(ctx context.Context) error {
	w.mu.Lock()
	w.runCtx = ctx
	w.mu.Unlock()
	if w.opts.NoForming {
		<-ctx.Done()
		w.places.Wait()
		return nil
	}
	defer w.opts.Service.arrivals.attach(w)()
	if w.opts.Arrivals != nil {
		stop, err := w.opts.Arrivals.SubscribeArrivals(ctx, w.wake)
		if err != nil {
			return fmt.Errorf("matchmaker: follow new tickets: %w", err)
		}
		defer stop()
		stopChanges, err := w.opts.Arrivals.SubscribeConfigurationChanges(ctx, "", func(cc bus.ConfigurationChanged) {
			w.configurationChanged(cc.Name)
		})
		if err != nil {
			return fmt.Errorf("matchmaker: follow configuration changes: %w", err)
		}
		defer stopChanges()
	}
	var loops sync.WaitGroup
	defer func() {
		w.mu.Lock()
		for _, o := range w.owned {
			o.cancel()
		}
		w.mu.Unlock()
		loops.Wait()
		w.places.Wait()
	}()
	loops.Go(func() { w.sweepLoop(ctx) })
	discover := time.NewTicker(w.opts.Discover)
	defer discover.Stop()
	for {
		w.discover(ctx, &loops)
		select {
		case <-ctx.Done():
			return nil
		case <-discover.C:
		case <-w.rediscover:
		}
	}
}

// reservationSweepEvery is the most time between two sweeps of
// reservations: a sweep every Discover (2 s by default) timed out some
// 24,000 reservations at once under 3,000 CreatePlayerSessions of 4 players
// a second, holding Redis for 5 ms a batch through 48 batches, while one
// every quarter second does an eighth of that in smaller batches.
const reservationSweepEvery = 250 * time.Millisecond

// sweepLoop times out unused reservations every reservationSweepEvery (or
// Discover, if shorter), sweeps game session placements every
// placementSweepEvery and orphan activations every activationSweepEvery,
// until ctx is done, apart from the discover loop: a sweep of thousands of
// reservations does not delay noticing a configuration.
func (w *former) sweepLoop(ctx context.Context) {
	t := time.NewTicker(min(w.opts.Discover, reservationSweepEvery))
	defer t.Stop()
	var nextPlacements, nextActivations time.Time
	defer w.releaseSweepLeases(ctx)
	for {
		w.sweepReservations(ctx)
		if now := time.Now(); !now.Before(nextPlacements) {
			activations := !now.Before(nextActivations)
			w.sweepGameSessions(ctx, activations)
			nextPlacements = now.Add(placementSweepEvery)
			if activations {
				nextActivations = now.Add(activationSweepEvery)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// reservationsLease guards the sweep of player session reservations, and
// gameSessionsLease that of game session placements and orphan
// activations: one process sweeps each at a time.
const (
	reservationsLease = "sweep:reservations"
	gameSessionsLease = "sweep:gamesessions"
)

// activationSweepEvery is the time between two sweeps of orphan
// activations, which end activationOrphanAfter (over ten minutes) after
// their creation: a sweep lists every fleet's ACTIVATING sessions.
const activationSweepEvery = 30 * time.Second

// releaseSweepLeases hands back the sweep leases this former holds (even
// after ctx ended), so that another process sweeps at once instead of after
// they lapse.
func (w *former) releaseSweepLeases(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	for _, lease := range []string{reservationsLease, gameSessionsLease} {
		if err := w.opts.Store.ReleaseLease(rctx, lease, w.opts.Owner); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			w.log.Warn("release lease", "lease", lease, "err", err)
		}
	}
}

// sweepGameSessions takes over released placements and times out orphan
// ones (Service.sweepPlacements), and with activations ends orphan
// activations (Service.sweepActivations), if this former holds, or can
// take, the lease of that sweep; sweepLoop runs it.
func (w *former) sweepGameSessions(ctx context.Context, activations bool) {
	if err := w.opts.Store.AcquireLease(ctx, gameSessionsLease, w.opts.Owner, w.opts.LeaseTTL); err != nil {
		if !errors.Is(err, store.ErrConflict) && ctx.Err() == nil {
			w.log.Warn("acquire lease", "lease", gameSessionsLease, "err", err)
		}
		return
	}
	if _, err := w.opts.Service.sweepPlacements(ctx); err != nil && ctx.Err() == nil {
		w.log.Warn("sweep game session placements", "err", err)
	}
	if !activations {
		return
	}
	if _, err := w.opts.Service.sweepActivations(ctx); err != nil && ctx.Err() == nil {
		w.log.Warn("sweep orphan activations", "err", err)
	}
}

// sweepReservations times out the reservations unused for
// PlayerSessionTimeout (Service.sweepReservations) if this former holds,
// or can take, the lease of that sweep; sweepLoop runs it.
func (w *former) sweepReservations(ctx context.Context) {
	if err := w.opts.Store.AcquireLease(ctx, reservationsLease, w.opts.Owner, w.opts.LeaseTTL); err != nil {
		if !errors.Is(err, store.ErrConflict) && ctx.Err() == nil {
			w.log.Warn("acquire lease", "lease", reservationsLease, "err", err)
		}
		return
	}
	n, err := w.opts.Service.sweepReservations(ctx)
	if err != nil && ctx.Err() == nil {
		w.log.Warn("sweep reservations", "err", err)
	}
	if n > 0 {
		w.log.Debug("reservations timed out", "count", n)
	}
}

// configurationChanged makes the former take a changed configuration into
// account now rather than at its next scan: a look for configurations to
// own (a new one is owned), and a pass of its loop if this former owns it
// (an updated one is formed under its new settings, a deleted one's loop
// stops). It never blocks.
func (w *former) configurationChanged(name string) {
	select {
	case w.rediscover <- struct{}{}:
	default:
	}
	w.mu.Lock()
	o, ok := w.owned[name]
	w.mu.Unlock()
	if ok {
		o.reread.Store(true)
	}
	w.wake(name)
}

// ownedConfigs returns the configurations this former owns now.
func (w *former) ownedConfigs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.owned))
	for name := range w.owned {
		out = append(out, name)
	}
	return out
}

func (w *former) discover(ctx context.Context, loops *sync.WaitGroup) {
	cfgs, err := w.opts.Store.ListConfigurations(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("list configurations", "err", err)
		}
		return
	}
	for _, c := range cfgs {
		w.mu.Lock()
		_, mine := w.owned[c.Name]
		w.mu.Unlock()
		if mine {
			continue
		}
		err := w.opts.Store.AcquireLease(ctx, leaseName(c.Name), w.opts.Owner, w.opts.LeaseTTL)
		if err != nil {
			if !errors.Is(err, store.ErrConflict) && ctx.Err() == nil {
				w.log.Warn("acquire lease", "configuration", c.Name, "err", err)
			}
			continue
		}
		lctx, cancel := context.WithCancel(ctx)
		o := ownedLoop{cancel: cancel, wake: make(chan struct{}, 1), kept: newKeptOut(), inbox: &inbox{}, relist: &atomic.Bool{}, reread: &atomic.Bool{}}
		w.mu.Lock()
		w.owned[c.Name] = o
		w.mu.Unlock()
		w.metrics.owned.Inc()
		w.log.Info("own configuration", "configuration", c.Name)
		loops.Add(1)
		go func(name string) {
			defer loops.Done()
			w.own(lctx, name, o)
		}(c.Name)
	}
}

// ownedLoop is the handle of a configuration's loop: cancel stops it, wake
// asks it for a pass, kept holds what kept its searching tickets out, inbox
// the tickets this process accepted since the last pass, relist that the
// next pass should list the pool from the store, reread that it should read
// the configuration and rule set again (the configuration changed).
type ownedLoop struct {
	cancel context.CancelFunc
	wake   chan struct{}
	kept   *keptOut
	inbox  *inbox
	relist *atomic.Bool
	reread *atomic.Bool
}

// explain says what kept a searching ticket of configuration out of a
// match so far: the rule outcomes of the forming searches it anchored
// without finding one, summed over this former's passes (FlexMatch's
// ruleEvaluationMetrics), the rule that failed most often, and the
// expansion steps in force for it. It is nil when this former does not own
// the configuration or the ticket never anchored a failed search. The
// service adds it to MatchmakingTimedOut and MatchmakingCancelled events
// and to ExplainMatchmaking.
func (w *former) explain(configuration, ticketID string) *explanation {
	w.mu.Lock()
	o, ok := w.owned[configuration]
	w.mu.Unlock()
	if !ok {
		return nil
	}
	return o.kept.explain(ticketID, w.opts.Now())
}

// wake asks for a forming pass of configuration soon (MinInterval after the
// last one started at the earliest) that lists the pool from the store, when
// this former owns it: another process announced new tickets. Wakes
// coalesce; wake never blocks.
func (w *former) wake(configuration string) {
	w.mu.Lock()
	o, ok := w.owned[configuration]
	w.mu.Unlock()
	if !ok {
		return
	}
	o.relist.Store(true)
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// take hands t, just stored SEARCHING by this process, to the loop of its
// configuration and wakes it, if this former owns it. The pass then need not
// read t from the store.
func (w *former) take(t store.Ticket) bool {
	w.mu.Lock()
	o, ok := w.owned[t.ConfigurationName]
	w.mu.Unlock()
	if !ok {
		return false
	}
	o.inbox.add(t)
	select {
	case o.wake <- struct{}{}:
	default:
	}
	return true
}

// own runs one configuration's loop while this former holds its lease: a
// pass every Interval, or sooner after a Wake or a pass that claimed matches.
func (w *former) own(ctx context.Context, name string, o ownedLoop) {
	defer func() {
		w.mu.Lock()
		delete(w.owned, name)
		w.mu.Unlock()
		w.metrics.owned.Dec()
		// Hand the lease back (even after ctx ended) so another process takes
		// over without waiting for it to lapse.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		if err := w.opts.Store.ReleaseLease(rctx, leaseName(name), w.opts.Owner); err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrConflict) {
			w.log.Warn("release lease", "configuration", name, "err", err)
		}
		w.log.Info("release configuration", "configuration", name)
	}()
	c := &configLoop{w: w, name: name, kept: o.kept, inbox: o.inbox, relist: o.relist, reread: o.reread}
	next := time.NewTimer(w.opts.Interval)
	defer next.Stop()
	renew := time.NewTicker(w.opts.LeaseTTL / 3)
	defer renew.Stop()
	var started time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			if err := w.opts.Store.RenewLease(ctx, leaseName(name), w.opts.Owner, w.opts.LeaseTTL); err != nil {
				if ctx.Err() == nil {
					w.log.Warn("lost lease", "configuration", name, "err", err)
				}
				return
			}
			continue
		case <-o.wake:
			// Bring the next pass forward to MinInterval after the last start.
			next.Reset(max(0, time.Until(started.Add(w.opts.MinInterval))))
			continue
		case <-next.C:
		}
		started = time.Now()
		done, claimed := c.pass(ctx)
		if done {
			return
		}
		wait := w.opts.Interval
		if claimed {
			wait = w.opts.MinInterval
		}
		next.Reset(max(0, time.Until(started.Add(wait))))
	}
}

// placeAccepted places a match whose tickets are PLACING (after acceptance,
// or after its placement went overdue), in the background.
func (w *former) placeAccepted(ctx context.Context, configuration, matchID string, ticketIDs []string) {
	w.mu.Lock()
	runCtx := w.runCtx
	w.mu.Unlock()
	if runCtx == nil {
		runCtx = ctx
	}
	// The players accepted: the placement goes on when the former stops (run
	// waits for it, PlacementTimeout at most), or the tickets would wait in
	// PLACING for the sweep.
	runCtx = context.WithoutCancel(runCtx)
	w.places.Add(1)
	go func() {
		defer w.places.Done()
		cfg, err := w.opts.Store.GetConfiguration(runCtx, configuration)
		if err != nil {
			w.log.Warn("place accepted match: configuration", "match", matchID, "err", err)
			return
		}
		tickets, err := w.opts.Store.GetTickets(runCtx, ticketIDs...)
		if err != nil {
			w.log.Warn("place accepted match: tickets", "match", matchID, "err", err)
			return
		}
		w.place(runCtx, cfg, matchID, tickets, nil)
	}()
}

// markSessionEnded records that the game session with this ARN is over, so that
// the forming loop of its configuration cancels the backfill tickets still
// searching for it instead of filling a session nobody will join
// (backfillServer calls it for the relays' session ended events).
func (w *former) markSessionEnded(gameSessionArn string) {
	now := w.opts.Now()
	w.endedMu.Lock()
	defer w.endedMu.Unlock()
	w.ended[gameSessionArn] = now
	if now.Sub(w.endedPrune) < time.Minute {
		return
	}
	w.endedPrune = now
	for arn, at := range w.ended {
		if now.Sub(at) > endedRetention {
			delete(w.ended, arn)
		}
	}
}

func (w *former) sessionEnded(gameSessionArn string) bool {
	w.endedMu.Lock()
	defer w.endedMu.Unlock()
	_, ok := w.ended[gameSessionArn]
	return ok
}
