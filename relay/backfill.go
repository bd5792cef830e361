package relay

import (
	"context"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// BackfillAutomatic is FlexMatch's AUTOMATIC backfill mode. The matchmaker
// fills the open slots of a session that starts short by itself; the relay
// asks it to fill the slot of a player who leaves only when the session also
// has the game property BackfillLeaversProperty "true" (Matchpoint's own:
// FlexMatch's automatic backfill does not replace players who drop out).
const BackfillAutomatic = "AUTOMATIC"

// BackfillLeaversProperty is the game property (Matchpoint's own) with which
// an AUTOMATIC session asks for a backfill each time a player leaves.
const BackfillLeaversProperty = "matchpoint:backfillLeavers"

// replacesLeavers reports whether a session of info asks for a backfill when
// a player leaves.
func replacesLeavers(info GameSessionInfo) bool {
	if info.BackfillMode != BackfillAutomatic {
		return false
	}
	for _, gp := range info.GameProperties {
		if gp.Key == BackfillLeaversProperty {
			return gp.Value == "true"
		}
	}
	return false
}

// leftReplaced marks a peer replaced by a reconnect: it is not removed from the
// session, so the reason is never published.
const leftReplaced = "REPLACED"

// backfillTimeout bounds one backfill request to the matchmakers.
const backfillTimeout = 5 * time.Second

// requestBackfill queues a backfill request for the session as rt has it: the
// connected and held players and the live reservations, each with team,
// attributes and latencies from the match. A request still queued is replaced (only the newest
// state matters). Runs on the session goroutine.
func (s *session) requestBackfill(rt *routes) {
	now := time.Now()
	players := make([]bus.Player, 0, len(rt.all))
	seen := make(map[string]bool, len(rt.all))
	for _, p := range rt.all {
		players = append(players, bus.Player{PlayerID: p.player.PlayerID, Team: p.player.Team, Attributes: p.player.Attributes,
			LatencyInMs: p.player.LatencyInMs})
		seen[p.player.PlayerID] = true
	}
	s.mu.Lock()
	players = s.res.livePlayers(now, players, seen)
	s.mu.Unlock()
	if len(players) == 0 {
		return
	}
	req := bus.BackfillRequest{RequestID: newID("backfill-"), Configuration: s.info.Configuration,
		GameSessionID: s.id, GameSessionARN: s.arn, Region: s.info.Region, RelayID: s.info.RelayID, Players: players}
	for {
		select {
		case s.backfill <- req:
			return
		default:
		}
		select {
		case <-s.backfill:
		default:
		}
	}
}

// backfiller sends the session's backfill requests, one at a time, until ctx is
// done (which also abandons a request in flight). The session goroutine owns it.
func (s *session) backfiller(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-s.backfill:
			rctx, cancel := context.WithTimeout(ctx, backfillTimeout)
			reply, err := s.srv.bus.RequestBackfill(rctx, req)
			cancel()
			if err != nil {
				s.srv.m.backfills.WithLabelValues("error").Inc()
				s.log.Warn("automatic backfill request failed", "requestId", req.RequestID, "err", err)
				continue
			}
			s.srv.m.backfills.WithLabelValues("ok").Inc()
			s.log.Info("automatic backfill requested", "requestId", req.RequestID, "ticketId", reply.TicketID,
				"players", len(req.Players))
		}
	}
}
