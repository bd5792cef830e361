package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// gameSessionTests are the suite's tests of store.GameSessions.
var gameSessionTests = []struct {
	name string
	fn   func(*testing.T, Opener)
}{
	{"Fleets", testFleets},
	{"Aliases", testAliases},
	{"CreateGameSession", testCreateGameSession},
	{"CreatorLimit", testCreatorLimit},
	{"ListGameSessions", testListGameSessions},
	{"GameSessionStatus", testGameSessionStatus},
	{"DeleteFleetInUse", testDeleteFleetInUse},
	{"PlayerSessions", testPlayerSessions},
	{"PlayerSessionsRefused", testPlayerSessionsRefused},
	{"ListPlayerSessions", testListPlayerSessions},
	{"PlayerSessionsRace", func(t *testing.T, open Opener) { PlayerSessionsRace(t, []store.Store{open(t)}) }},
	{"PlayerSessionsRaceTwoClients", func(t *testing.T, open Opener) { PlayerSessionsRace(t, []store.Store{open(t), open(t)}) }},
	{"GameSessionRetention", testGameSessionRetention},
	{"GameSessionChanges", testGameSessionChanges},
	{"GameSessionChangesAfterRetention", testGameSessionChangesAfterRetention},
	{"DueReservations", testDueReservations},
	{"TimeOutReservations", testTimeOutReservations},
	{"MaximumRace", func(t *testing.T, open Opener) { MaximumRace(t, []store.Store{open(t)}) }},
	{"MaximumRaceTwoClients", func(t *testing.T, open Opener) { MaximumRace(t, []store.Store{open(t), open(t)}) }},
}

const (
	fleetA = "fleet-a"
	fleetB = "fleet-b"
)

func fleet(id string, created int) store.Fleet {
	return store.Fleet{
		FleetId: id, FleetArn: "arn:aws:gamelift:local:000000000000:fleet/" + id, Name: "name-" + id,
		ScriptId: "script-1", Locations: []string{"eu-west-1"},
		RuntimeConfiguration: store.RuntimeConfiguration{ServerProcesses: []store.ServerProcess{{LaunchPath: "/local/game/main.js", ConcurrentExecutions: 1}}},
		CreationTime:         base().Add(time.Duration(created) * time.Second),
	}
}

func gsID(fleet, id string) string { return "arn:aws:gamelift:local::gamesession/" + fleet + "/" + id }

// gameSession builds an ACTIVE game session of fleet for max players,
// created at base()+created seconds.
func gameSession(fleet, id string, max, created int) store.GameSession {
	return store.GameSession{
		GameSessionId: gsID(fleet, id), FleetId: fleet, Name: id, MaximumPlayerSessionCount: max,
		Status: store.GameSessionActive, PlayerSessionCreationPolicy: store.AcceptAll,
		GameProperties: []store.GameProperty{{Key: "mode", Value: "duel"}},
		CreationTime:   base().Add(time.Duration(created) * time.Second),
	}
}

func playerSession(gs, id, player string, created int) store.PlayerSession {
	return store.PlayerSession{
		PlayerSessionId: id, PlayerId: player, GameSessionId: gs, FleetId: store.GameSessionFleet(gs),
		Status: store.PlayerSessionReserved, PlayerData: "data-" + player,
		CreationTime: base().Add(time.Duration(created) * time.Second),
	}
}

// setupFleets opens a store with fleets A and B.
func setupFleets(t *testing.T, open Opener) (store.Store, context.Context) {
	t.Helper()
	s := open(t)
	ctx := t.Context()
	must(t, s.CreateFleet(ctx, fleet(fleetA, 0)))
	must(t, s.CreateFleet(ctx, fleet(fleetB, 1)))
	return s, ctx
}

func createGS(t *testing.T, s store.Store, gs store.GameSession) store.GameSession {
	t.Helper()
	got, created, err := s.CreateGameSession(t.Context(), gs, store.CreatorLimit{})
	if err != nil || !created {
		t.Fatalf("create game session %s: created %v, %v", gs.GameSessionId, created, err)
	}
	return got
}

func getGS(t *testing.T, s store.Store, id string) store.GameSession {
	t.Helper()
	gs, err := s.GetGameSession(t.Context(), id)
	if err != nil {
		t.Fatalf("get game session %s: %v", id, err)
	}
	return gs
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func normFleet(f store.Fleet) store.Fleet { f.CreationTime = utc(f.CreationTime); return f }

func normGS(gs store.GameSession) store.GameSession {
	gs.CreationTime, gs.TerminationTime = utc(gs.CreationTime), utc(gs.TerminationTime)
	return gs
}

func normPS(ps store.PlayerSession) store.PlayerSession {
	ps.CreationTime, ps.TerminationTime = utc(ps.CreationTime), utc(ps.TerminationTime)
	return ps
}

func fleetIDs(fs []store.Fleet) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.FleetId)
	}
	return out
}

func testFleets(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	f := fleet("fleet-c", -1)
	f.Description = "the third"
	f.Tags = []store.Tag{{Key: "team", Value: "blue"}}
	f.AWSOnly = map[string]json.RawMessage{"EC2InstanceType": json.RawMessage(`"c5.large"`)}
	f.ResourceCreationLimitPolicy = store.ResourceCreationLimitPolicy{NewGameSessionsPerCreator: 3, PolicyPeriodInMinutes: 15}
	must(t, s.CreateFleet(ctx, f))
	wantErr(t, s.CreateFleet(ctx, fleet(fleetA, 5)), store.ErrExists, "create fleet a twice")

	got, err := s.GetFleet(ctx, "fleet-c")
	must(t, err)
	f.Version = 1
	same(t, "fleet c", normFleet(got), normFleet(f))
	_, err = s.GetFleet(ctx, "fleet-x")
	wantErr(t, err, store.ErrNotFound, "get unknown fleet")

	list, err := s.ListFleets(ctx)
	must(t, err)
	same(t, "fleets", fleetIDs(list), []string{"fleet-c", fleetA, fleetB})

	got.Description = "changed"
	v, err := s.UpdateFleet(ctx, got)
	must(t, err)
	if v != 2 {
		t.Fatalf("update fleet: version %d, want 2", v)
	}
	_, err = s.UpdateFleet(ctx, got)
	wantErr(t, err, store.ErrConflict, "stale fleet update")
	_, err = s.UpdateFleet(ctx, fleet("fleet-x", 0))
	wantErr(t, err, store.ErrNotFound, "update unknown fleet")
	if got, _ := s.GetFleet(ctx, "fleet-c"); got.Description != "changed" || got.Version != 2 {
		t.Fatalf("updated fleet: %+v", got)
	}

	must(t, s.DeleteFleet(ctx, "fleet-c"))
	wantErr(t, s.DeleteFleet(ctx, "fleet-c"), store.ErrNotFound, "delete fleet twice")
	_, err = s.GetFleet(ctx, "fleet-c")
	wantErr(t, err, store.ErrNotFound, "get deleted fleet")
	list, err = s.ListFleets(ctx)
	must(t, err)
	same(t, "fleets after delete", fleetIDs(list), []string{fleetA, fleetB})
}

