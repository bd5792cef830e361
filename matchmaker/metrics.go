package matchmaker

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// The outcomes of a webhook delivery (matchpoint_webhook_deliveries_total).
const (
	webhookDelivered = "delivered" // a 2xx answer, after any retries
	webhookFailed    = "failed"    // every attempt failed
	webhookDropped   = "dropped"   // the delivery queue was full
)

// metrics are the service's Prometheus metrics.
type metrics struct {
	tickets  *prometheus.CounterVec
	events   *prometheus.CounterVec
	webhooks *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		tickets: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_tickets_total",
			Help: "Tickets written into each status (a ticket counts once per status it enters), by configuration."},
			[]string{"configuration", "status"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_events_total",
			Help: "Matchmaking events emitted, by configuration and type."}, []string{"configuration", "type"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_webhook_deliveries_total",
			Help: "Webhook deliveries by outcome: delivered, failed (after every attempt) or dropped (queue full)."},
			[]string{"outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.tickets, m.events, m.webhooks} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("matchmaker: register metrics: %w", err)
		}
	}
	return m, nil
}

// ticket counts n tickets of the configuration entering status.
func (m *metrics) ticket(configuration string, status store.Status, n int) {
	if n > 0 {
		m.tickets.WithLabelValues(configuration, string(status)).Add(float64(n))
	}
}
