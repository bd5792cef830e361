package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// GameSessions is what the fleets and game sessions panels read from the
// matchmaker's store; a store.Store (Redis or memory) satisfies it.
type GameSessions interface {
	ListFleets(ctx context.Context) ([]store.Fleet, error)
	ListGameSessions(ctx context.Context, f store.GameSessionFilter, p store.Page) ([]store.GameSession, string, error)
	ListPlayerSessions(ctx context.Context, f store.PlayerSessionFilter, p store.Page) ([]store.PlayerSession, string, error)
}

// Bounds of the game session endpoints.
const (
	// maxGameSessionsLimit bounds ?limit= of api/gamesessions (and is its
	// default).
	maxGameSessionsLimit = 100
	// maxPlayerSessions bounds the player sessions api/playersessions
	// answers for one game session.
	maxPlayerSessions = 200
	// listPage is the page size of the store reads.
	listPage = 500
)

// liveStatuses are the game session statuses the fleets panel counts.
var liveStatuses = []store.GameSessionStatus{store.GameSessionActivating, store.GameSessionActive, store.GameSessionTerminating}

var gameSessionStatuses = append(slices.Clone(liveStatuses), store.GameSessionTerminated, store.GameSessionError)

// fleetView is one fleet as the fleets panel shows it.
type fleetView struct {
	FleetID   string   `json:"fleetId"`
	Name      string   `json:"name"`
	ScriptID  string   `json:"scriptId"`
	Locations []string `json:"locations"`
	// Status is ACTIVE while a relay that is up (not draining, not silent)
	// serves the fleet, ACTIVATING otherwise, as DescribeFleetAttributes
	// says.
	Status string `json:"status"`
	// Relays are the relays serving the fleet: of one of its locations,
	// naming it in their --fleet flags or naming no fleet.
	Relays []relayView `json:"relays"`
	// MaxSessions, Sessions, Players and MaxPlayers add up the heartbeats
	// of the relays that are not silent.
	MaxSessions int `json:"maxSessions"`
	Sessions    int `json:"sessions"`
	Players     int `json:"players"`
	MaxPlayers  int `json:"maxPlayers"`
	// GameSessions counts the fleet's live game sessions by status from
	// the store; PlayerSessions the player sessions holding a slot in them.
	GameSessions   map[store.GameSessionStatus]int `json:"gameSessions"`
	PlayerSessions int                             `json:"playerSessions"`
	CreationTime   time.Time                       `json:"creationTime"`
}

// sessionRowView is one game session as the game sessions panel shows it.
type sessionRowView struct {
	GameSessionID   string    `json:"gameSessionId"`
	Name            string    `json:"name"`
	FleetID         string    `json:"fleetId"`
	Location        string    `json:"location"`
	Status          string    `json:"status"`
	StatusReason    string    `json:"statusReason,omitempty"`
	Players         int       `json:"players"`
	MaxPlayers      int       `json:"maxPlayers"`
	RelayID         string    `json:"relayId,omitempty"`
	IPAddress       string    `json:"ipAddress,omitempty"`
	Port            int       `json:"port,omitempty"`
	CreationTime    time.Time `json:"creationTime"`
	TerminationTime time.Time `json:"terminationTime,omitzero"`
}

// playerSessionView is one player session of the selected game session.
type playerSessionView struct {
	PlayerSessionID string    `json:"playerSessionId"`
	PlayerID        string    `json:"playerId"`
	Status          string    `json:"status"`
	CreationTime    time.Time `json:"creationTime"`
	TerminationTime time.Time `json:"terminationTime,omitzero"`
}

// serves reports whether relay r serves fleet f, as the matchmaker decides
// it (matchmaker.Service.DescribeFleetAttributes).
func serves(f *store.Fleet, r *relayView) bool {
	return slices.Contains(f.Locations, r.Region) && (len(r.Fleets) == 0 || slices.Contains(r.Fleets, f.FleetId))
}

func (d *Dashboard) serveFleets(w http.ResponseWriter, r *http.Request) {
	if d.opts.GameSessions == nil {
		writeJSON(w, http.StatusOK, map[string]any{"enabled": false, "fleets": []fleetView{}})
		return
	}
	ctx := r.Context()
	fleets, err := d.opts.GameSessions.ListFleets(ctx)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	_, relays := d.relays.list()
	out := make([]fleetView, 0, len(fleets))
	for _, f := range fleets {
		v := fleetView{FleetID: f.FleetId, Name: f.Name, ScriptID: f.ScriptId, Locations: f.Locations, Status: "ACTIVATING",
			Relays: []relayView{}, GameSessions: map[store.GameSessionStatus]int{}, CreationTime: f.CreationTime.UTC()}
		if v.Locations == nil {
			v.Locations = []string{}
		}
		for i := range relays {
			rv := &relays[i]
			if !serves(&f, rv) {
				continue
			}
			v.Relays = append(v.Relays, *rv)
			if rv.State == "silent" {
				continue
			}
			if rv.State == "up" {
				v.Status = "ACTIVE"
			}
			v.MaxSessions += rv.MaxSessions
			v.Sessions += rv.Sessions
			v.Players += rv.Players
			v.MaxPlayers += rv.MaxPlayers
		}
		for _, st := range liveStatuses {
			err := d.eachGameSession(ctx, store.GameSessionFilter{FleetID: f.FleetId, Status: st}, func(gs []store.GameSession) {
				v.GameSessions[st] += len(gs)
				for _, g := range gs {
					v.PlayerSessions += g.CurrentPlayerSessionCount
				}
			})
			if err != nil {
				writeStoreError(w, err)
				return
			}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"enabled": true, "fleets": out})
}

