package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// matchedTicket is one ticket of a proposed match and the team its players
// join. Players that already carry a team (those of a backfill ticket) keep
// it.
type matchedTicket struct {
	TicketId string
	Team     string
	// Claimed, when set, is the ticket as the claim left it: the caller's
	// copy of the version it claimed, with the claim's status, match id and
	// version. matchProposed then does not read the ticket again (a stale
	// copy only costs a read: the update is a compare-and-swap). It is
	// modified.
	Claimed *store.Ticket
	// Location is the region chosen for a STANDALONE match, recorded as the
	// ticket's MatchpointLocation.
	Location string
}

// claimStatus is the status the match-forming loop claims a match's tickets
// into (store.Claim) before it calls matchProposed: REQUIRES_ACCEPTANCE when
// the configuration requires acceptance, PLACING otherwise.
func claimStatus(cfg store.Configuration) store.Status {
	if cfg.AcceptanceRequired {
		return store.StatusRequiresAcceptance
	}
	return store.StatusPlacing
}

// matchProposed is called by the match-forming loop after a successful
// store.Claim of the tickets into claimStatus(cfg) with MatchId matchID. It
// assigns the teams, emits PotentialMatchCreated with the rule evaluation
// metrics, and then:
//   - with acceptance required: the tickets wait in REQUIRES_ACCEPTANCE until
//     now + AcceptanceTimeoutSeconds (AcceptMatch, sweep);
//   - STANDALONE without acceptance: the tickets are COMPLETED and
//     MatchmakingSucceeded is emitted;
//   - WITH_QUEUE without acceptance: the tickets stay PLACING (with a deadline
//     of now + Options.PlacingTimeout) and the caller places the match,
//     then calls placementSucceeded or placementFailed.
//
// A ticket that is no longer in the match (cancelled since the claim) is
// skipped and reported in the error; the others go on.
func (s *Service) matchProposed(ctx context.Context, cfg store.Configuration, matchID string, tickets []matchedTicket, metrics []RuleEvaluationMetric) error {
	if matchID == "" || len(tickets) == 0 {
		return fmt.Errorf("match proposed: a match id and at least one ticket are required")
	}
	// The tickets the caller has as claimed, and one read for the others
	// instead of one each; a ticket it misses (or all, if it fails) is read
	// again, and reported, by the move.
	ids, current, move, details := s.proposal(cfg, matchID, tickets, metrics)
	var missing []string
	for _, id := range ids {
		if current[id] == nil {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		if read, err := s.store.GetTickets(ctx, missing...); err == nil {
			for i := range read {
				current[read[i].TicketId] = &read[i]
			}
		}
	}
	moved, err := s.moveTickets(ctx, cfg, ids, current, move, details)
	// The match former's claim moved the tickets into claimStatus(cfg); the
	// moves above count only the moves after it.
	s.metrics.ticket(cfg.Name, claimStatus(cfg), len(moved))
	if err != nil {
		return fmt.Errorf("match proposed %s: %w", matchID, err)
	}
	return nil
}

// proposal is what matchProposed does with a match's tickets: their ids, the
// caller's claimed copies by id (Claimed), each ticket's move and the
// events of the moved tickets.
func (s *Service) proposal(cfg store.Configuration, matchID string, tickets []matchedTicket, metrics []RuleEvaluationMetric) (
	ids []string, current map[string]*store.Ticket, move func(id string) func(*store.Ticket) error, details func([]store.Ticket) []EventDetail) {
	// The members let acceptance, and sweep for a PLACING match, find the
	// whole match again; a STANDALONE match without acceptance needs none.
	var members map[string]store.Acceptance
	if cfg.AcceptanceRequired || cfg.FlexMatchMode != ModeStandalone {
		members = make(map[string]store.Acceptance, len(tickets))
		for _, mt := range tickets {
			members[memberPrefix+mt.TicketId] = ""
		}
	}
	now := s.now().UTC()
	ids = make([]string, len(tickets))
	current = make(map[string]*store.Ticket, len(tickets))
	for i, mt := range tickets {
		ids[i] = mt.TicketId
		if mt.Claimed != nil {
			current[mt.TicketId] = mt.Claimed
		}
	}
	move = func(id string) func(t *store.Ticket) error {
		// A match holds a few tickets: a scan beats a map per match.
		var team, location string
		for i := range tickets {
			if tickets[i].TicketId == id {
				team, location = tickets[i].Team, tickets[i].Location
				break
			}
		}
		return func(t *store.Ticket) error {
			if t.MatchId != matchID || t.Status.Terminal() || t.Status == store.StatusSearching || t.Status == store.StatusQueued {
				return fmt.Errorf("ticket %s is %s in match %q, not claimed for match %s", t.TicketId, t.Status, t.MatchId, matchID)
			}
			for i := range t.Players {
				if t.Players[i].Team == "" {
					t.Players[i].Team = team
				}
			}
			t.MatchpointLocation = location
			switch {
			case cfg.AcceptanceRequired:
				t.Status = store.StatusRequiresAcceptance
				t.Acceptances = maps.Clone(members)
				t.Deadline = now.Add(time.Duration(cfg.AcceptanceTimeoutSeconds) * time.Second)
			case cfg.FlexMatchMode == ModeStandalone:
				s.end(t, store.StatusCompleted, "", "")
			default:
				t.Status = store.StatusPlacing
				t.Acceptances = maps.Clone(members)
				t.Deadline = now.Add(s.opts.PlacingTimeout)
			}
			return nil
		}
	}
	details = func(updated []store.Ticket) []EventDetail {
		d := withMatch(detailFor(EventPotentialMatchCreated, updated, eventOptions{}), matchID)
		d.AcceptanceRequired = new(cfg.AcceptanceRequired)
		if cfg.AcceptanceRequired {
			d.AcceptanceTimeout = cfg.AcceptanceTimeoutSeconds
		}
		d.RuleEvaluationMetrics = metrics
		ds := []EventDetail{d}
		if !cfg.AcceptanceRequired && cfg.FlexMatchMode == ModeStandalone {
			ds = append(ds, withMatch(detailFor(EventMatchmakingSucceeded, updated, eventOptions{}), matchID))
		}
		return ds
	}
	return ids, current, move, details
}

// moveTickets moves the tickets ids of one match of cfg, each with move(id),
// and records the events details builds from the moved tickets. When it can
// it does all in one store step (moveAtOnce), so that the moves and their
// events are never apart; otherwise one ticket at a time, rereading those
// that changed meanwhile, with the events appended after. A ticket that
// cannot move is skipped and its error joined to the one returned. current
// holds the tickets as the caller last read them (missing ones are read);
// cfg may be empty when the caller found none of them, and is then the
// moved tickets'. It returns the moved tickets.
func (s *Service) moveTickets(ctx context.Context, cfg store.Configuration, ids []string, current map[string]*store.Ticket,
	move func(id string) func(*store.Ticket) error, details func([]store.Ticket) []EventDetail) ([]store.Ticket, error) {
	moved, done, err := s.moveAtOnce(ctx, cfg, ids, current, move, details)
	if done || err != nil {
		return moved, err
	}
	var errs []error
	for _, id := range ids {
		t, wrote, err := s.update(ctx, id, current[id], move(id))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if wrote {
			moved = append(moved, t)
		}
	}
	if len(moved) > 0 {
		if cfg.Name == "" {
			cfg = s.eventConfig(ctx, moved[0].ConfigurationName)
		}
		for _, d := range details(moved) {
			s.emit(ctx, cfg, d)
		}
	}
	return moved, errors.Join(errs...)
}

// moveAtOnce is moveTickets in one store step, UpdateTicketsWithEvents,
// followed by the events' delivery. It reports false with a nil error,
// having changed nothing, when a ticket is missing from current or cannot
// move, or the store finds one changed since it was read. An error is the
// store's failure, after which the step may or may not have been made.
func (s *Service) moveAtOnce(ctx context.Context, cfg store.Configuration, ids []string, current map[string]*store.Ticket,
	move func(id string) func(*store.Ticket) error, details func([]store.Ticket) []EventDetail) ([]store.Ticket, bool, error) {
	st, ok := s.prepareMove(cfg, ids, current, move, details)
	if !ok {
		return nil, false, nil
	}
	if done, err := s.commitMoves(ctx, cfg, []*moveStep{st}); !done || err != nil {
		return nil, false, err
	}
	return st.next, true, nil
}

// commitMoves makes prepared steps (of matches with disjoint tickets) in
// one store step, UpdateTicketsWithEvents, and follows each (finishMove).
// It reports false with a nil error, having changed nothing, when the store
// finds a ticket missing or changed since it was read; an error is the
// store's failure, after which the step may or may not have been made.
func (s *Service) commitMoves(ctx context.Context, cfg store.Configuration, steps []*moveStep) (bool, error) {
	var tickets []store.Ticket
	var evs []store.NewEvent
	if len(steps) == 1 {
		tickets, evs = steps[0].next, steps[0].evs
	} else {
		n, m := 0, 0
		for _, st := range steps {
			n, m = n+len(st.next), m+len(st.evs)
		}
		tickets, evs = make([]store.Ticket, 0, n), make([]store.NewEvent, 0, m)
		for _, st := range steps {
			tickets = append(tickets, st.next...)
			evs = append(evs, st.evs...)
		}
	}
	versions, seqs, err := s.store.UpdateTicketsWithEvents(ctx, cfg.Name, tickets, evs)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, internal(err, "move the tickets of %d match(es)", len(steps))
	}
	for _, st := range steps {
		s.finishMove(ctx, cfg, st, versions[:len(st.next)], seqs[:len(st.evs)])
		versions, seqs = versions[len(st.next):], seqs[len(st.evs):]
	}
	return true, nil
}

