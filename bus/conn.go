package bus

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/matchpoint-dev/matchpoint/internal/memo"
)

// Options configure a Conn. The zero value connects without credentials and
// uses the defaults below.
type Options struct {
	// Name is the client name NATS shows in its monitoring (e.g. "relay-eu-1").
	Name string
	// CredsFile is a NATS .creds file (user JWT and nkey seed); empty for none.
	CredsFile string
	// TLS is used for a tls:// URL or a server that requires TLS: root CAs for
	// the server's certificate and, for mutual TLS, the client certificate.
	TLS *tls.Config
	// RequestTimeout bounds a request whose context has no deadline. Default 5s.
	RequestTimeout time.Duration
	// MaxInFlight is how many requests one Serve call handles at once. Default 256.
	MaxInFlight int
	// Pending is how many received messages a subscription buffers before NATS
	// drops new ones as a slow consumer. Default 4096.
	Pending int
	// Logger receives connection state changes and dropped messages. Default slog.Default().
	Logger *slog.Logger
	// OnDecodeError, when set, is called (instead of logging) with each
	// received message that is dropped because it does not decode.
	OnDecodeError func(subject string, err error)
	// InProcess, when set, is an embedded server (bus/embedded's NATS())
	// that the connection reaches through an in-memory pipe instead of the
	// URL's network address: no system call per message. The URL is still
	// what the connection reports.
	InProcess nats.InProcessConnProvider
	// Interest, when set, reports whether a message published on subject
	// now would reach a subscriber (bus/embedded's Server.Interest). While
	// the connection is up, a publish it says none would is not sent: the
	// server would drop it, after the connection, the server's read loop
	// and its parser had carried it. While the connection is down,
	// publishes are buffered as without it.
	Interest func(subject string) bool
	// NATSOptions are applied after Matchpoint's own (reconnect forever, every
	// 250ms with jitter), so they can override them.
	NATSOptions []nats.Option
}

const (
	defaultRequestTimeout = 5 * time.Second
	defaultMaxInFlight    = 256
	defaultPending        = 4096
)

// Conn is a Matchpoint connection to NATS: typed publish, subscribe, request
// and serve for every subject of docs/bus.md. It is safe for concurrent use.
type Conn struct {
	nc   *nats.Conn
	opts Options
	log  *slog.Logger
	// local holds, by subject, the relay request servers of this
	// connection (*localServer), which its own requests reach directly.
	local sync.Map
	// eventSubjects holds the subjects of the matchmaking events published
	// (MatchmakingEventSubject checks both names and joins them).
	eventSubjects memo.Map[eventKey, string]
}

// eventKey names a matchmaking event's subject.
type eventKey struct{ configuration, eventType string }

// Connect dials url (one or more comma-separated nats:// or tls:// URLs). It
// gives up when ctx is done; once connected, the connection reconnects on its
// own for as long as it is open.
func Connect(ctx context.Context, url string, opts Options) (*Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bus: connect %s: %w", url, err)
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = defaultRequestTimeout
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = defaultMaxInFlight
	}
	if opts.Pending <= 0 {
		opts.Pending = defaultPending
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "bus")
	nopts := []nats.Option{
		nats.Name(opts.Name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Warn("nats async error", "subject", subject, "err", err)
		}),
	}
	if deadline, ok := ctx.Deadline(); ok {
		nopts = append(nopts, nats.Timeout(time.Until(deadline)))
	}
	if opts.CredsFile != "" {
		nopts = append(nopts, nats.UserCredentials(opts.CredsFile))
	}
	if opts.TLS != nil {
		nopts = append(nopts, nats.Secure(opts.TLS))
	}
	if opts.InProcess != nil {
		nopts = append(nopts, nats.InProcessServer(opts.InProcess))
	}
	nopts = append(nopts, opts.NATSOptions...)
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return nil, fmt.Errorf("bus: connect %s: %w", url, err)
	}
	return &Conn{nc: nc, opts: opts, log: log}, nil
}

// Connected reports whether the connection is up now (false while it
// reconnects, and once closed); for readiness checks.
func (c *Conn) Connected() bool { return c.nc.IsConnected() }

// Flush waits until the server has processed everything published so far.
func (c *Conn) Flush(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.RequestTimeout)
		defer cancel()
	}
	if err := c.nc.FlushWithContext(ctx); err != nil {
		return c.wrap("flush", err)
	}
	return nil
}

// Close closes the connection. Stop servers and subscriptions first (their
// stop functions) to let in-flight requests finish.
func (c *Conn) Close() { c.nc.Close() }

// wrap maps nats errors to the package sentinels, keeping the original.
func (c *Conn) wrap(op string, err error) error {
	switch {
	case errors.Is(err, nats.ErrNoResponders):
		return fmt.Errorf("bus: %s: %w (%w)", op, ErrNoResponders, err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return fmt.Errorf("bus: %s: %w (%w)", op, ErrTimeout, err)
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionDraining):
		return fmt.Errorf("bus: %s: %w (%w)", op, ErrClosed, err)
	}
	return fmt.Errorf("bus: %s: %w", op, err)
}

func (c *Conn) publish(ctx context.Context, op, subject string, data []byte, err error) error {
	if err != nil {
		return fmt.Errorf("bus: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bus: %s: %w", op, err)
	}
	if c.opts.Interest != nil && c.nc.IsConnected() && !c.opts.Interest(subject) {
		return nil
	}
	if err := c.nc.Publish(subject, data); err != nil {
		return c.wrap(op, err)
	}
	return nil
}