func testAliases(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	mk := func(id string, created int) store.Alias {
		return store.Alias{
			AliasId: id, AliasArn: "arn:aws:gamelift:local:000000000000:alias/" + id, Name: "n-" + id,
			RoutingStrategy: store.RoutingStrategy{Type: store.RoutingSimple, FleetId: fleetA},
			CreationTime:    base().Add(time.Duration(created) * time.Second),
		}
	}
	must(t, s.CreateAlias(ctx, mk("alias-2", 2)))
	must(t, s.CreateAlias(ctx, mk("alias-1", 1)))
	wantErr(t, s.CreateAlias(ctx, mk("alias-1", 3)), store.ErrExists, "create alias twice")
	a, err := s.GetAlias(ctx, "alias-1")
	must(t, err)
	if a.Version != 1 || a.RoutingStrategy.FleetId != fleetA {
		t.Fatalf("alias: %+v", a)
	}
	a.RoutingStrategy = store.RoutingStrategy{Type: store.RoutingTerminal, Message: "gone"}
	v, err := s.UpdateAlias(ctx, a)
	must(t, err)
	if v != 2 {
		t.Fatalf("update alias: version %d", v)
	}
	_, err = s.UpdateAlias(ctx, a)
	wantErr(t, err, store.ErrConflict, "stale alias update")
	_, err = s.UpdateAlias(ctx, mk("alias-x", 0))
	wantErr(t, err, store.ErrNotFound, "update unknown alias")
	list, err := s.ListAliases(ctx)
	must(t, err)
	if len(list) != 2 || list[0].AliasId != "alias-1" || list[0].RoutingStrategy.Message != "gone" || list[1].AliasId != "alias-2" {
		t.Fatalf("aliases: %+v", list)
	}
	must(t, s.DeleteAlias(ctx, "alias-1"))
	wantErr(t, s.DeleteAlias(ctx, "alias-1"), store.ErrNotFound, "delete alias twice")
	_, err = s.GetAlias(ctx, "alias-1")
	wantErr(t, err, store.ErrNotFound, "get deleted alias")
}

func testCreateGameSession(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	gs := gameSession(fleetA, "tok-1", 4, 0)
	gs.IdempotencyToken, gs.GameSessionData, gs.IpAddress, gs.Port = "tok-1", "data", "127.0.0.1", 7000
	gs.CurrentPlayerSessionCount = 3
	stored := createGS(t, s, gs)
	want := gs
	want.Version, want.CurrentPlayerSessionCount = 1, 0
	same(t, "created", normGS(stored), normGS(want))
	same(t, "read back", normGS(getGS(t, s, gs.GameSessionId)), normGS(want))

	again := gameSession(fleetA, "tok-1", 9, 5)
	again.IdempotencyToken = "tok-1"
	got, created, err := s.CreateGameSession(ctx, again, store.CreatorLimit{})
	must(t, err)
	if created {
		t.Fatal("a reused idempotency token created a second game session")
	}
	same(t, "idempotent create", normGS(got), normGS(want))

	_, _, err = s.CreateGameSession(ctx, gameSession(fleetA, "tok-1", 4, 0), store.CreatorLimit{})
	wantErr(t, err, store.ErrExists, "same id without the token")
	_, _, err = s.CreateGameSession(ctx, gameSession("fleet-x", "g", 4, 0), store.CreatorLimit{})
	wantErr(t, err, store.ErrNotFound, "game session of an unknown fleet")
	bad := gameSession(fleetA, "g", 4, 0)
	bad.FleetId = fleetB
	if _, _, err := s.CreateGameSession(ctx, bad, store.CreatorLimit{}); err == nil {
		t.Fatal("a game session whose id names another fleet was stored")
	}
	_, err = s.GetGameSession(ctx, gsID(fleetA, "nope"))
	wantErr(t, err, store.ErrNotFound, "get unknown game session")
	_, err = s.GetGameSession(ctx, "not-an-arn")
	wantErr(t, err, store.ErrNotFound, "get a game session by a malformed id")
	list, _, err := s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA}, store.Page{})
	must(t, err)
	if len(list) != 1 {
		t.Fatalf("fleet a holds %d game sessions, want 1", len(list))
	}
}

func testCreatorLimit(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	limit := store.CreatorLimit{Max: 2, Period: time.Minute}
	mk := func(fleet, id, creator string, at int) store.GameSession {
		gs := gameSession(fleet, id, 2, at)
		gs.CreatorId = creator
		return gs
	}
	for i, at := range []int{0, 30} {
		if _, _, err := s.CreateGameSession(ctx, mk(fleetA, id("c", i), "alice", at), limit); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := s.CreateGameSession(ctx, mk(fleetA, "c-over", "alice", 59), limit)
	wantErr(t, err, store.ErrLimitExceeded, "third session within the period")
	_, err = s.GetGameSession(ctx, gsID(fleetA, "c-over"))
	wantErr(t, err, store.ErrNotFound, "refused session")
	for _, gs := range []store.GameSession{
		mk(fleetA, "c-bob", "bob", 59),     // another creator
		mk(fleetB, "c-b", "alice", 59),     // another fleet
		mk(fleetA, "c-later", "alice", 60), // the first left the period
	} {
		if _, _, err := s.CreateGameSession(ctx, gs, limit); err != nil {
			t.Fatalf("create %s: %v", gs.GameSessionId, err)
		}
	}
	if _, _, err := s.CreateGameSession(ctx, mk(fleetA, "c-nolimit", "alice", 61), store.CreatorLimit{}); err != nil {
		t.Fatalf("create without a limit: %v", err)
	}
}

func gsNames(gs []store.GameSession) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.Name)
	}
	return out
}

