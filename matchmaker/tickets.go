package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// maxCASAttempts bounds the compare-and-swap retries of one ticket update.
const maxCASAttempts = 16

// errUnchanged tells update that the ticket needs no write.
var errUnchanged = errors.New("unchanged")

// update applies fn to the ticket and stores it with a compare-and-swap,
// rereading and reapplying fn when another writer got there first. cur, if
// not nil, is the ticket as the caller last read it. fn returns errUnchanged
// to skip the write, or another error to abort. update returns the ticket as
// stored, and whether it wrote.
func (s *Service) update(ctx context.Context, id string, cur *store.Ticket, fn func(t *store.Ticket) error) (store.Ticket, bool, error) {
	return s.updateVia(ctx, id, cur, fn, s.store.UpdateTicket)
}

// updateWithEvent is update with the event that reports the change (event,
// built from the ticket as changed) appended to the log in the same store
// step (UpdateTicketsWithEvents), so that the change and its event are never
// apart; the event is then published and delivered.
func (s *Service) updateWithEvent(ctx context.Context, id string, cur *store.Ticket, fn func(t *store.Ticket) error, event func(t *store.Ticket) EventDetail) (store.Ticket, bool, error) {
	var (
		cfg     store.Configuration
		d       EventDetail
		ev      store.NewEvent
		seq     uint64
		written bool
	)
	write := func(ctx context.Context, t store.Ticket) (int64, error) {
		if cfg.Name != t.ConfigurationName {
			cfg = s.eventConfig(ctx, t.ConfigurationName)
		}
		d = event(&t)
		ev = store.NewEvent{TicketIds: eventTicketIDs(&d), Payload: s.encodeEvent(cfg, &d)}
		versions, seqs, err := s.store.UpdateTicketsWithEvents(ctx, t.ConfigurationName, []store.Ticket{t}, []store.NewEvent{ev})
		if err != nil {
			return 0, err
		}
		seq, written = seqs[0], true
		return versions[0], nil
	}
	t, wrote, err := s.updateVia(ctx, id, cur, fn, write)
	if written {
		s.deliver(context.WithoutCancel(ctx), cfg, d.Type, ev.Payload, seq, ev.TicketIds)
	}
	return t, wrote, err
}

// updateVia is update writing each attempt with write.
func (s *Service) updateVia(ctx context.Context, id string, cur *store.Ticket, fn func(t *store.Ticket) error, write func(context.Context, store.Ticket) (int64, error)) (store.Ticket, bool, error) {
	for range maxCASAttempts {
		var t store.Ticket
		if cur != nil {
			t = *cur
			cur = nil
		} else {
			var err error
			t, err = s.store.GetTicket(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return store.Ticket{}, false, notFound(err, "TicketId: ticket %q does not exist", id)
			}
			if err != nil {
				return store.Ticket{}, false, internal(err, "get ticket %s", id)
			}
		}
		before := t.Status
		if err := fn(&t); err != nil {
			if errors.Is(err, errUnchanged) {
				return t, false, nil
			}
			return store.Ticket{}, false, err
		}
		v, err := write(ctx, t)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if errors.Is(err, store.ErrNotFound) {
			return store.Ticket{}, false, notFound(err, "TicketId: ticket %q does not exist", id)
		}
		if err != nil {
			return store.Ticket{}, false, internal(err, "update ticket %s", id)
		}
		t.Version = v
		if t.Status != before {
			s.metrics.ticket(t.ConfigurationName, t.Status, 1)
		}
		return t, true, nil
	}
	return store.Ticket{}, false, internal(store.ErrConflict, "update ticket %s: %d attempts", id, maxCASAttempts)
}

func (s *Service) ticketOut(t *store.Ticket) MatchmakingTicket {
	return MatchmakingTicket{
		TicketId:                  t.TicketId,
		ConfigurationName:         t.ConfigurationName,
		ConfigurationArn:          s.ConfigurationArn(t.ConfigurationName),
		Status:                    t.Status,
		StatusReason:              t.StatusReason,
		StatusMessage:             t.StatusMessage,
		StartTime:                 ts(t.StartTime),
		EndTime:                   ts(t.EndTime),
		Players:                   t.Players,
		GameSessionConnectionInfo: t.GameSessionConnectionInfo,
		MatchpointLocation:        t.MatchpointLocation,
	}
}

