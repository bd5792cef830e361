package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// ReserveHandler reserves the player sessions of req in the session it names
// (or, for a request id it has seen, answers as before). ctx ends at
// req.Deadline or when the server stops. To refuse, return a reply whose
// Error is set.
type ReserveHandler func(ctx context.Context, req ReserveRequest) ReserveReply

// RequestReserve asks relay req.RelayID to reserve req.Players' player
// sessions in session req.GameSessionID and waits for its answer. Errors as
// for RequestPlacement: ErrNoResponders when the relay is gone, a *ReplyError
// (FULL, INVALID...) when it refused, ErrMalformed for a reply that does not
// give exactly the requested player sessions.
func (c *Conn) RequestReserve(ctx context.Context, req ReserveRequest) (ReserveReply, error) {
	data, err := req.Encode()
	if err != nil {
		return ReserveReply{}, fmt.Errorf("bus: request reserve: %w", err)
	}
	subject, err := ReserveSubject(req.RelayID)
	if err != nil {
		return ReserveReply{}, fmt.Errorf("bus: request reserve: %w", err)
	}
	raw, err := c.request(ctx, "request reserve "+req.RequestID, subject, data)
	if err != nil {
		return ReserveReply{}, err
	}
	reply, err := DecodeReserveReply(raw)
	if err != nil {
		return ReserveReply{}, fmt.Errorf("bus: reserve reply for %s: %w", req.RequestID, err)
	}
	if reply.Error != nil {
		return reply, fmt.Errorf("bus: reserve %s in %s by relay %q: %w", req.RequestID, req.GameSessionID, req.RelayID, reply.Error)
	}
	if err := reserveMatches(req, reply); err != nil {
		return ReserveReply{}, fmt.Errorf("bus: reserve reply for %s: %w", req.RequestID, err)
	}
	return reply, nil
}

func reserveMatches(req ReserveRequest, reply ReserveReply) error {
	if reply.RequestID != req.RequestID {
		return &FieldError{Type: "ReserveReply", Field: "requestId", Reason: fmt.Sprintf("answers request %q", reply.RequestID)}
	}
	want := make(map[string]string, len(req.Players))
	for _, p := range req.Players {
		want[p.PlayerID] = p.PlayerSessionID
	}
	if len(reply.PlayerSessions) != len(want) {
		return &FieldError{Type: "ReserveReply", Field: "playerSessions", Reason: fmt.Sprintf("%d player sessions for %d players", len(reply.PlayerSessions), len(want))}
	}
	for i, ps := range reply.PlayerSessions {
		if id, ok := want[ps.PlayerID]; !ok || id != ps.PlayerSessionID {
			return &FieldError{Type: "ReserveReply", Field: fmt.Sprintf("playerSessions[%d]", i), Reason: fmt.Sprintf("player %q with %q was not asked for", ps.PlayerID, ps.PlayerSessionID)}
		}
	}
	return nil
}

// ServeReserves takes the reserve requests addressed to relay relayID, no
// queue group. The server answers for handler: INVALID for a request that
// does not decode or names another relay, EXPIRED past its deadline,
// DRAINING for requests still buffered when it stops. It stops when ctx is
// done or stop is called; stop returns once every handler has returned.
func (c *Conn) ServeReserves(ctx context.Context, relayID string, handler ReserveHandler) (stop func(), err error) {
	subject, err := ReserveSubject(relayID)
	if err != nil {
		return nil, fmt.Errorf("bus: serve reserves: %w", err)
	}
	handle := func(m *nats.Msg, stopping bool) {
		if m.Reply == "" {
			return
		}
		req, err := DecodeReserveRequest(m.Data)
		var reply ReserveReply
		switch {
		case err != nil:
			reply = refuseReserve(requestIDOf(m.Data), CodeInvalid, err.Error())
		case req.RelayID != relayID:
			reply = refuseReserve(req.RequestID, CodeInvalid, fmt.Sprintf("request for relay %q sent to relay %q", req.RelayID, relayID))
		case stopping:
			reply = refuseReserve(req.RequestID, CodeDraining, "relay stopped taking reservations")
		case !time.Now().Before(req.Deadline):
			reply = refuseReserve(req.RequestID, CodeExpired, "deadline "+req.Deadline.Format(time.RFC3339Nano)+" passed")
		default:
			hctx, cancel := context.WithDeadline(ctx, req.Deadline)
			reply = handler(hctx, req)
			cancel()
			reply.RequestID = req.RequestID
		}
		c.respond(m, reply.Encode, func(err error) ([]byte, error) {
			return refuseReserve(req.RequestID, CodeInternal, "relay reply does not encode: "+err.Error()).Encode()
		})
	}
	return c.subscribe(ctx, subject, "", c.opts.MaxInFlight, true, handle)
}

func refuseReserve(requestID string, code ErrorCode, msg string) ReserveReply {
	if requestID == "" {
		requestID = "unknown"
	}
	return ReserveReply{RequestID: requestID, Error: &ReplyError{Code: code, Message: msg}}
}

// requestIDOf digs the request id out of a request that did not decode.
func requestIDOf(data []byte) string {
	var probe struct {
		RequestID string `json:"requestId"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return ""
	}
	return probe.RequestID
}