func testListGameSessions(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	var want []string
	for i := range 7 {
		gs := gameSession(fleetA, id("g", 6-i), 2, 10-i)
		if i%3 == 0 {
			gs.Status = store.GameSessionActivating
		}
		createGS(t, s, gs)
		want = append([]string{gs.Name}, want...)
	}
	createGS(t, s, gameSession(fleetB, "other", 2, 0))

	var got []string
	token := ""
	pages := 0
	for {
		page, next, err := s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA}, store.Page{Limit: 3, NextToken: token})
		must(t, err)
		got = append(got, gsNames(page)...)
		pages++
		if next == "" {
			break
		}
		token = next
	}
	same(t, "paged game sessions", got, want)
	if pages != 3 {
		t.Fatalf("7 sessions by 3 took %d pages", pages)
	}
	got, token = nil, ""
	for {
		page, next, err := s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA, NewestFirst: true}, store.Page{Limit: 3, NextToken: token})
		must(t, err)
		got = append(got, gsNames(page)...)
		if next == "" {
			break
		}
		token = next
	}
	newest := slices.Clone(want)
	slices.Reverse(newest)
	same(t, "paged game sessions, newest first", got, newest)
	page, next, err := s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA, Status: store.GameSessionActivating, NewestFirst: true}, store.Page{Limit: 2})
	must(t, err)
	same(t, "the newest 2 ACTIVATING sessions", gsNames(page), []string{"g-006", "g-003"})
	if next == "" {
		t.Fatal("2 of 3 ACTIVATING sessions answered no next token")
	}
	page, next, err = s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA, Status: store.GameSessionActivating}, store.Page{})
	must(t, err)
	same(t, "ACTIVATING sessions", gsNames(page), []string{"g-000", "g-003", "g-006"})
	if next != "" {
		t.Fatalf("an unlimited list answered a next token %q", next)
	}
	page, _, err = s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: "fleet-x"}, store.Page{})
	must(t, err)
	if len(page) != 0 {
		t.Fatalf("an unknown fleet lists %d sessions", len(page))
	}
	_, _, err = s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA}, store.Page{NextToken: "bogus"})
	wantErr(t, err, store.ErrInvalidToken, "a bogus token")
}

func testGameSessionStatus(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	gs := gameSession(fleetA, "g", 2, 0)
	gs.Status = store.GameSessionActivating
	gs = createGS(t, s, gs)
	for _, st := range []store.GameSessionStatus{store.GameSessionActive, store.GameSessionTerminating, store.GameSessionTerminated} {
		gs.Status = st
		v, err := s.UpdateGameSession(ctx, gs)
		must(t, err)
		if v != gs.Version+1 {
			t.Fatalf("update to %s: version %d after %d", st, v, gs.Version)
		}
		stale := gs
		_, err = s.UpdateGameSession(ctx, stale)
		wantErr(t, err, store.ErrConflict, "stale update")
		gs.Version = v
		got := getGS(t, s, gs.GameSessionId)
		same(t, "after update to "+string(st), normGS(got), normGS(gs))
		list, _, err := s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA, Status: st}, store.Page{})
		must(t, err)
		same(t, "sessions "+string(st), gsNames(list), []string{"g"})
	}
	list, _, err := s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA, Status: store.GameSessionActive}, store.Page{})
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("a terminated session is listed as ACTIVE")
	}
	revived := gs
	revived.Status = store.GameSessionActive
	_, err = s.UpdateGameSession(ctx, revived)
	wantErr(t, err, store.ErrConflict, "an ended session made ACTIVE")
	moved := gs
	moved.Status, moved.FleetId = store.GameSessionError, fleetB
	_, err = s.UpdateGameSession(ctx, moved)
	wantErr(t, err, store.ErrConflict, "a session moved to another fleet")
	_, err = s.UpdateGameSession(ctx, gameSession(fleetA, "nope", 2, 0))
	wantErr(t, err, store.ErrNotFound, "update unknown session")
}

func testDeleteFleetInUse(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	gs := createGS(t, s, gameSession(fleetA, "g", 2, 0))
	wantErr(t, s.DeleteFleet(ctx, fleetA), store.ErrInUse, "delete a fleet with an ACTIVE session")
	gs.Status = store.GameSessionTerminating
	v, err := s.UpdateGameSession(ctx, gs)
	must(t, err)
	wantErr(t, s.DeleteFleet(ctx, fleetA), store.ErrInUse, "delete a fleet with a TERMINATING session")
	gs.Status, gs.Version = store.GameSessionTerminated, v
	_, err = s.UpdateGameSession(ctx, gs)
	must(t, err)
	must(t, s.DeleteFleet(ctx, fleetA))
	_, _, err = s.CreateGameSession(ctx, gameSession(fleetA, "g2", 2, 1), store.CreatorLimit{})
	wantErr(t, err, store.ErrNotFound, "a game session in a deleted fleet")
	getGS(t, s, gs.GameSessionId)
}