func clonePlayers(ps []store.Player, keepTeam bool) []store.Player {
	out := make([]store.Player, len(ps))
	for i, p := range ps {
		out[i] = p
		if !keepTeam {
			out[i].Team = ""
		}
	}
	return out
}

// searchDeadline is when a QUEUED or SEARCHING ticket times out.
func searchDeadline(t *store.Ticket, cfg store.Configuration) time.Time {
	return t.StartTime.Add(time.Duration(cfg.RequestTimeoutSeconds) * time.Second)
}

// StartMatchmaking validates a request and stores a new ticket directly in
// SEARCHING together with its MatchmakingSearching event, in one atomic
// store step (store.CreateTicketWithEvent). The response shows the ticket as
// FlexMatch does: QUEUED. Teams given on the players are
// dropped: FlexMatch assigns teams (only backfill tickets carry them).
// Attributes are checked against the rule set's declared types; a declared
// attribute without a default is required. A player in another active
// ticket of the configuration cancels that ticket (StatusReason "Cancelled
// due to duplicate player", no event), unless it is PLACING: then the
// request is refused (Conflict).
func (s *Service) StartMatchmaking(ctx context.Context, in *StartMatchmakingInput) (*StartMatchmakingOutput, error) {
	t, err := s.startTicket(ctx, in.TicketId, in.ConfigurationName, "", in.Players, false)
	if err != nil {
		return nil, err
	}
	out := &StartMatchmakingOutput{MatchmakingTicket: s.ticketOut(&t)}
	s.withEstimate(ctx, &out.MatchmakingTicket)
	return out, nil
}

// StartMatchBackfill starts a backfill ticket for a game session: Players are
// the session's current players, each with its Team (one of the rule set's
// teams), at most 199. GameSessionArn is required in WITH_QUEUE mode. One
// backfill per game session is active: a SEARCHING backfill ticket of the
// same session is cancelled (MatchmakingCancelled) before the new one is
// stored.
func (s *Service) StartMatchBackfill(ctx context.Context, in *StartMatchBackfillInput) (*StartMatchBackfillOutput, error) {
	t, err := s.startTicket(ctx, in.TicketId, in.ConfigurationName, in.GameSessionArn, in.Players, true)
	if err != nil {
		return nil, err
	}
	out := &StartMatchBackfillOutput{MatchmakingTicket: s.ticketOut(&t)}
	s.withEstimate(ctx, &out.MatchmakingTicket)
	return out, nil
}

