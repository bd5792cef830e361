package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// PlacementHandler creates (or, for a match id it has seen, finds) the game
// session of req and returns the reply. ctx ends at req.Deadline or when the
// server stops. To refuse, return a reply whose Error is set.
type PlacementHandler func(ctx context.Context, req PlacementRequest) PlacementReply

// RequestPlacement sends req to the relays of req.Region (to relay req.RelayID
// alone when it is set) and waits for one to answer, until ctx is done (or Options.RequestTimeout when ctx has no
// deadline). The context deadline should not be later than req.Deadline.
//
// Errors: ErrNoResponders at once when no relay serves the region; ErrTimeout
// when none answered in time; a *ReplyError (errors.Is ErrRefused, Code says
// whether to retry) when the relay refused; ErrMalformed for an invalid req or
// a reply that does not give exactly one player session per requested player.
func (c *Conn) RequestPlacement(ctx context.Context, req PlacementRequest) (PlacementReply, error) {
	data, err := req.Encode()
	if err != nil {
		return PlacementReply{}, fmt.Errorf("bus: request placement: %w", err)
	}
	subject, err := PlacementSubject(req.Region)
	if req.RelayID != "" {
		subject, err = RelayPlacementSubject(req.Region, req.RelayID)
	}
	if err != nil {
		return PlacementReply{}, fmt.Errorf("bus: request placement: %w", err)
	}
	raw, err := c.request(ctx, "request placement "+req.MatchID, subject, data)
	if err != nil {
		return PlacementReply{}, err
	}
	reply, err := DecodePlacementReply(raw)
	if err != nil {
		return PlacementReply{}, fmt.Errorf("bus: placement reply for match %s: %w", req.MatchID, err)
	}
	if reply.Error != nil {
		return reply, fmt.Errorf("bus: placement of match %s by relay %q: %w", req.MatchID, reply.RelayID, reply.Error)
	}
	if err := matchesRequest(req, reply); err != nil {
		return PlacementReply{}, fmt.Errorf("bus: placement reply for match %s: %w", req.MatchID, err)
	}
	return reply, nil
}

func matchesRequest(req PlacementRequest, reply PlacementReply) error {
	if reply.MatchID != req.MatchID {
		return &FieldError{Type: "PlacementReply", Field: "matchId", Reason: fmt.Sprintf("answers match %q", reply.MatchID)}
	}
	want := make(map[string]bool, len(req.Players))
	for _, p := range req.Players {
		want[p.PlayerID] = false
	}
	for i, ps := range reply.PlayerSessions {
		if _, ok := want[ps.PlayerID]; !ok {
			return &FieldError{Type: "PlacementReply", Field: fmt.Sprintf("playerSessions[%d].playerId", i), Reason: fmt.Sprintf("player %q is not in the match", ps.PlayerID)}
		}
		want[ps.PlayerID] = true
	}
	for _, p := range req.Players {
		if !want[p.PlayerID] {
			return &FieldError{Type: "PlacementReply", Field: "playerSessions", Reason: fmt.Sprintf("no player session for player %q", p.PlayerID)}
		}
	}
	return nil
}

// ServePlacements takes the placement requests of region as one member of
// queueGroup (DefaultRelayQueue when empty): NATS gives each request to exactly
// one member. Up to Options.MaxInFlight requests are handled at once.
//
// The server answers for handler: INVALID for a request that does not decode,
// names another region or is addressed to one relay, EXPIRED for one past its
// deadline, INTERNAL for a handler reply that does not encode, and DRAINING
// for requests still buffered when it stops. It stops when ctx is done or stop
// is called; stop returns once every handler has returned.
func (c *Conn) ServePlacements(ctx context.Context, region, queueGroup string, handler PlacementHandler) (stop func(), err error) {
	subject, err := PlacementSubject(region)
	if err != nil {
		return nil, fmt.Errorf("bus: serve placements: %w", err)
	}
	if queueGroup == "" {
		queueGroup = DefaultRelayQueue
	}
	return c.subscribe(ctx, subject, queueGroup, c.opts.MaxInFlight, true, c.placementHandler(ctx, region, "", handler))
}

// ServeRelayPlacements takes the placement requests addressed to relay
// relayID of region alone (PlacementRequest.RelayID set): backfill placements
// into a session it hosts. Behaviour as for ServePlacements; a relay runs both.
func (c *Conn) ServeRelayPlacements(ctx context.Context, region, relayID string, handler PlacementHandler) (stop func(), err error) {
	subject, err := RelayPlacementSubject(region, relayID)
	if err != nil {
		return nil, fmt.Errorf("bus: serve relay placements: %w", err)
	}
	return c.subscribe(ctx, subject, "", c.opts.MaxInFlight, true, c.placementHandler(ctx, region, relayID, handler))
}