func testPlayerSessions(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	gs := createGS(t, s, gameSession(fleetA, "g", 3, 0))
	ps := []store.PlayerSession{
		playerSession(gs.GameSessionId, "psess-1", "p1", 1),
		playerSession(gs.GameSessionId, "psess-2", "p2", 1),
	}
	held, err := s.CreatePlayerSessions(ctx, gs.GameSessionId, ps)
	must(t, err)
	if after := getGS(t, s, gs.GameSessionId); held != 2 || after.CurrentPlayerSessionCount != 2 || after.Version != gs.Version {
		t.Fatalf("after 2 player sessions: %d held, count %d version %d, want 2, 2 and %d", held, after.CurrentPlayerSessionCount, after.Version, gs.Version)
	}
	p1, err := s.GetPlayerSession(ctx, "psess-1")
	must(t, err)
	want := ps[0]
	want.Version = 1
	same(t, "player session", normPS(p1), normPS(want))
	_, err = s.GetPlayerSession(ctx, "psess-x")
	wantErr(t, err, store.ErrNotFound, "unknown player session")

	count := func(want int) {
		t.Helper()
		if got := getGS(t, s, gs.GameSessionId).CurrentPlayerSessionCount; got != want {
			t.Fatalf("CurrentPlayerSessionCount %d, want %d", got, want)
		}
	}
	update := func(p *store.PlayerSession, st store.PlayerSessionStatus) {
		t.Helper()
		p.Status = st
		if st == store.PlayerSessionCompleted || st == store.PlayerSessionTimedOut {
			p.TerminationTime = base().Add(time.Minute)
		}
		v, err := s.UpdatePlayerSession(ctx, *p)
		must(t, err)
		if v != p.Version+1 {
			t.Fatalf("update player session to %s: version %d after %d", st, v, p.Version)
		}
		stale := *p
		_, err = s.UpdatePlayerSession(ctx, stale)
		wantErr(t, err, store.ErrConflict, "stale player session update")
		p.Version = v
		got, err := s.GetPlayerSession(ctx, p.PlayerSessionId)
		must(t, err)
		same(t, "player session after update", normPS(got), normPS(*p))
	}
	update(&p1, store.PlayerSessionActive)
	count(2)
	update(&p1, store.PlayerSessionCompleted)
	count(1)
	p2, err := s.GetPlayerSession(ctx, "psess-2")
	must(t, err)
	update(&p2, store.PlayerSessionTimedOut)
	count(0)
	moved := p2
	moved.PlayerId = "p9"
	_, err = s.UpdatePlayerSession(ctx, moved)
	wantErr(t, err, store.ErrConflict, "player session moved to another player")
	_, err = s.UpdatePlayerSession(ctx, playerSession(gs.GameSessionId, "psess-x", "p1", 0))
	wantErr(t, err, store.ErrNotFound, "update unknown player session")

	// Freed slots are free again: three more fit, a fourth does not.
	var more []store.PlayerSession
	for i := range 3 {
		more = append(more, playerSession(gs.GameSessionId, id("psess-m", i), id("m", i), 2))
	}
	held, err = s.CreatePlayerSessions(ctx, gs.GameSessionId, more)
	must(t, err)
	if held != 3 {
		t.Fatalf("%d held after filling, want 3", held)
	}
	_, err = s.CreatePlayerSessions(ctx, gs.GameSessionId, []store.PlayerSession{playerSession(gs.GameSessionId, "psess-4", "p4", 3)})
	wantErr(t, err, store.ErrGameSessionFull, "a player more than the maximum")

	// Ending the game session completes the player sessions that hold a slot.
	gs = getGS(t, s, gs.GameSessionId)
	gs.Status, gs.TerminationTime = store.GameSessionTerminated, base().Add(time.Hour)
	_, err = s.UpdateGameSession(ctx, gs)
	must(t, err)
	count(0)
	m0, err := s.GetPlayerSession(ctx, "psess-m-000")
	must(t, err)
	if m0.Status != store.PlayerSessionCompleted || !m0.TerminationTime.Equal(gs.TerminationTime) || m0.Version != 2 {
		t.Fatalf("player session of a terminated game session: %+v", m0)
	}
	if p2, _ := s.GetPlayerSession(ctx, "psess-2"); p2.Status != store.PlayerSessionTimedOut {
		t.Fatalf("a TIMEDOUT player session became %s", p2.Status)
	}
}

func testPlayerSessionsRefused(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	gs := createGS(t, s, gameSession(fleetA, "g", 3, 0))
	_, err := s.CreatePlayerSessions(ctx, gs.GameSessionId, []store.PlayerSession{playerSession(gs.GameSessionId, "psess-1", "p1", 0)})
	must(t, err)
	four := func(prefix string) []store.PlayerSession {
		var out []store.PlayerSession
		for i := range 4 {
			out = append(out, playerSession(gs.GameSessionId, id(prefix, i), id("p", i), 1))
		}
		return out
	}
	nothingWritten := func(what string, ps []store.PlayerSession) {
		t.Helper()
		for _, p := range ps {
			if _, err := s.GetPlayerSession(ctx, p.PlayerSessionId); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s: player session %s was written (%v)", what, p.PlayerSessionId, err)
			}
		}
		for _, p := range ps {
			list, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{PlayerID: p.PlayerId}, store.Page{})
			must(t, err)
			if len(list) != 0 {
				t.Fatalf("%s: player %s has %d player sessions", what, p.PlayerId, len(list))
			}
		}
		if got := getGS(t, s, gs.GameSessionId); got.CurrentPlayerSessionCount != 1 {
			t.Fatalf("%s: count %d, want 1", what, got.CurrentPlayerSessionCount)
		}
	}
	ps := four("full")[:3]
	_, err = s.CreatePlayerSessions(ctx, gs.GameSessionId, ps)
	wantErr(t, err, store.ErrGameSessionFull, "3 more in a session of 3 holding 1")
	nothingWritten("full", ps)

	dup := four("dup")[:2]
	dup[1].PlayerSessionId = "psess-1"
	dup[1].PlayerId = "p-dup"
	_, err = s.CreatePlayerSessions(ctx, gs.GameSessionId, dup)
	wantErr(t, err, store.ErrExists, "a taken player session id")
	wantNamed(t, err, "psess-1", "a taken player session id")
	nothingWritten("taken id", dup[:1])

	// Player session ids are global: one taken in another fleet's session
	// is refused too.
	other := createGS(t, s, gameSession(fleetB, "g-other", 3, 0))
	_, err = s.CreatePlayerSessions(ctx, other.GameSessionId, []store.PlayerSession{playerSession(other.GameSessionId, "psess-1", "p-other", 0)})
	wantErr(t, err, store.ErrExists, "a player session id taken in another fleet")
	wantNamed(t, err, "psess-1", "a player session id taken in another fleet")
	if got := getGS(t, s, other.GameSessionId); got.CurrentPlayerSessionCount != 0 {
		t.Fatalf("a refused player session counts in the other fleet's session: %d", got.CurrentPlayerSessionCount)
	}
	if p, err := s.GetPlayerSession(ctx, "psess-1"); err != nil || p.GameSessionId != gs.GameSessionId {
		t.Fatalf("psess-1 after the refusal: %+v, %v", p, err)
	}

	_, err = s.CreatePlayerSessions(ctx, gsID(fleetA, "nope"), []store.PlayerSession{playerSession(gsID(fleetA, "nope"), "psess-n", "p-n", 0)})
	wantErr(t, err, store.ErrNotFound, "player sessions of an unknown game session")

	for _, c := range []struct {
		name   string
		change func(*store.GameSession)
	}{
		{"DENY_ALL", func(g *store.GameSession) { g.PlayerSessionCreationPolicy = store.DenyAll }},
		{"ACTIVATING", func(g *store.GameSession) { g.Status = store.GameSessionActivating }},
		{"TERMINATING", func(g *store.GameSession) { g.Status = store.GameSessionTerminating }},
	} {
		g := getGS(t, s, gs.GameSessionId)
		orig := g
		c.change(&g)
		v, err := s.UpdateGameSession(ctx, g)
		must(t, err)
		ps := four("st-" + c.name)[:1]
		_, err = s.CreatePlayerSessions(ctx, gs.GameSessionId, ps)
		wantErr(t, err, store.ErrGameSessionStatus, c.name)
		nothingWritten(c.name, ps)
		orig.Version = v
		_, err = s.UpdateGameSession(ctx, orig)
		must(t, err)
	}
}

