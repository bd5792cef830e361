package bus_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/internal/poll"
)

func timeoutCtx(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestPlacementQueueGroupDeliversEachOnce(t *testing.T) {
	srv := bustest.RunServer(t)
	const relays, requests = 3, 60
	var mu sync.Mutex
	handled := map[string][]string{} // match id -> relays that handled it
	for i := range relays {
		relayID := fmt.Sprintf("relay-%d", i)
		conn := bustest.Connect(t, srv, bus.Options{})
		place := placeAll(relayID)
		stop, err := conn.ServePlacements(t.Context(), "eu-west", "", func(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
			mu.Lock()
			handled[req.MatchID] = append(handled[req.MatchID], relayID)
			mu.Unlock()
			return place(ctx, req)
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		// A relay of another region must never see these requests.
		other, err := conn.ServePlacements(t.Context(), "us-east", "", func(context.Context, bus.PlacementRequest) bus.PlacementReply {
			t.Error("us-east relay got an eu-west placement")
			return bus.PlacementReply{}
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(other)
	}
	mm := bustest.Connect(t, srv, bus.Options{})
	byRelay := map[string]int{}
	for i := range requests {
		req := samplePlacement(fmt.Sprintf("match-%d", i), "eu-west", 4)
		reply, err := mm.RequestPlacement(timeoutCtx(t, 5*time.Second), req)
		if err != nil {
			t.Fatalf("placement %d: %v", i, err)
		}
		if reply.MatchID != req.MatchID || len(reply.PlayerSessions) != 4 || reply.Endpoint.TCPPort != 7000 {
			t.Fatalf("reply %+v", reply)
		}
		byRelay[reply.RelayID]++
	}
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != requests {
		t.Fatalf("%d matches handled, want %d", len(handled), requests)
	}
	for id, by := range handled {
		if len(by) != 1 {
			t.Errorf("match %s handled by %v, want exactly one relay", id, by)
		}
	}
	if len(byRelay) < 2 {
		t.Errorf("all placements went to %v; the queue group should spread them", byRelay)
	}
}

func TestPlacementNoResponders(t *testing.T) {
	srv := bustest.RunServer(t)
	mm := bustest.Connect(t, srv, bus.Options{})
	start := time.Now()
	_, err := mm.RequestPlacement(timeoutCtx(t, 5*time.Second), samplePlacement("m1", "nowhere", 2))
	if !errors.Is(err, bus.ErrNoResponders) {
		t.Fatalf("error %v; want ErrNoResponders", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v; no responders must fail fast", d)
	}
	if !strings.Contains(err.Error(), "matchpoint.v1.placement.nowhere") {
		t.Fatalf("error %q does not name the subject", err)
	}
}

func TestPlacementTimeout(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	release := make(chan struct{})
	stop, err := relay.ServePlacements(t.Context(), "eu", "", func(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
		<-release
		return placeAll("slow")(ctx, req)
	})
	if err != nil {
		t.Fatal(err)
	}
	mm := bustest.Connect(t, srv, bus.Options{})
	_, err = mm.RequestPlacement(timeoutCtx(t, 200*time.Millisecond), samplePlacement("m1", "eu", 2))
	close(release)
	stop()
	if !errors.Is(err, bus.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v; want ErrTimeout wrapping context.DeadlineExceeded", err)
	}
}

func TestPlacementDefaultTimeout(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	release := make(chan struct{})
	stop, err := relay.ServePlacements(t.Context(), "eu", "", func(context.Context, bus.PlacementRequest) bus.PlacementReply {
		<-release
		return bus.PlacementReply{}
	})
	if err != nil {
		t.Fatal(err)
	}
	mm := bustest.Connect(t, srv, bus.Options{RequestTimeout: 100 * time.Millisecond})
	_, err = mm.RequestPlacement(t.Context(), samplePlacement("m1", "eu", 2))
	close(release)
	stop()
	if !errors.Is(err, bus.ErrTimeout) {
		t.Fatalf("error %v; want ErrTimeout from Options.RequestTimeout", err)
	}
}

func TestPlacementRefusals(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	stop, err := relay.ServePlacements(t.Context(), "eu", "", func(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
		switch req.MatchID {
		case "full":
			return bus.PlacementReply{RelayID: "r1", Error: &bus.ReplyError{Code: bus.CodeFull, Message: "10 of 10 sessions"}}
		case "short":
			reply := placeAll("r1")(ctx, req)
			reply.PlayerSessions = reply.PlayerSessions[1:]
			return reply
		case "broken":
			return bus.PlacementReply{GameSessionID: "gs"} // no endpoint, no player sessions
		}
		return placeAll("r1")(ctx, req)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	mm := bustest.Connect(t, srv, bus.Options{})

	reply, err := mm.RequestPlacement(timeoutCtx(t, 5*time.Second), samplePlacement("full", "eu", 2))
	var re *bus.ReplyError
	if !errors.Is(err, bus.ErrRefused) || !errors.As(err, &re) || re.Code != bus.CodeFull || !re.Code.Retryable() {
		t.Fatalf("full: %v; want a retryable FULL refusal", err)
	}
	if reply.RelayID != "r1" {
		t.Fatalf("refusal reply %+v does not name the relay", reply)
	}

	_, err = mm.RequestPlacement(timeoutCtx(t, 5*time.Second), samplePlacement("short", "eu", 2))
	if !errors.Is(err, bus.ErrMalformed) || !strings.Contains(err.Error(), `no player session for player "player-0"`) {
		t.Fatalf("short: %v; want ErrMalformed naming the player", err)
	}

	_, err = mm.RequestPlacement(timeoutCtx(t, 5*time.Second), samplePlacement("broken", "eu", 2))
	if !errors.As(err, &re) || re.Code != bus.CodeInternal || !strings.Contains(re.Message, "endpoint: required") {
		t.Fatalf("broken: %v; want INTERNAL naming the endpoint", err)
	}

	past := samplePlacement("late", "eu", 2)
	past.Deadline = time.Now().Add(-time.Second)
	_, err = mm.RequestPlacement(timeoutCtx(t, 5*time.Second), past)
	if !errors.As(err, &re) || re.Code != bus.CodeExpired || re.Code.Retryable() {
		t.Fatalf("late: %v; want EXPIRED", err)
	}

	bad := samplePlacement("bad", "eu", 2)
	bad.Players[1].PlayerID = bad.Players[0].PlayerID
	if _, err = mm.RequestPlacement(timeoutCtx(t, 5*time.Second), bad); !errors.Is(err, bus.ErrMalformed) {
		t.Fatalf("invalid request: %v; want ErrMalformed before sending", err)
	}
}

func TestServePlacementsRejectsMalformedOverTheWire(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	var calls atomic.Int32
	stop, err := relay.ServePlacements(t.Context(), "eu", "", func(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
		calls.Add(1)
		return placeAll("r1")(ctx, req)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	raw := bustest.ConnectNATS(t, srv)
	wrongRegion := strings.Replace(validPlacement, `"region":"eu"`, `"region":"us"`, 1)
	wrongRegion = strings.Replace(wrongRegion, "2026-03-01T12:00:00Z", time.Now().Add(time.Hour).UTC().Format(time.RFC3339), 1)
	tests := []struct{ in, code, msg string }{
		{`not json`, "INVALID", "invalid JSON"},
		{`{"v":7,"matchId":"m7"}`, "INVALID", "field v: version 7 is not supported"},
		{strings.Replace(validPlacement, `{"playerId":"b"}`, `{}`, 1), "INVALID", "players[1].playerId: required"},
		{wrongRegion, "INVALID", `region "us" sent to the relays of "eu"`},
	}
	for _, tt := range tests {
		msg, err := raw.Request("matchpoint.v1.placement.eu", []byte(tt.in), 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		reply, err := bus.DecodePlacementReply(msg.Data)
		if err != nil {
			t.Fatalf("%s: reply %s: %v", tt.in, msg.Data, err)
		}
		if reply.Error == nil || string(reply.Error.Code) != tt.code || !strings.Contains(reply.Error.Message, tt.msg) {
			t.Errorf("%s: reply %s; want %s mentioning %q", tt.in, msg.Data, tt.code, tt.msg)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("handler called %d times for invalid requests", n)
	}
}

func TestServePlacementsStopWaitsForHandlers(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	entered := make(chan struct{})
	release := make(chan struct{})
	var finished atomic.Bool
	stop, err := relay.ServePlacements(t.Context(), "eu", "", func(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
		close(entered)
		<-release
		finished.Store(true)
		return placeAll("r1")(ctx, req)
	})
	if err != nil {
		t.Fatal(err)
	}
	mm := bustest.Connect(t, srv, bus.Options{})
	result := make(chan error, 1)
	go func() {
		_, err := mm.RequestPlacement(timeoutCtx(t, 5*time.Second), samplePlacement("m1", "eu", 2))
		result <- err
	}()
	<-entered
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("stop returned while a handler was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-stopped
	if !finished.Load() {
		t.Fatal("handler did not finish")
	}
	if err := <-result; err != nil {
		t.Fatalf("in-flight placement: %v", err)
	}
	if _, err := mm.RequestPlacement(timeoutCtx(t, 5*time.Second), samplePlacement("m2", "eu", 2)); !errors.Is(err, bus.ErrNoResponders) {
		t.Fatalf("after stop: %v; want ErrNoResponders", err)
	}
}

// TestServeConcurrencyOnDemand: a Serve subscription handles up to
// MaxInFlight requests at once, and keeps no idle goroutine per slot.
func TestServeConcurrencyOnDemand(t *testing.T) {
	srv := bustest.RunServer(t)
	const limit = 4
	relay := bustest.Connect(t, srv, bus.Options{MaxInFlight: limit})
	idle := bustest.Connect(t, srv, bus.Options{MaxInFlight: 256})
	before := runtime.NumGoroutine()
	stopIdle, err := idle.ServePlacements(t.Context(), "idle", "", placeAll("r0"))
	if err != nil {
		t.Fatal(err)
	}
	if grew := runtime.NumGoroutine() - before; grew > 4 {
		t.Fatalf("an idle subscription of MaxInFlight 256 started %d goroutines", grew)
	}
	stopIdle()

	var running atomic.Int32
	var over atomic.Bool
	release := make(chan struct{})
	stop, err := relay.ServePlacements(t.Context(), "eu", "", func(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
		if running.Add(1) > limit {
			over.Store(true)
		}
		<-release
		running.Add(-1)
		return placeAll("r1")(ctx, req)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// Released before stop (deferred after it) even when the test fails
	// first: stop waits for the handlers.
	open := sync.OnceFunc(func() { close(release) })
	defer open()
	mm := bustest.Connect(t, srv, bus.Options{})
	const requests = 3 * limit
	errs := make(chan error, requests)
	for i := range requests {
		go func() {
			_, err := mm.RequestPlacement(timeoutCtx(t, 10*time.Second), samplePlacement(fmt.Sprintf("m%d", i), "eu", 2))
			errs <- err
		}()
	}
	poll.Must(t, 5*time.Second, func() string { return fmt.Sprintf("%d handlers running; want %d", running.Load(), limit) },
		func() bool { return running.Load() == limit })
	open()
	for range requests {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if over.Load() {
		t.Fatalf("more than %d handlers ran at once", limit)
	}
}

func TestServeStopsWithContext(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	stop, err := relay.ServePlacements(ctx, "eu", "", placeAll("r1"))
	if err != nil {
		t.Fatal(err)
	}
	mm := bustest.Connect(t, srv, bus.Options{})
	if _, err := mm.RequestPlacement(timeoutCtx(t, 5*time.Second), samplePlacement("m1", "eu", 2)); err != nil {
		t.Fatal(err)
	}
	cancel()
	stop() // idempotent, and waits for the context-triggered stop
	if _, err := mm.RequestPlacement(timeoutCtx(t, 5*time.Second), samplePlacement("m2", "eu", 2)); !errors.Is(err, bus.ErrNoResponders) {
		t.Fatalf("after cancel: %v; want ErrNoResponders", err)
	}
}

func TestBackfillRequestReply(t *testing.T) {
	srv := bustest.RunServer(t)
	mm := bustest.Connect(t, srv, bus.Options{})
	stop, err := mm.ServeBackfills(t.Context(), "", "", func(_ context.Context, req bus.BackfillRequest) bus.BackfillReply {
		if req.Configuration == "closed" {
			return bus.BackfillReply{Error: &bus.ReplyError{Code: bus.CodeInvalid, Message: "backfill mode is MANUAL"}}
		}
		return bus.BackfillReply{TicketID: req.RequestID}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	relay := bustest.Connect(t, srv, bus.Options{})
	req := bus.BackfillRequest{RequestID: "bf-1", Configuration: "ranked.eu", GameSessionID: "gs1", GameSessionARN: "arn:gs1", Region: "eu", RelayID: "r1", Players: []bus.Player{{PlayerID: "a", Team: "red"}}}
	reply, err := relay.RequestBackfill(timeoutCtx(t, 5*time.Second), req)
	if err != nil || reply.TicketID != "bf-1" {
		t.Fatalf("backfill: %+v, %v", reply, err)
	}
	req.Configuration = "closed"
	if _, err := relay.RequestBackfill(timeoutCtx(t, 5*time.Second), req); !errors.Is(err, bus.ErrRefused) {
		t.Fatalf("refused backfill: %v; want ErrRefused", err)
	}
}

func TestHeartbeats(t *testing.T) {
	srv := bustest.RunServer(t)
	watcher := bustest.Connect(t, srv, bus.Options{})
	eu, all := newCollector[bus.Heartbeat](), newCollector[bus.Heartbeat]()
	stopEU, err := watcher.SubscribeHeartbeats(t.Context(), "eu", eu.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopEU)
	stopAll, err := watcher.SubscribeHeartbeats(t.Context(), "", all.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopAll)
	relay := bustest.Connect(t, srv, bus.Options{})
	for _, region := range []string{"eu", "us", "eu"} {
		hb := bus.Heartbeat{RelayID: "relay-" + region, Region: region, Endpoint: bus.Endpoint{DNSName: "relay.local", TCPPort: 7000, UDPPort: 7001}, MaxSessions: 50, Sessions: 2, Players: 8, Draining: region == "us", IntervalMs: 1000, SentAt: time.Now()}
		if err := relay.PublishHeartbeat(t.Context(), hb); err != nil {
			t.Fatal(err)
		}
	}
	got := all.wait(t, 3)
	if got[1].Region != "us" || !got[1].Draining || got[0].MaxSessions != 50 || got[0].Endpoint.UDPPort != 7001 {
		t.Fatalf("heartbeats %+v", got)
	}
	for _, hb := range eu.wait(t, 2) {
		if hb.Region != "eu" {
			t.Fatalf("eu subscription got %+v", hb)
		}
	}
	if n := len(eu.snapshot()); n != 2 {
		t.Fatalf("eu subscription got %d heartbeats, want 2", n)
	}
}

func TestMalformedMessagesAreReported(t *testing.T) {
	srv := bustest.RunServer(t)
	errs := newCollector[error]()
	watcher := bustest.Connect(t, srv, bus.Options{OnDecodeError: func(_ string, err error) { errs.add(err) }})
	got := newCollector[bus.Heartbeat]()
	stop, err := watcher.SubscribeHeartbeats(t.Context(), "", got.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	raw := bustest.ConnectNATS(t, srv)
	for _, data := range []string{`{"v":1,"relayId":"r"`, `{"v":2,"relayId":"r"}`, `{"v":1,"relayId":"r","region":"eu","endpoint":{"tcpPort":7000},"intervalMs":1000,"sentAt":"2026-01-01T00:00:00Z"}`} {
		if err := raw.Publish("matchpoint.v1.relay.heartbeat.eu.r", []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	e := errs.wait(t, 3)
	if !errors.Is(e[0], bus.ErrMalformed) || !errors.Is(e[1], bus.ErrUnsupportedVersion) || !errors.Is(e[2], bus.ErrMalformed) || !strings.Contains(e[2].Error(), "endpoint: ipAddress or dnsName required") {
		t.Fatalf("decode errors %v", e)
	}
	if n := len(got.snapshot()); n != 0 {
		t.Fatalf("handler got %d malformed heartbeats", n)
	}
}

func TestSessionEvents(t *testing.T) {
	srv := bustest.RunServer(t)
	watcher := bustest.Connect(t, srv, bus.Options{})
	var mu sync.Mutex
	var order []string
	record := func(s string) {
		mu.Lock()
		order = append(order, s)
		mu.Unlock()
	}
	done := newCollector[string]()
	stop, err := watcher.SubscribeSessionEvents(t.Context(), "", "ranked.eu", bus.SessionHandlers{
		Started:      func(e bus.SessionStarted) { record("started " + e.GameSessionID) },
		PlayerJoined: func(e bus.PlayerJoined) { record(fmt.Sprintf("joined %s peer %d", e.PlayerID, e.PeerID)) },
		PlayerLeft:   func(e bus.PlayerLeft) { record("left " + e.PlayerID + " " + e.Reason) },
		Ended: func(e bus.SessionEnded) {
			record("ended " + e.GameSessionID + " " + e.Reason)
			done.add(e.GameSessionID)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	relay := bustest.Connect(t, srv, bus.Options{})
	ctx := t.Context()
	for _, cfg := range []string{"ranked", "ranked.eu"} { // "ranked" must not leak into "ranked.eu"
		ref := bus.SessionRef{GameSessionID: "gs-" + cfg, Configuration: cfg, Region: "eu", RelayID: "r1"}
		ep := bus.Endpoint{IPAddress: "127.0.0.1", TCPPort: 7000}
		for _, err := range []error{
			relay.PublishSessionStarted(ctx, bus.SessionStarted{SessionRef: ref, Endpoint: ep, MaxPlayers: 2, StartedAt: time.Now()}),
			relay.PublishPlayerJoined(ctx, bus.PlayerJoined{SessionRef: ref, PlayerID: "a", PlayerSessionID: "ps-a", PeerID: 1, Players: 1, JoinedAt: time.Now()}),
			relay.PublishPlayerLeft(ctx, bus.PlayerLeft{SessionRef: ref, PlayerID: "a", PlayerSessionID: "ps-a", PeerID: 1, Reason: bus.LeftClosed, LeftAt: time.Now()}),
			relay.PublishSessionEnded(ctx, bus.SessionEnded{SessionRef: ref, Reason: bus.EndEmpty, EndedAt: time.Now()}),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	done.wait(t, 1)
	if err := relay.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "started gs-ranked.eu|joined a peer 1|left a CLOSED|ended gs-ranked.eu EMPTY"
	if got := strings.Join(order, "|"); got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
}

func TestMatchmakingEventsPerConfiguration(t *testing.T) {
	srv := bustest.RunServer(t)
	watcher := bustest.Connect(t, srv, bus.Options{})
	ranked, all, succeeded := newCollector[bus.MatchmakingEvent](), newCollector[bus.MatchmakingEvent](), newCollector[bus.MatchmakingEvent]()
	for _, sub := range []struct {
		cfg, typ string
		c        *collector[bus.MatchmakingEvent]
	}{{"ranked.eu", "", ranked}, {"", "", all}, {"", "MatchmakingSucceeded", succeeded}} {
		stop, err := watcher.SubscribeMatchmakingEvents(t.Context(), sub.cfg, sub.typ, sub.c.add)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
	}
	mm := bustest.Connect(t, srv, bus.Options{})
	events := []struct{ cfg, typ, data string }{
		{"ranked", "MatchmakingSearching", `{"n":1}`},
		{"ranked.eu", "MatchmakingSearching", `{"n":2}`},
		{"ranked.*", "MatchmakingSearching", `{"n":3}`},
		{"ranked.eu", "MatchmakingSucceeded", `{"n":4}`},
	}
	// Twice: the second round's subjects are the ones the first made.
	for range 2 {
		for _, e := range events {
			if err := mm.PublishMatchmakingEvent(t.Context(), e.cfg, e.typ, []byte(e.data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	got := all.wait(t, 8)
	for i, e := range append(events, events...) {
		if got[i].Configuration != e.cfg || got[i].Type != e.typ || string(got[i].Data) != e.data {
			t.Fatalf("all[%d] = %+v, want %+v", i, got[i], e)
		}
	}
	r := ranked.wait(t, 4)
	if len(ranked.snapshot()) != 4 || string(r[0].Data) != `{"n":2}` || r[1].Type != "MatchmakingSucceeded" || r[3].Type != "MatchmakingSucceeded" {
		t.Fatalf("ranked.eu subscription got %+v", ranked.snapshot())
	}
	if s := succeeded.wait(t, 2); len(s) != 2 || string(s[0].Data) != `{"n":4}` || string(s[1].Data) != `{"n":4}` {
		t.Fatalf("MatchmakingSucceeded subscription got %+v", s)
	}
	for range 2 {
		if err := mm.PublishMatchmakingEvent(t.Context(), "", "X", nil); !errors.Is(err, bus.ErrInvalidName) {
			t.Fatalf("empty configuration: %v; want ErrInvalidName", err)
		}
	}
}

func TestScriptVersions(t *testing.T) {
	srv := bustest.RunServer(t)
	relay := bustest.Connect(t, srv, bus.Options{})
	ctf := newCollector[bus.ScriptVersion]()
	stop, err := relay.SubscribeScriptVersions(t.Context(), "ctf", ctf.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	up := bustest.Connect(t, srv, bus.Options{})
	for _, name := range []string{"arena", "ctf"} {
		sv := bus.ScriptVersion{Name: name, Version: 2, SHA256: strings.Repeat("0f", 32), Size: 10, Bucket: "scripts", Object: name + "/2", CreatedAt: time.Now()}
		if err := up.PublishScriptVersion(t.Context(), sv); err != nil {
			t.Fatal(err)
		}
	}
	if err := up.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := ctf.wait(t, 1)
	if got[0].Name != "ctf" || got[0].Version != 2 || got[0].Object != "ctf/2" {
		t.Fatalf("got %+v", got)
	}
}

func TestEmbeddedRestartReconnects(t *testing.T) {
	srv := bustest.RunJetStreamServer(t)
	if !srv.NATS().JetStreamEnabled() {
		t.Fatal("JetStream not enabled")
	}
	url := srv.URL()
	relay := bustest.Connect(t, srv, bus.Options{})
	stop, err := relay.ServePlacements(t.Context(), "eu", "", placeAll("r1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	mm := bustest.Connect(t, srv, bus.Options{})
	if err := srv.Restart(timeoutCtx(t, 10*time.Second)); err != nil {
		t.Fatal(err)
	}
	if srv.URL() != url {
		t.Fatalf("restarted on %s, was %s", srv.URL(), url)
	}
	poll.Must(t, 10*time.Second, func() string { return fmt.Sprintf("a placement after the restart (last: %v)", err) }, func() bool {
		_, err = mm.RequestPlacement(timeoutCtx(t, time.Second), samplePlacement("after-restart", "eu", 2))
		return err == nil
	})
}

func TestRelayPlacementsGoToTheNamedRelay(t *testing.T) {
	srv := bustest.RunServer(t)
	var mu sync.Mutex
	direct := map[string]int{}
	for _, relayID := range []string{"relay-1", "relay-2"} {
		conn := bustest.Connect(t, srv, bus.Options{})
		stopQueue, err := conn.ServePlacements(t.Context(), "eu", "", placeAll(relayID))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stopQueue)
		place := placeAll(relayID)
		stopDirect, err := conn.ServeRelayPlacements(t.Context(), "eu", relayID, func(ctx context.Context, req bus.PlacementRequest) bus.PlacementReply {
			mu.Lock()
			direct[relayID]++
			mu.Unlock()
			if req.GameSessionID != "gs-1" {
				t.Errorf("backfill placement for session %q", req.GameSessionID)
			}
			return place(ctx, req)
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stopDirect)
	}
	mm := bustest.Connect(t, srv, bus.Options{})
	for i := range 10 {
		req := samplePlacement(fmt.Sprintf("backfill-%d", i), "eu", 1)
		req.RelayID, req.GameSessionID = "relay-2", "gs-1"
		reply, err := mm.RequestPlacement(timeoutCtx(t, 5*time.Second), req)
		if err != nil || reply.RelayID != "relay-2" {
			t.Fatalf("backfill placement: %+v, %v", reply, err)
		}
	}
	mu.Lock()
	if direct["relay-2"] != 10 || direct["relay-1"] != 0 {
		t.Fatalf("direct placements per relay %v, want all 10 on relay-2", direct)
	}
	mu.Unlock()

	req := samplePlacement("lost", "eu", 1)
	req.RelayID, req.GameSessionID = "relay-9", "gs-1"
	if _, err := mm.RequestPlacement(timeoutCtx(t, 5*time.Second), req); !errors.Is(err, bus.ErrNoResponders) {
		t.Fatalf("placement for a gone relay: %v; want ErrNoResponders", err)
	}

	// A request addressed to one relay but sent to the region's queue is refused.
	req = samplePlacement("misrouted", "eu", 1)
	req.RelayID = "relay-1"
	data, err := req.Encode()
	if err != nil {
		t.Fatal(err)
	}
	msg, err := bustest.ConnectNATS(t, srv).Request("matchpoint.v1.placement.eu", data, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := bus.DecodePlacementReply(msg.Data)
	if err != nil || reply.Error == nil || reply.Error.Code != bus.CodeInvalid {
		t.Fatalf("misrouted: %s, %v; want INVALID", msg.Data, err)
	}

	req = samplePlacement("no-relay", "eu", 1)
	req.GameSessionID = "gs-1"
	if _, err := req.Encode(); !errors.Is(err, bus.ErrMalformed) || !strings.Contains(err.Error(), "relayId: required with gameSessionId") {
		t.Fatalf("backfill without relay: %v", err)
	}
}

// TestConnected: a Conn is connected once Connect returns and no longer once
// it is closed.
func TestConnected(t *testing.T) {
	c := bustest.Connect(t, bustest.RunServer(t), bus.Options{})
	if !c.Connected() {
		t.Fatal("Connected = false right after Connect")
	}
	c.Close()
	if c.Connected() {
		t.Error("Connected = true after Close")
	}
}

func TestConfigurationChanges(t *testing.T) {
	srv := bustest.RunServer(t)
	mm := bustest.Connect(t, srv, bus.Options{})
	all := newCollector[bus.ConfigurationChanged]()
	stop, err := mm.SubscribeConfigurationChanges(t.Context(), "", all.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	api := bustest.Connect(t, srv, bus.Options{})
	for _, c := range []bus.ConfigurationChanged{
		{Name: "ranked.eu", Change: bus.ConfigurationCreated, At: time.Now()},
		{Name: "duel", Change: bus.ConfigurationDeleted, At: time.Now()},
	} {
		if err := api.PublishConfigurationChanged(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	if err := api.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := all.wait(t, 2)
	if got[0].Name != "ranked.eu" || got[0].Change != bus.ConfigurationCreated || got[1].Name != "duel" || got[1].Change != bus.ConfigurationDeleted {
		t.Fatalf("got %+v", got)
	}
	if err := api.PublishConfigurationChanged(t.Context(), bus.ConfigurationChanged{Name: "duel", Change: "renamed", At: time.Now()}); !errors.Is(err, bus.ErrMalformed) || !strings.Contains(err.Error(), "change") {
		t.Fatalf("unknown change: %v; want ErrMalformed naming change", err)
	}
}

// TestConnectInProcess: with Options.InProcess the connection reaches the
// embedded server through a pipe, whatever the URL says (here an address
// where nothing listens), and carries messages both ways.
func TestConnectInProcess(t *testing.T) {
	srv := bustest.RunServer(t)
	ctx := context.Background()
	conn, err := bus.Connect(ctx, "nats://127.0.0.1:1", bus.Options{InProcess: srv.NATS()})
	if err != nil {
		t.Fatalf("connect in process: %v", err)
	}
	defer conn.Close()
	other := bustest.Connect(t, srv, bus.Options{})
	got := make(chan bus.Heartbeat, 1)
	stop, err := conn.SubscribeHeartbeats(ctx, "", func(hb bus.Heartbeat) { got <- hb })
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := conn.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	hb := bus.Heartbeat{RelayID: "relay-1", Region: "local", Endpoint: bus.Endpoint{IPAddress: "127.0.0.1", TCPPort: 7000}, MaxSessions: 1, IntervalMs: 1000, SentAt: time.Now()}
	if err := other.PublishHeartbeat(ctx, hb); err != nil {
		t.Fatal(err)
	}
	select {
	case hb := <-got:
		if hb.RelayID != "relay-1" {
			t.Fatalf("heartbeat %+v", hb)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no heartbeat through the in-process connection")
	}
}

// TestPublishWithoutInterestIsNotSent: with Options.Interest a publish no
// subscriber would receive never reaches the server, while one that a
// subscription (of another connection, of the same one just made, or a
// JetStream stream's) would receive is delivered.
func TestPublishWithoutInterestIsNotSent(t *testing.T) {
	srv := bustest.RunJetStreamServer(t)
	ctx := t.Context()
	inMsgs := func() int64 {
		t.Helper()
		v, err := srv.NATS().Varz(nil)
		if err != nil {
			t.Fatal(err)
		}
		return v.InMsgs
	}
	mm := bustest.Connect(t, srv, bus.Options{Interest: srv.Interest})
	publish := func(cfg, data string) {
		t.Helper()
		if err := mm.PublishMatchmakingEvent(ctx, cfg, "MatchmakingSearching", []byte(data)); err != nil {
			t.Fatal(err)
		}
		if err := mm.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before := inMsgs()
	for range 10 {
		publish("duel", `{"n":0}`)
	}
	if got := inMsgs() - before; got != 0 {
		t.Fatalf("server received %d messages no one subscribed to; want 0", got)
	}

	other := newCollector[bus.MatchmakingEvent]()
	stop, err := bustest.Connect(t, srv, bus.Options{}).SubscribeMatchmakingEvents(ctx, "duel", "", other.add)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	publish("duel", `{"n":1}`)
	if got := other.wait(t, 1); string(got[0].Data) != `{"n":1}` {
		t.Fatalf("another connection's subscriber got %+v", got)
	}

	own := newCollector[bus.MatchmakingEvent]()
	stopOwn, err := mm.SubscribeMatchmakingEvents(ctx, "team", "", own.add)
	if err != nil {
		t.Fatal(err)
	}
	defer stopOwn()
	publish("team", `{"n":2}`)
	if got := own.wait(t, 1); string(got[0].Data) != `{"n":2}` {
		t.Fatalf("the connection's own subscriber got %+v", got)
	}

	js, err := jetstream.New(bustest.ConnectNATS(t, srv))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := bus.MatchmakingEventSubject("ffa", "MatchmakingSearching")
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	publish("ffa", `{"n":3}`)
	// The server hands the message to the stream, which stores it on a
	// goroutine of its own.
	var stored uint64
	poll.Must(t, 5*time.Second, func() string { return fmt.Sprintf("stream holds %d messages; want the one published", stored) }, func() bool {
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		stored = info.State.Msgs
		return stored == 1
	})
}
