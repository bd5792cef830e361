package matchmaker

import (
	"sort"
	"sync"
	"time"
)

// maxTrackedRelays bounds how many relays a RelayTracker keeps, whatever
// arrives on the bus.
const maxTrackedRelays = 10000

// RelayTracker keeps the last heartbeat of every relay, for
// Options.Relays: feed it each heartbeat with Observe, and hand its Live
// method to the service.
type RelayTracker struct {
	now func() time.Time

	mu   sync.Mutex
	seen map[string]trackedRelay
}

type trackedRelay struct {
	r        Relay
	interval time.Duration
	at       time.Time
}

// NewRelayTracker returns an empty tracker on the clock now (time.Now if
// nil).
func NewRelayTracker(now func() time.Time) *RelayTracker {
	if now == nil {
		now = time.Now
	}
	return &RelayTracker{now: now, seen: map[string]trackedRelay{}}
}

// Observe records a relay's heartbeat; interval is how often it sends them
// (one second if not positive).
func (t *RelayTracker) Observe(r Relay, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	key := r.Region + "\x00" + r.ID
	if _, ok := t.seen[key]; !ok && len(t.seen) >= maxTrackedRelays {
		return
	}
	t.seen[key] = trackedRelay{r: r, interval: interval, at: t.now()}
}

// Live returns the relays heard from within three of their heartbeat
// intervals, by region then id; it forgets the others.
func (t *RelayTracker) Live() []Relay {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var out []Relay
	for key, s := range t.seen {
		if now.Sub(s.at) > 3*s.interval {
			delete(t.seen, key)
			continue
		}
		out = append(out, s.r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].ID < out[j].ID
	})
	return out
}
