package matchmaker

import (
	"slices"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// TestKeptOutExplains: a ticket's kept-out sums add up over passes, name the
// rule that failed most often and the expansion steps in force for it, start
// again when the rules change, and are forgotten when it leaves the pool.
func TestKeptOutExplains(t *testing.T) {
	compile := func(src string) *rules.RuleSet {
		rs, err := rules.CompileJSON([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	rs := compile(`{"name":"duel","ruleLanguageVersion":"1.0",
 "playerAttributes":[{"name":"skill","type":"number","default":1000}],
 "teams":[{"name":"a","minPlayers":1,"maxPlayers":1},{"name":"b","minPlayers":1,"maxPlayers":1}],
 "rules":[{"name":"Close","type":"batchDistance","batchAttribute":"skill","maxDistance":100},
          {"name":"Same","type":"comparison","measurements":["flatten(teams[*].players.attributes[skill])"],"operation":"="}],
 "expansions":[{"target":"rules[Close].maxDistance","steps":[{"waitTimeSeconds":1,"value":300},{"waitTimeSeconds":60,"value":900}]}]}`)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	st := store.Ticket{TicketId: "t1", StartTime: now.Add(-2 * time.Second), Players: []store.Player{{PlayerId: "p1"}}}
	ft, err := forming.Prepare(rs, forming.TicketSpec(st.TicketId, st.StartTime, st.Backfill, st.Players))
	if err != nil {
		t.Fatal(err)
	}
	pass := []forming.KeptOut{{Ticket: ft, Metrics: []forming.RuleMetric{{RuleName: "Close", PassedCount: 1, FailedCount: 3}, {RuleName: "Same", FailedCount: 1}}}}
	k := newKeptOut()
	k.add(rs, pass)
	k.add(rs, pass)
	e := k.explain("t1", now)
	if e == nil || e.KeptOutBy != "Close" || e.Metrics[0].FailedCount != 6 || e.Metrics[0].PassedCount != 2 || e.Metrics[1].FailedCount != 2 {
		t.Fatalf("explanation %+v; want Close failing 6 times", e)
	}
	if want := []string{"rules[Close].maxDistance = 300 (after 1s)"}; !slices.Equal(e.Expansions, want) {
		t.Fatalf("expansions %q, want %q", e.Expansions, want)
	}
	k.add(rs, []forming.KeptOut{{Ticket: ft, Metrics: []forming.RuleMetric{{RuleName: "Other", FailedCount: 1}}}})
	if e := k.explain("t1", now); len(e.Metrics) != 1 || e.Metrics[0].RuleName != "Other" || e.KeptOutBy != "Other" {
		t.Fatalf("after the rules changed: %+v", e)
	}
	if k.explain("t2", now) != nil {
		t.Fatal("a ticket never kept out has an explanation")
	}
	k.unmatchable(map[string]string{"t1": "can never match: no latency data, which the latency rule Ping needs"})
	if e := k.explain("t1", now); e.Unmatchable != "can never match: no latency data, which the latency rule Ping needs" || e.KeptOutBy != "" || e.Metrics != nil {
		t.Fatalf("unmatchable: %+v", e)
	}
	k.unmatchable(map[string]string{})
	if e := k.explain("t1", now); e.Unmatchable != "" || e.KeptOutBy != "Other" {
		t.Fatalf("after a pass that could match it: %+v", e)
	}
	k.retain(func(id string) bool { return id != "t1" })
	if k.explain("t1", now) != nil {
		t.Fatal("a ticket gone from the pool keeps its explanation")
	}
}