func (c *Conn) placementHandler(ctx context.Context, region, relayID string, handler PlacementHandler) func(*nats.Msg, bool) {
	return func(m *nats.Msg, stopping bool) {
		if m.Reply == "" {
			return
		}
		req, err := DecodePlacementRequest(m.Data)
		var reply PlacementReply
		switch {
		case err != nil:
			reply = refusePlacement(matchIDOf(m.Data), CodeInvalid, err.Error())
		case req.Region != region:
			reply = refusePlacement(req.MatchID, CodeInvalid, fmt.Sprintf("region %q sent to the relays of %q", req.Region, region))
		case req.RelayID != relayID && relayID == "":
			reply = refusePlacement(req.MatchID, CodeInvalid, fmt.Sprintf("request for relay %q sent to the queue of region %q", req.RelayID, region))
		case req.RelayID != relayID:
			reply = refusePlacement(req.MatchID, CodeInvalid, fmt.Sprintf("request for relay %q sent to relay %q", req.RelayID, relayID))
		case stopping:
			reply = refusePlacement(req.MatchID, CodeDraining, "relay stopped taking placements")
		case !time.Now().Before(req.Deadline):
			reply = refusePlacement(req.MatchID, CodeExpired, "deadline "+req.Deadline.Format(time.RFC3339Nano)+" passed")
		default:
			hctx, cancel := context.WithDeadline(ctx, req.Deadline)
			reply = handler(hctx, req)
			cancel()
			if reply.MatchID == "" {
				reply.MatchID = req.MatchID
			}
		}
		c.respond(m, reply.Encode, func(err error) ([]byte, error) {
			return refusePlacement(req.MatchID, CodeInternal, "relay reply does not encode: "+err.Error()).Encode()
		})
	}
}

func refusePlacement(matchID string, code ErrorCode, msg string) PlacementReply {
	if matchID == "" {
		matchID = "unknown"
	}
	return PlacementReply{MatchID: matchID, Error: &ReplyError{Code: code, Message: msg}}
}

// BackfillHandler creates (or, for a request id it has seen, finds) the
// backfill ticket of req. To refuse, return a reply whose Error is set.
type BackfillHandler func(ctx context.Context, req BackfillRequest) BackfillReply

// RequestBackfill asks a matchmaker to backfill a session and returns the
// backfill ticket id. Errors as for RequestPlacement.
func (c *Conn) RequestBackfill(ctx context.Context, req BackfillRequest) (BackfillReply, error) {
	data, err := req.Encode()
	if err != nil {
		return BackfillReply{}, fmt.Errorf("bus: request backfill: %w", err)
	}
	subject, err := BackfillSubject(req.Configuration)
	if err != nil {
		return BackfillReply{}, fmt.Errorf("bus: request backfill: %w", err)
	}
	raw, err := c.request(ctx, "request backfill "+req.RequestID, subject, data)
	if err != nil {
		return BackfillReply{}, err
	}
	reply, err := DecodeBackfillReply(raw)
	if err != nil {
		return BackfillReply{}, fmt.Errorf("bus: backfill reply for %s: %w", req.RequestID, err)
	}
	if reply.Error != nil {
		return reply, fmt.Errorf("bus: backfill %s: %w", req.RequestID, reply.Error)
	}
	return reply, nil
}

// ServeBackfills takes the backfill requests of configuration (every
// configuration when it is empty) as one member of queueGroup
// (DefaultMatchmakerQueue when empty). Behaviour as for ServePlacements.
func (c *Conn) ServeBackfills(ctx context.Context, configuration, queueGroup string, handler BackfillHandler) (stop func(), err error) {
	subject, err := BackfillFilter(configuration)
	if err != nil {
		return nil, fmt.Errorf("bus: serve backfills: %w", err)
	}
	if queueGroup == "" {
		queueGroup = DefaultMatchmakerQueue
	}
	handle := func(m *nats.Msg, stopping bool) {
		if m.Reply == "" {
			return
		}
		req, err := DecodeBackfillRequest(m.Data)
		var reply BackfillReply
		switch {
		case err != nil:
			reply = refuseBackfill(CodeInvalid, err.Error())
		case configuration != "" && req.Configuration != configuration:
			reply = refuseBackfill(CodeInvalid, fmt.Sprintf("configuration %q sent to the servers of %q", req.Configuration, configuration))
		case stopping:
			reply = refuseBackfill(CodeDraining, "matchmaker stopped taking backfill requests")
		default:
			reply = handler(ctx, req)
		}
		c.respond(m, reply.Encode, func(err error) ([]byte, error) {
			return refuseBackfill(CodeInternal, "matchmaker reply does not encode: "+err.Error()).Encode()
		})
	}
	return c.subscribe(ctx, subject, queueGroup, c.opts.MaxInFlight, true, handle)
}

func refuseBackfill(code ErrorCode, msg string) BackfillReply {
	return BackfillReply{Error: &ReplyError{Code: code, Message: msg}}
}

// respond sends the encoded reply, or the fallback when it does not encode.
func (c *Conn) respond(m *nats.Msg, encode func() ([]byte, error), fallback func(error) ([]byte, error)) {
	data, err := encode()
	if err != nil {
		c.log.Error("reply does not encode", "subject", m.Subject, "err", err)
		if data, err = fallback(err); err != nil {
			c.log.Error("fallback reply does not encode", "subject", m.Subject, "err", err)
			return
		}
	}
	if err := m.Respond(data); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		c.log.Warn("respond", "subject", m.Subject, "err", err)
	}
}

// matchIDOf digs the match id out of a request that did not decode, so the
// refusal can name it.
func matchIDOf(data []byte) string {
	var probe struct {
		MatchID string `json:"matchId"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return ""
	}
	return probe.MatchID
}
