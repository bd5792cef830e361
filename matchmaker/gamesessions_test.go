package matchmaker

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// fakeRelays plays the relays on the bus: placements answer an endpoint,
// reservations answer the ids asked for unless refuse is set.
type fakeRelays struct {
	placements atomic.Int64
	mu         sync.Mutex
	refuse     bus.ErrorCode
	noRelay    bool
	reserved   []bus.ReserveRequest
	// updates are the session updates asked; held, when positive, makes
	// the relay refuse a maximum below it (CONFLICT); gone answers every
	// update INVALID.
	updates []bus.SessionUpdateRequest
	held    int
	gone    bool
	// placedOn are the relays placements were addressed to, in order;
	// fullRelays refuse them FULL.
	placedOn   []string
	fullRelays map[string]bool
	// maxPlacements, when positive, makes every placement past it refused
	// INVALID (not retryable): a bound on a placement loop.
	maxPlacements int64
	// holdPlacement, holdReserve and holdUpdate, set before use, make
	// placements, reservations and session updates wait until they are
	// closed (or their request's context ends, as on the bus);
	// reserveCalls and updateCalls count the requests asked.
	holdPlacement, holdReserve, holdUpdate chan struct{}
	reserveCalls, updateCalls              atomic.Int64
	// withdrawn are the placement cancellations published.
	withdrawn []bus.PlacementCancel
}

func (f *fakeRelays) PublishPlacementCancel(_ context.Context, m bus.PlacementCancel) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.withdrawn = append(f.withdrawn, m)
	return nil
}