// PlayerSessionIDs returns the ids of ps, in order (an empty slice for
// none).
func PlayerSessionIDs(ps []store.PlayerSession) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.PlayerSessionId)
	}
	return out
}

// ReservationIDs returns the player session ids of rs, in order.
func ReservationIDs(rs []store.Reservation) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.PlayerSessionId)
	}
	return out
}

func testListPlayerSessions(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	a := createGS(t, s, gameSession(fleetA, "a", 10, 0))
	b := createGS(t, s, gameSession(fleetB, "b", 10, 0))
	var inA []string
	for i := range 5 {
		p := playerSession(a.GameSessionId, id("psess-a", 4-i), id("p", 4-i), 10-i)
		_, err := s.CreatePlayerSessions(ctx, a.GameSessionId, []store.PlayerSession{p})
		must(t, err)
		inA = append([]string{p.PlayerSessionId}, inA...)
	}
	_, err := s.CreatePlayerSessions(ctx, b.GameSessionId, []store.PlayerSession{playerSession(b.GameSessionId, "psess-b", "p-000", 20)})
	must(t, err)

	var got []string
	token := ""
	for {
		page, next, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{GameSessionID: a.GameSessionId}, store.Page{Limit: 2, NextToken: token})
		must(t, err)
		got = append(got, PlayerSessionIDs(page)...)
		if next == "" {
			break
		}
		token = next
	}
	same(t, "player sessions of a", got, inA)
	byPlayer, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{PlayerID: "p-000"}, store.Page{})
	must(t, err)
	same(t, "player sessions of p-000", PlayerSessionIDs(byPlayer), []string{"psess-a-000", "psess-b"})

	p, err := s.GetPlayerSession(ctx, "psess-a-002")
	must(t, err)
	p.Status = store.PlayerSessionActive
	_, err = s.UpdatePlayerSession(ctx, p)
	must(t, err)
	active, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{GameSessionID: a.GameSessionId, Status: store.PlayerSessionActive}, store.Page{})
	must(t, err)
	same(t, "ACTIVE player sessions", PlayerSessionIDs(active), []string{"psess-a-002"})
	none, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{PlayerID: "nobody"}, store.Page{})
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("an unknown player has %d player sessions", len(none))
	}
	if _, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{}, store.Page{}); err == nil {
		t.Fatal("a player session list without a game session or a player was answered")
	}
	_, _, err = s.ListPlayerSessions(ctx, store.PlayerSessionFilter{PlayerID: "p-000"}, store.Page{NextToken: "x"})
	wantErr(t, err, store.ErrInvalidToken, "a bogus token")
}

// PlayerSessionsRace runs 32 goroutines, through the given stores in turn,
// each creating 1 to 3 player sessions at once in one game session of 10,
// and checks that the maximum is never exceeded and that the successful
// creates are exactly what is stored.
func PlayerSessionsRace(t *testing.T, stores []store.Store) {
	ctx := t.Context()
	s := stores[0]
	must(t, s.CreateFleet(ctx, fleet(fleetA, 0)))
	const max = 10
	for round := range 5 {
		gs := createGS(t, s, gameSession(fleetA, id("race", round), max, 0))
		var (
			wg      sync.WaitGroup
			taken   atomic.Int64
			full    atomic.Int64
			mu      sync.Mutex
			created []string
		)
		for g := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := 1 + g%3
				var ps []store.PlayerSession
				for i := range n {
					ps = append(ps, playerSession(gs.GameSessionId, fmt.Sprintf("psess-%d-%d-%d", round, g, i), fmt.Sprintf("p-%d-%d", g, i), 1))
				}
				held, err := stores[g%len(stores)].CreatePlayerSessions(ctx, gs.GameSessionId, ps)
				switch {
				case err == nil:
					taken.Add(int64(n))
					if held > max {
						t.Errorf("%d held, over the maximum", held)
					}
					mu.Lock()
					created = append(created, PlayerSessionIDs(ps)...)
					mu.Unlock()
				case errors.Is(err, store.ErrGameSessionFull):
					full.Add(1)
				default:
					t.Errorf("create player sessions: %v", err)
				}
			}()
		}
		wg.Wait()
		if taken.Load() > max {
			t.Fatalf("round %d: %d player sessions in a session of %d", round, taken.Load(), max)
		}
		if full.Load() == 0 {
			t.Fatalf("round %d: 32 creators of up to 3 players never found the session full", round)
		}
		if max-taken.Load() >= 1 {
			t.Fatalf("round %d: %d slots left free while creators of one player were refused", round, max-taken.Load())
		}
		got := getGS(t, s, gs.GameSessionId)
		if int64(got.CurrentPlayerSessionCount) != taken.Load() {
			t.Fatalf("round %d: count %d, %d created", round, got.CurrentPlayerSessionCount, taken.Load())
		}
		list, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{GameSessionID: gs.GameSessionId}, store.Page{})
		must(t, err)
		if len(list) != len(created) {
			t.Fatalf("round %d: %d player sessions listed, %d created", round, len(list), len(created))
		}
	}
}

