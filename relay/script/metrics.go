package script

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts what scripts did wrong. Counters are labelled by script name and
// callback ("load" for the top-level code, "timer" for timers).
type metrics struct {
	errors     *prometheus.CounterVec
	interrupts *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "matchpoint_script_errors_total",
			Help: "Script callbacks that threw (the callback's default applied).",
		}, []string{"script", "callback"}),
		interrupts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "matchpoint_script_interrupts_total",
			Help: "Script callbacks interrupted for running past their time budget.",
		}, []string{"script", "callback"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.errors, err = register(reg, m.errors); err != nil {
		return nil, err
	}
	if m.interrupts, err = register(reg, m.interrupts); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector registered before under the same
// name, so that every Factory given one Registerer shares one set of counters.
func register(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return nil, fmt.Errorf("script: register metrics: %w", err)
}