func (s *Service) startTicket(ctx context.Context, id, cfgField, gameSession string, players []store.Player, backfill bool) (store.Ticket, error) {
	cfgName := nameFromArn(cfgField, "matchmakingconfiguration")
	if err := checkName("ConfigurationName", cfgName); err != nil {
		return store.Ticket{}, err
	}
	if id == "" {
		id = newUUID()
	} else if err := checkName("TicketId", id); err != nil {
		return store.Ticket{}, err
	}
	cfg, rs, err := s.config(ctx, "ConfigurationName", cfgName)
	if err != nil {
		return store.Ticket{}, err
	}
	pr := playerRules{max: MaxPlayersPerTicket}
	if backfill {
		pr = playerRules{max: MaxPlayersPerBackfill, requireTeam: true}
		if gameSession == "" && cfg.FlexMatchMode == ModeWithQueue {
			return store.Ticket{}, invalid("GameSessionArn", "is required with FlexMatchMode WITH_QUEUE")
		}
		if err := checkLen("GameSessionArn", gameSession, 0, 256); err != nil {
			return store.Ticket{}, err
		}
	}
	if err := checkPlayers(players, pr); err != nil {
		return store.Ticket{}, err
	}
	if backfill {
		teams := make([]string, 0, len(rs.Teams()))
		for _, tm := range rs.Teams() {
			teams = append(teams, tm.Name)
		}
		for i, p := range players {
			if !slices.Contains(teams, p.Team) {
				return store.Ticket{}, invalid(fmt.Sprintf("Players[%d].Team", i), "team %q is not in the rule set (teams: %s)", p.Team, strings.Join(teams, ", "))
			}
		}
	}
	now := s.now().UTC()
	t := store.Ticket{
		TicketId:               id,
		ConfigurationName:      cfg.Name,
		Status:                 store.StatusQueued,
		StartTime:              now,
		Players:                clonePlayers(players, backfill),
		Backfill:               backfill,
		BackfillGameSessionArn: gameSession,
	}
	t.Deadline = searchDeadline(&t, cfg)
	queued := t
	queued.Version = 1
	if backfill && gameSession != "" {
		if err := s.startReplacingBackfill(ctx, cfg, t); err != nil {
			return store.Ticket{}, err
		}
		return queued, nil
	}
	t.Status = store.StatusSearching
	d := detailFor(EventMatchmakingSearching, []store.Ticket{t}, eventOptions{})
	d.EstimatedWaitMillis = s.estimatedWaitMillis(ctx, cfg.Name)
	payload := s.encodeEvent(cfg, &d)
	cancelled, seq, err := s.store.CreateTicketWithEvent(ctx, t, payload)
	if err := s.createError(err, cfg.Name, id); err != nil {
		return store.Ticket{}, err
	}
	t.Version = 1
	s.arrivals.arrived(t)
	s.metrics.ticket(cfg.Name, store.StatusSearching, 1)
	s.metrics.ticket(cfg.Name, store.StatusCancelled, len(cancelled))
	if len(cancelled) > 0 {
		s.log.Info("tickets cancelled due to duplicate player", "ticket", id, "cancelled", cancelled)
	}
	s.deliver(context.WithoutCancel(ctx), cfg, d.Type, payload, seq, []string{id})
	return queued, nil
}

// createError turns a store create error into the service's.
func (s *Service) createError(err error, cfg, id string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrExists):
		return conflict(err, "TicketId: ticket %q already exists", id)
	case errors.Is(err, store.ErrNotFound):
		s.forget(cfg)
		return notFound(err, "ConfigurationName: matchmaking configuration %q does not exist", cfg)
	case errors.Is(err, store.ErrInUse):
		return conflict(err, "Players: a player is in a ticket that is PLACING and cannot be cancelled (%v)", err)
	default:
		return internal(err, "create ticket %s", id)
	}
}

// startReplacingBackfill starts a backfill ticket of a game session in
// steps, so that the session's other backfill tickets end (each with
// MatchmakingCancelled) before the new one enters the pool: it is stored
// QUEUED, the others are replaced, then it moves to SEARCHING and emits
// MatchmakingSearching.
func (s *Service) startReplacingBackfill(ctx context.Context, cfg store.Configuration, t store.Ticket) error {
	id := t.TicketId
	cancelled, err := s.store.CreateTicket(ctx, t)
	if err := s.createError(err, cfg.Name, id); err != nil {
		return err
	}
	s.metrics.ticket(cfg.Name, store.StatusQueued, 1)
	s.metrics.ticket(cfg.Name, store.StatusCancelled, len(cancelled))
	if len(cancelled) > 0 {
		s.log.Info("tickets cancelled due to duplicate player", "ticket", id, "cancelled", cancelled)
	}
	s.replaceBackfill(ctx, cfg, t.BackfillGameSessionArn, cancelled)
	t.Version = 1
	_, _, err = s.updateWithEvent(ctx, id, &t, func(t *store.Ticket) error {
		if t.Status != store.StatusQueued {
			return errUnchanged
		}
		t.Status = store.StatusSearching
		return nil
	}, func(t *store.Ticket) EventDetail {
		d := detailFor(EventMatchmakingSearching, []store.Ticket{*t}, eventOptions{})
		d.EstimatedWaitMillis = s.estimatedWaitMillis(ctx, cfg.Name)
		return d
	})
	if err != nil {
		s.log.Warn("move ticket to SEARCHING", "ticket", id, "err", err)
	}
	return nil
}