// moveStep is one match's store step of moveAtOnce, prepared: the tickets as
// they are to be written, their statuses before, and the events.
type moveStep struct {
	next   []store.Ticket
	before []store.Status
	ds     []EventDetail
	evs    []store.NewEvent
}

// prepareMove moves copies of the tickets ids of current with move(id) and
// encodes the events details builds from them. It reports false when a
// ticket is missing from current or cannot move.
func (s *Service) prepareMove(cfg store.Configuration, ids []string, current map[string]*store.Ticket,
	move func(id string) func(*store.Ticket) error, details func([]store.Ticket) []EventDetail) (*moveStep, bool) {
	st := &moveStep{next: make([]store.Ticket, 0, len(ids)), before: make([]store.Status, 0, len(ids))}
	for _, id := range ids {
		cur := current[id]
		if cur == nil {
			return nil, false
		}
		t := *cur
		t.Players = slices.Clone(cur.Players)
		st.before = append(st.before, t.Status)
		if err := move(id)(&t); err != nil {
			return nil, false
		}
		st.next = append(st.next, t)
	}
	st.ds = details(st.next)
	st.evs = make([]store.NewEvent, len(st.ds))
	for i := range st.ds {
		st.evs[i] = store.NewEvent{TicketIds: eventTicketIDs(&st.ds[i]), Payload: s.encodeEvent(cfg, &st.ds[i])}
	}
	return st, true
}

