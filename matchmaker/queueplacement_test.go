package matchmaker

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// queueEvents records the queue events published on the bus.
type queueEvents struct {
	mu     sync.Mutex
	events []QueueEvent
}

func (q *queueEvents) PublishMatchmakingEvent(context.Context, string, string, []byte) error {
	return nil
}

func (q *queueEvents) PublishQueueEvent(_ context.Context, _, _ string, payload []byte) error {
	var ev QueueEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.events = append(q.events, ev)
	return nil
}

func (q *queueEvents) types() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, e := range q.events {
		out = append(out, e.Detail.Type)
	}
	return out
}

func memOpen(_ *testing.T, now func() time.Time) store.Store {
	return store.NewMemory(store.Options{Now: now})
}

func newPlacementEnv(t *testing.T, open opener) (*sessionEnv, *queueEvents) {
	fr := &fakeRelays{}
	fe := &fleetEnv{}
	qe := &queueEvents{}
	fe.env = newEnv(t, open, func(o *Options) {
		o.ScriptExists = func(_ context.Context, name string) (bool, error) { return name == "game", nil }
		o.Relays = func() []Relay {
			fe.mu.Lock()
			defer fe.mu.Unlock()
			return append([]Relay(nil), fe.relays...)
		}
		o.GameSessionBus = fr
		o.Publisher = qe
	})
	fe.setRelays(Relay{ID: "relay-1", Region: "eu-west-1", MaxSessions: 10})
	return &sessionEnv{fleetEnv: fe, relays: fr, fleet: fe.fleet(nil)}, qe
}

func (e *sessionEnv) queue(name string, timeout int, dests ...string) {
	e.t.Helper()
	in := &CreateGameSessionQueueInput{Name: name, TimeoutInSeconds: &timeout}
	for _, d := range dests {
		in.Destinations = append(in.Destinations, GameSessionQueueDestination{DestinationArn: d})
	}
	if _, err := e.svc.CreateGameSessionQueue(e.ctx, in); err != nil {
		e.t.Fatal(err)
	}
}

func (e *sessionEnv) placementStatus(id string, want string) GameSessionPlacement {
	e.t.Helper()
	var last GameSessionPlacement
	if !waitFor(e.t, 10*time.Second, func() bool {
		out, err := e.svc.DescribeGameSessionPlacement(e.ctx, &DescribeGameSessionPlacementInput{PlacementId: id})
		if err != nil {
			e.t.Fatal(err)
		}
		last = out.GameSessionPlacement
		return last.Status == want
	}) {
		e.t.Fatalf("placement %s is %+v, want %s", id, last, want)
	}
	return last
}

