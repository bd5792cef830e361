package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// timeToMatchMetric is the forming matchmaker's histogram of the time from a
// ticket's start to the claim of its match.
const timeToMatchMetric = "matchpoint_time_to_match_seconds"

// matchHistogram is one configuration's time-to-match histogram: cumulative
// counts by upper bound, as Prometheus exposes it.
type matchHistogram struct {
	bounds []float64
	counts []uint64
	count  uint64
}

// scrapeTimeToMatch reads configuration's time-to-match histogram from a
// Prometheus /metrics URL. A configuration that has matched nothing yet has
// an empty histogram (the matchmaker exposes none until its first match).
func scrapeTimeToMatch(ctx context.Context, url, configuration string) (matchHistogram, error) {
	families, err := scrapeMetrics(ctx, url)
	if err != nil {
		return matchHistogram{}, err
	}
	var h matchHistogram
	for _, m := range families[timeToMatchMetric].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() != "configuration" || l.GetValue() != configuration {
				continue
			}
			hist := m.GetHistogram()
			h.count = hist.GetSampleCount()
			for _, b := range hist.GetBucket() {
				h.bounds = append(h.bounds, b.GetUpperBound())
				h.counts = append(h.counts, b.GetCumulativeCount())
			}
		}
	}
	return h, nil
}

// scrapeMetrics reads the metric families a Prometheus /metrics URL serves.
func scrapeMetrics(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	return families, nil
}

// since is the histogram of the samples added after before.
func (h matchHistogram) since(before matchHistogram) (matchHistogram, error) {
	if before.count == 0 {
		return h, nil
	}
	if len(before.bounds) != len(h.bounds) || before.count > h.count {
		return matchHistogram{}, errors.New("the time-to-match histogram was reset during the run")
	}
	out := matchHistogram{bounds: h.bounds, counts: make([]uint64, len(h.counts)), count: h.count - before.count}
	for i := range h.counts {
		out.counts[i] = h.counts[i] - before.counts[i]
	}
	return out, nil
}

// quantile estimates the q-quantile as Prometheus's histogram_quantile does:
// linear within the bucket that holds it, and the last finite bound when it
// falls beyond that.
func (h matchHistogram) quantile(q float64) time.Duration {
	if h.count == 0 {
		return 0
	}
	rank := q * float64(h.count)
	lower, below := 0.0, uint64(0)
	for i, c := range h.counts {
		if float64(c) >= rank {
			if math.IsInf(h.bounds[i], 1) {
				break
			}
			in := float64(c - below)
			s := lower + (h.bounds[i]-lower)*(rank-float64(below))/in
			return time.Duration(s * float64(time.Second))
		}
		lower, below = h.bounds[i], c
	}
	return time.Duration(lower * float64(time.Second))
}

// timeToMatch is the result line of the matches formed during a run.
func (h matchHistogram) String() string {
	if h.count == 0 {
		return "time to match: no ticket matched (is --metrics-url the forming matchmaker's? its " + timeToMatchMetric + " did not grow)"
	}
	return fmt.Sprintf("time to match (%d tickets, from the matchmaker's histogram): p50 %s  p90 %s  p99 %s",
		h.count, h.quantile(0.50).Round(time.Millisecond), h.quantile(0.90).Round(time.Millisecond), h.quantile(0.99).Round(time.Millisecond))
}

// settledTimeToMatch scrapes until the histogram stops growing (the last
// tickets of the run matched) or wait passes.
func settledTimeToMatch(ctx context.Context, url, configuration string, wait time.Duration) (matchHistogram, error) {
	deadline := time.Now().Add(wait)
	h, err := scrapeTimeToMatch(ctx, url, configuration)
	for err == nil && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return h, nil
		case <-time.After(500 * time.Millisecond):
		}
		var next matchHistogram
		next, err = scrapeTimeToMatch(ctx, url, configuration)
		if err == nil && next.count == h.count {
			return next, nil
		}
		h = next
	}
	return h, err
}
