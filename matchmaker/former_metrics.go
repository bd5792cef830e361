package matchmaker

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type formingMetrics struct {
	owned            prometheus.Gauge
	pool             *prometheus.GaugeVec
	unmatchable      *prometheus.GaugeVec
	matches          *prometheus.CounterVec
	matchPlayers     *prometheus.HistogramVec
	timeToMatch      *prometheus.HistogramVec
	claimConflicts   *prometheus.CounterVec
	passSeconds      *prometheus.HistogramVec
	skippedPasses    *prometheus.CounterVec
	placements       *prometheus.CounterVec
	placementSeconds *prometheus.HistogramVec
	// pendingPlacements are the placements waiting for capacity.
	pendingPlacements *prometheus.GaugeVec
	ruleOutcomes      *prometheus.CounterVec
	keptOut           *prometheus.GaugeVec
}

// timeToMatchBuckets cover a ticket formed in the pass after it arrived (tens
// of milliseconds) to one that waited for its expansions (minutes).
var timeToMatchBuckets = []float64{0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600}

func newFormingMetrics(reg prometheus.Registerer) (*formingMetrics, error) {
	cfg := []string{"configuration"}
	m := &formingMetrics{
		owned: prometheus.NewGauge(prometheus.GaugeOpts{Name: "matchpoint_worker_owned_configurations",
			Help: "Configurations this process forms matches for (holds the lease of)."}),
		pool: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "matchpoint_pool_tickets",
			Help: "SEARCHING tickets in the last forming pass."}, cfg),
		unmatchable: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "matchpoint_pool_unmatchable_tickets",
			Help: "SEARCHING tickets that can never match the rule set (missing attribute without default, wrong type, party larger than any team, no latency data for a latency rule)."}, cfg),
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_matches_total",
			Help: "Matches formed and claimed."}, cfg),
		matchPlayers: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "matchpoint_match_players",
			Help: "Players per formed match.", Buckets: []float64{2, 4, 6, 8, 10, 16, 20, 40, 100, 200}}, cfg),
		timeToMatch: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "matchpoint_time_to_match_seconds",
			Help: "Time from a ticket's start to the claim of its match.", Buckets: timeToMatchBuckets}, cfg),
		claimConflicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_claim_conflicts_total",
			Help: "Formed matches dropped because a ticket changed before the claim."}, cfg),
		passSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "matchpoint_forming_pass_seconds",
			Help: "Duration of one forming pass.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, cfg),
		skippedPasses: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_forming_passes_skipped_total",
			Help: "Forming passes skipped because the pool had not changed and no expansion step was reached."}, cfg),
		placements: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_placements_total",
			Help: "Placements by outcome."}, []string{"configuration", "outcome"}),
		placementSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "matchpoint_placement_seconds",
			Help: "Time to place a match on a relay.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 15)}, cfg),
		pendingPlacements: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "matchpoint_placements_pending",
			Help: "Placements waiting for capacity: no relay of their regions had room (FULL) or was running."}, cfg),
		ruleOutcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_rule_evaluations_total",
			Help: "Rule outcomes of the forming passes' evaluations (FlexMatch's ruleEvaluationMetrics), by rule and outcome (passed, failed)."}, []string{"configuration", "rule", "outcome"}),
		keptOut: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "matchpoint_pool_kept_out_tickets",
			Help: "Searching tickets left out of every match of the last forming pass, by the rule that failed most often in the search each anchored."}, []string{"configuration", "rule"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.owned, m.pool, m.unmatchable, m.matches, m.matchPlayers, m.timeToMatch, m.claimConflicts, m.passSeconds, m.skippedPasses, m.placements, m.placementSeconds, m.pendingPlacements, m.ruleOutcomes, m.keptOut} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register forming metrics: %w", err)
		}
	}
	return m, nil
}