// replaceBackfill ends the other backfill tickets of a game session once a
// new one is stored (the new one is still QUEUED, so it is not among them):
// SEARCHING ones are cancelled, and those the store cancelled because they
// share a player with the new ticket (duplicates) are reported too, each
// with MatchmakingCancelled. Failures are logged: the new ticket stands.
func (s *Service) replaceBackfill(ctx context.Context, cfg store.Configuration, gameSession string, duplicates []string) {
	cancelled := func(t *store.Ticket) EventDetail {
		d := detailFor(EventMatchmakingCancelled, []store.Ticket{*t}, eventOptions{})
		d.Reason, d.Message = reasonCancelled, messageReplaced
		return d
	}
	var replaced []store.Ticket
	if len(duplicates) > 0 {
		dups, err := s.store.GetTickets(ctx, duplicates...)
		if err != nil {
			s.log.Warn("read tickets cancelled by a backfill", "configuration", cfg.Name, "err", err)
		}
		for _, t := range dups {
			if t.Backfill && t.BackfillGameSessionArn == gameSession {
				replaced = append(replaced, t)
			}
		}
	}
	pool, err := s.store.SearchingTickets(ctx, cfg.Name)
	if err != nil {
		s.log.Warn("read searching tickets for a backfill", "configuration", cfg.Name, "err", err)
	}
	for i := range pool {
		old := &pool[i]
		if !old.Backfill || old.BackfillGameSessionArn != gameSession {
			continue
		}
		_, _, err := s.updateWithEvent(ctx, old.TicketId, old, func(t *store.Ticket) error {
			if t.Status != store.StatusSearching {
				return errUnchanged
			}
			s.end(t, store.StatusCancelled, reasonCancelled, messageReplaced)
			return nil
		}, cancelled)
		if err != nil {
			s.log.Warn("cancel replaced backfill ticket", "ticket", old.TicketId, "err", err)
		}
	}
	// The duplicates were cancelled by the create; their events follow it.
	for i := range replaced {
		s.emit(ctx, cfg, cancelled(&replaced[i]))
	}
}

// end moves a ticket to a terminal status.
func (s *Service) end(t *store.Ticket, status store.Status, reason, message string) {
	t.Status = status
	t.StatusReason = reason
	t.StatusMessage = message
	t.EndTime = s.now().UTC()
	t.Deadline = time.Time{}
}

// DescribeMatchmaking returns the tickets that exist among 1 to 10 ids, in
// the order asked.
func (s *Service) DescribeMatchmaking(ctx context.Context, in *DescribeMatchmakingInput) (*DescribeMatchmakingOutput, error) {
	if len(in.TicketIds) == 0 {
		return nil, invalid("TicketIds", "at least one ticket id is required")
	}
	if len(in.TicketIds) > MaxDescribeTickets {
		return nil, invalid("TicketIds", "at most %d ticket ids, got %d", MaxDescribeTickets, len(in.TicketIds))
	}
	for i, id := range in.TicketIds {
		if err := checkName(fmt.Sprintf("TicketIds[%d]", i), id); err != nil {
			return nil, err
		}
	}
	ts, err := s.store.GetTickets(ctx, in.TicketIds...)
	if err != nil {
		return nil, internal(err, "get tickets")
	}
	out := &DescribeMatchmakingOutput{TicketList: make([]MatchmakingTicket, len(ts))}
	for i := range ts {
		out.TicketList[i] = s.ticketOut(&ts[i])
		s.withEstimate(ctx, &out.TicketList[i])
	}
	return out, nil
}

