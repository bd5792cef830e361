package matchmaker

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// counterValue returns the value of the counter name with the given label
// pairs (name, value, ...) in reg, 0 if it has not been counted.
func counterValue(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	if m := findMetric(t, reg, name, labels...); m != nil {
		return m.GetCounter().GetValue()
	}
	return 0
}

// findMetric returns the series of the metric name with the given label
// pairs (name, value, ...) in reg, nil if there is none.
func findMetric(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) *dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metric:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metric
				}
			}
			return m
		}
	}
	return nil
}

// TestTicketMetrics follows tickets through their lifecycle and checks the
// transitions, events and webhook deliveries counted.
func TestTicketMetrics(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		reg := prometheus.NewRegistry()
		e := newEnv(t, open, func(o *Options) { o.Registerer = reg })
		e.ruleSet("rs")
		e.config("c", nil)
		e.config("s", func(c *CreateMatchmakingConfigurationInput) { c.FlexMatchMode = ptr(ModeStandalone) })
		e.config("a", func(c *CreateMatchmakingConfigurationInput) { c.AcceptanceRequired = ptr(true) })
		tickets := func(cfg string, st store.Status) float64 {
			return counterValue(t, reg, "matchpoint_tickets_total", "configuration", cfg, "status", string(st))
		}
		events := func(cfg, typ string) float64 {
			return counterValue(t, reg, "matchpoint_events_total", "configuration", cfg, "type", typ)
		}
		want := func(what string, got, want float64) {
			t.Helper()
			if got != want {
				t.Fatalf("%s: counted %v, want %v", what, got, want)
			}
		}

		e.start("c", "t1", "p1")
		e.start("c", "t2", "p2")
		e.start("c", "t3", "p3")
		e.start("c", "t4", "p3") // cancels t3: duplicate player
		want("c SEARCHING", tickets("c", store.StatusSearching), 4)
		want("c CANCELLED", tickets("c", store.StatusCancelled), 1)
		want("c MatchmakingSearching", events("c", EventMatchmakingSearching), 4)

		e.claim("c", "m1", map[string]string{"t1": "red", "t2": "blue"})
		want("c PLACING", tickets("c", store.StatusPlacing), 2)
		want("c PotentialMatchCreated", events("c", EventPotentialMatchCreated), 1)
		if err := e.svc.placementFailed(e.ctx, "m1", []string{"t1", "t2"}, "no relay"); err != nil {
			t.Fatal(err)
		}
		want("c FAILED", tickets("c", store.StatusFailed), 2)
		want("c MatchmakingFailed", events("c", EventMatchmakingFailed), 1)
		if _, err := e.svc.StopMatchmaking(e.ctx, &StopMatchmakingInput{TicketId: "t4"}); err != nil {
			t.Fatal(err)
		}
		want("c CANCELLED after stop", tickets("c", store.StatusCancelled), 2)
		want("c MatchmakingCancelled", events("c", EventMatchmakingCancelled), 1)
		// A refused request counts nothing.
		_, err := e.svc.StopMatchmaking(e.ctx, &StopMatchmakingInput{TicketId: "t4"})
		var se *Error
		if err != nil && !errors.As(err, &se) {
			t.Fatal(err)
		}
		want("c CANCELLED after a second stop", tickets("c", store.StatusCancelled), 2)

		// STANDALONE: the claim moves the tickets into PLACING, then they
		// complete at once.
		e.start("s", "s1", "q1")
		e.start("s", "s2", "q2")
		e.claim("s", "m2", map[string]string{"s1": "red", "s2": "blue"})
		want("s PLACING", tickets("s", store.StatusPlacing), 2)
		want("s COMPLETED", tickets("s", store.StatusCompleted), 2)
		want("s MatchmakingSucceeded", events("s", EventMatchmakingSucceeded), 1)
		want("c COMPLETED", tickets("c", store.StatusCompleted), 0)

		// Acceptance: REQUIRES_ACCEPTANCE, then PLACING once both accept.
		e.start("a", "a1", "r1")
		e.start("a", "a2", "r2")
		e.claim("a", "m3", map[string]string{"a1": "red", "a2": "blue"})
		want("a REQUIRES_ACCEPTANCE", tickets("a", store.StatusRequiresAcceptance), 2)
		for _, tk := range []struct{ id, player string }{{"a1", "r1"}, {"a2", "r2"}} {
			if _, err := e.svc.AcceptMatch(e.ctx, &AcceptMatchInput{TicketId: tk.id, PlayerIds: []string{tk.player}, AcceptanceType: "ACCEPT"}); err != nil {
				t.Fatal(err)
			}
		}
		want("a PLACING", tickets("a", store.StatusPlacing), 2)
		want("a AcceptMatch", events("a", EventAcceptMatch), 2)
		want("a AcceptMatchCompleted", events("a", EventAcceptMatchCompleted), 1)
		if err := e.svc.placementSucceeded(e.ctx, "m3", map[string]store.GameSessionConnectionInfo{
			"a1": {GameSessionArn: "arn:gs", MatchedPlayerSessions: []store.MatchedPlayerSession{{PlayerId: "r1", PlayerSessionId: "ps1"}}},
			"a2": {GameSessionArn: "arn:gs", MatchedPlayerSessions: []store.MatchedPlayerSession{{PlayerId: "r2", PlayerSessionId: "ps2"}}},
		}); err != nil {
			t.Fatal(err)
		}
		want("a COMPLETED", tickets("a", store.StatusCompleted), 2)
	})
}

// TestMetricsRegistration: a nil Registerer registers nothing; a registry
// cannot take the metrics of two services.
func TestMetricsRegistration(t *testing.T) {
	svc, err := New(Options{Store: store.NewMemory(store.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	_ = svc.Close()
	reg := prometheus.NewRegistry()
	svc, err = New(Options{Store: store.NewMemory(store.Options{}), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, err := New(Options{Store: store.NewMemory(store.Options{}), Registerer: reg}); err == nil {
		t.Fatal("registering the metrics twice: want an error")
	}
}