// finishMove follows a step the store made, with the tickets' new versions
// and the events' sequence numbers: the tickets' versions and counters, then
// the events' delivery.
func (s *Service) finishMove(ctx context.Context, cfg store.Configuration, st *moveStep, versions []int64, seqs []uint64) {
	for i := range st.next {
		st.next[i].Version = versions[i]
		if st.next[i].Status != st.before[i] {
			s.metrics.ticket(cfg.Name, st.next[i].Status, 1)
		}
	}
	// The events outlive a cancelled caller: the state change is done.
	dctx := context.WithoutCancel(ctx)
	for i := range st.ds {
		s.deliver(dctx, cfg, st.ds[i].Type, st.evs[i].Payload, seqs[i], st.evs[i].TicketIds)
	}
}

// resolve ends the acceptance of a match with outcome (Accepted, Rejected or
// TimedOut): accepted tickets go on (PLACING, or COMPLETED in STANDALONE
// mode), rejecting ones (any REJECT; on timeout any player who did not
// accept) are CANCELLED, the others return to SEARCHING. stopped, if not
// nil, is a ticket of the match that StopMatchmaking has just cancelled.
//
// The tickets still in REQUIRES_ACCEPTANCE for the match move together, with
// AcceptMatchCompleted and the events that follow, in one store step
// (UpdateTicketsWithEvents, every ticket at the version read), retried on a
// conflict. Of concurrent resolutions of one match (two last accepts, an
// accept and the timeout, on one process or several) exactly one makes the
// step; the others then find no ticket left to move and do nothing, so the
// match is placed once, with all its tickets. An Accepted resolution moves
// nothing unless every member is still waiting: a member that left the
// match is resolved by whoever made it leave. It returns how many tickets
// it moved.
func (s *Service) resolve(ctx context.Context, cfg store.Configuration, matchID string, members []string, outcome string, stopped *store.Ticket) int {
	if matchID == "" {
		return 0
	}
	ids := make([]string, 0, len(members))
	for _, id := range members {
		if stopped == nil || id != stopped.TicketId {
			ids = append(ids, id)
		}
	}
	for range maxCASAttempts {
		waiting, err := s.waitingTickets(ctx, matchID, ids)
		if err != nil {
			s.log.Error("resolve match acceptance", "match", matchID, "err", err)
			return 0
		}
		if outcome == AcceptanceAccepted && len(waiting) != len(ids) {
			return 0
		}
		if len(waiting) == 0 {
			if stopped != nil {
				d := withMatch(detailFor(EventAcceptMatchCompleted, []store.Ticket{*stopped}, eventOptions{accepted: true}), matchID)
				d.Acceptance = outcome
				s.emit(ctx, cfg, d)
			}
			return 0
		}
		moved, done, err := s.resolveAtOnce(ctx, cfg, matchID, waiting, outcome, stopped)
		if err != nil {
			s.log.Error("resolve match acceptance", "match", matchID, "err", err)
			return 0
		}
		if !done {
			continue
		}
		if outcome == AcceptanceAccepted && cfg.FlexMatchMode != ModeStandalone && s.placer != nil {
			var placing []string
			for i := range moved {
				if moved[i].Status == store.StatusPlacing {
					placing = append(placing, moved[i].TicketId)
				}
			}
			if len(placing) > 0 {
				s.placer.placeAccepted(ctx, cfg.Name, matchID, placing)
			}
		}
		return len(moved)
	}
	s.log.Error("resolve match acceptance", "match", matchID, "err", fmt.Errorf("%d attempts: %w", maxCASAttempts, store.ErrConflict))
	return 0
}