func testGameSessionRetention(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	live := createGS(t, s, gameSession(fleetA, "live", 2, 0))
	ends := createGS(t, s, gameSession(fleetA, "ends", 2, 1))
	_, err := s.CreatePlayerSessions(ctx, ends.GameSessionId, []store.PlayerSession{playerSession(ends.GameSessionId, "psess-e", "p-e", 1)})
	must(t, err)
	_, err = s.CreatePlayerSessions(ctx, live.GameSessionId, []store.PlayerSession{playerSession(live.GameSessionId, "psess-l", "p-e", 1)})
	must(t, err)
	ends.Status, ends.TerminationTime = store.GameSessionTerminated, base().Add(time.Minute)
	_, err = s.UpdateGameSession(ctx, ends)
	must(t, err)
	bornEnded := gameSession(fleetA, "born-ended", 2, 2)
	bornEnded.Status = store.GameSessionError
	createGS(t, s, bornEnded)

	getGS(t, s, ends.GameSessionId)
	getGS(t, s, bornEnded.GameSessionId)
	_, err = s.GetPlayerSession(ctx, "psess-e")
	must(t, err)

	var errG, errB, errP error
	Eventually(t, 20*Retention, func() string {
		return fmt.Sprintf("ended sessions outlived their retention: %v, %v, %v", errG, errB, errP)
	}, func() bool {
		_, errG = s.GetGameSession(ctx, ends.GameSessionId)
		_, errB = s.GetGameSession(ctx, bornEnded.GameSessionId)
		_, errP = s.GetPlayerSession(ctx, "psess-e")
		return errors.Is(errG, store.ErrNotFound) && errors.Is(errB, store.ErrNotFound) && errors.Is(errP, store.ErrNotFound)
	})
	list, _, err := s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA}, store.Page{})
	must(t, err)
	same(t, "sessions after the retention", gsNames(list), []string{"live"})
	ended, _, err := s.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetA, Status: store.GameSessionTerminated}, store.Page{})
	must(t, err)
	if len(ended) != 0 {
		t.Fatalf("an expired session is listed: %+v", ended)
	}
	byPlayer, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{PlayerID: "p-e"}, store.Page{})
	must(t, err)
	same(t, "player sessions after the retention", PlayerSessionIDs(byPlayer), []string{"psess-l"})
	getGS(t, s, live.GameSessionId)
	// The expired session's fleet takes the deletion, and its id is free.
	createGS(t, s, gameSession(fleetA, "ends", 2, 3))
}

// changes calls GameSessionChanges and returns its counter, whether it
// reset, and the changed sessions' names and player counts.
func changes(t *testing.T, s store.Store, fleet string, since int64) (int64, bool, map[string]int) {
	t.Helper()
	ch, err := s.GameSessionChanges(t.Context(), fleet, since)
	must(t, err)
	got := map[string]int{}
	for _, gs := range ch.Sessions {
		got[gs.Name] = gs.CurrentPlayerSessionCount
	}
	return ch.Rev, ch.Reset, got
}

// testGameSessionChanges: every write that changes what a search reads of a
// game session (creation, update, a player count that moves) is a change
// of its fleet after the counter a caller holds, and nothing else is.
func testGameSessionChanges(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	rev, reset, got := changes(t, s, fleetA, 0)
	same(t, "changes of an empty fleet", got, map[string]int{})
	if !reset || rev != 0 {
		t.Fatalf("changes of an empty fleet: rev %d, reset %v; want 0, reset", rev, reset)
	}
	one := createGS(t, s, gameSession(fleetA, "one", 4, 0))
	two := createGS(t, s, gameSession(fleetA, "two", 4, 1))
	createGS(t, s, gameSession(fleetB, "other", 4, 2))
	r1, reset, got := changes(t, s, fleetA, rev)
	same(t, "changes after two creations", got, map[string]int{"one": 0, "two": 0})
	if !reset || r1 <= rev {
		t.Fatalf("changes since 0 after two creations: rev %d after %d, reset %v; want every session, reset", r1, rev, reset)
	}
	createGS(t, s, gameSession(fleetA, "three", 4, 3))
	r1b, reset, got := changes(t, s, fleetA, r1)
	same(t, "changes after a third creation", got, map[string]int{"three": 0})
	if reset || r1b <= r1 {
		t.Fatalf("changes after a third creation: rev %d after %d, reset %v", r1b, r1, reset)
	}
	r1 = r1b
	if r, _, got := changes(t, s, fleetA, r1); r != r1 || len(got) != 0 {
		t.Fatalf("changes with nothing written: rev %d (was %d), %v", r, r1, got)
	}

	_, err := s.CreatePlayerSessions(ctx, two.GameSessionId, []store.PlayerSession{playerSession(two.GameSessionId, "psess-1", "p-1", 2)})
	must(t, err)
	r2, _, got := changes(t, s, fleetA, r1)
	same(t, "changes after a player session", got, map[string]int{"two": 1})

	ps, err := s.GetPlayerSession(ctx, "psess-1")
	must(t, err)
	ps.Status = store.PlayerSessionActive
	_, err = s.UpdatePlayerSession(ctx, ps)
	must(t, err)
	if r, _, got := changes(t, s, fleetA, r2); r != r2 || len(got) != 0 {
		t.Fatalf("RESERVED to ACTIVE moves no count, yet: rev %d (was %d), %v", r, r2, got)
	}
	ps.Version++
	ps.Status = store.PlayerSessionCompleted
	_, err = s.UpdatePlayerSession(ctx, ps)
	must(t, err)
	r3, _, got := changes(t, s, fleetA, r2)
	same(t, "changes after a player left", got, map[string]int{"two": 0})

	one.Name = "one-renamed"
	_, err = s.UpdateGameSession(ctx, one)
	must(t, err)
	one = getGS(t, s, one.GameSessionId)
	one.Status, one.TerminationTime = store.GameSessionTerminated, base().Add(time.Minute)
	_, err = s.UpdateGameSession(ctx, one)
	must(t, err)
	r4, _, got := changes(t, s, fleetA, r3)
	same(t, "changes after an update and an end", got, map[string]int{"one-renamed": 0})
	ch, err := s.GameSessionChanges(ctx, fleetA, r3)
	must(t, err)
	if len(ch.Sessions) != 1 || ch.Sessions[0].Status != store.GameSessionTerminated || r4 <= r3 {
		t.Fatalf("the ended session's change: %+v at rev %d", ch.Sessions, ch.Rev)
	}
	if _, _, got := changes(t, s, fleetB, 0); !reflect.DeepEqual(got, map[string]int{"other": 0}) {
		t.Fatalf("fleet B's sessions: %v", got)
	}
	if _, err := s.GameSessionChanges(ctx, fleetA, -1); err == nil {
		t.Fatal("a negative counter was accepted")
	}
	// A counter past the store's (it lost its record, as a Redis without
	// persistence does on a restart) starts the caller over.
	if _, reset, got := changes(t, s, fleetA, r4+1000); !reset || len(got) != 3 {
		t.Fatalf("a counter past the store's: reset %v, %v; want every session", reset, got)
	}
}

