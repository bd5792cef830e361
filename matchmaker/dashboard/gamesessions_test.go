package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/dashboard"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

type fleetsBody struct {
	Enabled bool `json:"enabled"`
	Fleets  []struct {
		FleetID   string   `json:"fleetId"`
		Name      string   `json:"name"`
		ScriptID  string   `json:"scriptId"`
		Locations []string `json:"locations"`
		Status    string   `json:"status"`
		Relays    []struct {
			RelayID string   `json:"relayId"`
			Fleets  []string `json:"fleets"`
		} `json:"relays"`
		MaxSessions    int            `json:"maxSessions"`
		Sessions       int            `json:"sessions"`
		Players        int            `json:"players"`
		GameSessions   map[string]int `json:"gameSessions"`
		PlayerSessions int            `json:"playerSessions"`
	} `json:"fleets"`
}

type gameSessionsBody struct {
	Enabled      bool `json:"enabled"`
	GameSessions []struct {
		GameSessionID string    `json:"gameSessionId"`
		Name          string    `json:"name"`
		FleetID       string    `json:"fleetId"`
		Location      string    `json:"location"`
		Status        string    `json:"status"`
		Players       int       `json:"players"`
		MaxPlayers    int       `json:"maxPlayers"`
		CreationTime  time.Time `json:"creationTime"`
	} `json:"gameSessions"`
}

type playerSessionsBody struct {
	Enabled        bool `json:"enabled"`
	PlayerSessions []struct {
		PlayerSessionID string `json:"playerSessionId"`
		PlayerID        string `json:"playerId"`
		Status          string `json:"status"`
	} `json:"playerSessions"`
}

func gsArn(fleet, id string) string {
	return "arn:aws:gamelift:eu-west::gamesession/" + fleet + "/" + id
}