// waitingTickets reads the tickets ids and returns those still in
// REQUIRES_ACCEPTANCE for match matchID.
func (s *Service) waitingTickets(ctx context.Context, matchID string, ids []string) ([]store.Ticket, error) {
	read, err := s.store.GetTickets(ctx, ids...)
	if err != nil {
		return nil, fmt.Errorf("get tickets of match %s: %w", matchID, err)
	}
	waiting := read[:0]
	for _, t := range read {
		if t.Status == store.StatusRequiresAcceptance && t.MatchId == matchID {
			waiting = append(waiting, t)
		}
	}
	return waiting, nil
}

// resolveAtOnce moves the waiting tickets of a match by outcome in one store
// step, with AcceptMatchCompleted (the answers as they were, stopped first),
// MatchmakingSearching for each ticket back in the pool and, for an accepted
// STANDALONE match, MatchmakingSucceeded. As moveAtOnce, it reports false
// with a nil error when a ticket changed since it was read.
func (s *Service) resolveAtOnce(ctx context.Context, cfg store.Configuration, matchID string, waiting []store.Ticket, outcome string, stopped *store.Ticket) ([]store.Ticket, bool, error) {
	ids := make([]string, len(waiting))
	current := make(map[string]*store.Ticket, len(waiting))
	answered := make([]store.Ticket, 0, len(waiting)+1)
	if stopped != nil {
		answered = append(answered, *stopped)
	}
	for i := range waiting {
		ids[i] = waiting[i].TicketId
		current[ids[i]] = &waiting[i]
		answered = append(answered, waiting[i])
	}
	move := func(string) func(*store.Ticket) error {
		return func(t *store.Ticket) error {
			s.applyOutcome(t, cfg, outcome)
			return nil
		}
	}
	details := func(after []store.Ticket) []EventDetail {
		d := withMatch(detailFor(EventAcceptMatchCompleted, answered, eventOptions{accepted: true}), matchID)
		d.Acceptance = outcome
		ds := []EventDetail{d}
		for i := range after {
			if after[i].Status == store.StatusSearching {
				sd := detailFor(EventMatchmakingSearching, after[i:i+1], eventOptions{})
				sd.EstimatedWaitMillis = s.estimatedWaitMillis(ctx, cfg.Name)
				ds = append(ds, sd)
			}
		}
		if outcome == AcceptanceAccepted && cfg.FlexMatchMode == ModeStandalone {
			ds = append(ds, withMatch(detailFor(EventMatchmakingSucceeded, after, eventOptions{}), matchID))
		}
		return ds
	}
	if cfg.Name == "" {
		cfg.Name = waiting[0].ConfigurationName
	}
	return s.moveAtOnce(ctx, cfg, ids, current, move, details)
}