func TestQueuePlacementFulfilled(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, events := newPlacementEnv(t, open)
		e.queue("q", 60, e.fleet.FleetArn)
		out, err := e.svc.StartGameSessionPlacement(e.ctx, &StartGameSessionPlacementInput{
			PlacementId: "pl-1", GameSessionQueueName: "q", MaximumPlayerSessionCount: ptr(4), GameSessionName: "duel",
			DesiredPlayerSessions: []DesiredPlayerSession{{PlayerId: "ana", PlayerData: "blue"}, {PlayerId: "bo"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.GameSessionPlacement.Status != "PENDING" {
			t.Fatalf("started %+v, want PENDING", out.GameSessionPlacement)
		}
		p := e.placementStatus("pl-1", "FULFILLED")
		if p.GameSessionArn == "" || p.GameSessionRegion != "eu-west-1" || p.IpAddress != "203.0.113.7" || p.Port != 7000 ||
			p.DnsName != "relay-1.example.net" || len(p.PlacedPlayerSessions) != 2 || p.EndTime == nil {
			t.Fatalf("fulfilled %+v", p)
		}
		gs := e.describe(p.GameSessionArn)
		if gs.Name != "duel" || gs.CurrentPlayerSessionCount != 2 || gs.FleetId != e.fleet.FleetId {
			t.Fatalf("placed game session %+v", gs)
		}
		if ps := e.playerSession(p.PlacedPlayerSessions[0].PlayerSessionId); ps.PlayerData != "blue" || ps.PlayerId != "ana" {
			t.Fatalf("placed player session %+v", ps)
		}
		if !waitFor(t, 10*time.Second, func() bool { return len(events.types()) == 1 }) || events.types()[0] != EventPlacementFulfilled {
			t.Fatalf("queue events %v, want one PlacementFulfilled", events.types())
		}
		ev := events.events[0]
		if ev.DetailType != "GameLift Queue Placement Event" || ev.Detail.PlacementID != "pl-1" || ev.Detail.GameSessionArn != p.GameSessionArn ||
			ev.Detail.Port != "7000" || len(ev.Detail.PlacedPlayerSessions) != 2 || ev.Resources[0] != e.svc.QueueArn("q") {
			t.Fatalf("event %+v", ev)
		}
		if _, err := e.svc.StartGameSessionPlacement(e.ctx, &StartGameSessionPlacementInput{PlacementId: "pl-1", GameSessionQueueName: "q", MaximumPlayerSessionCount: ptr(4)}); err == nil {
			t.Fatal("a reused PlacementId was accepted")
		}
	})
}

func TestQueuePlacementWaitsForCapacity(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, _ := newPlacementEnv(t, open)
		e.queue("q", 60, "eu-west-1")
		e.setRelays()
		if _, err := e.svc.StartGameSessionPlacement(e.ctx, &StartGameSessionPlacementInput{PlacementId: "pl-wait", GameSessionQueueName: "q", MaximumPlayerSessionCount: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		e.placementStatus("pl-wait", "PENDING")
		e.setRelays(Relay{ID: "relay-1", Region: "eu-west-1", MaxSessions: 10})
		e.placementStatus("pl-wait", "FULFILLED")
	})
}

func TestQueuePlacementTimesOutAndStops(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, events := newPlacementEnv(t, open)
		e.queue("q", 1, "eu-west-1")
		e.setRelays()
		for _, id := range []string{"pl-late", "pl-stop"} {
			if _, err := e.svc.StartGameSessionPlacement(e.ctx, &StartGameSessionPlacementInput{PlacementId: id, GameSessionQueueName: "q", MaximumPlayerSessionCount: ptr(2)}); err != nil {
				t.Fatal(err)
			}
		}
		stopped, err := e.svc.StopGameSessionPlacement(e.ctx, &StopGameSessionPlacementInput{PlacementId: "pl-stop"})
		if err != nil || stopped.GameSessionPlacement.Status != "CANCELLED" {
			t.Fatalf("stop: %+v, %v", stopped, err)
		}
		e.placementStatus("pl-late", "TIMED_OUT")
		if !waitFor(t, 10*time.Second, func() bool { return len(events.types()) == 2 }) {
			t.Fatalf("queue events %v, want PlacementCancelled and PlacementTimedOut", events.types())
		}
		if got := events.types(); got[0] != EventPlacementCancelled || got[1] != EventPlacementTimedOut {
			t.Fatalf("queue events %v", got)
		}
		if _, err := e.svc.DescribeGameSessionPlacement(e.ctx, &DescribeGameSessionPlacementInput{PlacementId: "pl-none"}); AsError(err).Type != NotFound {
			t.Fatalf("unknown placement: %v", err)
		}
	})
}

// onlySessionBecomes waits until the fleet's one game session (the
// placement's) has status want.
func (e *sessionEnv) onlySessionBecomes(want string) {
	e.t.Helper()
	var sessions []GameSession
	if !waitFor(e.t, 10*time.Second, func() bool {
		out, err := e.svc.DescribeGameSessions(e.ctx, &DescribeGameSessionsInput{FleetId: e.fleet.FleetId})
		if err != nil {
			e.t.Fatal(err)
		}
		sessions = out.GameSessions
		return len(sessions) == 1 && sessions[0].Status == want
	}) {
		e.t.Fatalf("game sessions %+v, want the placement's one %s", sessions, want)
	}
}

// holdUntilCleanup sets *hold to a new channel and returns its release,
// which also runs when the test ends, so that a failing test does not leave
// a placement worker waiting.
func holdUntilCleanup(t *testing.T, hold *chan struct{}) (release func()) {
	c := make(chan struct{})
	*hold = c
	release = sync.OnceFunc(func() { close(c) })
	t.Cleanup(release)
	return release
}

