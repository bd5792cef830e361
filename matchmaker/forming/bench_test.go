package forming

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/rules"
)

// benchPool makes n single-player tickets for the 5v5 benchmark rule set:
// skill spread over 1,000 points, levels close, mostly one mode, latencies
// over three regions, ages up to 20 s.
func benchPool(tb testing.TB, rs *rules.RuleSet, n int) Input {
	tb.Helper()
	rng := rand.New(rand.NewPCG(uint64(n), 11))
	var in Input
	for i := range n {
		mode := "ranked"
		if rng.IntN(10) == 0 {
			mode = "casual"
		}
		lat := map[string]float64{
			"us-east-1": float64(20 + rng.IntN(120)),
			"us-west-2": float64(20 + rng.IntN(120)),
			"eu-west-1": float64(20 + rng.IntN(160)),
		}
		in.Tickets = append(in.Tickets, ticket(tb, rs, fmt.Sprintf("t%05d", i), time.Duration(rng.IntN(20_000))*time.Millisecond,
			player{attrs: num("skill", 1000+rng.IntN(1000), "level", 8+rng.IntN(4), "mode", mode), latency: lat}))
	}
	in.Now = t0
	return in
}

func benchmarkForm5v5(b *testing.B, n int) {
	rs := compile(b, fiveRules)
	in := benchPool(b, rs, n)
	b.ReportAllocs()
	matches := 0
	for b.Loop() {
		res, err := Form(rs, in, Options{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		matches += len(res.Matches)
	}
	b.ReportMetric(float64(matches)/b.Elapsed().Seconds(), "matches/s")
	b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
}

func BenchmarkForm5v5Pool1000(b *testing.B)  { benchmarkForm5v5(b, 1000) }
func BenchmarkForm5v5Pool10000(b *testing.B) { benchmarkForm5v5(b, 10000) }

func BenchmarkFormLarge200(b *testing.B) {
	rs := compileFile(b, "example-09-large-match-batchdistance.json")
	everywhere := func(int) map[string]float64 { return map[string]float64{"us-east-1": 50, "eu-west-1": 80} }
	in := largePool(b, rs, 200, 1, 1000, 10, everywhere, map[string]rules.Value{
		"league": rules.NumberValue(3), "map": rules.StringValue("m"), "mode": rules.StringValue("ffa")})
	in.Now = t0
	b.ReportAllocs()
	for b.Loop() {
		res, err := Form(rs, in, Options{})
		if err != nil || len(res.Matches) != 1 {
			b.Fatalf("%d matches, %v", len(res.Matches), err)
		}
	}
}

// BenchmarkForm1v1Pool100000 forms 1v1 matches (batchDistance on skill)
// from 100,000 searching tickets (target: one pass in under 1 s of one core).
func BenchmarkForm1v1Pool100000(b *testing.B) {
	rs := compile(b, duelRules)
	rng := rand.New(rand.NewPCG(7, 7))
	in := Input{Now: t0}
	for i := range 100_000 {
		in.Tickets = append(in.Tickets, ticket(b, rs, fmt.Sprintf("t%06d", i), time.Duration(rng.IntN(30_000))*time.Millisecond,
			player{attrs: num("skill", 1000+rng.IntN(2000))}))
	}
	b.ReportAllocs()
	matches := 0
	for b.Loop() {
		res, err := Form(rs, in, Options{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		matches += len(res.Matches)
	}
	b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
}

// balancedLatencyRules is issue 4's second case: 5v5 balanced on skill with a
// latency rule over 3 regions.
const balancedLatencyRules = `{"ruleLanguageVersion":"1.0",
 "playerAttributes":[{"name":"skill","type":"number"}],
 "algorithm":{"strategy":"balanced","balancedAttribute":"skill","batchingPreference":"fastestRegion"},
 "teams":[{"name":"red","minPlayers":5,"maxPlayers":5},{"name":"blue","minPlayers":5,"maxPlayers":5}],
 "rules":[{"name":"Ping","type":"latency","maxLatency":150}]}`

// BenchmarkForm5v5BalancedParties50000 forms balanced 5v5 matches from
// 50,000 players in parties of 1 to 3 (target: one pass in under 3 s).
func BenchmarkForm5v5BalancedParties50000(b *testing.B) {
	rs := compile(b, balancedLatencyRules)
	rng := rand.New(rand.NewPCG(9, 9))
	in := Input{Now: t0}
	players := 0
	for i := 0; players < 50_000; i++ {
		size := 1 + rng.IntN(3)
		party := make([]player, size)
		for p := range party {
			party[p] = player{attrs: num("skill", 1000+rng.IntN(1000)), latency: map[string]float64{
				"us-east-1": float64(20 + rng.IntN(160)), "us-west-2": float64(20 + rng.IntN(160)), "eu-west-1": float64(20 + rng.IntN(200))}}
		}
		in.Tickets = append(in.Tickets, ticket(b, rs, fmt.Sprintf("t%06d", i), time.Duration(rng.IntN(30_000))*time.Millisecond, party...))
		players += size
	}
	b.ReportAllocs()
	matches := 0
	for b.Loop() {
		res, err := Form(rs, in, Options{Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		matches += len(res.Matches)
	}
	b.ReportMetric(float64(matches)/float64(b.N), "matches/op")
}