func (s *Service) applyOutcome(t *store.Ticket, cfg store.Configuration, outcome string) {
	switch outcome {
	case AcceptanceAccepted:
		if cfg.FlexMatchMode == ModeStandalone {
			s.end(t, store.StatusCompleted, "", "")
			return
		}
		t.Status = store.StatusPlacing
		t.Deadline = s.now().UTC().Add(s.opts.PlacingTimeout)
		return
	case AcceptanceRejected:
		for _, p := range t.Players {
			if t.Acceptances[p.PlayerId] == store.AcceptanceReject {
				s.end(t, store.StatusCancelled, reasonRejected, messageRejected)
				return
			}
		}
	default:
		for _, p := range t.Players {
			if t.Acceptances[p.PlayerId] != store.AcceptanceAccept {
				s.end(t, store.StatusCancelled, reasonAccTimeout, messageAccTimout)
				return
			}
		}
	}
	s.backToSearching(t, cfg)
}

// backToSearching returns a ticket to the pool after a failed proposed match.
func (s *Service) backToSearching(t *store.Ticket, cfg store.Configuration) {
	t.Status = store.StatusSearching
	t.MatchId = ""
	t.MatchpointLocation = ""
	t.Acceptances = nil
	t.Deadline = searchDeadline(t, cfg)
	if !t.Backfill {
		for i := range t.Players {
			t.Players[i].Team = ""
		}
	}
}

// placementSucceeded is called when the match's game session is ready: each
// listed ticket (PLACING in match matchID) becomes COMPLETED with its
// connection info, and one MatchmakingSucceeded is emitted for the match,
// with the game session and every player's player session id.
func (s *Service) placementSucceeded(ctx context.Context, matchID string, conns map[string]store.GameSessionConnectionInfo) error {
	ids := slices.Sorted(maps.Keys(conns))
	move := func(id string) func(t *store.Ticket) error {
		return func(t *store.Ticket) error {
			if t.Status != store.StatusPlacing || t.MatchId != matchID {
				return fmt.Errorf("ticket %s is %s in match %q, not PLACING in match %s", t.TicketId, t.Status, t.MatchId, matchID)
			}
			s.end(t, store.StatusCompleted, "", "")
			info := conns[id]
			t.GameSessionConnectionInfo = &info
			return nil
		}
	}
	details := func(done []store.Ticket) []EventDetail {
		sessions := map[string]string{}
		for _, t := range done {
			for _, m := range t.GameSessionConnectionInfo.MatchedPlayerSessions {
				sessions[m.PlayerId] = m.PlayerSessionId
			}
		}
		d := withMatch(detailFor(EventMatchmakingSucceeded, done, eventOptions{sessions: sessions}), matchID)
		info := done[0].GameSessionConnectionInfo
		d.GameSessionInfo.GameSessionArn = info.GameSessionArn
		d.GameSessionInfo.IPAddress = info.IpAddress
		d.GameSessionInfo.Port = info.Port
		return []EventDetail{d}
	}
	done, err := s.moveMatchTickets(ctx, ids, move, details)
	if err != nil {
		return fmt.Errorf("placement succeeded %s: %w", matchID, err)
	}
	s.recordFlexMatchSession(ctx, matchID, done)
	return nil
}

// placementFailed is called when the match could not be placed: each listed
// ticket (PLACING in match matchID) becomes FAILED, and MatchmakingFailed is
// emitted for the match with FlexMatch's reason UNEXPECTED_ERROR and
// message (fit for a player), and detail, why, in placementError.
func (s *Service) placementFailed(ctx context.Context, matchID string, ticketIDs []string, detail string) error {
	message := messageFailed
	move := func(string) func(t *store.Ticket) error {
		return func(t *store.Ticket) error {
			if t.Status != store.StatusPlacing || t.MatchId != matchID {
				return fmt.Errorf("ticket %s is %s in match %q, not PLACING in match %s", t.TicketId, t.Status, t.MatchId, matchID)
			}
			s.end(t, store.StatusFailed, reasonFailed, message)
			return nil
		}
	}
	details := func(done []store.Ticket) []EventDetail {
		d := withMatch(detailFor(EventMatchmakingFailed, done, eventOptions{}), matchID)
		d.Reason, d.Message, d.PlacementError = reasonFailed, message, detail
		return []EventDetail{d}
	}
	if _, err := s.moveMatchTickets(ctx, slices.Sorted(slices.Values(ticketIDs)), move, details); err != nil {
		return fmt.Errorf("placement failed %s: %w", matchID, err)
	}
	return nil
}

