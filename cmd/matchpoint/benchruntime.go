package main

import (
	"context"
	"fmt"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// The Go runtime's metrics a Matchpoint process exposes (client_golang's Go
// collector) that a run reads before and after its timed phase.
const (
	allocatedMetric   = "go_memstats_alloc_bytes_total"
	collectionsMetric = "go_gc_duration_seconds" // a summary whose count is the collections
	heapInUseMetric   = "go_memstats_heap_inuse_bytes"
)

// runtimeStats are a Go process's bytes allocated and collections so far,
// and its heap in use.
type runtimeStats struct {
	allocated, heapInUse float64
	collections          uint64
}

// runtimeOf reads runtimeStats from the metric families url served.
func runtimeOf(families map[string]*dto.MetricFamily, url string) (runtimeStats, error) {
	for _, name := range []string{allocatedMetric, collectionsMetric, heapInUseMetric} {
		if len(families[name].GetMetric()) == 0 {
			return runtimeStats{}, fmt.Errorf("%s has no %s (not a Go process's metrics?)", url, name)
		}
	}
	return runtimeStats{
		allocated:   families[allocatedMetric].GetMetric()[0].GetCounter().GetValue(),
		collections: families[collectionsMetric].GetMetric()[0].GetSummary().GetSampleCount(),
		heapInUse:   families[heapInUseMetric].GetMetric()[0].GetGauge().GetValue(),
	}, nil
}

// phaseProbe reads the /metrics of the process serving the API once before
// and once after a timed phase, for the two lines a run reports beside the
// client's: the time its requests spent in the handler (the face and
// action's matchpoint_api_request_seconds), and what they cost the Go
// runtime (bytes allocated, collections, heap in use). On a process pinned
// to one core each collection's mark phase slows the requests it overlaps,
// so allocation is latency as well as CPU.
type phaseProbe struct {
	url    string
	labels map[string]string
	before map[string]*dto.MetricFamily
	err    error
}

// startPhaseProbe scrapes url as a phase of face and action's requests
// starts.
func startPhaseProbe(ctx context.Context, url, face, action string) *phaseProbe {
	p := &phaseProbe{url: url, labels: map[string]string{"face": face, "action": action}}
	p.before, p.err = scrapeMetrics(ctx, url)
	return p
}

// report scrapes url again and returns the handler's and the process's
// lines for the phase's n requests, each a unit.
func (p *phaseProbe) report(ctx context.Context, n int64, unit string) (handler, process string) {
	after, err := scrapeMetrics(ctx, p.url)
	if p.err != nil {
		err = p.err
	}
	if err != nil {
		return "in the handler: not measured: " + err.Error(), "in the process: not measured: " + err.Error()
	}
	return p.handlerLine(after), p.processLine(after, n, unit)
}

func (p *phaseProbe) handlerLine(after map[string]*dto.MetricFamily) string {
	const prefix = "in the handler: "
	run, err := histogramOf(after, requestSecondsMetric, p.labels).since(histogramOf(p.before, requestSecondsMetric, p.labels))
	if err != nil {
		return prefix + "not measured: " + err.Error()
	}
	if run.count == 0 {
		return fmt.Sprintf("%snot measured: %s has no %s{face=%q,action=%q} that grew", prefix, p.url, requestSecondsMetric, p.labels["face"], p.labels["action"])
	}
	line := fmt.Sprintf("in the handler (%d requests, from the API's %s): p50 %s  p90 %s  p99 %s",
		run.count, requestSecondsMetric, run.quantile(0.50).Round(10*time.Microsecond),
		run.quantile(0.90).Round(10*time.Microsecond), run.quantile(0.99).Round(10*time.Microsecond))
	if over, ok := run.over(0.01); ok {
		line += fmt.Sprintf("; %.2f%% over 10ms", 100*over)
	}
	return line
}

func (p *phaseProbe) processLine(after map[string]*dto.MetricFamily, n int64, unit string) string {
	const prefix = "in the process: "
	was, err := runtimeOf(p.before, p.url)
	if err != nil {
		return prefix + "not measured: " + err.Error()
	}
	now, err := runtimeOf(after, p.url)
	if err != nil {
		return prefix + "not measured: " + err.Error()
	}
	if n <= 0 || now.allocated < was.allocated || now.collections < was.collections {
		return prefix + "not measured: no request, or the process restarted during the run"
	}
	return fmt.Sprintf("%s%.1f KB allocated per %s, %d collections, %.0f MB of heap in use at the end",
		prefix, (now.allocated-was.allocated)/float64(n)/1000, unit, now.collections-was.collections, now.heapInUse/1e6)
}