// eachGameSession hands every page of the game sessions that pass f to fn.
func (d *Dashboard) eachGameSession(ctx context.Context, f store.GameSessionFilter, fn func([]store.GameSession)) error {
	next := ""
	for {
		page, token, err := d.opts.GameSessions.ListGameSessions(ctx, f, store.Page{Limit: listPage, NextToken: next})
		if err != nil {
			return fmt.Errorf("list game sessions of fleet %s: %w", f.FleetID, err)
		}
		fn(page)
		if token == "" {
			return nil
		}
		next = token
	}
}

// serveGameSessions answers the newest game sessions (?limit=, at most
// 100) of one fleet (?fleet=) or of every fleet, of one status (?status=)
// or of any.
func (d *Dashboard) serveGameSessions(w http.ResponseWriter, r *http.Request) {
	if d.opts.GameSessions == nil {
		writeJSON(w, http.StatusOK, map[string]any{"enabled": false, "gameSessions": []sessionRowView{}})
		return
	}
	q := r.URL.Query()
	limit := maxGameSessionsLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxGameSessionsLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit: %q is not a whole number from 1 to %d", s, maxGameSessionsLimit))
			return
		}
		limit = n
	}
	status := store.GameSessionStatus(q.Get("status"))
	if status != "" && !slices.Contains(gameSessionStatuses, status) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("status: %q is not one of %v", status, gameSessionStatuses))
		return
	}
	ctx := r.Context()
	fleets, err := d.opts.GameSessions.ListFleets(ctx)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	var ids []string
	for _, f := range fleets {
		if fl := q.Get("fleet"); fl == "" || fl == f.FleetId {
			ids = append(ids, f.FleetId)
		}
	}
	if fl := q.Get("fleet"); fl != "" && len(ids) == 0 {
		writeError(w, http.StatusNotFound, fmt.Sprintf("fleet: %q does not exist", fl))
		return
	}
	// The newest limit of each fleet (one short page each, whatever the
	// fleet holds), then of all of them.
	var newest []store.GameSession
	for _, id := range ids {
		page, _, err := d.opts.GameSessions.ListGameSessions(ctx, store.GameSessionFilter{FleetID: id, Status: status, NewestFirst: true}, store.Page{Limit: limit})
		if err != nil {
			writeStoreError(w, fmt.Errorf("list game sessions of fleet %s: %w", id, err))
			return
		}
		newest = append(newest, page...)
	}
	slices.SortStableFunc(newest, func(a, b store.GameSession) int { return b.CreationTime.Compare(a.CreationTime) })
	out := make([]sessionRowView, 0, min(len(newest), limit))
	for _, gs := range newest[:min(len(newest), limit)] {
		out = append(out, sessionRowView{GameSessionID: gs.GameSessionId, Name: gs.Name, FleetID: gs.FleetId, Location: gs.Location,
			Status: string(gs.Status), StatusReason: gs.StatusReason, Players: gs.CurrentPlayerSessionCount, MaxPlayers: gs.MaximumPlayerSessionCount,
			RelayID: gs.RelayID, IPAddress: gs.IpAddress, Port: gs.Port, CreationTime: gs.CreationTime.UTC(), TerminationTime: gs.TerminationTime.UTC()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"enabled": true, "gameSessions": out})
}

// servePlayerSessions answers the player sessions of one game session
// (?gameSession=, its ARN), oldest first, at most maxPlayerSessions; none
// for a game session the store does not hold (or no longer: expired).
func (d *Dashboard) servePlayerSessions(w http.ResponseWriter, r *http.Request) {
	if d.opts.GameSessions == nil {
		writeJSON(w, http.StatusOK, map[string]any{"enabled": false, "playerSessions": []playerSessionView{}})
		return
	}
	id := r.URL.Query().Get("gameSession")
	if id == "" {
		writeError(w, http.StatusBadRequest, "gameSession: required (the game session's id)")
		return
	}
	list, _, err := d.opts.GameSessions.ListPlayerSessions(r.Context(), store.PlayerSessionFilter{GameSessionID: id}, store.Page{Limit: maxPlayerSessions})
	if err != nil {
		writeStoreError(w, err)
		return
	}
	out := make([]playerSessionView, 0, len(list))
	for _, p := range list {
		out = append(out, playerSessionView{PlayerSessionID: p.PlayerSessionId, PlayerID: p.PlayerId, Status: string(p.Status),
			CreationTime: p.CreationTime.UTC(), TerminationTime: p.TerminationTime.UTC()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"enabled": true, "playerSessions": out})
}
