package main

import (
	"context"
	"fmt"
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

// scrapeRuntime reads runtimeStats from a Prometheus /metrics URL.
func scrapeRuntime(ctx context.Context, url string) (runtimeStats, error) {
	families, err := scrapeMetrics(ctx, url)
	if err != nil {
		return runtimeStats{}, err
	}
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

// runtimeProbe reads the runtime's counters of the process serving the
// API before and after a timed phase, so that a run reports what its
// requests allocated and how often the collector ran: the collector's
// mark phases are where a pinned process's latency tail comes from.
type runtimeProbe struct {
	url    string
	before runtimeStats
	err    error
}

func startRuntimeProbe(ctx context.Context, url string) *runtimeProbe {
	p := &runtimeProbe{url: url}
	p.before, p.err = scrapeRuntime(ctx, url)
	return p
}

// report is the result line of the phase's n requests, each a unit.
func (p *runtimeProbe) report(ctx context.Context, n int64, unit string) string {
	const prefix = "in the process: "
	if p.err != nil {
		return prefix + "not measured: " + p.err.Error()
	}
	after, err := scrapeRuntime(ctx, p.url)
	if err != nil {
		return prefix + "not measured: " + err.Error()
	}
	if n <= 0 || after.allocated < p.before.allocated || after.collections < p.before.collections {
		return prefix + "not measured: no request, or the process restarted during the run"
	}
	return fmt.Sprintf("%s%.1f KB allocated per %s, %d collections, %.0f MB of heap in use at the end",
		prefix, (after.allocated-p.before.allocated)/float64(n)/1000, unit, after.collections-p.before.collections, after.heapInUse/1e6)
}
