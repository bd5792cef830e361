package matchmaker_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// ExampleNew runs a matchmaker on the in-memory store: a STANDALONE
// configuration whose rule set pairs players of close skill, two tickets,
// and the match its forming loop forms.
func ExampleNew() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, err := matchmaker.New(matchmaker.Options{
		Store:    store.NewMemory(store.Options{}),
		Logger:   slog.New(slog.DiscardHandler),
		Interval: 20 * time.Millisecond,
	})
	if err != nil {
		panic(err)
	}
	defer svc.Close()
	_, err = svc.CreateMatchmakingRuleSet(ctx, &matchmaker.CreateMatchmakingRuleSetInput{Name: "duel", RuleSetBody: `{
		"ruleLanguageVersion": "1.0",
		"playerAttributes": [{"name": "skill", "type": "number"}],
		"teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}],
		"rules": [{"name": "close", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skill])"],
			"referenceValue": "avg(flatten(teams[*].players.attributes[skill]))", "maxDistance": 100}]}`})
	if err != nil {
		panic(err)
	}
	timeout, acceptance, mode := 60, false, matchmaker.ModeStandalone
	if _, err := svc.CreateMatchmakingConfiguration(ctx, &matchmaker.CreateMatchmakingConfigurationInput{Name: "duel", RuleSetName: "duel",
		RequestTimeoutSeconds: &timeout, AcceptanceRequired: &acceptance, FlexMatchMode: &mode}); err != nil {
		panic(err)
	}
	events, unsubscribe := svc.Subscribe("duel")
	defer unsubscribe()
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()

	for id, skill := range map[string]float64{"ana": 1000, "bo": 1050} {
		if _, err := svc.StartMatchmaking(ctx, &matchmaker.StartMatchmakingInput{TicketId: id, ConfigurationName: "duel",
			Players: []store.Player{{PlayerId: id, PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &skill}}}}}); err != nil {
			panic(err)
		}
	}
	// Every event of the configuration wakes this loop; the tickets say
	// when the match is made.
	for range events {
		out, err := svc.DescribeMatchmaking(ctx, &matchmaker.DescribeMatchmakingInput{TicketIds: []string{"ana", "bo"}})
		if err != nil {
			panic(err)
		}
		a, b := out.TicketList[0], out.TicketList[1]
		if a.Status == "COMPLETED" && b.Status == "COMPLETED" {
			fmt.Println(a.TicketId, a.Status, "on a team,", b.TicketId, b.Status, "on the other:", a.Players[0].Team != b.Players[0].Team)
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		panic(err)
	}
	// Output: ana COMPLETED on a team, bo COMPLETED on the other: true
}
