package dashboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/simulate"
	"github.com/matchpoint-dev/matchpoint/rules"
)

// maxMatchesLimit bounds ?limit= of api/matches.
const maxMatchesLimit = 500

func (d *Dashboard) serveOverview(w http.ResponseWriter, r *http.Request) {
	if err := d.stats.update(r.Context()); err != nil {
		writeStoreError(w, err)
		return
	}
	ov := d.stats.overview()
	if d.opts.PendingPlacements != nil {
		pending := d.opts.PendingPlacements()
		for i := range ov.Configurations {
			ov.Configurations[i].PendingPlacements = pending[ov.Configurations[i].Name]
		}
	}
	writeJSON(w, http.StatusOK, ov)
}

func (d *Dashboard) serveMatches(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 20
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxMatchesLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit: %q is not a whole number from 1 to %d", s, maxMatchesLimit))
			return
		}
		limit = n
	}
	if err := d.stats.update(r.Context()); err != nil {
		writeStoreError(w, err)
		return
	}
	name := q.Get("configuration")
	list, ok := d.stats.matches(name, limit)
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("configuration: %q does not exist", name))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"matches": list})
}

// relayView is one relay as the relays panel shows it.
type relayView struct {
	RelayID string `json:"relayId"`
	Region  string `json:"region"`
	// Fleets are the fleets the relay serves (its --fleet flags); none:
	// every fleet of its region.
	Fleets      []string     `json:"fleets,omitempty"`
	Endpoint    bus.Endpoint `json:"endpoint"`
	Sessions    int          `json:"sessions"`
	MaxSessions int          `json:"maxSessions"`
	Players     int          `json:"players"`
	MaxPlayers  int          `json:"maxPlayers,omitempty"`
	Draining    bool         `json:"draining"`
	// State is "up", "draining" or "silent" (no heartbeat for three
	// intervals: presumed gone).
	State        string    `json:"state"`
	LastSeen     time.Time `json:"lastSeen"`
	SilentForSec float64   `json:"silentForSeconds"`
}

func (d *Dashboard) serveRelays(w http.ResponseWriter, _ *http.Request) {
	followed, list := d.relays.list()
	writeJSON(w, http.StatusOK, map[string]any{"followed": followed, "relays": list})
}

func (r *relays) list() (bool, []relayView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	out := []relayView{}
	for key, s := range r.byID {
		silent := now.Sub(s.received)
		if silent > r.forget {
			delete(r.byID, key)
			continue
		}
		hb := s.hb
		v := relayView{RelayID: hb.RelayID, Region: hb.Region, Fleets: hb.Fleets, Endpoint: hb.Endpoint, Sessions: hb.Sessions,
			MaxSessions: hb.MaxSessions, Players: hb.Players, MaxPlayers: hb.MaxPlayers, Draining: hb.Draining,
			State: "up", LastSeen: s.received.UTC(), SilentForSec: silent.Seconds()}
		interval := time.Duration(hb.IntervalMs) * time.Millisecond
		if interval <= 0 {
			interval = time.Second
		}
		switch {
		case silent > 3*interval:
			v.State = "silent"
		case hb.Draining:
			v.State = "draining"
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].RelayID < out[j].RelayID
	})
	return r.followed, out
}

// playgroundRequest is the body of api/playground. RuleSet and Tickets are
// each either a JSON string holding the document (as pasted, so that error
// lines and columns point into it) or the JSON document itself.
type playgroundRequest struct {
	RuleSet json.RawMessage `json:"ruleSet"`
	Tickets json.RawMessage `json:"tickets"`
	Seed    *uint64         `json:"seed"`
}

// playgroundAnswer is the answer of a playground run.
type playgroundAnswer struct {
	RuleSet ruleSetSummary  `json:"ruleSet"`
	Tickets int             `json:"tickets"`
	Seed    uint64          `json:"seed"`
	Report  simulate.Report `json:"report"`
}

type ruleSetSummary struct {
	Name       string `json:"name"`
	Teams      int    `json:"teams"`
	MaxPlayers int    `json:"maxPlayers"`
	Rules      int    `json:"rules"`
	Expansions int    `json:"expansions"`
	Large      bool   `json:"large"`
}

func (d *Dashboard) servePlayground(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, d.opts.MaxPlaygroundBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body: larger than %d bytes", d.opts.MaxPlaygroundBytes))
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, "request body: "+err.Error())
		return
	}
	var req playgroundRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "request body: not a JSON object {\"ruleSet\", \"tickets\", \"seed\"}: "+err.Error())
		return
	}
	ruleSrc, err := document(req.RuleSet, "ruleSet")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ticketSrc, err := document(req.Tickets, "tickets")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	rs, err := rules.CompileJSON(ruleSrc)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, ruleSetErrors(err))
		return
	}
	tickets, err := simulate.DecodeTickets(ticketSrc)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if len(tickets) > d.opts.MaxPlaygroundTickets {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("tickets: %d tickets; the playground takes at most %d (use `matchpoint rules simulate` for more)", len(tickets), d.opts.MaxPlaygroundTickets))
		return
	}
	seed := uint64(1)
	if req.Seed != nil {
		seed = *req.Seed
	}
	select {
	case d.sims <- struct{}{}:
	case <-r.Context().Done():
		writeError(w, http.StatusServiceUnavailable, "the playground is busy; try again")
		return
	}
	rep, err := simulate.Run(rs, tickets, seed)
	<-d.sims
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	def := rs.Definition()
	writeJSON(w, http.StatusOK, playgroundAnswer{
		RuleSet: ruleSetSummary{Name: def.Name, Teams: len(rs.Teams()), MaxPlayers: rs.MaxPlayers(),
			Rules: len(def.Rules), Expansions: len(def.Expansions), Large: rs.Large()},
		Tickets: len(tickets), Seed: seed, Report: rep,
	})
}

// document returns the bytes of a playground field: the string's content
// when the field is a JSON string, the raw JSON otherwise.
func document(raw json.RawMessage, field string) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, fmt.Errorf("%s: required", field)
	}
	if raw[0] != '"' {
		return raw, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	if len(bytes.TrimSpace([]byte(s))) == 0 {
		return nil, fmt.Errorf("%s: required (paste the document)", field)
	}
	return []byte(s), nil
}

// ruleSetErrors turns a compile error into the answer listing every
// problem with its path.
func ruleSetErrors(err error) errorBody {
	out := errorBody{}
	var list rules.ErrorList
	var one *rules.FieldError
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			out.Errors = append(out.Errors, fieldError{Path: e.Path, Message: e.Message, Line: e.Line, Column: e.Column})
		}
	case errors.As(err, &one):
		out.Errors = append(out.Errors, fieldError{Path: one.Path, Message: one.Message, Line: one.Line, Column: one.Column})
	default:
		out.Errors = append(out.Errors, fieldError{Message: err.Error()})
	}
	first := out.Errors[0]
	where := first.Path
	if where == "" {
		where = "(the document)"
	}
	out.Error = fmt.Sprintf("ruleSet: not a valid rule set (%d problem(s)); first: %s: %s", len(out.Errors), where, first.Message)
	return out
}