// held waits until hold is closed (at once when it is nil) or, as a bus
// request does, until ctx ends: the relay may still act on the request.
func held(ctx context.Context, hold chan struct{}) error {
	if hold == nil {
		return nil
	}
	select {
	case <-hold:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *fakeRelays) RequestSessionUpdate(ctx context.Context, req bus.SessionUpdateRequest) (bus.SessionUpdateReply, error) {
	f.updateCalls.Add(1)
	if err := held(ctx, f.holdUpdate); err != nil {
		return bus.SessionUpdateReply{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, req)
	refuse := func(code bus.ErrorCode) (bus.SessionUpdateReply, error) {
		re := &bus.ReplyError{Code: code, Message: "refused"}
		return bus.SessionUpdateReply{RequestID: req.RequestID, Error: re}, fmt.Errorf("session update: %w", re)
	}
	switch {
	case f.gone:
		return refuse(bus.CodeInvalid)
	case req.MaxPlayers > 0 && req.MaxPlayers < f.held:
		return refuse(bus.CodeConflict)
	}
	return bus.SessionUpdateReply{RequestID: req.RequestID}, nil
}

func (f *fakeRelays) RequestPlacement(ctx context.Context, req bus.PlacementRequest) (bus.PlacementReply, error) {
	n := f.placements.Add(1)
	if f.maxPlacements > 0 && n > f.maxPlacements {
		re := &bus.ReplyError{Code: bus.CodeInvalid, Message: "too many attempts"}
		return bus.PlacementReply{MatchID: req.MatchID, Error: re}, fmt.Errorf("place: %w", re)
	}
	if f.noRelay {
		return bus.PlacementReply{}, fmt.Errorf("request: %w", bus.ErrNoResponders)
	}
	if err := held(ctx, f.holdPlacement); err != nil {
		return bus.PlacementReply{}, err
	}
	f.mu.Lock()
	f.placedOn = append(f.placedOn, req.RelayID)
	full := f.fullRelays[req.RelayID]
	f.mu.Unlock()
	if full {
		re := &bus.ReplyError{Code: bus.CodeFull, Message: "full"}
		return bus.PlacementReply{MatchID: req.MatchID, Error: re}, fmt.Errorf("place: %w", re)
	}
	return bus.PlacementReply{MatchID: req.MatchID, RelayID: "relay-1", GameSessionID: req.GameSessionARN, GameSessionARN: req.GameSessionARN,
		Endpoint: &bus.Endpoint{IPAddress: "203.0.113.7", DNSName: "relay-1.example.net", TCPPort: 7000}}, nil
}

func (f *fakeRelays) RequestReserve(ctx context.Context, req bus.ReserveRequest) (bus.ReserveReply, error) {
	f.reserveCalls.Add(1)
	if err := held(ctx, f.holdReserve); err != nil {
		return bus.ReserveReply{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse != "" {
		re := &bus.ReplyError{Code: f.refuse, Message: "refused"}
		return bus.ReserveReply{RequestID: req.RequestID, Error: re}, fmt.Errorf("reserve: %w", re)
	}
	f.reserved = append(f.reserved, req)
	out := bus.ReserveReply{RequestID: req.RequestID}
	for _, p := range req.Players {
		out.PlayerSessions = append(out.PlayerSessions, bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: p.PlayerSessionID})
	}
	return out, nil
}

type sessionEnv struct {
	*fleetEnv
	relays *fakeRelays
	fleet  FleetAttributes
}

func newSessionEnv(t *testing.T, open opener, mutate ...func(*Options)) *sessionEnv {
	fr := &fakeRelays{}
	fe := &fleetEnv{}
	fe.env = newEnv(t, open, append([]func(*Options){func(o *Options) {
		o.ScriptExists = func(_ context.Context, name string) (bool, error) { return name == "game", nil }
		o.Relays = func() []Relay {
			fe.mu.Lock()
			defer fe.mu.Unlock()
			return append([]Relay(nil), fe.relays...)
		}
		o.GameSessionBus = fr
	}}, mutate...)...)
	fe.setRelays(Relay{ID: "relay-1", Region: "eu-west-1", MaxSessions: 10})
	return &sessionEnv{fleetEnv: fe, relays: fr, fleet: fe.fleet(nil)}
}

// fleetActivatingWithin creates fleet name whose game sessions' activation
// times out after seconds.
func (e *sessionEnv) fleetActivatingWithin(name string, seconds int) FleetAttributes {
	e.t.Helper()
	return e.fleetEnv.fleet(func(in *CreateFleetInput) {
		in.Name = name
		in.RuntimeConfiguration = &RuntimeConfiguration{GameSessionActivationTimeoutSeconds: seconds}
	})
}

func (e *sessionEnv) session(maxPlayers int, mutate func(*CreateGameSessionInput)) GameSession {
	e.t.Helper()
	in := &CreateGameSessionInput{FleetId: e.fleet.FleetId, MaximumPlayerSessionCount: ptr(maxPlayers), Name: "lobby"}
	if mutate != nil {
		mutate(in)
	}
	out, err := e.svc.CreateGameSession(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return out.GameSession
}

func (e *sessionEnv) players(gsID string, ids ...string) []PlayerSession {
	e.t.Helper()
	out, err := e.svc.CreatePlayerSessions(e.ctx, &CreatePlayerSessionsInput{GameSessionId: gsID, PlayerIds: ids})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.PlayerSessions
}

func (e *sessionEnv) describe(gsID string) GameSession {
	e.t.Helper()
	out, err := e.svc.DescribeGameSessions(e.ctx, &DescribeGameSessionsInput{GameSessionId: gsID})
	if err != nil || len(out.GameSessions) != 1 {
		e.t.Fatalf("describe %s: %+v, %v", gsID, out, err)
	}
	return out.GameSessions[0]
}

// sessionIs fails the test unless game session gsID (what, in the message)
// is want now.
func (e *sessionEnv) sessionIs(gsID, want, what string) {
	e.t.Helper()
	if got := e.describe(gsID).Status; got != want {
		e.t.Fatalf("%s is %s, want %s", what, got, want)
	}
}

func (e *sessionEnv) playerSession(id string) PlayerSession {
	e.t.Helper()
	out, err := e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{PlayerSessionId: id})
	if err != nil || len(out.PlayerSessions) != 1 {
		e.t.Fatalf("describe %s: %+v, %v", id, out, err)
	}
	return out.PlayerSessions[0]
}

// TestRelayRequestsOutliveTheirCaller: a caller that goes away while a relay
// acts on its request (the bus request is cut short, the relay may still act)
// does not leave the store saying otherwise: the request is awaited. Each
// case fails with the caller's context.
func TestRelayRequestsOutliveTheirCaller(t *testing.T) {
	for _, tc := range []struct {
		name string
		// hold picks the test relay's hold and count for the request.
		hold func(*fakeRelays) (*chan struct{}, *atomic.Int64)
		// call makes the request in gs (a game session of 4 players).
		call func(e *sessionEnv, ctx context.Context, gs GameSession) error
		// check reads what the store and the relay then hold.
		check func(t *testing.T, e *sessionEnv, gs GameSession)
	}{{
		// CreateGameSession: not ERROR over a session the relay runs.
		name: "CreateGameSession",
		hold: func(f *fakeRelays) (*chan struct{}, *atomic.Int64) { return &f.holdPlacement, &f.placements },
		call: func(e *sessionEnv, ctx context.Context, _ GameSession) error {
			_, err := e.svc.CreateGameSession(ctx, &CreateGameSessionInput{FleetId: e.fleet.FleetId, MaximumPlayerSessionCount: ptr(2), Name: "late"})
			return err
		},
		check: func(t *testing.T, e *sessionEnv, _ GameSession) {
			out, err := e.svc.DescribeGameSessions(e.ctx, &DescribeGameSessionsInput{FleetId: e.fleet.FleetId, StatusFilter: "ACTIVE"})
			if err != nil || len(out.GameSessions) != 2 {
				t.Fatalf("ACTIVE game sessions %+v, %v: want the first and the late one", out, err)
			}
		},
	}, {
		// CreatePlayerSessions: not TIMEDOUT while the relay holds them.
		name: "CreatePlayerSessions",
		hold: func(f *fakeRelays) (*chan struct{}, *atomic.Int64) { return &f.holdReserve, &f.reserveCalls },
		call: func(e *sessionEnv, ctx context.Context, gs GameSession) error {
			_, err := e.svc.CreatePlayerSessions(ctx, &CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: []string{"ana", "bo"}})
			return err
		},
		check: func(t *testing.T, e *sessionEnv, gs GameSession) {
			out, err := e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerSessionStatusFilter: "RESERVED"})
			if err != nil || len(out.PlayerSessions) != 2 || e.describe(gs.GameSessionId).CurrentPlayerSessionCount != 2 {
				t.Fatalf("RESERVED player sessions %+v, %v: want the two, counted", out, err)
			}
		},
	}, {
		// TerminateGameSession: not TERMINATING with a relay never told.
		name: "TerminateGameSession",
		hold: func(f *fakeRelays) (*chan struct{}, *atomic.Int64) { return &f.holdUpdate, &f.updateCalls },
		call: func(e *sessionEnv, ctx context.Context, gs GameSession) error {
			_, err := e.svc.TerminateGameSession(ctx, &TerminateGameSessionInput{GameSessionId: gs.GameSessionId, TerminationMode: TerminationNormal})
			return err
		},
		check: func(t *testing.T, e *sessionEnv, _ GameSession) {
			e.relays.mu.Lock()
			defer e.relays.mu.Unlock()
			if len(e.relays.updates) != 1 || e.relays.updates[0].Terminate != bus.TerminateNormal {
				t.Fatalf("relay updates %+v, want the termination", e.relays.updates)
			}
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			eachStore(t, func(t *testing.T, open opener) {
				e := newSessionEnv(t, open)
				gs := e.session(4, nil)
				hold, calls := tc.hold(e.relays)
				asked := calls.Load()
				release := holdUntilCleanup(t, hold)
				ctx, cancel := context.WithCancel(e.ctx)
				done := make(chan error, 1)
				go func() { done <- tc.call(e, ctx, gs) }()
				if !waitFor(t, 10*time.Second, func() bool { return calls.Load() == asked+1 }) {
					t.Fatal("no request reached the relay")
				}
				cancel()
				release()
				if err := <-done; err != nil {
					t.Fatalf("%s: %v (%v)", tc.name, err, AsError(err).Err)
				}
				tc.check(t, e, gs)
			})
		})
	}
}

