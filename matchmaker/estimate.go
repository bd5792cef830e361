package matchmaker

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// The wait estimate (EstimatedWaitTime, estimatedWaitMillis) of a
// configuration is the mean time to match of its last estimateSamples
// matched tickets (backfill tickets aside) matched within estimateWindow,
// and there is none with fewer than estimateMinSamples of them.
const (
	estimateSamples    = 50
	estimateMinSamples = 10
	estimateWindow     = 10 * time.Minute
)

// estimateRewrite is how often a forming loop writes an unchanged wait
// estimate again, so that the stored one's expiry follows the samples; a
// changed one is written at once. A loop claims matches up to a hundred
// times a second under load, and wrote the estimate after each.
const estimateRewrite = time.Second

// estimateWrites remembers a loop's last written wait estimate, to decide
// when to write the next.
type estimateWrites struct {
	written bool
	seconds int
	at      time.Time
}

// due reports whether an estimate of seconds computed at now is to be
// written: the first, a changed one, or an unchanged one estimateRewrite
// after the last write.
func (e *estimateWrites) due(seconds int, now time.Time) bool {
	return !e.written || seconds != e.seconds || now.Sub(e.at) >= estimateRewrite
}

// wrote records that seconds was written at now.
func (e *estimateWrites) wrote(seconds int, now time.Time) {
	e.written, e.seconds, e.at = true, seconds, now
}

// waitSamples holds the times to match of a configuration's last matched
// tickets, as its forming loop saw them. It is safe for concurrent use (the
// matches of a pass are claimed concurrently).
type waitSamples struct {
	mu      sync.Mutex
	samples []waitSample // oldest first, at most estimateSamples
}

type waitSample struct {
	at   time.Time
	wait time.Duration
}

// add records that a ticket waited wait for the match claimed at at.
func (w *waitSamples) add(at time.Time, wait time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.samples) == estimateSamples {
		w.samples = append(w.samples[:0], w.samples[1:]...)
	}
	w.samples = append(w.samples, waitSample{at: at, wait: max(0, wait)})
}

// estimate returns the mean wait, in whole seconds, of the samples within
// estimateWindow of now, and how long it holds: until the
// estimateMinSamples-th newest sample leaves the window, after which there
// would be too little data. ok is false when there is too little data now.
func (w *waitSamples) estimate(now time.Time) (seconds int, ttl time.Duration, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var recent []waitSample
	for i, s := range w.samples {
		if now.Sub(s.at) < estimateWindow {
			recent = w.samples[i:]
			break
		}
	}
	if len(recent) < estimateMinSamples {
		return 0, 0, false
	}
	var sum time.Duration
	for _, s := range recent {
		sum += s.wait
	}
	mean := sum.Seconds() / float64(len(recent))
	ttl = recent[len(recent)-estimateMinSamples].at.Add(estimateWindow).Sub(now)
	return int(math.Round(mean)), ttl, true
}

// waitEstimate returns the configuration's wait estimate in seconds, as the
// forming loop that owns it last recorded it in the store (any process may
// own it), reread at most every CacheTTL; ok is false when there is none.
func (s *Service) waitEstimate(ctx context.Context, configuration string) (seconds int, ok bool) {
	now := s.now()
	s.mu.Lock()
	c, cached := s.estimates[configuration]
	s.mu.Unlock()
	if cached && now.Before(c.expires) {
		return c.seconds, c.ok
	}
	seconds, ok, err := s.store.WaitEstimate(ctx, configuration)
	if err != nil {
		s.log.Warn("read wait estimate", "configuration", configuration, "err", err)
		return 0, false
	}
	s.mu.Lock()
	s.estimates[configuration] = cachedEstimate{seconds: seconds, ok: ok, expires: now.Add(s.opts.CacheTTL)}
	s.mu.Unlock()
	return seconds, ok
}

type cachedEstimate struct {
	seconds int
	ok      bool
	expires time.Time
}

// estimatedWaitMillis is the estimatedWaitMillis of a MatchmakingSearching
// event: the wait estimate in seconds, or NOT_AVAILABLE.
func (s *Service) estimatedWaitMillis(ctx context.Context, configuration string) EstimatedWait {
	if seconds, ok := s.waitEstimate(ctx, configuration); ok {
		return EstimatedWait(strconv.Itoa(seconds))
	}
	return estimateNA
}

// withEstimate sets the EstimatedWaitTime of a QUEUED or SEARCHING ticket
// (absent otherwise, and when there is no estimate).
func (s *Service) withEstimate(ctx context.Context, t *MatchmakingTicket) {
	if t.Status != store.StatusQueued && t.Status != store.StatusSearching {
		return
	}
	if seconds, ok := s.waitEstimate(ctx, t.ConfigurationName); ok {
		t.EstimatedWaitTime = &seconds
	}
}