// ExplainMatchmaking says what has kept a SEARCHING ticket out of a match so
// far: the rule outcomes of the forming searches it anchored, the rule that
// failed most often and the expansion steps in force for it, or why it can
// never match, as the forming loop (Run) keeps them. Only the process that forms the ticket's configuration
// knows them; elsewhere the output has the ticket's status and a message.
func (s *Service) ExplainMatchmaking(ctx context.Context, in *ExplainMatchmakingInput) (*ExplainMatchmakingOutput, error) {
	if err := checkName("TicketId", in.TicketId); err != nil {
		return nil, err
	}
	t, err := s.store.GetTicket(ctx, in.TicketId)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(err, "TicketId: ticket %q does not exist", in.TicketId)
	}
	if err != nil {
		return nil, internal(err, "get ticket %s", in.TicketId)
	}
	out := &ExplainMatchmakingOutput{TicketId: t.TicketId, Status: t.Status}
	var d EventDetail
	if t.Status == store.StatusSearching {
		s.explain(&d, &t)
	}
	switch {
	case t.Status != store.StatusSearching:
		out.Message = fmt.Sprintf("the ticket is %s: only a SEARCHING ticket is explained", t.Status)
	case d.RuleEvaluationMetrics == nil && d.Unmatchable == "":
		out.Message = fmt.Sprintf("no forming pass of this process has kept the ticket out: none has run since it arrived, or another process forms configuration %s", t.ConfigurationName)
	}
	out.RuleEvaluationMetrics, out.KeptOutBy, out.Expansions, out.Unmatchable = d.RuleEvaluationMetrics, d.KeptOutBy, d.Expansions, d.Unmatchable
	return out, nil
}

// StopMatchmaking cancels a ticket (MatchmakingCancelled). A PLACING ticket
// cannot be cancelled, nor can a COMPLETED, FAILED or TIMED_OUT one;
// stopping a CANCELLED ticket does nothing. Stopping a ticket in
// REQUIRES_ACCEPTANCE rejects the proposed match for it: the other tickets
// return to SEARCHING (AcceptMatchCompleted "Rejected").
func (s *Service) StopMatchmaking(ctx context.Context, in *StopMatchmakingInput) (*StopMatchmakingOutput, error) {
	if err := checkName("TicketId", in.TicketId); err != nil {
		return nil, err
	}
	var before store.Ticket
	t, done, err := s.updateWithEvent(ctx, in.TicketId, nil, func(t *store.Ticket) error {
		switch t.Status {
		case store.StatusCancelled:
			return errUnchanged
		case store.StatusPlacing, store.StatusCompleted, store.StatusFailed, store.StatusTimedOut:
			return &Error{Type: InvalidRequest, Message: fmt.Sprintf("Matchmaking ticket is in %s status and cannot be canceled.", t.Status)}
		}
		before = *t
		s.end(t, store.StatusCancelled, reasonCancelled, messageCancelled)
		return nil
	}, func(t *store.Ticket) EventDetail {
		d := detailFor(EventMatchmakingCancelled, []store.Ticket{*t}, eventOptions{})
		d.Reason, d.Message = reasonCancelled, messageCancelled
		s.explain(&d, &before)
		return d
	})
	if err != nil {
		return nil, err
	}
	if !done {
		return &StopMatchmakingOutput{}, nil
	}
	if before.Status == store.StatusRequiresAcceptance {
		s.resolve(ctx, s.eventConfig(ctx, t.ConfigurationName), before.MatchId, matchMembers(&before), AcceptanceRejected, &t)
	}
	return &StopMatchmakingOutput{}, nil
}