// TestUnansweredActivationIsWithdrawn: a placement no relay answered within
// the activation timeout leaves the session ERROR and withdraws the try, so
// that a relay that took it ends the session it made; a refusal withdraws
// nothing.
func TestUnansweredActivationIsWithdrawn(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		fleet := e.fleetActivatingWithin("quick", 1)
		holdUntilCleanup(t, &e.relays.holdPlacement)
		out, err := e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: fleet.FleetId, MaximumPlayerSessionCount: ptr(2)})
		if err != nil || out.GameSession.Status != "ERROR" {
			t.Fatalf("CreateGameSession with no answer: %+v, %v; want the session ERROR", out, err)
		}
		e.relays.mu.Lock()
		withdrawn := append([]bus.PlacementCancel(nil), e.relays.withdrawn...)
		e.relays.mu.Unlock()
		if len(withdrawn) != 1 || withdrawn[0].MatchID != out.GameSession.GameSessionId || withdrawn[0].Region != "eu-west-1" ||
			withdrawn[0].Attempt != 1 || withdrawn[0].Deadline.IsZero() {
			t.Fatalf("withdrawn %+v, want try 1 of %s in eu-west-1", withdrawn, out.GameSession.GameSessionId)
		}
		e.relays.holdPlacement = nil
		e.relays.refuse, e.relays.fullRelays = "", map[string]bool{"relay-1": true}
		e.relays.maxPlacements = 2
		refused, err := e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: fleet.FleetId, MaximumPlayerSessionCount: ptr(2)})
		if err != nil || refused.GameSession.Status != "ERROR" {
			t.Fatalf("CreateGameSession on a refusing relay: %+v, %v; want the session ERROR", refused, err)
		}
		e.relays.mu.Lock()
		defer e.relays.mu.Unlock()
		if len(e.relays.withdrawn) != 1 {
			t.Fatalf("withdrawn %+v after refusals, want only the first", e.relays.withdrawn)
		}
	})
}

// TestClosingCutsAnActivationShort: an activation, which outlives its
// caller, stops waiting when the Service closes (a fleet may give it up to
// 600 s): the session is ERROR and the try withdrawn.
func TestClosingCutsAnActivationShort(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		// Without the cut, the call would wait out this fleet's 600 s.
		fleet := e.fleetActivatingWithin("patient", MaxActivationTimeout)
		holdUntilCleanup(t, &e.relays.holdPlacement)
		type result struct {
			out *CreateGameSessionOutput
			err error
		}
		done := make(chan result, 1)
		go func() {
			out, err := e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: fleet.FleetId, MaximumPlayerSessionCount: ptr(2)})
			done <- result{out, err}
		}()
		if !waitFor(t, 10*time.Second, func() bool { return e.relays.placements.Load() == 1 }) {
			t.Fatal("CreateGameSession asked no relay")
		}
		if err := e.svc.Close(); err != nil {
			t.Fatal(err)
		}
		r := <-done
		if r.err != nil || r.out.GameSession.Status != "ERROR" {
			t.Fatalf("CreateGameSession cut short by Close: %+v, %v; want the session ERROR", r.out, r.err)
		}
		e.relays.mu.Lock()
		defer e.relays.mu.Unlock()
		if len(e.relays.withdrawn) != 1 || e.relays.withdrawn[0].MatchID != r.out.GameSession.GameSessionId {
			t.Fatalf("withdrawn %+v, want the session's try", e.relays.withdrawn)
		}
	})
}

