package sessionsearch_test

import (
	"errors"
	"fmt"

	"github.com/matchpoint-dev/matchpoint/matchmaker/sessionsearch"
)

func Example() {
	sessions := []*sessionsearch.Session{
		{ID: "gsess-a", Properties: map[string]string{"mode": "ranked"}, MaximumSessions: 10, PlayerSessionCount: 9, CreationTimeMillis: 2000, HasAvailablePlayerSessions: true},
		{ID: "gsess-b", Properties: map[string]string{"mode": "ranked"}, MaximumSessions: 10, PlayerSessionCount: 10, CreationTimeMillis: 1000},
		{ID: "gsess-c", Properties: map[string]string{"mode": "ranked"}, MaximumSessions: 4, PlayerSessionCount: 1, CreationTimeMillis: 1500, HasAvailablePlayerSessions: true},
		{ID: "gsess-d", Properties: map[string]string{"mode": "casual"}, MaximumSessions: 10, PlayerSessionCount: 2, CreationTimeMillis: 500, HasAvailablePlayerSessions: true},
	}
	filter, err := sessionsearch.CompileFilter("hasAvailablePlayerSessions = true AND gameSessionProperties.mode = 'ranked'")
	if err != nil {
		panic(err)
	}
	order, err := sessionsearch.CompileSort("creationTimeMillis ASC")
	if err != nil {
		panic(err)
	}
	found := filter.Select(sessions)
	order.Sort(found)
	for _, s := range found {
		fmt.Println(s.ID)
	}

	_, err = sessionsearch.CompileFilter("maximumSessions >= 10 AND hasAvailablePlayerSessions")
	var syntax *sessionsearch.SyntaxError
	fmt.Println(errors.As(err, &syntax), syntax.Pos)
	fmt.Println(err)
	// Output:
	// gsess-c
	// gsess-a
	// true 53
	// FilterExpression: at character 53: expected a comparison operator (=, <>, <, >, <=, >=) after hasAvailablePlayerSessions, found the end of the expression
}