// placementPending sets the deadline of the tickets ids still PLACING in
// match matchID, in one store step: a placement waiting for capacity keeps
// them past Options.PlacingTimeout (deadline: its own end and a grace), and
// one handed over gives them to the next sweep (deadline: now).
func (s *Service) placementPending(ctx context.Context, matchID string, ids []string, deadline time.Time) error {
	read, err := s.store.GetTickets(ctx, ids...)
	if err != nil {
		return fmt.Errorf("placement pending %s: %w", matchID, err)
	}
	placing := read[:0]
	for _, t := range read {
		if t.Status == store.StatusPlacing && t.MatchId == matchID {
			t.Deadline = deadline.UTC()
			placing = append(placing, t)
		}
	}
	if len(placing) == 0 {
		return nil
	}
	if _, _, err := s.store.UpdateTicketsWithEvents(ctx, placing[0].ConfigurationName, placing, nil); err != nil {
		return fmt.Errorf("placement pending %s: %w", matchID, err)
	}
	return nil
}

// moveMatchTickets is moveTickets for a caller that has not read the
// tickets: one read for all, and the configuration of the first one found.
func (s *Service) moveMatchTickets(ctx context.Context, ids []string, move func(id string) func(*store.Ticket) error, details func([]store.Ticket) []EventDetail) ([]store.Ticket, error) {
	current := make(map[string]*store.Ticket, len(ids))
	var cfgName string
	if read, err := s.store.GetTickets(ctx, ids...); err == nil {
		for i := range read {
			current[read[i].TicketId] = &read[i]
		}
		if len(read) > 0 {
			cfgName = read[0].ConfigurationName
		}
	}
	var cfg store.Configuration
	if cfgName != "" {
		cfg = s.eventConfig(ctx, cfgName)
	}
	return s.moveTickets(ctx, cfg, ids, current, move, details)
}

// explain adds to d what kept ticket t out of a match so far, as the
// former knows it.
func (s *Service) explain(d *EventDetail, t *store.Ticket) {
	if t.Backfill {
		return
	}
	if e := s.former.explain(t.ConfigurationName, t.TicketId); e != nil {
		d.RuleEvaluationMetrics, d.KeptOutBy, d.Expansions, d.Unmatchable = e.Metrics, e.KeptOutBy, e.Expansions, e.Unmatchable
	}
}

// sweepBatch is how many due tickets sweep reads at a time.
const sweepBatch = 100

// sweep acts on the configuration's tickets whose deadline is at or before
// now: QUEUED and SEARCHING tickets past RequestTimeoutSeconds become
// TIMED_OUT (MatchmakingTimedOut); a match in REQUIRES_ACCEPTANCE past its
// acceptance deadline ends with AcceptMatchCompleted "TimedOut" (tickets
// with a player who did not accept CANCELLED, the others back to SEARCHING);
// a match PLACING past Options.PlacingTimeout, whose placer is gone, is
// placed again once (placeAgain), then its tickets become FAILED
// (MatchmakingFailed). The match-forming loop calls it periodically. It
// returns how many tickets it moved.
func (s *Service) sweep(ctx context.Context, configuration string, now time.Time) (int, error) {
	cfg := s.eventConfig(ctx, configuration)
	moved := 0
	resolved := map[string]bool{}
	for {
		due, err := s.store.DueTickets(ctx, configuration, now, sweepBatch)
		if err != nil {
			return moved, fmt.Errorf("sweep %s: %w", configuration, err)
		}
		progress := 0
		for i := range due {
			n, err := s.sweepOne(ctx, cfg, &due[i], resolved)
			if err != nil {
				return moved, fmt.Errorf("sweep %s: %w", configuration, err)
			}
			progress += n
		}
		moved += progress
		if len(due) < sweepBatch || progress == 0 {
			return moved, nil
		}
	}
}

