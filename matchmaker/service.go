package matchmaker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// Publisher publishes a matchmaking event on the bus. *bus.Conn implements
// it (PublishMatchmakingEvent publishes on
// matchpoint.v1.matchmaking.<configuration>.<eventType>). It must not block:
// the service calls it for every event, after the event is stored, with the
// context of the call that made the event; *bus.Conn buffers the message.
type Publisher interface {
	PublishMatchmakingEvent(ctx context.Context, configuration, eventType string, payload []byte) error
}

// Options configure a Service. The zero value of every field but Store is
// usable: New fills in the defaults.
type Options struct {
	// Store persists rule sets, configurations, tickets and the event log.
	Store store.Store
	// Publisher publishes every event on the bus; nil publishes nothing.
	Publisher Publisher
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives the service's logs (default slog.Default()).
	Logger *slog.Logger
	// Region and AccountID appear in ARNs and events (default "local" and
	// "000000000000").
	Region    string
	AccountID string

	// CacheTTL bounds how long a configuration and its compiled rule set
	// are reused by StartMatchmaking without rereading the store (default
	// 1s). Changes made through this Service take effect at once; changes
	// made by another process within CacheTTL.
	CacheTTL time.Duration
	// MaxRuleSets and MaxConfigurations are the quotas GameLift applies per
	// region (defaults 1000 and 100); creating more is a
	// LimitExceededException. Concurrent creates may overshoot by a few.
	MaxRuleSets       int
	MaxConfigurations int
	// DefaultQueue, if set, is a game session queue New creates unless a
	// queue of its name exists (an existing one is left as it is).
	// TimeoutSeconds 0 means the default, 600.
	DefaultQueue *store.Queue
	// PlacingTimeout is how long a ticket may stay PLACING before the sweep
	// places its match again (once) or fails it (default 5m): the safety net
	// for a matchmaker that died while placing.
	PlacingTimeout time.Duration

	// WebhookSecret keys the HMAC-SHA256 signature of webhook deliveries.
	WebhookSecret []byte
	// WebhookClient posts webhook deliveries (default: a client with a 10s
	// timeout).
	WebhookClient *http.Client
	// WebhookAttempts bounds the attempts per event (default 5), with
	// exponential backoff from WebhookBackoff (default 500ms) doubling up to
	// 30s.
	WebhookAttempts int
	WebhookBackoff  time.Duration
	// WebhookQueue bounds the events waiting for delivery (default 1024);
	// beyond it, new deliveries are dropped and logged.
	WebhookQueue int

	// ScriptExists reports whether a server script of that name has been
	// uploaded (CreateFleet checks its ScriptId with it); nil means this
	// matchmaker has no script store, and CreateFleet refuses every script.
	ScriptExists func(ctx context.Context, name string) (bool, error)
	// Relays, if set, returns the live relays (heard from within three
	// heartbeat intervals): a fleet is ACTIVE while one serves it, and its
	// capacity and utilisation are theirs. Nil: no relay is known.
	Relays func() []Relay
	// GameSessionBus, if set, places CreateGameSession's game sessions on
	// relays and reserves CreatePlayerSessions' player sessions in them
	// (*bus.Conn implements it). Nil: CreateGameSession answers
	// FleetCapacityExceededException.
	GameSessionBus GameSessionBus

	// Registerer receives the service's metrics (tickets by status and
	// configuration, events by type, webhook deliveries by outcome; see
	// docs/operations.md); nil registers none.
	Registerer prometheus.Registerer

	// Placer places WITH_QUEUE matches; nil fails the matches the forming
	// loop claims ("no placer") and leaves accepted ones PLACING for the
	// sweep.
	Placer Placer
	// Bus, when set, is where Run hears of new tickets (every
	// MatchmakingSearching event wakes the forming loop of its
	// configuration, whichever process accepted the ticket; without it a new
	// ticket waits for the next pass, Interval at most), serves the relays'
	// automatic backfill requests (shared among matchmakers by a NATS queue
	// group) and follows their session ended events, so that backfill
	// tickets of sessions that are over are cancelled.
	Bus *bus.Conn
	// Owner identifies this process in the forming and sweep leases and as
	// the owner of the game session placements it places (default: host
	// name and a random suffix).
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
	// a configuration (default 10ms): a new ticket, or a pass that claimed
	// matches, brings the next pass forward to this.
	MinInterval time.Duration
	// Discover is the time between looks for configurations to own
	// (default 2s).
	Discover time.Duration
	// Regions are where WITH_QUEUE matches go when the configuration names
	// no game session queue and no Regions, in order of preference.
	Regions []string
	// PlacementTimeout bounds one placement, retries included (default 30s).
	PlacementTimeout time.Duration
	// Forming tunes the forming passes.
	Forming forming.Options
	// FormingDisabled makes Run own no configuration: the process serves
	// the API and places the matches accepted through it, while other
	// matchmakers form matches (and sweep timeouts).
	FormingDisabled bool
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Region == "" {
		o.Region = "local"
	}
	if o.AccountID == "" {
		o.AccountID = "000000000000"
	}
	if o.CacheTTL <= 0 {
		o.CacheTTL = time.Second
	}
	if o.MaxRuleSets <= 0 {
		o.MaxRuleSets = 1000
	}
	if o.MaxConfigurations <= 0 {
		o.MaxConfigurations = 100
	}
	if o.PlacingTimeout <= 0 {
		o.PlacingTimeout = 5 * time.Minute
	}
	if o.WebhookClient == nil {
		o.WebhookClient = &http.Client{Timeout: 10 * time.Second}
	}
	if o.WebhookAttempts <= 0 {
		o.WebhookAttempts = 5
	}
	if o.WebhookBackoff <= 0 {
		o.WebhookBackoff = 500 * time.Millisecond
	}
	if o.WebhookQueue <= 0 {
		o.WebhookQueue = 1024
	}
	return o
}