// gameSessionStore holds fleet-eu (eu-west) with three game sessions, the
// first with two player sessions, and fleet-us (us-east) with one.
func gameSessionStore(t *testing.T, now time.Time) *store.Memory {
	t.Helper()
	ctx := context.Background()
	st := store.NewMemory(store.Options{Now: func() time.Time { return now }})
	for _, f := range []store.Fleet{
		{FleetId: "fleet-eu", Name: "eu", ScriptId: "script-game", Locations: []string{"eu-west"}, CreationTime: now.Add(-time.Hour)},
		{FleetId: "fleet-us", Name: "us", ScriptId: "script-game", Locations: []string{"us-east"}, CreationTime: now.Add(-time.Minute)},
	} {
		if err := st.CreateFleet(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	gs := func(fleet, id string, status store.GameSessionStatus, age time.Duration) {
		t.Helper()
		_, _, err := st.CreateGameSession(ctx, store.GameSession{GameSessionId: gsArn(fleet, id), FleetId: fleet, Name: id, Location: "eu-west",
			MaximumPlayerSessionCount: 4, Status: status, PlayerSessionCreationPolicy: store.AcceptAll, CreationTime: now.Add(-age)}, store.CreatorLimit{})
		if err != nil {
			t.Fatal(err)
		}
	}
	gs("fleet-eu", "old", store.GameSessionActive, 3*time.Minute)
	gs("fleet-eu", "mid", store.GameSessionActivating, 2*time.Minute)
	gs("fleet-eu", "done", store.GameSessionTerminated, time.Minute)
	gs("fleet-us", "us-1", store.GameSessionActive, 30*time.Second)
	_, err := st.CreatePlayerSessions(ctx, gsArn("fleet-eu", "old"), []store.PlayerSession{
		{PlayerSessionId: "psess-1", PlayerId: "ana", GameSessionId: gsArn("fleet-eu", "old"), FleetId: "fleet-eu", Status: store.PlayerSessionReserved, CreationTime: now},
		{PlayerSessionId: "psess-2", PlayerId: "bo", GameSessionId: gsArn("fleet-eu", "old"), FleetId: "fleet-eu", Status: store.PlayerSessionReserved, CreationTime: now.Add(time.Second)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFleetsPanel(t *testing.T) {
	nats := bustest.RunServer(t)
	sub := bustest.Connect(t, nats, bus.Options{})
	pub := bustest.Connect(t, nats, bus.Options{})
	clk := newClock()
	srv, d := server(t, dashboard.Options{Store: store.NewMemory(store.Options{}), GameSessions: gameSessionStore(t, clk.Now()), Bus: sub, Now: clk.Now})
	run(t, d)
	url := srv.URL + "/dashboard/api/fleets"
	beat := func(id, region string, fleets []string, draining bool) {
		t.Helper()
		err := pub.PublishHeartbeat(context.Background(), bus.Heartbeat{RelayID: id, Region: region, Endpoint: bus.Endpoint{IPAddress: "203.0.113.9", TCPPort: 7000}, MaxSessions: 10, Sessions: 1, Players: 2,
			Draining: draining, IntervalMs: 1000, SentAt: clk.Now(), Fleets: fleets})
		if err != nil {
			t.Fatal(err)
		}
	}
	// relay-a names fleet-eu, relay-b serves every fleet of eu-west, relay-c
	// is draining in us-east and relay-d serves another fleet there.
	var fb fleetsBody
	storetest.Eventually(t, 10*time.Second, func() string { return fmt.Sprintf("the fleets never had their relays: %+v", fb) }, func() bool {
		beat("relay-a", "eu-west", []string{"fleet-eu"}, false)
		beat("relay-b", "eu-west", nil, false)
		beat("relay-c", "us-east", nil, true)
		beat("relay-d", "us-east", []string{"fleet-other"}, false)
		fb = fleetsBody{}
		call(t, "GET", url, testSecret, nil, &fb)
		return len(fb.Fleets) == 2 && len(fb.Fleets[0].Relays) == 2 && len(fb.Fleets[1].Relays) == 1
	})
	eu, us := fb.Fleets[0], fb.Fleets[1]
	if !fb.Enabled || eu.FleetID != "fleet-eu" || eu.Status != "ACTIVE" || eu.ScriptID != "script-game" || fmt.Sprint(eu.Locations) != "[eu-west]" ||
		eu.Relays[0].RelayID != "relay-a" || fmt.Sprint(eu.Relays[0].Fleets) != "[fleet-eu]" || eu.Relays[1].RelayID != "relay-b" ||
		eu.MaxSessions != 20 || eu.Sessions != 2 || eu.Players != 4 {
		t.Errorf("fleet-eu: %+v", eu)
	}
	if eu.GameSessions["ACTIVE"] != 1 || eu.GameSessions["ACTIVATING"] != 1 || eu.GameSessions["TERMINATING"] != 0 || eu.PlayerSessions != 2 {
		t.Errorf("fleet-eu's game sessions: %v, %d player sessions", eu.GameSessions, eu.PlayerSessions)
	}
	// Served by a draining relay only: not ACTIVE.
	if us.FleetID != "fleet-us" || us.Status != "ACTIVATING" || us.Relays[0].RelayID != "relay-c" || us.GameSessions["ACTIVE"] != 1 {
		t.Errorf("fleet-us: %+v", us)
	}
}

func TestGameSessionsPanel(t *testing.T) {
	clk := newClock()
	srv, _ := server(t, dashboard.Options{Store: store.NewMemory(store.Options{}), GameSessions: gameSessionStore(t, clk.Now()), Now: clk.Now})
	base := srv.URL + "/dashboard/api/gamesessions"
	names := func(query string) string {
		t.Helper()
		var b gameSessionsBody
		if code, body := call(t, "GET", base+query, testSecret, nil, &b); code != http.StatusOK || !b.Enabled {
			t.Fatalf("%s: HTTP %d %s", query, code, body)
		}
		var out []string
		for _, g := range b.GameSessions {
			out = append(out, g.Name)
		}
		return fmt.Sprint(out)
	}
	for query, want := range map[string]string{
		"":                             "[us-1 done mid old]",
		"?limit=2":                     "[us-1 done]",
		"?fleet=fleet-eu":              "[done mid old]",
		"?fleet=fleet-eu&limit=1":      "[done]",
		"?status=ACTIVE":               "[us-1 old]",
		"?fleet=fleet-eu&status=ERROR": "[]",
	} {
		if got := names(query); got != want {
			t.Errorf("%q: %s, want %s", query, got, want)
		}
	}
	var b gameSessionsBody
	call(t, "GET", base+"?fleet=fleet-eu&status=ACTIVE", testSecret, nil, &b)
	if g := b.GameSessions[0]; g.GameSessionID != gsArn("fleet-eu", "old") || g.FleetID != "fleet-eu" || g.Location != "eu-west" ||
		g.Status != "ACTIVE" || g.Players != 2 || g.MaxPlayers != 4 || !g.CreationTime.Equal(clk.Now().Add(-3*time.Minute)) {
		t.Errorf("old: %+v", g)
	}
	for query, want := range map[string]int{
		"?limit=0":          http.StatusBadRequest,
		"?limit=101":        http.StatusBadRequest,
		"?status=PLAYING":   http.StatusBadRequest,
		"?fleet=fleet-nope": http.StatusNotFound,
	} {
		if code, body := call(t, "GET", base+query, testSecret, nil, nil); code != want {
			t.Errorf("%q: HTTP %d %s, want %d", query, code, body, want)
		}
	}

	var pb playerSessionsBody
	call(t, "GET", srv.URL+"/dashboard/api/playersessions?gameSession="+gsArn("fleet-eu", "old"), testSecret, nil, &pb)
	if !pb.Enabled || len(pb.PlayerSessions) != 2 || pb.PlayerSessions[0].PlayerID != "ana" || pb.PlayerSessions[0].PlayerSessionID != "psess-1" ||
		pb.PlayerSessions[0].Status != "RESERVED" || pb.PlayerSessions[1].PlayerID != "bo" {
		t.Errorf("player sessions: %+v", pb)
	}
	if code, _ := call(t, "GET", srv.URL+"/dashboard/api/playersessions", testSecret, nil, nil); code != http.StatusBadRequest {
		t.Errorf("player sessions without gameSession: HTTP %d, want 400", code)
	}
	if code, _ := call(t, "GET", base, "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("without the key: HTTP %d, want 401", code)
	}
}

func TestGameSessionPanelsWithoutStore(t *testing.T) {
	srv, _ := server(t, dashboard.Options{Store: store.NewMemory(store.Options{})})
	for _, path := range []string{"api/fleets", "api/gamesessions", "api/playersessions?gameSession=x"} {
		var b struct {
			Enabled *bool `json:"enabled"`
		}
		if code, body := call(t, "GET", srv.URL+"/dashboard/"+path, testSecret, nil, &b); code != http.StatusOK || b.Enabled == nil || *b.Enabled {
			t.Errorf("%s: HTTP %d %s, want enabled false", path, code, body)
		}
	}
}
