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
	if err := checkPayload[ReserveRequest](&req); err != nil {
		return ReserveReply{}, fmt.Errorf("bus: request reserve: %w", err)
	}
	subject, err := ReserveSubject(req.RelayID)
	if err != nil {
		return ReserveReply{}, fmt.Errorf("bus: request reserve: %w", err)
	}
	reply, err := requestRelay[ReserveRequest, ReserveReply](ctx, c, "reserve", subject, req, ReserveRequest.Encode, DecodeReserveReply)
	if err != nil {
		return ReserveReply{}, err
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
	return serveRelayRequests(ctx, c, subject, relayID, "reservations", DecodeReserveRequest, refuseReserve, handler)
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

// relayRequest is a request addressed to one relay: its id, the relay it
// names and its deadline.
type relayRequest interface {
	addressed() (requestID, relayID string, deadline time.Time)
}

// relayReply is the reply R to a relayRequest, through its pointer P.
type relayReply[R any] interface {
	*R
	payload
	answers(requestID string)
	Encode() ([]byte, error)
}

func (r ReserveRequest) addressed() (string, string, time.Time) {
	return r.RequestID, r.RelayID, r.Deadline
}
func (r *ReserveReply) answers(requestID string) { r.RequestID = requestID }

func (r SessionUpdateRequest) addressed() (string, string, time.Time) {
	return r.RequestID, r.RelayID, r.Deadline
}
func (r *SessionUpdateReply) answers(requestID string) { r.RequestID = requestID }

// serveRelayRequests serves the requests on subject addressed to relay
// relayID (what names them in refusals), no queue group: INVALID for a
// request that does not decode or names another relay, EXPIRED past its
// deadline, DRAINING for requests still buffered when it stops; the others
// go to handler, under their deadline. Requests sent on c itself reach
// handler without the NATS server (localServer). It stops when ctx is done
// or stop is called; stop returns once every handler has returned.
func serveRelayRequests[Q relayRequest, R any, P relayReply[R]](ctx context.Context, c *Conn, subject, relayID, what string,
	decode func([]byte) (Q, error), refuse func(requestID string, code ErrorCode, msg string) R, handler func(context.Context, Q) R) (stop func(), err error) {
	handle := func(m *nats.Msg, stopping bool) {
		if m.Reply == "" {
			return
		}
		req, err := decode(m.Data)
		id, to, deadline := req.addressed()
		var reply R
		switch {
		case err != nil:
			reply = refuse(requestIDOf(m.Data), CodeInvalid, err.Error())
		case to != relayID:
			reply = refuse(id, CodeInvalid, fmt.Sprintf("request for relay %q sent to relay %q", to, relayID))
		case stopping:
			reply = refuse(id, CodeDraining, "relay stopped taking "+what)
		case !time.Now().Before(deadline):
			reply = refuse(id, CodeExpired, "deadline "+deadline.Format(time.RFC3339Nano)+" passed")
		default:
			hctx, cancel := context.WithDeadline(ctx, deadline)
			reply = handler(hctx, req)
			cancel()
			P(&reply).answers(id)
		}
		c.respond(m, P(&reply).Encode, func(err error) ([]byte, error) {
			fallback := refuse(id, CodeInternal, "relay reply does not encode: "+err.Error())
			return P(&fallback).Encode()
		})
	}
	stopBus, err := c.subscribe(ctx, subject, "", c.opts.MaxInFlight, true, handle)
	if err != nil {
		return nil, err
	}
	stopLocal := serveLocally(c, &localServer[Q, R, P]{ctx: ctx, log: c.log, subject: subject, refuse: refuse, handler: handler})
	unregister := context.AfterFunc(ctx, stopLocal)
	return func() {
		unregister()
		stopLocal()
		stopBus()
	}, nil
}