// Service is the matchmaker: the GameLift FlexMatch operations over a
// store.Store, the ticket lifecycle, the events, and (Run) the forming loop,
// the placement of matches and the backfill requests of the relays. The
// HTTP faces (matchmaker/api) call it. It is safe for concurrent use; Close
// stops its webhook delivery.
type Service struct {
	opts  Options
	store store.Store
	log   *slog.Logger
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cachedConfig
	// estimates caches the configurations' wait estimates (CacheTTL).
	estimates map[string]cachedEstimate
	subs      map[string]map[chan struct{}]struct{}

	hooks   *webhooks
	metrics *metrics
	// gsMetrics are the game session metrics (gamesessions_metrics.go).
	gsMetrics *gameSessionMetrics

	lostConfigs lostConfigs

	// early keeps the session events of game sessions not yet recorded
	// (registry.go).
	early earlyEvents

	// former forms matches (Run) and places them.
	former *former
	// arrivals hands new tickets to the forming loop.
	arrivals *arrivals
	// placer places the matches whose players accepted and those whose
	// placement is overdue; nil without Options.Placer.
	placer acceptedPlacer
	// queuePlacements runs this process's StartGameSessionPlacement
	// workers (queueplacement.go).
	queuePlacements queuePlacements
	// places caches where ACTIVE game sessions run (sessionplaces.go).
	places sessionPlaces
	// searches keeps the fleets' ACTIVE game sessions for
	// SearchGameSessions (searchsnapshot.go).
	searches *searchSnapshots
	// closing ends when Close is called (closeNow): what outlives its
	// caller (a game session's activation) stops waiting then.
	closing  context.Context
	closeNow context.CancelFunc
}

// acceptedPlacer places, in the background, a match whose tickets are
// PLACING after acceptance or after their placement went overdue (the
// former does it).
type acceptedPlacer interface {
	placeAccepted(ctx context.Context, configuration, matchID string, ticketIDs []string)
}

