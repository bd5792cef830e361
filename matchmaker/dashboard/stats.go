package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// eventPage is how many events one EventsAfter call reads; pagesPerRefresh
// bounds the calls per configuration and refresh, so that a long backlog is
// caught up over a few refreshes instead of in one long request.
const (
	eventPage       = 1000
	pagesPerRefresh = 20
	// maxSamples bounds the time-to-match samples and event marks kept per
	// configuration, whatever the window.
	maxSamples = 100000
)

// stats reads the store and keeps, per configuration, the recent matches,
// time-to-match samples and event counts of the window.
type stats struct {
	st       Store
	now      func() time.Time
	window   time.Duration
	keep     int
	interval time.Duration
	log      *slog.Logger

	// refresh serialises reads of the store; mu guards the fields below.
	refresh sync.Mutex
	mu      sync.Mutex
	last    time.Time
	lastErr error
	configs []*configState
}

// configState is what the dashboard knows of one configuration.
type configState struct {
	Name               string
	RuleSetName        string
	FlexMatchMode      string
	AcceptanceRequired bool
	Searching          int
	ReadErr            string

	cursor  uint64
	matches []*matchView // oldest first, at most keep
	byID    map[string]*matchView
	waits   []sample // time to match of each matched ticket, oldest first
	marks   []mark   // every event, oldest first, for the counts
	trimmed uint64   // events the log had dropped before they were read
}

type sample struct {
	at time.Time
	ms int64
}

type mark struct {
	at  time.Time
	typ string
}

// matchView is one match as the recent matches panel shows it.
type matchView struct {
	MatchID            string                            `json:"matchId"`
	Configuration      string                            `json:"configuration"`
	CreatedAt          time.Time                         `json:"createdAt"`
	Status             string                            `json:"status"`
	AcceptanceRequired bool                              `json:"acceptanceRequired"`
	Teams              []teamView                        `json:"teams"`
	Tickets            []ticketView                      `json:"tickets"`
	Metrics            []matchmaker.RuleEvaluationMetric `json:"ruleEvaluationMetrics"`
	GameSession        *gameSessionView                  `json:"gameSession,omitempty"`
	Reason             string                            `json:"reason,omitempty"`
	Message            string                            `json:"message,omitempty"`
	UpdatedAt          time.Time                         `json:"updatedAt"`
}

type teamView struct {
	Name    string   `json:"name"`
	Players []string `json:"players"`
}

type ticketView struct {
	TicketID  string    `json:"ticketId"`
	StartTime time.Time `json:"startTime"`
	WaitMs    int64     `json:"waitMs"`
}

type gameSessionView struct {
	ARN       string `json:"arn,omitempty"`
	IPAddress string `json:"ipAddress,omitempty"`
	Port      int    `json:"port,omitempty"`
}

// The match statuses the panel shows.
const (
	matchProposed     = "PROPOSED"
	matchAccepted     = "ACCEPTED"
	matchRejected     = "REJECTED"
	matchAcceptTimout = "ACCEPTANCE_TIMED_OUT"
	matchSucceeded    = "SUCCEEDED"
	matchFailed       = "FAILED"
)

func newStats(o Options) *stats {
	return &stats{st: o.Store, now: o.Now, window: o.Window, keep: o.RecentMatches, interval: o.RefreshInterval, log: o.Logger}
}

// update reads the store unless it was read less than the refresh interval
// ago. It reports the error of the last read of the configuration list.
func (s *stats) update(ctx context.Context) error {
	s.refresh.Lock()
	defer s.refresh.Unlock()
	s.mu.Lock()
	fresh := !s.last.IsZero() && s.now().Sub(s.last) < s.interval
	err := s.lastErr
	s.mu.Unlock()
	if fresh {
		return err
	}
	err = s.read(ctx)
	if ctx.Err() != nil {
		// This request went away mid-read: the next one reads again.
		return err
	}
	s.mu.Lock()
	s.last, s.lastErr = s.now(), err
	s.mu.Unlock()
	return err
}

// read runs with s.refresh held: it alone changes configuration states, and
// takes s.mu for each change so that readers see whole updates.
func (s *stats) read(ctx context.Context) error {
	cfgs, err := s.st.ListConfigurations(ctx)
	if err != nil {
		return fmt.Errorf("list configurations: %w", err)
	}
	s.mu.Lock()
	old := map[string]*configState{}
	for _, c := range s.configs {
		old[c.Name] = c
	}
	next := make([]*configState, 0, len(cfgs))
	for _, c := range cfgs {
		cs := old[c.Name]
		if cs == nil {
			cs = &configState{Name: c.Name, byID: map[string]*matchView{}}
		}
		cs.RuleSetName, cs.FlexMatchMode, cs.AcceptanceRequired = c.RuleSetName, c.FlexMatchMode, c.AcceptanceRequired
		next = append(next, cs)
	}
	s.configs = next
	s.mu.Unlock()

	for _, cs := range next {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.readConfig(ctx, cs)
	}
	return nil
}