// TestOrphanActivationEnds: a game session left ACTIVATING by a matchmaker
// that stopped while activating it becomes ERROR, once past the longest
// activation, when read, when its fleet is deleted (which it would
// otherwise refuse for good) or by the sweep of activations, its tries
// withdrawn; before that it is left alone.
func TestOrphanActivationEnds(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		other := e.fleetEnv.fleet(func(in *CreateFleetInput) { in.Name = "other" })
		stuckIn := func(f FleetAttributes, name string) string {
			gs := store.GameSession{GameSessionId: "arn:aws:gamelift:eu-west-1::gamesession/" + f.FleetId + "/" + name,
				FleetId: f.FleetId, FleetArn: f.FleetArn, Location: "eu-west-1", MaximumPlayerSessionCount: 2,
				Status: store.GameSessionActivating, PlayerSessionCreationPolicy: store.AcceptAll, ProtectionPolicy: NoProtection,
				CreationTime: e.clk.Now()}
			if _, _, err := e.st.CreateGameSession(e.ctx, gs, store.CreatorLimit{}); err != nil {
				t.Fatal(err)
			}
			return gs.GameSessionId
		}
		unread := e.fleetEnv.fleet(func(in *CreateFleetInput) { in.Name = "unread" })
		read, deleted, listed := stuckIn(e.fleet, "read"), stuckIn(e.fleet, "deleted"), stuckIn(other, "listed")
		swept := stuckIn(unread, "swept")
		e.clk.Advance(activationOrphanAfter)
		e.sessionIs(read, "ACTIVATING", "within the longest activation, the session")
		if _, err := e.svc.DeleteFleet(e.ctx, &DeleteFleetInput{FleetId: e.fleet.FleetId}); err == nil || !AsError(err).Conflict {
			t.Fatalf("DeleteFleet with activations in progress: %v, want a conflict", err)
		}
		e.clk.Advance(time.Second)
		e.sessionIs(read, "ERROR", "past the longest activation, the session")
		if _, err := e.svc.DeleteFleet(e.ctx, &DeleteFleetInput{FleetId: e.fleet.FleetId}); err != nil {
			t.Fatalf("DeleteFleet with only orphan activations: %v", err)
		}
		out, err := e.svc.DescribeGameSessions(e.ctx, &DescribeGameSessionsInput{FleetId: other.FleetId})
		if err != nil || len(out.GameSessions) != 1 || out.GameSessions[0].GameSessionId != listed || out.GameSessions[0].Status != "ERROR" {
			t.Fatalf("sessions of the other fleet: %+v, %v; want %s ERROR, ended by the listing", out, err, listed)
		}
		// One in a fleet nobody reads is ended by the sweep.
		if n, err := e.svc.sweepActivations(e.ctx); err != nil || n != 1 {
			t.Fatalf("sweep of activations: %d, %v; want 1 ended", n, err)
		}
		if gs, err := e.st.GetGameSession(e.ctx, swept); err != nil || gs.Status != store.GameSessionError {
			t.Fatalf("swept session %+v, %v; want ERROR", gs, err)
		}
		e.relays.mu.Lock()
		defer e.relays.mu.Unlock()
		if len(e.relays.withdrawn) != 4 || e.relays.withdrawn[0].MatchID != read || e.relays.withdrawn[1].MatchID != deleted ||
			e.relays.withdrawn[2].MatchID != listed || e.relays.withdrawn[3].MatchID != swept {
			t.Fatalf("withdrawn %+v, want the tries of %s, %s, %s and %s", e.relays.withdrawn, read, deleted, listed, swept)
		}
	})
}

func TestCreateGameSession(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		gs := e.session(2, func(in *CreateGameSessionInput) {
			in.IdempotencyToken = "tok-1"
			in.GameProperties = []GameProperty{{Key: "mode", Value: "ctf"}}
		})
		want := "arn:aws:gamelift:eu-west-1::gamesession/" + e.fleet.FleetId + "/tok-1"
		if gs.GameSessionId != want || gs.Status != "ACTIVE" || gs.IpAddress != "203.0.113.7" || gs.Port != 7000 ||
			gs.DnsName != "relay-1.example.net" || gs.Location != "eu-west-1" || gs.PlayerSessionCreationPolicy != "ACCEPT_ALL" {
			t.Fatalf("created %+v", gs)
		}
		again := e.session(2, func(in *CreateGameSessionInput) { in.IdempotencyToken = "tok-1" })
		if again.GameSessionId != gs.GameSessionId || e.relays.placements.Load() != 1 {
			t.Fatalf("reused token: %+v after %d placements, want the first session and one placement", again, e.relays.placements.Load())
		}
		if got := e.describe(gs.GameSessionId); got.Name != "lobby" || got.GameProperties[0].Value != "ctf" {
			t.Fatalf("described %+v", got)
		}
		list, err := e.svc.DescribeGameSessions(e.ctx, &DescribeGameSessionsInput{FleetId: e.fleet.FleetId, StatusFilter: "ACTIVE"})
		if err != nil || len(list.GameSessions) != 1 {
			t.Fatalf("by fleet: %+v, %v", list, err)
		}

		_, err = e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: e.fleet.FleetId, MaximumPlayerSessionCount: ptr(0)})
		wantErr(t, err, InvalidRequest, "MaximumPlayerSessionCount: must be at least 1")
		_, err = e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: "fleet-nope", MaximumPlayerSessionCount: ptr(2)})
		wantErr(t, err, NotFound, `FleetId: fleet "fleet-nope" does not exist`)
		_, err = e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: e.fleet.FleetId, MaximumPlayerSessionCount: ptr(2), Location: "mars-1"})
		wantErr(t, err, InvalidRequest, `Location: "mars-1" is not a location`)
		_, err = e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: e.fleet.FleetId, MaximumPlayerSessionCount: ptr(2),
			GameProperties: []GameProperty{{Key: "k234567890123456789012345678901234", Value: "v"}}})
		wantErr(t, err, InvalidRequest, "GameProperties[0].Key: must be 1 to 32")
		_, err = e.svc.DescribeGameSessions(e.ctx, &DescribeGameSessionsInput{GameSessionId: want + "x"})
		wantErr(t, err, NotFound, "GameSessionId: game session")

		e.setRelays()
		_, err = e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: e.fleet.FleetId, MaximumPlayerSessionCount: ptr(2)})
		wantErr(t, err, FleetCapacityExceeded, "FleetId: no relay serves fleet")
		if list, _ := e.svc.DescribeGameSessions(e.ctx, &DescribeGameSessionsInput{FleetId: e.fleet.FleetId}); len(list.GameSessions) != 1 {
			t.Fatalf("a refused create wrote a session: %+v", list)
		}
	})
}