type cachedConfig struct {
	cfg     store.Configuration
	rs      *rules.RuleSet
	body    string // rs's source: an unchanged rule set is not compiled again
	expires time.Time
}

// New returns a Service over opts.Store. The caller must Close it.
func New(opts Options) (*Service, error) {
	if opts.Store == nil {
		return nil, errors.New("matchmaker: Options.Store is required")
	}
	opts = opts.withDefaults()
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Service{
		metrics:   m,
		opts:      opts,
		store:     opts.Store,
		log:       opts.Logger,
		now:       opts.Now,
		cache:     make(map[string]cachedConfig),
		estimates: make(map[string]cachedEstimate),
		subs:      make(map[string]map[chan struct{}]struct{}),
		searches:  newSearchSnapshots(opts.Store, opts.Now),
	}
	s.closing, s.closeNow = context.WithCancel(context.Background())
	if s.gsMetrics, err = newGameSessionMetrics(opts.Registerer, s); err != nil {
		return nil, err
	}
	if opts.DefaultQueue != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.ensureDefaultQueue(ctx, opts.DefaultQueue)
		cancel()
		if err != nil {
			return nil, err
		}
	}
	s.arrivals = newArrivals(opts.Publisher, opts.Logger)
	s.former, err = newFormer(formerOptions{
		Store:            opts.Store,
		Service:          s,
		Placer:           opts.Placer,
		Arrivals:         opts.Bus,
		Owner:            opts.Owner,
		LeaseTTL:         opts.LeaseTTL,
		Interval:         opts.Interval,
		MinInterval:      opts.MinInterval,
		Discover:         opts.Discover,
		Regions:          opts.Regions,
		PlacementTimeout: opts.PlacementTimeout,
		Forming:          opts.Forming,
		NoForming:        opts.FormingDisabled,
		Now:              opts.Now,
		Logger:           opts.Logger.With("part", "forming"),
		Registerer:       opts.Registerer,
	})
	if err != nil {
		return nil, err
	}
	if opts.Placer != nil {
		s.placer = s.former
	}
	s.hooks = startWebhooks(opts, m)
	return s, nil
}