// TestStopPlacementWithItsGameSession: as in GameLift, a placement whose
// game session exists cannot be stopped, while its player sessions are made
// as once it is FULFILLED; it goes on to FULFILLED.
func TestStopPlacementWithItsGameSession(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, events := newPlacementEnv(t, open)
		e.queue("q", 60, "eu-west-1")
		release := holdUntilCleanup(t, &e.relays.holdReserve)
		if _, err := e.svc.StartGameSessionPlacement(e.ctx, &StartGameSessionPlacementInput{PlacementId: "pl-made", GameSessionQueueName: "q",
			MaximumPlayerSessionCount: ptr(2), DesiredPlayerSessions: []DesiredPlayerSession{{PlayerId: "ana"}}}); err != nil {
			t.Fatal(err)
		}
		if !waitFor(t, 10*time.Second, func() bool { return e.relays.reserveCalls.Load() == 1 }) {
			t.Fatal("the placement reserved no player session")
		}
		_, err := e.svc.StopGameSessionPlacement(e.ctx, &StopGameSessionPlacementInput{PlacementId: "pl-made"})
		if got := AsError(err); got.Type != InvalidRequest || !strings.HasPrefix(got.Message, `PlacementId: placement "pl-made" has created game session arn:aws:gamelift:`) {
			t.Fatalf("stop while its player sessions are made: %v, want InvalidRequestException naming the game session", err)
		}
		release()
		p := e.placementStatus("pl-made", "FULFILLED")
		if len(p.PlacedPlayerSessions) != 1 || e.describe(p.GameSessionArn).Status != "ACTIVE" {
			t.Fatalf("fulfilled %+v", p)
		}
		_, err = e.svc.StopGameSessionPlacement(e.ctx, &StopGameSessionPlacementInput{PlacementId: "pl-made"})
		if got := AsError(err); got.Type != InvalidRequest || !strings.Contains(got.Message, p.GameSessionArn) {
			t.Fatalf("stop when FULFILLED: %v, want InvalidRequestException naming %s", err, p.GameSessionArn)
		}
		if !waitFor(t, 10*time.Second, func() bool { return len(events.types()) == 1 }) || events.types()[0] != EventPlacementFulfilled {
			t.Fatalf("queue events %v, want one PlacementFulfilled", events.types())
		}
	})
}

// TestStoppedPlacementEndsTheGameSessionItMade: a placement stopped while
// its game session was being created is CANCELLED, and the session, which
// no caller was given, ends.
func TestStoppedPlacementEndsTheGameSessionItMade(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, events := newPlacementEnv(t, open)
		e.queue("q", 60, "eu-west-1")
		release := holdUntilCleanup(t, &e.relays.holdPlacement)
		if _, err := e.svc.StartGameSessionPlacement(e.ctx, &StartGameSessionPlacementInput{PlacementId: "pl-race", GameSessionQueueName: "q", MaximumPlayerSessionCount: ptr(2)}); err != nil {
			t.Fatal(err)
		}
		if !waitFor(t, 10*time.Second, func() bool { return e.relays.placements.Load() == 1 }) {
			t.Fatal("the placement asked no relay")
		}
		stopped, err := e.svc.StopGameSessionPlacement(e.ctx, &StopGameSessionPlacementInput{PlacementId: "pl-race"})
		if err != nil || stopped.GameSessionPlacement.Status != "CANCELLED" {
			t.Fatalf("stop: %+v, %v", stopped, err)
		}
		release()
		e.onlySessionBecomes("TERMINATING")
		if p := e.placementStatus("pl-race", "CANCELLED"); p.GameSessionArn != "" {
			t.Fatalf("cancelled placement %+v names a game session", p)
		}
		if got := events.types(); len(got) != 1 || got[0] != EventPlacementCancelled {
			t.Fatalf("queue events %v, want one PlacementCancelled", got)
		}
	})
}

// TestFailedPlacementEndsItsGameSession: a placement whose player sessions
// are refused is FAILED, and its game session ends.
func TestFailedPlacementEndsItsGameSession(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, _ := newPlacementEnv(t, open)
		e.queue("q", 60, "eu-west-1")
		e.relays.refuse = bus.CodeInvalid
		if _, err := e.svc.StartGameSessionPlacement(e.ctx, &StartGameSessionPlacementInput{PlacementId: "pl-refused", GameSessionQueueName: "q",
			MaximumPlayerSessionCount: ptr(2), DesiredPlayerSessions: []DesiredPlayerSession{{PlayerId: "ana"}}}); err != nil {
			t.Fatal(err)
		}
		e.placementStatus("pl-refused", "FAILED")
		e.onlySessionBecomes("TERMINATING")
	})
}

// TestOrphanPlacementEndsItsGameSession: a PENDING placement whose
// matchmaker died after creating its game session is timed out by a reader
// past its deadline, and the session it recorded ends.
func TestOrphanPlacementEndsItsGameSession(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e, _ := newPlacementEnv(t, open)
		e.queue("q", 60, "eu-west-1")
		gs := e.session(2, nil)
		e.storePending("pl-orphan", "gone", time.Second, gs.GameSessionId)
		e.clk.Advance(time.Second + placementOrphanGrace + time.Millisecond)
		e.placementStatus("pl-orphan", "TIMED_OUT")
		e.sessionIs(gs.GameSessionId, "TERMINATING", "the orphan placement's game session")
	})
}