func (s *Service) sweepOne(ctx context.Context, cfg store.Configuration, due *store.Ticket, resolved map[string]bool) (int, error) {
	switch due.Status {
	case store.StatusRequiresAcceptance:
		if resolved[due.MatchId] {
			return 0, nil
		}
		resolved[due.MatchId] = true
		members := matchMembers(due)
		if len(members) == 0 {
			members = []string{due.TicketId}
		}
		return s.resolve(ctx, cfg, due.MatchId, members, AcceptanceTimedOut, nil), nil
	case store.StatusPlacing:
		if n, handled, err := s.placeAgain(ctx, cfg, due, resolved); handled {
			return n, err
		}
	case store.StatusQueued, store.StatusSearching:
	default:
		return 0, nil
	}
	_, moved, err := s.updateWithEvent(ctx, due.TicketId, due, func(t *store.Ticket) error {
		if t.Deadline.IsZero() || t.Deadline.After(due.Deadline) || t.Status != due.Status {
			return errUnchanged
		}
		if t.Status == store.StatusPlacing {
			s.end(t, store.StatusFailed, reasonFailed, messageFailed)
		} else {
			s.end(t, store.StatusTimedOut, reasonTimedOut, messageTimedOut)
		}
		return nil
	}, func(t *store.Ticket) EventDetail {
		if t.Status == store.StatusFailed {
			d := withMatch(detailFor(EventMatchmakingFailed, []store.Ticket{*t}, eventOptions{}), t.MatchId)
			d.Reason, d.Message = reasonFailed, t.StatusMessage
			d.PlacementError = "placement timed out: the matchmaker placing the match stopped before it ended"
			return d
		}
		d := withMatch(detailFor(EventMatchmakingTimedOut, []store.Ticket{*t}, eventOptions{}), t.MatchId)
		d.Reason, d.Message = reasonTimedOut, messageTimedOut
		s.explain(&d, t)
		return d
	})
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Type == NotFound {
			return 0, nil
		}
		return 0, err
	}
	if !moved {
		return 0, nil
	}
	return 1, nil
}

// maxPlacementRetries is how many times sweep places a match again after its
// placement went past its deadline.
const maxPlacementRetries = 1

// placeAgain handles a PLACING ticket past its deadline whose match may be
// placed again: its placer (the matchmaker that moved it to PLACING) died or
// lost its answer, possibly after a relay had created the game session. The
// match's tickets, all still PLACING in it, get a new deadline and one more
// PlacementRetries in one store step, then the former places the
// match again with the same match id: a relay that placed it answers with
// the session it created (the relays are idempotent by match id), so the
// tickets complete with it instead of failing and leaving it orphaned. It
// reports false, having done nothing, when the ticket is to fail instead:
// no placer, retries used up, or a member of the match no longer PLACING in
// it.
func (s *Service) placeAgain(ctx context.Context, cfg store.Configuration, due *store.Ticket, resolved map[string]bool) (int, bool, error) {
	if s.placer == nil || due.MatchId == "" || due.PlacementRetries >= maxPlacementRetries {
		return 0, false, nil
	}
	if resolved[due.MatchId] {
		return 0, true, nil
	}
	members := matchMembers(due)
	if len(members) == 0 {
		members = []string{due.TicketId}
	}
	read, err := s.store.GetTickets(ctx, members...)
	if err != nil {
		return 0, true, fmt.Errorf("place match %s again: %w", due.MatchId, err)
	}
	if len(read) != len(members) {
		return 0, false, nil
	}
	deadline := s.now().UTC().Add(s.opts.PlacingTimeout)
	for i := range read {
		t := &read[i]
		if t.Status != store.StatusPlacing || t.MatchId != due.MatchId {
			return 0, false, nil
		}
		t.Deadline = deadline
		t.PlacementRetries++
	}
	resolved[due.MatchId] = true
	_, _, err = s.store.UpdateTicketsWithEvents(ctx, due.ConfigurationName, read, nil)
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		// Changed since read: the next sweep looks again.
		return 0, true, nil
	}
	if err != nil {
		return 0, true, fmt.Errorf("place match %s again: %w", due.MatchId, err)
	}
	s.log.Warn("placement overdue: asking the relays again with the same match id",
		"configuration", due.ConfigurationName, "match", due.MatchId, "tickets", members)
	s.placer.placeAccepted(ctx, due.ConfigurationName, due.MatchId, members)
	return len(read), true, nil
}
