package forming_test

import (
	"fmt"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/forming"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// One pass over a pool of four duelists: the two pairs close in skill
// match, in the region both reach fastest.
func Example() {
	rs, err := rules.CompileJSON([]byte(`{
	  "name": "duel", "ruleLanguageVersion": "1.0",
	  "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
	  "teams": [{"name": "player", "minPlayers": 1, "maxPlayers": 1, "quantity": 2}],
	  "rules": [{"name": "CloseSkill", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 100},
	            {"name": "Ping", "type": "latency", "maxLatency": 150}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var pool []*forming.Ticket
	for i, skill := range []float64{1000, 2000, 1080, 1950} {
		id := fmt.Sprintf("t%d", i)
		t, err := forming.Prepare(rs, rules.TicketSpec{ID: id, Start: now.Add(-time.Duration(10-i) * time.Second), Players: []rules.Player{{
			ID:         "player-" + id,
			Attributes: map[string]rules.Value{"skill": rules.NumberValue(skill)},
			Latencies:  map[string]float64{"us-east-1": 30 + float64(i), "eu-west-1": 90},
		}}})
		if err != nil {
			fmt.Println(err)
			return
		}
		pool = append(pool, t)
	}
	res, err := forming.Form(rs, forming.Input{Tickets: pool, Now: now}, forming.Options{Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range res.Matches {
		fmt.Println(m.Teams[0][0].ID, "vs", m.Teams[1][0].ID, "in", m.Region)
	}
	fmt.Println("unmatched:", res.Unmatched)
	// Output:
	// t0 vs t2 in us-east-1
	// t1 vs t3 in us-east-1
	// unmatched: 0
}