func TestStartGameSessionPlacementValidation(t *testing.T) {
	e, _ := newPlacementEnv(t, memOpen)
	e.queue("q", 60, "eu-west-1")
	for _, tc := range []struct {
		want   string
		mutate func(*StartGameSessionPlacementInput)
	}{
		{"PlacementId: must be 1 to 48 characters, got 0", func(in *StartGameSessionPlacementInput) { in.PlacementId = "" }},
		{"GameSessionQueueName: game session queue \"nope\" does not exist", func(in *StartGameSessionPlacementInput) { in.GameSessionQueueName = "nope" }},
		{"MaximumPlayerSessionCount: must be at least 1, got 0", func(in *StartGameSessionPlacementInput) { in.MaximumPlayerSessionCount = ptr(0) }},
		{"DesiredPlayerSessions[1].PlayerId: \"a\" is also DesiredPlayerSessions[0]", func(in *StartGameSessionPlacementInput) {
			in.DesiredPlayerSessions = []DesiredPlayerSession{{PlayerId: "a"}, {PlayerId: "a"}}
		}},
		{"PlayerLatencies[0].LatencyInMilliseconds: must be a number at least 0, got -1", func(in *StartGameSessionPlacementInput) {
			in.PlayerLatencies = []PlayerLatency{{PlayerId: "a", RegionIdentifier: "eu-west-1", LatencyInMilliseconds: -1}}
		}},
	} {
		in := &StartGameSessionPlacementInput{PlacementId: "pl-v", GameSessionQueueName: "q", MaximumPlayerSessionCount: ptr(2)}
		tc.mutate(in)
		_, err := e.svc.StartGameSessionPlacement(e.ctx, in)
		if err == nil || AsError(err).Message != tc.want {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

func TestPlacementCandidatesOrder(t *testing.T) {
	fa := store.Fleet{FleetId: "fleet-a", Locations: []string{"eu", "us", "ap"}}
	fb := store.Fleet{FleetId: "fleet-b", Locations: []string{"sa"}}
	cands := func(q store.Queue, lat []PlayerLatency, elapsed time.Duration) []string {
		e, _ := newPlacementEnv(t, memOpen)
		ctx := e.ctx
		for _, f := range []store.Fleet{fa, fb} {
			if err := e.svc.store.CreateFleet(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		got, err := e.svc.placementCandidates(ctx, q, &store.GameSessionPlacement{PlayerLatencies: lat}, elapsed)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range got {
			out = append(out, c.fleet.FleetId+"/"+c.location)
		}
		return out
	}
	q := store.Queue{Regions: []string{"eu", "sa"}, Destinations: []string{"arn:aws:gamelift:eu::fleet/fleet-a", "sa"}}
	lat := []PlayerLatency{{PlayerId: "p", RegionIdentifier: "us", LatencyInMilliseconds: 20}, {PlayerId: "p", RegionIdentifier: "eu", LatencyInMilliseconds: 90},
		{PlayerId: "p", RegionIdentifier: "sa", LatencyInMilliseconds: 50}}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %v, want %v", name, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%s: %v, want %v", name, got, want)
			}
		}
	}
	check("latency first", cands(q, lat, 0), "fleet-a/us", "fleet-b/sa", "fleet-a/eu", "fleet-a/ap")
	q.PlayerLatencyPolicies = []store.PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: 60, PolicyDurationSeconds: 10}, {MaximumIndividualPlayerLatencyMilliseconds: 100}}
	check("strict policy", cands(q, lat, 5*time.Second), "fleet-a/us", "fleet-b/sa")
	check("final policy", cands(q, lat, 15*time.Second), "fleet-a/us", "fleet-b/sa", "fleet-a/eu")
	q.AllowedLocations = []string{"eu", "sa"}
	check("allowed locations", cands(q, lat, 15*time.Second), "fleet-b/sa", "fleet-a/eu")
	q.PriorityOrder, q.LocationOrder = []string{PriorityLocation, PriorityLatency}, []string{"eu"}
	check("location priority", cands(q, lat, 15*time.Second), "fleet-a/eu", "fleet-b/sa")
	q.PriorityOrder = []string{PriorityDestination}
	check("destination priority", cands(q, lat, 15*time.Second), "fleet-a/eu", "fleet-b/sa")
}
