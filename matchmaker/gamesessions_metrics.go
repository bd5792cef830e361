package matchmaker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// gameSessionMetricsTTL is how long one read of the store's live game
// sessions answers the scrapes: however many scrapers there are, a process
// reads the store for these gauges at most once per TTL.
const gameSessionMetricsTTL = 5 * time.Second

// gameSessionMetricsTimeout bounds that read.
const gameSessionMetricsTimeout = 5 * time.Second

// gameSessionMetricsPage is the page size of that read.
const gameSessionMetricsPage = 1000

// liveGameSessionStatuses are the statuses the gauges report: those of game
// sessions that hold a relay (ended ones are counted by
// matchpoint_game_sessions_total instead).
var liveGameSessionStatuses = []store.GameSessionStatus{store.GameSessionActivating, store.GameSessionActive, store.GameSessionTerminating}

// gameSessionMetrics are the control plane's metrics: counters of the
// transitions this process applies, and gauges read from the store at
// scrape time (gameSessionGauges).
type gameSessionMetrics struct {
	gameSessions   *prometheus.CounterVec
	playerSessions *prometheus.CounterVec
	gauges         *gameSessionGauges
}

func newGameSessionMetrics(reg prometheus.Registerer, s *Service) (*gameSessionMetrics, error) {
	fs := []string{"fleet", "status"}
	m := &gameSessionMetrics{
		gameSessions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_game_sessions_total",
			Help: "Game sessions written into each status by this process (ACTIVATING counts the sessions CreateGameSession and queue placements created), by fleet."}, fs),
		playerSessions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "matchpoint_player_sessions_total",
			Help: "Player sessions written into each status by this process (COMPLETED includes those its game session's end completed), by fleet."}, fs),
		gauges: &gameSessionGauges{
			s: s,
			sessions: prometheus.NewDesc("matchpoint_game_sessions",
				"Game sessions of each fleet in each live status (ACTIVATING, ACTIVE, TERMINATING), read from the store: the same value in every matchmaker. FlexMatch placements' sessions count under the id of the relay hosting them.",
				fs, nil),
			players: prometheus.NewDesc("matchpoint_player_sessions",
				"Player sessions holding a slot (RESERVED or ACTIVE) in the live game sessions of each fleet, read from the store: GameLift's CurrentPlayerSessions.",
				[]string{"fleet"}, nil),
		},
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.gameSessions, m.playerSessions, m.gauges} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register game session metrics: %w", err)
		}
	}
	return m, nil
}

// gameSessionMoved counts a game session written into its status from
// status from (none when created). A session that ends completes the player
// sessions holding a slot (store.GameSessions.UpdateGameSession): gs's
// CurrentPlayerSessionCount as read before the write.
func (m *gameSessionMetrics) gameSessionMoved(gs *store.GameSession, from store.GameSessionStatus) {
	if gs.Status == from {
		return
	}
	m.gameSessions.WithLabelValues(gs.FleetId, string(gs.Status)).Inc()
	if gs.Status.Ended() && !from.Ended() {
		m.playerSessionsMoved(gs.FleetId, store.PlayerSessionCompleted, gs.CurrentPlayerSessionCount)
	}
}

// playerSessionsMoved counts n player sessions of a fleet written into
// status.
func (m *gameSessionMetrics) playerSessionsMoved(fleet string, status store.PlayerSessionStatus, n int) {
	if n > 0 {
		m.playerSessions.WithLabelValues(fleet, string(status)).Add(float64(n))
	}
}

// fleetSessionCounts are a fleet's live game sessions by status and the
// player sessions holding a slot in them.
type fleetSessionCounts struct {
	FleetID  string
	Sessions map[store.GameSessionStatus]int
	Players  int
}

// gameSessionGauges is the prometheus.Collector of the gauges. Every
// matchmaker of a store reports the store's numbers, so they stay right
// whichever process applies the transitions (aggregate them with max, not
// sum). The cost of a refresh is one ListFleets and, per fleet (and live
// relay, for FlexMatch's sessions) and live status, a walk of its game
// sessions in pages: it grows with the live sessions only, never with the
// ended ones kept for their retention.
type gameSessionGauges struct {
	s                 *Service
	sessions, players *prometheus.Desc
	mu                sync.Mutex
	readAt            time.Time
	last              []fleetSessionCounts
}

func (g *gameSessionGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.sessions
	ch <- g.players
}

func (g *gameSessionGauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), gameSessionMetricsTimeout)
	defer cancel()
	counts, err := g.read(ctx)
	if err != nil {
		g.s.log.Warn("game session gauges not read", "err", err)
		return
	}
	for _, c := range counts {
		for _, st := range liveGameSessionStatuses {
			ch <- prometheus.MustNewConstMetric(g.sessions, prometheus.GaugeValue, float64(c.Sessions[st]), c.FleetID, string(st))
		}
		ch <- prometheus.MustNewConstMetric(g.players, prometheus.GaugeValue, float64(c.Players), c.FleetID)
	}
}

// read returns the counts read last if younger than gameSessionMetricsTTL,
// or reads them again. Concurrent scrapes wait for one read.
func (g *gameSessionGauges) read(ctx context.Context) ([]fleetSessionCounts, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.s.now()
	if g.last != nil && now.Sub(g.readAt) < gameSessionMetricsTTL && !now.Before(g.readAt) {
		return g.last, nil
	}
	counts, err := g.s.countFleetSessions(ctx)
	if err != nil {
		return nil, err
	}
	g.last, g.readAt = counts, now
	return counts, nil
}

// countFleetSessions reads from the store every fleet's live game sessions
// (ACTIVATING, ACTIVE, TERMINATING) and the player sessions holding a slot
// in them, fleets oldest first, then those of each live relay that is not a
// fleet: FlexMatch placements record their sessions under the relay hosting
// them (recordFlexMatchSession). Its cost grows with the live sessions.
func (s *Service) countFleetSessions(ctx context.Context) ([]fleetSessionCounts, error) {
	fleets, err := s.store.ListFleets(ctx)
	if err != nil {
		return nil, internal(err, "list fleets")
	}
	ids := make([]string, 0, len(fleets))
	known := make(map[string]bool, len(fleets))
	for _, f := range fleets {
		ids = append(ids, f.FleetId)
		known[f.FleetId] = true
	}
	for _, r := range s.relays() {
		if !known[r.ID] {
			ids = append(ids, r.ID)
			known[r.ID] = true
		}
	}
	out := make([]fleetSessionCounts, 0, len(ids))
	for _, id := range ids {
		c, err := s.countSessionsOf(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// countSessionsOf reads the live game sessions recorded under fleetID.
func (s *Service) countSessionsOf(ctx context.Context, fleetID string) (fleetSessionCounts, error) {
	c := fleetSessionCounts{FleetID: fleetID, Sessions: make(map[store.GameSessionStatus]int, len(liveGameSessionStatuses))}
	for _, st := range liveGameSessionStatuses {
		next := ""
		for {
			page, token, err := s.store.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetID, Status: st}, store.Page{Limit: gameSessionMetricsPage, NextToken: next})
			if err != nil {
				return c, internal(err, "list %s game sessions of fleet %s", st, fleetID)
			}
			c.Sessions[st] += len(page)
			for _, gs := range page {
				c.Players += gs.CurrentPlayerSessionCount
			}
			if token == "" {
				break
			}
			next = token
		}
	}
	return c, nil
}