func TestCreateGameSessionThroughAlias(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		simple, err := e.svc.CreateAlias(e.ctx, &CreateAliasInput{Name: "live", RoutingStrategy: &RoutingStrategy{Type: "SIMPLE", FleetId: e.fleet.FleetId}})
		if err != nil {
			t.Fatal(err)
		}
		gs := e.session(2, func(in *CreateGameSessionInput) { in.FleetId, in.AliasId = "", simple.Alias.AliasId })
		if gs.FleetId != e.fleet.FleetId {
			t.Fatalf("through alias: %+v", gs)
		}
		terminal, err := e.svc.CreateAlias(e.ctx, &CreateAliasInput{Name: "old", RoutingStrategy: &RoutingStrategy{Type: "TERMINAL", Message: "gone to v2"}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{AliasId: terminal.Alias.AliasId, MaximumPlayerSessionCount: ptr(2)})
		wantErr(t, err, TerminalRoutingStrategy, "gone to v2")
		_, err = e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{MaximumPlayerSessionCount: ptr(2)})
		wantErr(t, err, InvalidRequest, "FleetId: FleetId or AliasId is required")
	})
}

func TestPlayerSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		gs := e.session(2, nil)
		one, err := e.svc.CreatePlayerSession(e.ctx, &CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: "a", PlayerData: "hello"})
		if err != nil {
			t.Fatal(err)
		}
		ps := one.PlayerSession
		if ps.Status != "RESERVED" || ps.PlayerData != "hello" || ps.Port != 7000 || ps.FleetId != e.fleet.FleetId {
			t.Fatalf("player session %+v", ps)
		}
		if r := e.relays.reserved[0]; r.RelayID != "relay-1" || r.GameSessionID != gs.GameSessionId || r.Players[0].PlayerSessionID != ps.PlayerSessionId || r.Players[0].PlayerData != "hello" {
			t.Fatalf("reserve request %+v", r)
		}
		e.clk.Advance(time.Millisecond)
		_, err = e.svc.CreatePlayerSessions(e.ctx, &CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: []string{"b", "c"}})
		wantErr(t, err, GameSessionFull, "GameSessionId: game session "+gs.GameSessionId+" is full")
		e.players(gs.GameSessionId, "b")
		if got := e.describe(gs.GameSessionId); got.CurrentPlayerSessionCount != 2 {
			t.Fatalf("count %d, want 2", got.CurrentPlayerSessionCount)
		}

		ids := make([]string, 26)
		for i := range ids {
			ids[i] = fmt.Sprint("p", i)
		}
		_, err = e.svc.CreatePlayerSessions(e.ctx, &CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: ids})
		wantErr(t, err, InvalidRequest, "PlayerIds: at most 25 players, got 26")
		_, err = e.svc.CreatePlayerSessions(e.ctx, &CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId + "x", PlayerIds: []string{"z"}})
		wantErr(t, err, NotFound, "GameSessionId: game session")

		list, err := e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{GameSessionId: gs.GameSessionId, Limit: 1})
		if err != nil || len(list.PlayerSessions) != 1 || list.NextToken == "" {
			t.Fatalf("page 1: %+v, %v", list, err)
		}
		list, err = e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{GameSessionId: gs.GameSessionId, Limit: 1, NextToken: list.NextToken})
		if err != nil || len(list.PlayerSessions) != 1 || list.PlayerSessions[0].PlayerId != "b" {
			t.Fatalf("page 2: %+v, %v", list, err)
		}
		byPlayer, err := e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{PlayerId: "a", PlayerSessionStatusFilter: "RESERVED"})
		if err != nil || len(byPlayer.PlayerSessions) != 1 {
			t.Fatalf("by player: %+v, %v", byPlayer, err)
		}
		_, err = e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{})
		wantErr(t, err, InvalidRequest, "PlayerSessionId: give exactly one")
		_, err = e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{PlayerSessionId: "psess-nope"})
		wantErr(t, err, NotFound, `PlayerSessionId: player session "psess-nope" does not exist`)

		// Unused for 60 s, reservations time out and free their slots.
		e.clk.Advance(PlayerSessionTimeout + time.Second)
		if got := e.playerSession(ps.PlayerSessionId); got.Status != "TIMEDOUT" {
			t.Fatalf("after 60s: %s, want TIMEDOUT", got.Status)
		}
		if got := e.describe(gs.GameSessionId); got.CurrentPlayerSessionCount != 0 {
			t.Fatalf("count %d after the timeouts, want 0", got.CurrentPlayerSessionCount)
		}
		e.players(gs.GameSessionId, "c", "d")
	})
}