// Run forms the matches of the configurations this matchmaker owns (none
// with FormingDisabled) and, with Options.Bus, serves the relays' backfill
// requests, until ctx ends. Then it stops taking backfill requests
// (answering those buffered with DRAINING), waits for the placements in
// flight (PlacementTimeout at most) and hands its configurations back, so
// that another matchmaker takes over at once. A part that fails to start
// stops the other and Run returns its error.
func (s *Service) Run(ctx context.Context) error {
	if s.opts.Bus == nil {
		return s.former.run(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bs := &backfillServer{Conn: s.opts.Bus, Service: s, Store: s.store, former: s.former, Logger: s.log.With("part", "backfill")}
	served := make(chan error, 1)
	go func() {
		err := bs.Run(ctx)
		if err != nil {
			cancel()
		}
		served <- err
	}()
	err := s.former.run(ctx)
	if err != nil {
		cancel()
	}
	return errors.Join(err, <-served)
}

// Close cuts short the game session activations in progress (each records
// its session ERROR and withdraws its try), stops this process's queue
// placement workers, releasing the placements they leave PENDING for
// another matchmaker to take over (sweepPlacements), and stops webhook
// delivery, abandoning queued deliveries, and waits for them to end.
func (s *Service) Close() error {
	s.closeNow()
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	s.releasePlacements(ctx, s.queuePlacements.stop())
	cancel()
	s.hooks.stop()
	return nil
}

// ConfigurationArn returns the ARN of a configuration.
func (s *Service) ConfigurationArn(name string) string {
	return "arn:aws:gamelift:" + s.opts.Region + ":" + s.opts.AccountID + ":matchmakingconfiguration/" + name
}

// RuleSetArn returns the ARN of a rule set.
func (s *Service) RuleSetArn(name string) string {
	return "arn:aws:gamelift:" + s.opts.Region + ":" + s.opts.AccountID + ":matchmakingruleset/" + name
}

// nameFromArn accepts a name or an ARN of the given resource kind and
// returns the name.
func nameFromArn(v, kind string) string {
	if !strings.HasPrefix(v, "arn:") {
		return v
	}
	if i := strings.Index(v, ":"+kind+"/"); i >= 0 {
		return v[i+len(kind)+2:]
	}
	return v
}

// config returns a configuration and its compiled rule set, from the cache
// when fresh.
func (s *Service) config(ctx context.Context, field, name string) (store.Configuration, *rules.RuleSet, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.cache[name]
	if ok && !now.Before(c.expires) {
		// One caller refreshes an expired entry; the others go on with it
		// meanwhile instead of all reading the store at once.
		s.cache[name] = cachedConfig{cfg: c.cfg, rs: c.rs, body: c.body, expires: now.Add(s.opts.CacheTTL)}
	}
	s.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.cfg, c.rs, nil
	}
	cfg, err := s.store.GetConfiguration(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		s.forget(name)
		return store.Configuration{}, nil, notFound(err, "%s: matchmaking configuration %q does not exist", field, name)
	}
	if err != nil {
		return store.Configuration{}, nil, internal(err, "get configuration %s", name)
	}
	rsRec, err := s.store.GetRuleSet(ctx, cfg.RuleSetName)
	if err != nil {
		return store.Configuration{}, nil, internal(err, "get rule set %s of configuration %s", cfg.RuleSetName, name)
	}
	rs := c.rs
	if !ok || c.body != rsRec.Body {
		if rs, err = rules.CompileJSON([]byte(rsRec.Body)); err != nil {
			return store.Configuration{}, nil, internal(err, "compile rule set %s", cfg.RuleSetName)
		}
	}
	s.mu.Lock()
	s.cache[name] = cachedConfig{cfg: cfg, rs: rs, body: rsRec.Body, expires: now.Add(s.opts.CacheTTL)}
	s.mu.Unlock()
	return cfg, rs, nil
}

func (s *Service) forget(name string) {
	s.mu.Lock()
	delete(s.cache, name)
	s.mu.Unlock()
}

// Subscribe returns a channel that receives a value (coalesced, never
// blocking the sender) whenever this Service appends an event to the
// configuration's log, and a cancel func that ends the subscription. Event
// streams use it to wake up; the store's log (EventsAfter) is the truth, and
// events appended by other processes are seen by polling it.
func (s *Service) Subscribe(configuration string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	m := s.subs[configuration]
	if m == nil {
		m = make(map[chan struct{}]struct{})
		s.subs[configuration] = m
	}
	m[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs[configuration], ch)
		if len(s.subs[configuration]) == 0 {
			delete(s.subs, configuration)
		}
		s.mu.Unlock()
	}
}

func (s *Service) notify(configuration string) {
	s.mu.Lock()
	for ch := range s.subs[configuration] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
}

// EventsAfter returns up to limit events of the configuration's log with a
// sequence number above after (see store.Store.EventsAfter).
func (s *Service) EventsAfter(ctx context.Context, configuration string, after uint64, limit int) ([]store.Event, error) {
	evs, err := s.store.EventsAfter(ctx, configuration, after, limit)
	if err != nil {
		return nil, internal(err, "read events of %s", configuration)
	}
	return evs, nil
}

// TicketConfiguration returns the configuration a ticket belongs to;
// NotFoundException if the ticket does not exist.
func (s *Service) TicketConfiguration(ctx context.Context, ticketID string) (string, error) {
	t, err := s.store.GetTicket(ctx, ticketID)
	if errors.Is(err, store.ErrNotFound) {
		return "", notFound(err, "TicketId: ticket %q does not exist", ticketID)
	}
	if err != nil {
		return "", internal(err, "get ticket %s", ticketID)
	}
	return t.ConfigurationName, nil
}

// newUUID returns a random (version 4) UUID from crypto/rand.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