// testGameSessionChangesAfterRetention: once an ended session has expired,
// a caller whose counter predates its end cannot be brought up to date
// and is told to start over (Reset, every session); a caller that saw the
// end is not.
func testGameSessionChangesAfterRetention(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	createGS(t, s, gameSession(fleetA, "live", 2, 0))
	ends := createGS(t, s, gameSession(fleetA, "ends", 2, 1))
	before, _, _ := changes(t, s, fleetA, 0)
	ends.Status, ends.TerminationTime = store.GameSessionTerminated, base().Add(time.Minute)
	_, err := s.UpdateGameSession(ctx, ends)
	must(t, err)
	after, _, _ := changes(t, s, fleetA, before)
	Eventually(t, 20*Retention, func() string { return "the ended session outlived its retention" }, func() bool {
		_, err := s.GetGameSession(ctx, ends.GameSessionId)
		return errors.Is(err, store.ErrNotFound)
	})
	if _, reset, got := changes(t, s, fleetA, after); reset || len(got) != 0 {
		t.Fatalf("a caller that saw the end: reset %v, %v; want nothing", reset, got)
	}
	_, reset, got := changes(t, s, fleetA, before)
	if !reset {
		t.Fatalf("a caller that missed an expired end was not told to start over: %v", got)
	}
	same(t, "sessions when starting over", got, map[string]int{"live": 0})
}

// testDueReservations: DueReservations lists the player sessions still
// RESERVED that were created by a time, in the order they were created,
// up to the first not due (one stamped earlier than those created before it
// is due with them), a page at a time; player sessions that connected,
// timed out or ended with their game session are not listed.
func testDueReservations(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	a := createGS(t, s, gameSession(fleetA, "a", 10, 0))
	b := createGS(t, s, gameSession(fleetB, "b", 10, 0))
	ends := createGS(t, s, gameSession(fleetA, "ends", 10, 0))
	for i, gs := range []store.GameSession{a, b, a, b, a, ends} {
		_, err := s.CreatePlayerSessions(ctx, gs.GameSessionId, []store.PlayerSession{playerSession(gs.GameSessionId, id("psess", i), id("p", i), i+1)})
		must(t, err)
	}
	for i, st := range map[int]store.PlayerSessionStatus{1: store.PlayerSessionActive, 2: store.PlayerSessionTimedOut} {
		ps, err := s.GetPlayerSession(ctx, id("psess", i))
		must(t, err)
		ps.Status = st
		_, err = s.UpdatePlayerSession(ctx, ps)
		must(t, err)
	}
	ends.Status, ends.TerminationTime = store.GameSessionTerminated, base().Add(time.Minute)
	_, err := s.UpdateGameSession(ctx, ends)
	must(t, err)
	// Created last, but stamped before the others (a clock that went back).
	_, err = s.CreatePlayerSessions(ctx, a.GameSessionId, []store.PlayerSession{playerSession(a.GameSessionId, id("psess", 9), id("p", 9), 0)})
	must(t, err)

	due, _, err := s.DueReservations(ctx, base().Add(4*time.Second), 10)
	must(t, err)
	same(t, "due by base+4s", ReservationIDs(due), []string{id("psess", 0), id("psess", 3)})
	for i, want := range []store.Reservation{
		{PlayerSessionId: id("psess", 0), GameSessionId: a.GameSessionId, Version: 1, CreationTime: base().Add(time.Second)},
		{PlayerSessionId: id("psess", 3), GameSessionId: b.GameSessionId, Version: 1, CreationTime: base().Add(4 * time.Second)},
	} {
		got := due[i]
		if got.PlayerSessionId != want.PlayerSessionId || got.GameSessionId != want.GameSessionId ||
			got.Version != want.Version || !got.CreationTime.Equal(want.CreationTime) || !got.TerminationTime.IsZero() {
			t.Fatalf("due[%d] = %+v, want %+v", i, got, want)
		}
	}
	var all []string
	for range 20 {
		due, more, err := s.DueReservations(ctx, base().Add(time.Hour), 1)
		must(t, err)
		all = append(all, ReservationIDs(due)...)
		if len(due) == 1 {
			// As the sweep does: it is not due any more.
			moved, err := s.TimeOutReservations(ctx, due)
			must(t, err)
			same(t, "moved", ReservationIDs(moved), ReservationIDs(due))
		}
		if !more {
			break
		}
	}
	same(t, "due by base+1h, a page of one at a time", all, []string{id("psess", 0), id("psess", 3), id("psess", 4), id("psess", 9)})
	if _, _, err := s.DueReservations(ctx, base(), 0); err == nil {
		t.Fatal("a limit of 0 was answered")
	}
}