// AcceptMatch records the answer of some of a ticket's players to the
// proposed match (AcceptMatch event). When every player of the match has
// accepted, the match goes on (PLACING, or COMPLETED in STANDALONE mode);
// when one rejects, the tickets with a rejection are CANCELLED and the
// others return to SEARCHING. Both end with AcceptMatchCompleted.
func (s *Service) AcceptMatch(ctx context.Context, in *AcceptMatchInput) (*AcceptMatchOutput, error) {
	if err := checkName("TicketId", in.TicketId); err != nil {
		return nil, err
	}
	if len(in.PlayerIds) == 0 {
		return nil, invalid("PlayerIds", "at least one player id is required")
	}
	if len(in.PlayerIds) > MaxPlayersPerTicket {
		return nil, invalid("PlayerIds", "at most %d player ids, got %d", MaxPlayersPerTicket, len(in.PlayerIds))
	}
	answer := store.Acceptance(in.AcceptanceType)
	if answer != store.AcceptanceAccept && answer != store.AcceptanceReject {
		return nil, invalid("AcceptanceType", "must be ACCEPT or REJECT, got %q", in.AcceptanceType)
	}
	t, done, err := s.update(ctx, in.TicketId, nil, func(t *store.Ticket) error {
		if t.Status != store.StatusRequiresAcceptance {
			return invalid("TicketId", "ticket %q is in %s status; AcceptMatch needs REQUIRES_ACCEPTANCE", t.TicketId, t.Status)
		}
		if len(matchMembers(t)) == 0 {
			return invalid("TicketId", "ticket %q: the proposed match is not ready for acceptance yet", t.TicketId)
		}
		if t.Acceptances == nil {
			t.Acceptances = make(map[string]store.Acceptance)
		}
		changed := false
		for i, pid := range in.PlayerIds {
			if !slices.ContainsFunc(t.Players, func(p store.Player) bool { return p.PlayerId == pid }) {
				return invalid(fmt.Sprintf("PlayerIds[%d]", i), "player %q is not on ticket %q", pid, t.TicketId)
			}
			switch prev := t.Acceptances[pid]; prev {
			case answer:
			case "":
				t.Acceptances[pid] = answer
				changed = true
			default:
				return invalid(fmt.Sprintf("PlayerIds[%d]", i), "player %q has already answered %s", pid, prev)
			}
		}
		if !changed {
			return errUnchanged
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !done {
		return &AcceptMatchOutput{}, nil
	}
	cfg := s.eventConfig(ctx, t.ConfigurationName)
	members := matchMembers(&t)
	tickets, err := s.memberTickets(ctx, t.MatchId, members)
	if err != nil {
		return nil, err
	}
	s.emit(ctx, cfg, withMatch(detailFor(EventAcceptMatch, tickets, eventOptions{accepted: true}), t.MatchId))
	all, rejected := answers(t.MatchId, tickets)
	if len(tickets) != len(members) {
		all, rejected = false, true // a ticket of the match is gone
	}
	switch {
	case rejected:
		s.resolve(ctx, cfg, t.MatchId, members, AcceptanceRejected, nil)
	case all:
		s.resolve(ctx, cfg, t.MatchId, members, AcceptanceAccepted, nil)
	}
	return &AcceptMatchOutput{}, nil
}

func withMatch(d EventDetail, matchID string) EventDetail {
	d.MatchID = matchID
	return d
}

// answers reports whether every player of the match's tickets accepted, and
// whether any rejected. A ticket that went on with the match (PLACING,
// COMPLETED) counts as accepted; one that left it (cancelled, gone) as a
// rejection.
func answers(matchID string, tickets []store.Ticket) (all, rejected bool) {
	all = true
	for i := range tickets {
		t := &tickets[i]
		if t.MatchId != matchID || t.Status.Terminal() && t.Status != store.StatusCompleted {
			return false, true
		}
		if t.Status != store.StatusRequiresAcceptance {
			continue
		}
		for _, p := range t.Players {
			switch t.Acceptances[p.PlayerId] {
			case store.AcceptanceAccept:
			case store.AcceptanceReject:
				rejected = true
				all = false
			default:
				all = false
			}
		}
	}
	return all, rejected
}

// memberTickets reads the tickets of a proposed match, keeping those still
// in it (and, as rejections, those that left it).
func (s *Service) memberTickets(ctx context.Context, matchID string, ids []string) ([]store.Ticket, error) {
	ts, err := s.store.GetTickets(ctx, ids...)
	if err != nil {
		return nil, internal(err, "get tickets of match %s", matchID)
	}
	return ts, nil
}
