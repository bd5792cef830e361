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

// histogram is one series of a Prometheus histogram: cumulative counts by
// upper bound, as /metrics exposes them.
type histogram struct {
	bounds []float64
	counts []uint64
	count  uint64
}

// scrapeTimeToMatch reads configuration's time-to-match histogram from a
// Prometheus /metrics URL. A configuration that has matched nothing yet has
// an empty histogram (the matchmaker exposes none until its first match).
func scrapeTimeToMatch(ctx context.Context, url, configuration string) (histogram, error) {
	return scrapeHistogram(ctx, url, timeToMatchMetric, map[string]string{"configuration": configuration})
}

// scrapeHistogram reads the series of metric whose labels include every one
// of labels from a Prometheus /metrics URL; it is empty when there is none
// (yet).
func scrapeHistogram(ctx context.Context, url, metric string, labels map[string]string) (histogram, error) {
	families, err := scrapeMetrics(ctx, url)
	if err != nil {
		return histogram{}, err
	}
	return histogramOf(families, metric, labels), nil
}

// histogramOf is the series of metric in families whose labels include
// every one of labels, empty when there is none.
func histogramOf(families map[string]*dto.MetricFamily, metric string, labels map[string]string) histogram {
	for _, m := range families[metric].GetMetric() {
		matched := 0
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
				matched++
			}
		}
		if matched != len(labels) {
			continue
		}
		hist := m.GetHistogram()
		h := histogram{count: hist.GetSampleCount()}
		for _, b := range hist.GetBucket() {
			h.bounds = append(h.bounds, b.GetUpperBound())
			h.counts = append(h.counts, b.GetCumulativeCount())
		}
		return h
	}
	return histogram{}
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
func (h histogram) since(before histogram) (histogram, error) {
	if before.count == 0 {
		return h, nil
	}
	if len(before.bounds) != len(h.bounds) || before.count > h.count {
		return histogram{}, errors.New("the histogram was reset during the run")
	}
	out := histogram{bounds: h.bounds, counts: make([]uint64, len(h.counts)), count: h.count - before.count}
	for i := range h.counts {
		out.counts[i] = h.counts[i] - before.counts[i]
	}
	return out, nil
}

// quantile estimates the q-quantile as Prometheus's histogram_quantile does:
// linear within the bucket that holds it, and the last finite bound when it
// falls beyond that.
func (h histogram) quantile(q float64) time.Duration {
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

// timeToMatchString is the result line of the matches formed during a run.
func (h histogram) timeToMatchString() string {
	if h.count == 0 {
		return "time to match: no ticket matched (is --metrics-url the forming matchmaker's? its " + timeToMatchMetric + " did not grow)"
	}
	return fmt.Sprintf("time to match (%d tickets, from the matchmaker's histogram): p50 %s  p90 %s  p99 %s",
		h.count, h.quantile(0.50).Round(time.Millisecond), h.quantile(0.90).Round(time.Millisecond), h.quantile(0.99).Round(time.Millisecond))
}

// settledTimeToMatch scrapes until the histogram stops growing (the last
// tickets of the run matched) or wait passes.
func settledTimeToMatch(ctx context.Context, url, configuration string, wait time.Duration) (histogram, error) {
	deadline := time.Now().Add(wait)
	h, err := scrapeTimeToMatch(ctx, url, configuration)
	for err == nil && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return h, nil
		case <-time.After(500 * time.Millisecond):
		}
		var next histogram
		next, err = scrapeTimeToMatch(ctx, url, configuration)
		if err == nil && next.count == h.count {
			return next, nil
		}
		h = next
	}
	return h, err
}

// requestSecondsMetric is the API's histogram of the time a request spends
// in its handler (matchmaker/api, Metrics).
const requestSecondsMetric = "matchpoint_api_request_seconds"

// over is the share of the samples above bound, when bound is one of the
// histogram's bounds.
func (h histogram) over(bound float64) (float64, bool) {
	for i, b := range h.bounds {
		if b == bound && h.count > 0 {
			return float64(h.count-h.counts[i]) / float64(h.count), true
		}
	}
	return 0, false
}