func (s *stats) readConfig(ctx context.Context, cs *configState) {
	var problems []string
	versions, err := s.st.SearchingVersions(ctx, cs.Name)
	if err != nil {
		problems = append(problems, "queue depth: "+err.Error())
	}
	s.mu.Lock()
	if err == nil {
		cs.Searching = len(versions)
	}
	cursor := cs.cursor
	s.mu.Unlock()
	for range pagesPerRefresh {
		events, err := s.st.EventsAfter(ctx, cs.Name, cursor, eventPage)
		if err != nil {
			problems = append(problems, "events: "+err.Error())
			break
		}
		s.mu.Lock()
		for _, e := range events {
			if e.Seq > cursor+1 {
				cs.trimmed += e.Seq - cursor - 1
			}
			cursor = e.Seq
			ev, err := matchmaker.DecodeEvent(e.Payload)
			if err != nil {
				s.log.Warn("dashboard: undecodable event", "configuration", cs.Name, "seq", e.Seq, "err", err)
				continue
			}
			s.apply(cs, ev)
		}
		cs.cursor = cursor
		s.mu.Unlock()
		if len(events) < eventPage {
			break
		}
	}
	s.mu.Lock()
	cs.ReadErr = ""
	if len(problems) > 0 {
		cs.ReadErr = fmt.Sprint(problems)
	}
	s.prune(cs)
	s.mu.Unlock()
}

// apply folds one event into the configuration's state; s.mu is held.
func (s *stats) apply(cs *configState, ev matchmaker.Event) {
	at := parseTime(ev.Time)
	d := ev.Detail
	cs.marks = append(cs.marks, mark{at: at, typ: d.Type})
	switch d.Type {
	case matchmaker.EventPotentialMatchCreated:
		m := &matchView{MatchID: d.MatchID, Configuration: cs.Name, CreatedAt: at, UpdatedAt: at, Status: matchProposed,
			AcceptanceRequired: d.AcceptanceRequired != nil && *d.AcceptanceRequired, Metrics: d.RuleEvaluationMetrics}
		if m.Metrics == nil {
			m.Metrics = []matchmaker.RuleEvaluationMetric{}
		}
		teams := map[string]int{}
		for _, t := range d.Tickets {
			start := parseTime(t.StartTime)
			wait := at.Sub(start).Milliseconds()
			if wait < 0 {
				wait = 0
			}
			m.Tickets = append(m.Tickets, ticketView{TicketID: t.TicketID, StartTime: start, WaitMs: wait})
			cs.waits = append(cs.waits, sample{at: at, ms: wait})
			for _, p := range t.Players {
				i, ok := teams[p.Team]
				if !ok {
					i = len(m.Teams)
					teams[p.Team] = i
					m.Teams = append(m.Teams, teamView{Name: p.Team, Players: []string{}})
				}
				m.Teams[i].Players = append(m.Teams[i].Players, p.PlayerID)
			}
		}
		sort.SliceStable(m.Teams, func(i, j int) bool { return m.Teams[i].Name < m.Teams[j].Name })
		if d.MatchID != "" {
			if prev := cs.byID[d.MatchID]; prev != nil {
				*prev = *m
				return
			}
			cs.byID[d.MatchID] = m
		}
		cs.matches = append(cs.matches, m)
		if len(cs.matches) > s.keep {
			drop := cs.matches[0]
			cs.matches = cs.matches[1:]
			if cs.byID[drop.MatchID] == drop {
				delete(cs.byID, drop.MatchID)
			}
		}
	case matchmaker.EventAcceptMatchCompleted:
		if m := cs.byID[d.MatchID]; m != nil {
			m.UpdatedAt = at
			switch d.Acceptance {
			case matchmaker.AcceptanceAccepted:
				m.Status = matchAccepted
			case matchmaker.AcceptanceTimedOut:
				m.Status = matchAcceptTimout
			default:
				m.Status = matchRejected
			}
		}
	case matchmaker.EventMatchmakingSucceeded:
		if m := cs.byID[d.MatchID]; m != nil {
			m.UpdatedAt, m.Status = at, matchSucceeded
			if gs := d.GameSessionInfo; gs.GameSessionArn != "" || gs.IPAddress != "" {
				m.GameSession = &gameSessionView{ARN: gs.GameSessionArn, IPAddress: gs.IPAddress, Port: gs.Port}
			}
		}
	case matchmaker.EventMatchmakingFailed:
		if m := cs.byID[d.MatchID]; m != nil {
			m.UpdatedAt, m.Status, m.Reason, m.Message = at, matchFailed, d.Reason, d.Message
		}
	}
}

// prune drops samples and marks older than the window; s.mu is held.
func (s *stats) prune(cs *configState) {
	from := s.now().Add(-s.window)
	i := sort.Search(len(cs.waits), func(i int) bool { return !cs.waits[i].at.Before(from) })
	if n := len(cs.waits) - maxSamples; n > i {
		i = n
	}
	cs.waits = append(cs.waits[:0:0], cs.waits[i:]...)
	j := sort.Search(len(cs.marks), func(j int) bool { return !cs.marks[j].at.Before(from) })
	if n := len(cs.marks) - maxSamples; n > j {
		j = n
	}
	cs.marks = append(cs.marks[:0:0], cs.marks[j:]...)
}

