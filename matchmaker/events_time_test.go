package matchmaker

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestEventTimeIsFormat: eventTime writes what Format(EventTimeFormat) of
// the time in UTC writes, at the edges and at random.
func TestEventTimeIsFormat(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(2017, 8, 8, 21, 15, 36, 421_999_999, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999_000_000, time.FixedZone("UTC+14", 14*3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, 0),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		times = append(times, time.Unix(0, r.Int64()).In(time.FixedZone("x", int(r.Int32N(50000))-25000)))
	}
	for _, tm := range times {
		if got, want := eventTime(tm), tm.UTC().Format(EventTimeFormat); got != want {
			t.Fatalf("eventTime(%v) = %q, want %q", tm, got, want)
		}
	}
}

func BenchmarkEventTime(b *testing.B) {
	tm := time.Date(2026, 12, 6, 14, 15, 36, 421_000_000, time.UTC)
	b.Run("eventTime", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = eventTime(tm)
		}
	})
	b.Run("Format", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = tm.UTC().Format(EventTimeFormat)
		}
	})
}
