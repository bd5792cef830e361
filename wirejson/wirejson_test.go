package wirejson

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/wirejson/wirejsontest"
)

// reference is encoding/json's encoding of v, what the appenders are held to.
func reference[T any](v T) ([]byte, error) { return json.Marshal(v) }

func marshal(t *testing.T, v any) (string, bool) {
	t.Helper()
	b, err := json.Marshal(v)
	return string(b), err == nil
}

// stringCases are the strings whose escapes differ: controls, quotes, the
// HTML characters, invalid UTF-8, the line and paragraph separators.
var stringCases = []string{
	"", "plain", `quo"te`, `back\slash`, "<a href='x'>&amp;</a>", "tab\tnl\ncr\r",
	"\b\f\x00\x01\x1f\x7f", "é ü 日本 🎮", "\xff\xfe", "a\xc3", "\u2028\u2029", "\xed\xa0\x80",
}

func TestStringIsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := append([]string(nil), stringCases...)
	for range 2000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, _ := marshal(t, s)
		if got := string(String(nil, s)); got != want {
			t.Fatalf("String(%q) = %s, Marshal = %s", s, got, want)
		}
	}
}

func TestStringsIsMarshal(t *testing.T) {
	for _, ss := range [][]string{nil, {}, {"a"}, stringCases} {
		want, _ := marshal(t, ss)
		if got := string(Strings(nil, ss)); got != want {
			t.Errorf("Strings(%q) = %s, Marshal = %s", ss, got, want)
		}
	}
}

func TestFloatIsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	cases := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e20, 1e21, 123456789012345678901234.0,
		1e-9, 5e-324, math.MaxFloat64, -math.SmallestNonzeroFloat64, 1002, 33.333333333333336}
	for range 5000 {
		cases = append(cases, math.Float64frombits(r.Uint64()), r.NormFloat64()*math.Pow(10, float64(r.IntN(60)-30)))
	}
	wirejsontest.SameAsReference(t, cases, func(f float64) ([]byte, error) { return Float(nil, f) }, reference)
}

func TestTimeIsMarshal(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	zones := []*time.Location{time.UTC, time.FixedZone("p", 5*3600+30*60), time.FixedZone("n", -8*3600),
		time.FixedZone("odd", 3600+17), time.FixedZone("far", 24*3600), time.FixedZone("farneg", -25*3600)}
	cases := []time.Time{{}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 5, 16, 13, 0, 226882871, time.UTC)}
	for range 3000 {
		sec := r.Int64N(400_000_000_000) - 100_000_000_000
		cases = append(cases, time.Unix(sec, r.Int64N(1e9)).In(zones[r.IntN(len(zones))]))
	}
	wirejsontest.SameAsReference(t, cases, func(tm time.Time) ([]byte, error) { return Time(nil, tm) }, reference)
	for _, tm := range cases {
		if _, err := Time(nil, tm); err != nil && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("Time(%v) error %v, want ErrUnsupported", tm, err)
		}
	}
}

func TestObjectIsMarshal(t *testing.T) {
	m := map[string]int{"b": 1, "a": 2, "B": 3, "é": 4, "": 5, "aa": 6, "<": 7}
	b, err := Object(nil, m, func(b []byte, n int) ([]byte, error) { return Int(b, int64(n)), nil })
	if want, _ := marshal(t, m); err != nil || string(b) != want {
		t.Errorf("Object = %s, %v; Marshal = %s", b, err, want)
	}
	bad := map[string]float64{"a": 1, "b": math.NaN()}
	if _, err := Object(nil, bad, Float); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Object with a NaN: %v, want ErrUnsupported", err)
	}
}

func FuzzString(f *testing.F) {
	for _, s := range stringCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := marshal(t, s)
		if got := string(String(nil, s)); got != want {
			t.Fatalf("String(%q) = %s, Marshal = %s", s, got, want)
		}
	})
}

func FuzzFloat(f *testing.F) {
	for _, v := range []float64{0, 1e-7, 1e21, -3.5, math.Inf(1)} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		wirejsontest.SameAsReference(t, []float64{v}, func(f float64) ([]byte, error) { return Float(nil, f) }, reference)
	})
}

func BenchmarkString(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for b.Loop() {
		buf = String(buf[:0], "bench-7VRCHZT7-2 <player>")
	}
}

func TestMemberIsMarshal(t *testing.T) {
	type obj struct {
		A string `json:"a"`
		B string `json:"b,omitempty"`
	}
	for _, v := range stringCases {
		b := String([]byte(`{"a":`), v)
		b = append(MemberOmitEmpty(b, "b", v), '}')
		if want, _ := marshal(t, obj{A: v, B: v}); string(b) != want {
			t.Errorf("MemberOmitEmpty(%q) = %s, Marshal = %s", v, b, want)
		}
	}
}