// parseTime reads an event time; an unreadable one counts as the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(matchmaker.EventTimeFormat, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t
}

// overview is the answer of api/overview.
type overview struct {
	GeneratedAt    time.Time      `json:"generatedAt"`
	WindowSeconds  float64        `json:"windowSeconds"`
	Configurations []configView   `json:"configurations"`
	Totals         overviewTotals `json:"totals"`
}

type overviewTotals struct {
	Configurations int `json:"configurations"`
	Searching      int `json:"searching"`
	Matches        int `json:"matches"`
}

type configView struct {
	Name               string `json:"name"`
	RuleSetName        string `json:"ruleSetName"`
	FlexMatchMode      string `json:"flexMatchMode,omitempty"`
	AcceptanceRequired bool   `json:"acceptanceRequired"`
	Searching          int    `json:"searching"`
	// PendingPlacements are the matches this matchmaker is placing that
	// wait for relay capacity (Options.PendingPlacements).
	PendingPlacements int            `json:"pendingPlacements,omitempty"`
	TimeToMatch       timeToMatch    `json:"timeToMatch"`
	Events            map[string]int `json:"events"`
	Matches           int            `json:"matches"`
	LastMatchAt       *time.Time     `json:"lastMatchAt,omitempty"`
	EventsRead        uint64         `json:"eventsRead"`
	EventsTrimmed     uint64         `json:"eventsTrimmed,omitempty"`
	Error             string         `json:"error,omitempty"`
}

// timeToMatch summarises, over the window, the time from each matched
// ticket's start to its PotentialMatchCreated event.
type timeToMatch struct {
	Samples int   `json:"samples"`
	P50Ms   int64 `json:"p50Ms"`
	P90Ms   int64 `json:"p90Ms"`
	MaxMs   int64 `json:"maxMs"`
	AvgMs   int64 `json:"avgMs"`
}

func (s *stats) overview() overview {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := overview{GeneratedAt: s.now().UTC(), WindowSeconds: s.window.Seconds(), Configurations: []configView{}}
	for _, cs := range s.configs {
		s.prune(cs)
		v := configView{Name: cs.Name, RuleSetName: cs.RuleSetName, FlexMatchMode: cs.FlexMatchMode,
			AcceptanceRequired: cs.AcceptanceRequired, Searching: cs.Searching, Events: map[string]int{},
			EventsRead: cs.cursor, EventsTrimmed: cs.trimmed, Error: cs.ReadErr}
		for _, m := range cs.marks {
			v.Events[m.typ]++
		}
		v.Matches = v.Events[matchmaker.EventPotentialMatchCreated]
		if n := len(cs.matches); n > 0 {
			t := cs.matches[n-1].CreatedAt
			v.LastMatchAt = &t
		}
		v.TimeToMatch = summarise(cs.waits)
		out.Configurations = append(out.Configurations, v)
		out.Totals.Searching += v.Searching
		out.Totals.Matches += v.Matches
	}
	out.Totals.Configurations = len(out.Configurations)
	return out
}

func summarise(ss []sample) timeToMatch {
	if len(ss) == 0 {
		return timeToMatch{}
	}
	ms := make([]int64, len(ss))
	var sum int64
	for i, s := range ss {
		ms[i] = s.ms
		sum += s.ms
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i] < ms[j] })
	pct := func(p float64) int64 {
		i := int(p*float64(len(ms))+0.5) - 1
		return ms[min(max(i, 0), len(ms)-1)]
	}
	return timeToMatch{Samples: len(ms), P50Ms: pct(0.5), P90Ms: pct(0.9), MaxMs: ms[len(ms)-1], AvgMs: sum / int64(len(ms))}
}

// matches returns up to limit recent matches, newest first, of one
// configuration or of all when name is empty; ok is false for an unknown
// configuration.
func (s *stats) matches(name string, limit int) (out []matchView, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out = []matchView{}
	for _, cs := range s.configs {
		if name != "" && cs.Name != name {
			continue
		}
		ok = true
		for _, m := range cs.matches {
			out = append(out, copyMatch(m))
		}
	}
	if name == "" {
		ok = true
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, ok
}

func copyMatch(m *matchView) matchView {
	c := *m
	c.Teams = make([]teamView, len(m.Teams))
	for i, t := range m.Teams {
		c.Teams[i] = teamView{Name: t.Name, Players: append([]string{}, t.Players...)}
	}
	c.Tickets = append([]ticketView{}, m.Tickets...)
	c.Metrics = append([]matchmaker.RuleEvaluationMetric{}, m.Metrics...)
	if m.GameSession != nil {
		gs := *m.GameSession
		c.GameSession = &gs
	}
	return c
}
