package sessionsearch

import (
	"strconv"
	"testing"
)

const (
	benchFilter = "hasAvailablePlayerSessions = true AND gameSessionProperties.mode = 'ranked' AND maximumSessions >= 8 AND NOT gameSessionName = 'private'"
	benchSort   = "creationTimeMillis DESC"
)

// benchSessions is a fleet of n sessions, about a quarter of which match
// benchFilter.
func benchSessions(n int) []*Session {
	modes := []string{"ranked", "casual"}
	out := make([]*Session, n)
	for i := range out {
		out[i] = &Session{
			ID:                         "gsess-" + strconv.Itoa(i),
			ARN:                        "arn:aws:gamelift:eu-west-1::gamesession/fleet-1/gsess-" + strconv.Itoa(i),
			Name:                       "game " + strconv.Itoa(i),
			Properties:                 map[string]string{"mode": modes[i%2], "map": "m" + strconv.Itoa(i%7)},
			MaximumSessions:            8 + i%3,
			PlayerSessionCount:         i % 9,
			CreationTimeMillis:         1_700_000_000_000 + int64(i*7919%10_000),
			HasAvailablePlayerSessions: i%4 < 2,
		}
	}
	return out
}

func BenchmarkCompileFilter(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompileFilter(benchFilter); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileSort(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompileSort(benchSort); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatch10k is one SearchGameSessions call's filtering: a filter
// compiled once, run over 10,000 prepared sessions (as the matchmaker's
// copy of a fleet holds them).
func BenchmarkMatch10k(b *testing.B) {
	sessions := benchSessions(10_000)
	for _, s := range sessions {
		s.Prepare()
	}
	f, err := CompileFilter(benchFilter)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(f.Select(sessions)) == 0 {
			b.Fatal("no session matched")
		}
	}
}

// BenchmarkSort10k sorts 10,000 sessions, in a new order each time.
func BenchmarkSort10k(b *testing.B) {
	sessions := benchSessions(10_000)
	work := make([]*Session, len(sessions))
	s, err := CompileSort("gameSessionProperties.map ASC")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		copy(work, sessions)
		s.Sort(work)
	}
}