// TestRelayRefusalUndoesPlayerSessions: when the relay refuses, the player
// sessions the store took hold no slot.
func TestRelayRefusalUndoesPlayerSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		gs := e.session(2, nil)
		e.relays.refuse = bus.CodeFull
		_, err := e.svc.CreatePlayerSessions(e.ctx, &CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: []string{"a", "b"}})
		wantErr(t, err, GameSessionFull, "GameSessionId: game session "+gs.GameSessionId+" is full on its relay")
		e.relays.refuse = bus.CodeInvalid
		_, err = e.svc.CreatePlayerSession(e.ctx, &CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: "a"})
		wantErr(t, err, InvalidGameSessionStatus, "GameSessionId: game session "+gs.GameSessionId+" does not run on relay relay-1")
		if got := e.describe(gs.GameSessionId); got.CurrentPlayerSessionCount != 0 {
			t.Fatalf("count %d after refusals, want 0", got.CurrentPlayerSessionCount)
		}
		out, err := e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{PlayerId: "b"})
		if err != nil || len(out.PlayerSessions) != 1 || out.PlayerSessions[0].Status != "TIMEDOUT" || out.PlayerSessions[0].TerminationTime == nil {
			t.Fatalf("b's refused player session: %+v, %v; want it TIMEDOUT with a termination time", out, err)
		}
		e.relays.refuse = ""
		e.players(gs.GameSessionId, "a", "b")
	})
}

// TestPlayerSessionsRace: many CreatePlayerSession calls at once on one
// game session; exactly its maximum succeed, the others are refused full.
func TestPlayerSessionsRace(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		gs := e.session(5, nil)
		var ok, full atomic.Int64
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				_, err := e.svc.CreatePlayerSession(e.ctx, &CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: fmt.Sprint("p", i)})
				switch {
				case err == nil:
					ok.Add(1)
				case AsError(err).Type == GameSessionFull:
					full.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 5 || full.Load() != 35 {
			t.Fatalf("%d created, %d full; want 5 and 35", ok.Load(), full.Load())
		}
		if got := e.describe(gs.GameSessionId); got.CurrentPlayerSessionCount != 5 {
			t.Fatalf("count %d, want 5", got.CurrentPlayerSessionCount)
		}
	})
}

// TestSessionRegistry: the relays' events move player sessions RESERVED ->
// ACTIVE -> COMPLETED and end the game session, timing out what was still
// reserved.
func TestSessionRegistry(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		gs := e.session(3, nil)
		ps := e.players(gs.GameSessionId, "a", "b", "c")
		h := e.svc.SessionRegistry()
		ref := bus.SessionRef{GameSessionID: gs.GameSessionId, GameSessionARN: gs.GameSessionId, Configuration: e.fleet.FleetId, Region: "eu-west-1", RelayID: "relay-1"}
		now := e.clk.Now()
		h.PlayerJoined(bus.PlayerJoined{SessionRef: ref, PlayerID: "a", PlayerSessionID: ps[0].PlayerSessionId, JoinedAt: now})
		h.PlayerJoined(bus.PlayerJoined{SessionRef: ref, PlayerID: "b", PlayerSessionID: ps[1].PlayerSessionId, JoinedAt: now})
		if got := e.playerSession(ps[0].PlayerSessionId); got.Status != "ACTIVE" {
			t.Fatalf("joined: %s", got.Status)
		}
		h.PlayerLeft(bus.PlayerLeft{SessionRef: ref, PlayerID: "a", PlayerSessionID: ps[0].PlayerSessionId, Reason: bus.LeftClosed, LeftAt: now})
		if got := e.playerSession(ps[0].PlayerSessionId); got.Status != "COMPLETED" || got.TerminationTime == nil {
			t.Fatalf("left: %+v", got)
		}
		if got := e.describe(gs.GameSessionId); got.CurrentPlayerSessionCount != 2 {
			t.Fatalf("count %d, want 2", got.CurrentPlayerSessionCount)
		}
		h.Ended(bus.SessionEnded{SessionRef: ref, Reason: bus.EndScript, EndedAt: now})
		if got := e.describe(gs.GameSessionId); got.Status != "TERMINATED" || got.TerminationTime == nil {
			t.Fatalf("ended: %+v", got)
		}
		if got := e.playerSession(ps[1].PlayerSessionId); got.Status != "COMPLETED" {
			t.Fatalf("active player at the end: %s, want COMPLETED", got.Status)
		}
		if got := e.playerSession(ps[2].PlayerSessionId); got.Status != "TIMEDOUT" {
			t.Fatalf("reserved player at the end: %s, want TIMEDOUT", got.Status)
		}
		_, err := e.svc.CreatePlayerSession(e.ctx, &CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: "d"})
		wantErr(t, err, InvalidGameSessionStatus, "GameSessionId: game session "+gs.GameSessionId+" does not accept players")
		// Events of sessions the store does not hold are ignored.
		h.Ended(bus.SessionEnded{SessionRef: bus.SessionRef{GameSessionID: "gsess-x", GameSessionARN: "arn:x", Configuration: "c", Region: "r", RelayID: "relay-1"}, Reason: bus.EndEmpty, EndedAt: now})
	})
}

