package matchmaker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// arrivalPublisher announces new tickets to the matchmakers of other
// processes (*bus.Conn implements it).
type arrivalPublisher interface {
	PublishArrival(ctx context.Context, configuration string) error
}

// arrivalWindow is the shortest time between two announcements of a
// configuration's arrivals by one process: the tickets that arrive
// meanwhile share the next one.
const arrivalWindow = 5 * time.Millisecond

// arrivals tells the forming loop of a new ticket's configuration about the
// ticket. When a former of this process owns the configuration it gets the
// ticket itself (no store read, no bus message) and a wake; otherwise the
// arrival is announced on the bus, at most once per arrivalWindow per
// configuration, for the process that owns it.
type arrivals struct {
	pub arrivalPublisher
	log *slog.Logger

	mu      sync.Mutex
	formers []*former
	pending map[string]*announcement
}

type announcement struct {
	sent      time.Time
	scheduled bool
}

func newArrivals(pub Publisher, log *slog.Logger) *arrivals {
	a := &arrivals{log: log, pending: map[string]*announcement{}}
	a.pub, _ = pub.(arrivalPublisher)
	return a
}

// attach makes w hear of the tickets this process creates, until detach.
func (a *arrivals) attach(w *former) (detach func()) {
	a.mu.Lock()
	a.formers = append(a.formers, w)
	a.mu.Unlock()
	return func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		for i, f := range a.formers {
			if f == w {
				a.formers = append(a.formers[:i], a.formers[i+1:]...)
				return
			}
		}
	}
}

// arrived hands t, just stored SEARCHING, to the former of this process that
// owns its configuration, or announces it on the bus.
func (a *arrivals) arrived(t store.Ticket) {
	a.mu.Lock()
	for _, w := range a.formers {
		if w.take(t) {
			a.mu.Unlock()
			return
		}
	}
	if a.pub == nil {
		a.mu.Unlock()
		return
	}
	cfg := t.ConfigurationName
	p := a.pending[cfg]
	if p == nil {
		p = &announcement{}
		a.pending[cfg] = p
	}
	if p.scheduled {
		a.mu.Unlock()
		return
	}
	now := time.Now()
	wait := arrivalWindow - now.Sub(p.sent)
	if wait <= 0 {
		p.sent = now
		a.mu.Unlock()
		a.announce(cfg)
		return
	}
	p.scheduled = true
	a.mu.Unlock()
	time.AfterFunc(wait, func() {
		a.mu.Lock()
		p.scheduled, p.sent = false, time.Now()
		a.mu.Unlock()
		a.announce(cfg)
	})
}

func (a *arrivals) announce(configuration string) {
	if err := a.pub.PublishArrival(context.Background(), configuration); err != nil {
		a.log.Warn("announce new tickets", "configuration", configuration, "err", err)
	}
}

// inbox holds the tickets handed to a configuration's loop since its last
// pass.
type inbox struct {
	mu      sync.Mutex
	tickets []store.Ticket
}

func (b *inbox) add(t store.Ticket) {
	b.mu.Lock()
	b.tickets = append(b.tickets, t)
	b.mu.Unlock()
}

// drain returns the tickets added since the last drain (nil if none), which
// the caller then owns. The next ones go to a new slice as long as these:
// arrivals come at a steady rate, so it is rarely grown (a ticket is 272
// bytes; growing from nil reallocated three times what a pass took).
func (b *inbox) drain() []store.Ticket {
	b.mu.Lock()
	defer b.mu.Unlock()
	ts := b.tickets
	if len(ts) == 0 {
		return nil
	}
	b.tickets = make([]store.Ticket, 0, len(ts))
	return ts
}
