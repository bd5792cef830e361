package bus_test

import (
	"context"
	"fmt"
	"strconv"
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

// reserveRequest4 is a CreatePlayerSessions of 4 players with PlayerData.
func reserveRequest4() bus.ReserveRequest {
	m := bus.ReserveRequest{RequestID: "reserve-0123456789", RelayID: "relay-1", GameSessionID: "arn:aws:gamelift:us-east-1::gamesession/fleet-1/gs-1",
		Deadline: time.Unix(1700000000, 0).UTC()}
	for i := range 4 {
		m.Players = append(m.Players, bus.Player{PlayerID: "player-" + strconv.Itoa(i), PlayerSessionID: "psess-" + strconv.Itoa(i), PlayerData: `{"skin":"red"}`})
	}
	return m
}

// BenchmarkReserveRequestDecode is the relay's decode of a
// CreatePlayerSessions reservation of 4 players.
func BenchmarkReserveRequestDecode(b *testing.B) {
	data, err := reserveRequest4().Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bus.DecodeReserveRequest(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReserveRequestEncode is the matchmaker's encode of it.
func BenchmarkReserveRequestEncode(b *testing.B) {
	m := reserveRequest4()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

// reserveReply4 is a relay's answer to a reservation of 4 players.
func reserveReply4() bus.ReserveReply {
	m := bus.ReserveReply{RequestID: "reserve-0123456789"}
	for i := range 4 {
		m.PlayerSessions = append(m.PlayerSessions, bus.PlayerSession{PlayerID: "player-" + strconv.Itoa(i), PlayerSessionID: "psess-" + strconv.Itoa(i)})
	}
	return m
}

// BenchmarkReserveReplyEncode is the relay's encode of its answer.
func BenchmarkReserveReplyEncode(b *testing.B) {
	m := reserveReply4()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Encode(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReserveReplyDecode is the matchmaker's decode of the answer.
func BenchmarkReserveReplyDecode(b *testing.B) {
	data, err := reserveReply4().Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bus.DecodeReserveReply(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishMatchmakingEventWithoutInterest is what a matchmaking
// event costs the publisher in dev, where usually no process subscribes:
// its subject and the server's interest check, no message sent.
func BenchmarkPublishMatchmakingEventWithoutInterest(b *testing.B) {
	srv := bustest.RunServer(b)
	mm := bustest.Connect(b, srv, bus.Options{Interest: srv.Interest})
	data := []byte(`{"detail":{"type":"MatchmakingSearching"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if err := mm.PublishMatchmakingEvent(b.Context(), "duel-standalone", "MatchmakingSearching", data); err != nil {
			b.Fatal(err)
		}
	}
}