func TestSearchGameSessions(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		for i, mode := range []string{"ctf", "brawl", "ctf"} {
			e.session(4, func(in *CreateGameSessionInput) {
				in.Name = fmt.Sprint("room-", i)
				in.GameProperties = []GameProperty{{Key: "mode", Value: mode}}
			})
			e.clk.Advance(time.Second)
		}
		out, err := e.svc.SearchGameSessions(e.ctx, &SearchGameSessionsInput{FleetId: e.fleet.FleetId,
			FilterExpression: "gameSessionProperties.mode = 'ctf' AND hasAvailablePlayerSessions = true", SortExpression: "creationTimeMillis DESC", Limit: 1})
		if err != nil || len(out.GameSessions) != 1 || out.GameSessions[0].Name != "room-2" || out.NextToken == "" {
			t.Fatalf("page 1: %+v, %v", out, err)
		}
		out, err = e.svc.SearchGameSessions(e.ctx, &SearchGameSessionsInput{FleetId: e.fleet.FleetId,
			FilterExpression: "gameSessionProperties.mode = 'ctf' AND hasAvailablePlayerSessions = true", SortExpression: "creationTimeMillis DESC", Limit: 1, NextToken: out.NextToken})
		if err != nil || len(out.GameSessions) != 1 || out.GameSessions[0].Name != "room-0" || out.NextToken != "" {
			t.Fatalf("page 2: %+v, %v", out, err)
		}
		_, err = e.svc.SearchGameSessions(e.ctx, &SearchGameSessionsInput{FleetId: e.fleet.FleetId, FilterExpression: "maximumSessions >"})
		wantErr(t, err, InvalidRequest, "FilterExpression: at character")
		_, err = e.svc.SearchGameSessions(e.ctx, &SearchGameSessionsInput{FleetId: "fleet-nope"})
		wantErr(t, err, NotFound, "FleetId")
	})
}

// TestSearchFollowsAnotherMatchmaker: a matchmaker's searches see, at
// once, what another matchmaker on the same store wrote after its last
// search: a session created, one filled, one closed to new players, one
// terminated (searches keep a copy of the fleet brought up to date with the
// store's changes).
func TestSearchFollowsAnotherMatchmaker(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		other, err := New(Options{Store: e.st, Now: e.clk.Now, Logger: e.svc.log, Region: "eu-west-1", AccountID: "123456789012"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = other.Close() })
		joinable := func() []string {
			t.Helper()
			out, err := other.SearchGameSessions(e.ctx, &SearchGameSessionsInput{FleetId: e.fleet.FleetId, FilterExpression: "hasAvailablePlayerSessions = true"})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, gs := range out.GameSessions {
				names = append(names, gs.Name)
			}
			return names
		}
		var ids []string
		for i := range 4 {
			ids = append(ids, e.session(2, func(in *CreateGameSessionInput) { in.Name = fmt.Sprint("room-", i) }).GameSessionId)
			e.clk.Advance(time.Second)
		}
		if got := joinable(); !slices.Equal(got, []string{"room-0", "room-1", "room-2", "room-3"}) {
			t.Fatalf("first search: %v", got)
		}
		e.players(ids[0], "a", "b")
		deny := "DENY_ALL"
		if _, err := e.svc.UpdateGameSession(e.ctx, &UpdateGameSessionInput{GameSessionId: ids[1], PlayerSessionCreationPolicy: deny}); err != nil {
			t.Fatal(err)
		}
		e.relays.gone = true
		if _, err := e.svc.TerminateGameSession(e.ctx, &TerminateGameSessionInput{GameSessionId: ids[2], TerminationMode: TerminationForce}); err != nil {
			t.Fatal(err)
		}
		e.relays.gone = false
		e.session(2, func(in *CreateGameSessionInput) { in.Name = "room-4" })
		if got := joinable(); !slices.Equal(got, []string{"room-3", "room-4"}) {
			t.Fatalf("after the other matchmaker's writes: %v, want room-3 and room-4", got)
		}
		e.players(ids[3], "c")
		if got := joinable(); !slices.Equal(got, []string{"room-3", "room-4"}) {
			t.Fatalf("room-3 with one of two players: %v", got)
		}
		e.players(ids[3], "d")
		if got := joinable(); !slices.Equal(got, []string{"room-4"}) {
			t.Fatalf("room-3 full: %v", got)
		}
	})
}

// TestReservationsSweptInBackground: a RESERVED player session unused for
// PlayerSessionTimeout is TIMEDOUT by the running service's sweep, freeing
// its slot, without anyone describing its game session: a player's list
// shows it TIMEDOUT. One that connected stays ACTIVE.
func TestReservationsSweptInBackground(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open, func(o *Options) { o.Discover, o.LeaseTTL = 10*time.Millisecond, time.Second })
		gs := e.session(3, nil)
		ps := e.players(gs.GameSessionId, "a", "b")
		ref := bus.SessionRef{GameSessionID: gs.GameSessionId, GameSessionARN: gs.GameSessionId, Configuration: e.fleet.FleetId, Region: "eu-west-1", RelayID: "relay-1"}
		e.svc.SessionRegistry().PlayerJoined(bus.PlayerJoined{SessionRef: ref, PlayerID: "b", PlayerSessionID: ps[1].PlayerSessionId, JoinedAt: e.clk.Now()})
		runService(t, e.svc)
		e.clk.Advance(PlayerSessionTimeout - time.Second)
		statusOf := func(player string) string {
			out, err := e.svc.DescribePlayerSessions(e.ctx, &DescribePlayerSessionsInput{PlayerId: player})
			if err != nil || len(out.PlayerSessions) != 1 {
				t.Fatalf("player %s: %+v %v", player, out, err)
			}
			return out.PlayerSessions[0].Status
		}
		if !waitFor(t, 5*time.Second, func() bool { return e.describe(gs.GameSessionId).CurrentPlayerSessionCount == 2 }) || statusOf("a") != "RESERVED" {
			t.Fatalf("before the timeout: a is %s, count %d", statusOf("a"), e.describe(gs.GameSessionId).CurrentPlayerSessionCount)
		}
		e.clk.Advance(time.Second)
		if !waitFor(t, 5*time.Second, func() bool { return statusOf("a") == "TIMEDOUT" }) {
			t.Fatalf("a's reservation is %s after the timeout, want TIMEDOUT", statusOf("a"))
		}
		if got := e.describe(gs.GameSessionId).CurrentPlayerSessionCount; got != 1 {
			t.Fatalf("count %d after the sweep, want 1", got)
		}
		if got := statusOf("b"); got != "ACTIVE" {
			t.Fatalf("b is %s, want ACTIVE", got)
		}
		if got := e.playerSession(ps[0].PlayerSessionId); !got.TerminationTime.Equal(ps[0].CreationTime.Add(PlayerSessionTimeout)) {
			t.Fatalf("a's termination time %v, want its creation %v + %v", got.TerminationTime, ps[0].CreationTime, PlayerSessionTimeout)
		}
	})
}