func (c *Conn) dropped(subject string, err error) {
	if c.opts.OnDecodeError != nil {
		c.opts.OnDecodeError(subject, err)
		return
	}
	c.log.Warn("dropped undecodable message", "subject", subject, "err", err)
}

// request sends data to subject and returns the reply's bytes. A context
// without a deadline gets Options.RequestTimeout.
func (c *Conn) request(ctx context.Context, op, subject string, data []byte) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.RequestTimeout)
		defer cancel()
	}
	msg, err := c.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return nil, c.wrap(op+" on "+subject, err)
	}
	return msg.Data, nil
}

// subscription is one NATS subscription delivered through a buffered
// channel to at most limit handlers at once. Its workers come and go with
// the load: one always waits for the next message while fewer than limit
// run, a worker that takes the last waiting place starts another, and one
// that has waited idleWorker while another waits too ends. A subscription
// that may handle hundreds at once so keeps only the goroutines it has
// lately needed (each one a stack the garbage collector scans on every
// cycle), and a worker's stack, grown by its handler, serves many messages.
// With limit 1 one worker handles the messages in order. The subscription
// owns its workers: stop (called explicitly or when the subscribe context
// ends) unsubscribes, lets the workers handle what is already buffered when
// drain is set, and waits for them. handle learns whether the subscription
// is stopping, so a server can refuse what it no longer takes. A handler
// must not call its own subscription's stop.
type subscription struct {
	sub     *nats.Subscription
	ch      chan *nats.Msg
	done    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once
	limit   int32
	idle    time.Duration // how long a worker waits before it may end: idleWorker, shorter in tests
	running atomic.Int32  // workers started and not ended
	waiting atomic.Int32  // workers waiting for a message
	drain   bool
	handle  func(m *nats.Msg, stopping bool)
}

// idleWorker is how long a subscription's worker waits for a message before
// it ends, when another worker waits too.
const idleWorker = 5 * time.Second

func (c *Conn) subscribe(ctx context.Context, subject, queue string, limit int, drain bool, handle func(m *nats.Msg, stopping bool)) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bus: subscribe %s: %w", subject, err)
	}
	s := &subscription{ch: make(chan *nats.Msg, c.opts.Pending), done: make(chan struct{}),
		limit: int32(limit), idle: idleWorker, drain: drain, handle: handle}
	var err error
	if queue == "" {
		s.sub, err = c.nc.ChanSubscribe(subject, s.ch)
	} else {
		s.sub, err = c.nc.ChanQueueSubscribe(subject, queue, s.ch)
	}
	if err != nil {
		return nil, c.wrap("subscribe "+subject, err)
	}
	// Return only once the server has the subscription, so that a request
	// or event sent right after is routed here.
	if c.nc.IsConnected() {
		if err := c.nc.FlushTimeout(c.opts.RequestTimeout); err != nil {
			_ = s.sub.Unsubscribe()
			return nil, c.wrap("subscribe "+subject, err)
		}
	}
	s.running.Add(1)
	s.wg.Go(s.work)
	shutdown := func() {
		s.once.Do(func() {
			if err := s.sub.Unsubscribe(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
				c.log.Warn("unsubscribe", "subject", subject, "err", err)
			}
			// Once the server has the unsubscribe, it routes nothing more
			// here: a request after stop finds another member or no one.
			if c.nc.IsConnected() {
				if err := c.nc.FlushTimeout(c.opts.RequestTimeout); err != nil {
					c.log.Warn("flush unsubscribe", "subject", subject, "err", err)
				}
			}
			close(s.done)
		})
		s.wg.Wait()
	}
	unregister := context.AfterFunc(ctx, shutdown)
	return func() {
		unregister()
		shutdown()
	}, nil
}

// work is one worker: it handles messages until the subscription stops
// (then, when drain is set, what is still buffered) or it has waited
// its idle time while another worker waits too.
func (s *subscription) work() {
	var t *time.Timer
	var idle <-chan time.Time
	if s.limit > 1 {
		t = time.NewTimer(s.idle)
		defer t.Stop()
		idle = t.C
	}
	for {
		s.waiting.Add(1)
		select {
		case m := <-s.ch:
			if s.waiting.Add(-1) == 0 {
				s.more()
			}
			s.handle(m, isClosed(s.done))
		case <-idle:
			if s.leave() {
				return
			}
		case <-s.done:
			s.waiting.Add(-1)
			for s.drain {
				select {
				case m := <-s.ch:
					s.handle(m, true)
				default:
					return
				}
			}
			return
		}
		if t != nil {
			t.Reset(s.idle)
		}
	}
}

// more starts a worker, unless limit already run.
func (s *subscription) more() {
	if s.running.Add(1) > s.limit {
		s.running.Add(-1)
		return
	}
	s.wg.Go(s.work)
}

// leave ends an idle worker when another is waiting too; otherwise the
// worker stays, and waits again.
func (s *subscription) leave() bool {
	for {
		n := s.waiting.Load()
		if n <= 1 {
			s.waiting.Add(-1)
			return false
		}
		if s.waiting.CompareAndSwap(n, n-1) {
			s.running.Add(-1)
			return true
		}
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
