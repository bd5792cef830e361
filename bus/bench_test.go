package bus_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
)

func BenchmarkPlacementRequestEncode(b *testing.B) {
	req := samplePlacement("match-1", "eu-west-1", 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := req.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlacementRequestDecode(b *testing.B) {
	data, err := samplePlacement("match-1", "eu-west-1", 10).Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bus.DecodePlacementRequest(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlacementRoundTrip is one placement request and its reply through a
// real embedded NATS server on loopback: encode, publish, queue-group
// delivery, decode, handler, reply, decode, check.
func BenchmarkPlacementRoundTrip(b *testing.B) {
	srv := bustest.RunServer(b)
	relay := bustest.Connect(b, srv, bus.Options{})
	stop, err := relay.ServePlacements(b.Context(), "eu-west-1", "", placeAll("relay-1"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	mm := bustest.Connect(b, srv, bus.Options{})
	reqs := make([]bus.PlacementRequest, 64)
	for i := range reqs {
		reqs[i] = samplePlacement(fmt.Sprintf("match-%d", i), "eu-west-1", 10)
	}
	ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
	defer cancel()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := mm.RequestPlacement(ctx, reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkPlacementRoundTripParallel is BenchmarkPlacementRoundTrip with many
// placements in flight at once, as a busy matchmaker sends them.
func BenchmarkPlacementRoundTripParallel(b *testing.B) {
	srv := bustest.RunServer(b)
	relay := bustest.Connect(b, srv, bus.Options{})
	stop, err := relay.ServePlacements(b.Context(), "eu-west-1", "", placeAll("relay-1"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(stop)
	mm := bustest.Connect(b, srv, bus.Options{})
	ctx, cancel := context.WithTimeout(b.Context(), time.Minute)
	defer cancel()
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		req := samplePlacement("match-p", "eu-west-1", 10)
		for pb.Next() {
			if _, err := mm.RequestPlacement(ctx, req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