// TestCreateGameSessionRetryPauses: when every relay refuses a game session
// FULL, CreateGameSession tries again after a pause that grows, until the
// fleet's activation timeout, rather than in a tight loop (fake time: the
// loop without pauses would reach the fake relays' bound of 100 attempts).
func TestCreateGameSessionRetryPauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newSessionEnv(t, func(_ *testing.T, now func() time.Time) store.Store { return store.NewMemory(store.Options{Now: now}) })
		e.relays.fullRelays = map[string]bool{"relay-1": true}
		e.relays.maxPlacements = 100
		f := e.fleetActivatingWithin("slow", 2)
		out, err := e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: f.FleetId, MaximumPlayerSessionCount: ptr(2)})
		if err != nil {
			t.Fatal(err)
		}
		if out.GameSession.Status != "ERROR" {
			t.Fatalf("status %s, want ERROR", out.GameSession.Status)
		}
		if n := e.relays.placements.Load(); n < 2 || n > 10 {
			t.Fatalf("%d placement attempts in the activation timeout, want a few (pauses between rounds)", n)
		}
	})
}

// TestCreateFreesExpiredReservations: a session full of reservations past
// PlayerSessionTimeout, which no sweep or description has timed out yet,
// takes new players: the create frees them first.
func TestCreateFreesExpiredReservations(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		gs := e.session(2, nil)
		old := e.players(gs.GameSessionId, "a", "b")
		_, err := e.svc.CreatePlayerSessions(e.ctx, &CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: []string{"c"}})
		wantErr(t, err, GameSessionFull, "GameSessionId: game session "+gs.GameSessionId+" is full")
		e.clk.Advance(PlayerSessionTimeout + time.Second)
		e.players(gs.GameSessionId, "c", "d")
		if got := e.playerSession(old[0].PlayerSessionId); got.Status != "TIMEDOUT" {
			t.Fatalf("a's reservation after the create: %s, want TIMEDOUT", got.Status)
		}
	})
}

// TestPlayerSessionsRefusedOnceTerminated: a game session that took players
// refuses more once it is terminated (what the service remembers of where
// it runs does not stand for its status).
func TestPlayerSessionsRefusedOnceTerminated(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		gs := e.session(4, nil)
		e.players(gs.GameSessionId, "a")
		e.relays.gone = true
		if _, err := e.svc.TerminateGameSession(e.ctx, &TerminateGameSessionInput{GameSessionId: gs.GameSessionId, TerminationMode: TerminationForce}); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.CreatePlayerSessions(e.ctx, &CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerIds: []string{"b"}})
		wantErr(t, err, InvalidGameSessionStatus, "GameSessionId: game session "+gs.GameSessionId+" does not accept players")
	})
}

// TestEndedSessionPlaceForgotten: where a game session runs is remembered
// for its player sessions while it is ACTIVE and forgotten when it ends,
// whichever matchmaker ends it, so that an id given again once the record
// expired reaches the new session's relay.
func TestEndedSessionPlaceForgotten(t *testing.T) {
	e := newSessionEnv(t, func(t *testing.T, now func() time.Time) store.Store { return store.NewMemory(store.Options{Now: now}) })
	other, err := New(Options{Store: e.st, Now: e.clk.Now, Logger: e.svc.log, Region: "eu-west-1", AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	held := func(s *Service, id string) bool {
		s.places.mu.Lock()
		defer s.places.mu.Unlock()
		_, ok := s.places.m[id]
		return ok
	}
	gs := e.session(4, nil)
	e.players(gs.GameSessionId, "a")
	if _, err := other.placeOf(e.ctx, gs.GameSessionId); err != nil {
		t.Fatal(err)
	}
	if !held(e.svc, gs.GameSessionId) || !held(other, gs.GameSessionId) {
		t.Fatal("an ACTIVE session's place is not remembered")
	}
	ref := bus.SessionRef{GameSessionID: gs.GameSessionId, GameSessionARN: gs.GameSessionId, Configuration: e.fleet.FleetId, Region: "eu-west-1", RelayID: "relay-1"}
	ended := bus.SessionEnded{SessionRef: ref, Reason: bus.EndTerminated, EndedAt: e.clk.Now()}
	e.svc.SessionRegistry().Ended(ended)
	other.SessionRegistry().Ended(ended)
	if held(e.svc, gs.GameSessionId) || held(other, gs.GameSessionId) {
		t.Fatal("an ended session's place is still remembered")
	}
}