// testTimeOutReservations: TimeOutReservations moves the reservations it
// is given that are still RESERVED at the version read to TIMEDOUT, across
// fleets, in the order given; their game sessions' counts fall and are
// changes. One that changed since the read (connected, or written again
// still RESERVED), one that does not exist, and a second call with the same
// reads move nothing.
func testTimeOutReservations(t *testing.T, open Opener) {
	s, ctx := setupFleets(t, open)
	a := createGS(t, s, gameSession(fleetA, "a", 10, 0))
	b := createGS(t, s, gameSession(fleetB, "b", 10, 0))
	a2 := createGS(t, s, gameSession(fleetA, "a2", 10, 0))
	for i, gs := range []store.GameSession{a, b, a, a2, a} {
		_, err := s.CreatePlayerSessions(ctx, gs.GameSessionId, []store.PlayerSession{playerSession(gs.GameSessionId, id("psess", i), id("p", i), i+1)})
		must(t, err)
	}
	revA, _, _ := changes(t, s, fleetA, 0)
	revB, _, _ := changes(t, s, fleetB, 0)
	due, _, err := s.DueReservations(ctx, base().Add(time.Hour), 10)
	must(t, err)
	same(t, "due", ReservationIDs(due), []string{id("psess", 0), id("psess", 1), id("psess", 2), id("psess", 3), id("psess", 4)})
	connected, err := s.GetPlayerSession(ctx, id("psess", 4))
	must(t, err)
	connected.Status = store.PlayerSessionActive
	_, err = s.UpdatePlayerSession(ctx, connected)
	must(t, err)
	rewritten, err := s.GetPlayerSession(ctx, id("psess", 3))
	must(t, err)
	_, err = s.UpdatePlayerSession(ctx, rewritten)
	must(t, err)
	for i := range due {
		due[i].TerminationTime = due[i].CreationTime.Add(time.Minute)
	}
	gone := store.ReservationOf(playerSession(a.GameSessionId, "psess-gone", "p-gone", 0))
	gone.Version = 1
	moved, err := s.TimeOutReservations(ctx, append(slices.Clone(due), gone))
	must(t, err)
	same(t, "moved", ReservationIDs(moved), []string{id("psess", 0), id("psess", 1), id("psess", 2)})
	for i, p := range moved {
		if p.Version != due[i].Version+1 {
			t.Fatalf("moved %s at version %d, want %d", p.PlayerSessionId, p.Version, due[i].Version+1)
		}
		got, err := s.GetPlayerSession(ctx, p.PlayerSessionId)
		must(t, err)
		if got.Status != store.PlayerSessionTimedOut || got.Version != p.Version || !got.TerminationTime.Equal(due[i].TerminationTime) {
			t.Fatalf("stored %s: %s at version %d ending %v, want TIMEDOUT at %d ending %v",
				p.PlayerSessionId, got.Status, got.Version, got.TerminationTime, p.Version, due[i].TerminationTime)
		}
	}
	if got, err := s.GetPlayerSession(ctx, id("psess", 4)); err != nil || got.Status != store.PlayerSessionActive {
		t.Fatalf("the connected player session: %+v, %v; want it ACTIVE", got, err)
	}
	counts := func() []int {
		return []int{getGS(t, s, a.GameSessionId).CurrentPlayerSessionCount, getGS(t, s, b.GameSessionId).CurrentPlayerSessionCount,
			getGS(t, s, a2.GameSessionId).CurrentPlayerSessionCount}
	}
	same(t, "counts of a, b, a2", counts(), []int{1, 0, 1})
	_, _, got := changes(t, s, fleetA, revA)
	same(t, "changes in fleet A", got, map[string]int{"a": 1})
	_, _, got = changes(t, s, fleetB, revB)
	same(t, "changes in fleet B", got, map[string]int{"b": 0})
	again, err := s.TimeOutReservations(ctx, due)
	must(t, err)
	same(t, "moved by a second call with the same reads", ReservationIDs(again), []string{})
	same(t, "counts after the second call", counts(), []int{1, 0, 1})
	left, _, err := s.DueReservations(ctx, base().Add(time.Hour), 10)
	must(t, err)
	same(t, "due after", ReservationIDs(left), []string{id("psess", 3)})
	none, err := s.TimeOutReservations(ctx, nil)
	must(t, err)
	same(t, "moved of none", ReservationIDs(none), []string{})
}

// MaximumRace races, through the given stores in turn, 16 goroutines each
// creating one player session in a game session of 10 holding 5 with 16
// lowering its MaximumPlayerSessionCount to 5, 6 or 7 the way the service
// does (read, refuse below the count, write at the version read, again on
// ErrConflict), and checks that the count never ends above the maximum.
func MaximumRace(t *testing.T, stores []store.Store) {
	ctx := t.Context()
	s := stores[0]
	must(t, s.CreateFleet(ctx, fleet(fleetA, 0)))
	over := 0
	const rounds = 20
	for round := range rounds {
		gs := createGS(t, s, gameSession(fleetA, id("max", round), 10, 0))
		var first []store.PlayerSession
		for i := range 5 {
			first = append(first, playerSession(gs.GameSessionId, fmt.Sprintf("psess-%d-first-%d", round, i), fmt.Sprintf("first-%d", i), 1))
		}
		_, err := s.CreatePlayerSessions(ctx, gs.GameSessionId, first)
		must(t, err)
		var wg sync.WaitGroup
		for g := range 32 {
			st := stores[g%len(stores)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				if g%2 == 0 {
					ps := playerSession(gs.GameSessionId, fmt.Sprintf("psess-%d-%d", round, g), fmt.Sprintf("p-%d", g), 1)
					if _, err := st.CreatePlayerSessions(ctx, gs.GameSessionId, []store.PlayerSession{ps}); err != nil && !errors.Is(err, store.ErrGameSessionFull) {
						t.Errorf("create player session: %v", err)
					}
					return
				}
				target := 5 + g%3
				for range 100 {
					cur, err := st.GetGameSession(ctx, gs.GameSessionId)
					if err != nil {
						t.Errorf("get game session: %v", err)
						return
					}
					if cur.CurrentPlayerSessionCount > target {
						return
					}
					cur.MaximumPlayerSessionCount = target
					_, err = st.UpdateGameSession(ctx, cur)
					if !errors.Is(err, store.ErrConflict) {
						if err != nil {
							t.Errorf("update game session: %v", err)
						}
						return
					}
				}
				t.Error("100 conflicts in a row")
			}()
		}
		wg.Wait()
		got := getGS(t, s, gs.GameSessionId)
		list, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{GameSessionID: gs.GameSessionId}, store.Page{})
		must(t, err)
		if len(list) != got.CurrentPlayerSessionCount {
			t.Fatalf("round %d: count %d, %d player sessions stored", round, got.CurrentPlayerSessionCount, len(list))
		}
		if got.CurrentPlayerSessionCount > got.MaximumPlayerSessionCount {
			over++
		}
	}
	if over > 0 {
		t.Fatalf("%d of %d rounds ended with more player sessions than the maximum", over, rounds)
	}
}
