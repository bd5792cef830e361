package player

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/matchpoint-dev/matchpoint/wirejson/wirejsontest"
)

// randomPlayer draws a player with any mix of the optional parts, and keys
// and values that need escapes.
func randomPlayer(r *rand.Rand) Player {
	words := []string{"", "a", "skill", "<b>", "é", "x\"y", "\u2028", "mode\n", "B", "aa"}
	word := func() string { return words[r.IntN(len(words))] }
	p := Player{PlayerId: word() + "p"}
	if r.IntN(3) > 0 {
		p.PlayerAttributes = map[string]AttributeValue{}
		for range r.IntN(4) {
			var v AttributeValue
			switch r.IntN(5) {
			case 0:
				s := word()
				v.S = &s
			case 1:
				n := r.NormFloat64() * math.Pow(10, float64(r.IntN(30)-10))
				v.N = &n
			case 2:
				v.SL = []string{word(), word()}[:r.IntN(3)]
			case 3:
				v.SDM = map[string]float64{word(): r.Float64(), word(): float64(r.IntN(100))}
			}
			p.PlayerAttributes[word()] = v
		}
	}
	if r.IntN(2) == 0 {
		p.Team = word()
	}
	if r.IntN(2) == 0 {
		p.LatencyInMs = map[string]int{word(): r.IntN(500), "us-east-1": r.IntN(500) - 100}
	}
	return p
}

func TestAppendJSONIsMarshal(t *testing.T) {
	wirejsontest.SameAsReference(t, wirejsontest.Random(7, 3000, randomPlayer), func(p Player) ([]byte, error) { return p.AppendJSON(nil) },
		func(p Player) ([]byte, error) { return json.Marshal(&p) })
}

func TestAppendJSONRefusesWhatMarshalRefuses(t *testing.T) {
	nan := math.NaN()
	for _, p := range []Player{
		{PlayerId: "a", PlayerAttributes: map[string]AttributeValue{"n": {N: &nan}}},
		{PlayerId: "a", PlayerAttributes: map[string]AttributeValue{"m": {SDM: map[string]float64{"k": math.Inf(-1)}}}},
	} {
		if _, err := json.Marshal(&p); err == nil {
			t.Fatal("Marshal took a NaN")
		}
		if _, err := p.AppendJSON(nil); err == nil {
			t.Errorf("AppendJSON(%+v) took a value Marshal refuses", p)
		}
	}
}

// TestAppendJSONKnowsEveryField fails when a field is added to Player or
// AttributeValue: AppendJSON must then write it too.
func TestAppendJSONKnowsEveryField(t *testing.T) {
	wirejsontest.KnowsEveryField(t, map[reflect.Type][]string{
		reflect.TypeFor[Player]():         {"PlayerId", "PlayerAttributes", "Team", "LatencyInMs"},
		reflect.TypeFor[AttributeValue](): {"S", "N", "SL", "SDM"},
	})
}

func BenchmarkAppendJSON(b *testing.B) {
	n := 1002.0
	p := Player{PlayerId: "bench-7VRCHZT7-2", PlayerAttributes: map[string]AttributeValue{"skill": {N: &n}}}
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 256)
		for b.Loop() {
			buf, _ = p.AppendJSON(buf[:0])
		}
	})
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(&p)
		}
	})
}
