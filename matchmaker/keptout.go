package matchmaker

import (
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// keptOut sums, for each searching ticket of a configuration, the rule
// outcomes of the forming searches it anchored without finding a match:
// FlexMatch's ruleEvaluationMetrics for its MatchmakingTimedOut or
// MatchmakingCancelled event. The configuration's loop writes it after each
// pass; the service reads it when a ticket times out or is cancelled.
type keptOut struct {
	mu       sync.Mutex
	rs       *rules.RuleSet // of the last pass
	byTicket map[string]*keptTicket
	// never holds, by ticket id, why the tickets of the last pass that
	// forming.Prepare refused can never match.
	never map[string]string
}

type keptTicket struct {
	ticket *forming.Ticket
	sum    []RuleEvaluationMetric
}

func newKeptOut() *keptOut {
	return &keptOut{byTicket: map[string]*keptTicket{}}
}

// add counts a pass's kept-out tickets under rule set rs. A ticket's sums
// start again when the rule set's rules changed since they began.
func (k *keptOut) add(rs *rules.RuleSet, kept []forming.KeptOut) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.rs = rs
	for _, ko := range kept {
		kt := k.byTicket[ko.Ticket.ID]
		if kt == nil || !sameRules(kt.sum, ko.Metrics) {
			kt = &keptTicket{sum: make([]RuleEvaluationMetric, len(ko.Metrics))}
			for i, m := range ko.Metrics {
				kt.sum[i].RuleName = m.RuleName
			}
			k.byTicket[ko.Ticket.ID] = kt
		}
		kt.ticket = ko.Ticket
		for i, m := range ko.Metrics {
			kt.sum[i].PassedCount += m.PassedCount
			kt.sum[i].FailedCount += m.FailedCount
		}
	}
}

func sameRules(sum []RuleEvaluationMetric, pass []forming.RuleMetric) bool {
	if len(sum) != len(pass) {
		return false
	}
	for i := range sum {
		if sum[i].RuleName != pass[i].RuleName {
			return false
		}
	}
	return true
}

// unmatchable records why the tickets of a pass that can never match do not,
// by ticket id, in place of the last pass's.
func (k *keptOut) unmatchable(reasons map[string]string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.never = reasons
}

// retain forgets the tickets for which searching reports false: they left
// the pool.
func (k *keptOut) retain(searching func(id string) bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for id := range k.byTicket {
		if !searching(id) {
			delete(k.byTicket, id)
		}
	}
}

// explain returns what kept the ticket out at time now, nil when it can
// match but never anchored a failed search.
func (k *keptOut) explain(id string, now time.Time) *explanation {
	k.mu.Lock()
	defer k.mu.Unlock()
	if reason, ok := k.never[id]; ok {
		return &explanation{Unmatchable: reason}
	}
	kt := k.byTicket[id]
	if kt == nil {
		return nil
	}
	e := &explanation{Metrics: append([]RuleEvaluationMetric(nil), kt.sum...)}
	worst := 0
	for _, m := range kt.sum {
		if m.FailedCount > worst {
			e.KeptOutBy, worst = m.RuleName, m.FailedCount
		}
	}
	e.Expansions = forming.ExpansionsInForce(k.rs, kt.ticket, now)
	return e
}
