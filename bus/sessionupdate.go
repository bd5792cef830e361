package bus

import (
	"context"
	"fmt"
)

// SessionUpdateHandler applies req to the session it names. ctx ends at
// req.Deadline or when the server stops. To refuse, return a reply whose
// Error is set.
type SessionUpdateHandler func(ctx context.Context, req SessionUpdateRequest) SessionUpdateReply

// RequestSessionUpdate asks relay req.RelayID to update or end session
// req.GameSessionID and waits for its answer. Errors as for RequestReserve:
// ErrNoResponders when the relay is gone, a *ReplyError (INVALID,
// CONFLICT...) when it refused.
func (c *Conn) RequestSessionUpdate(ctx context.Context, req SessionUpdateRequest) (SessionUpdateReply, error) {
	if err := checkPayload[SessionUpdateRequest](&req); err != nil {
		return SessionUpdateReply{}, fmt.Errorf("bus: request session update: %w", err)
	}
	subject, err := SessionUpdateSubject(req.RelayID)
	if err != nil {
		return SessionUpdateReply{}, fmt.Errorf("bus: request session update: %w", err)
	}
	reply, err := requestRelay[SessionUpdateRequest, SessionUpdateReply](ctx, c, "session update", subject, req, SessionUpdateRequest.Encode, DecodeSessionUpdateReply)
	if err != nil {
		return SessionUpdateReply{}, err
	}
	if reply.Error != nil {
		return reply, fmt.Errorf("bus: session update %s of %s by relay %q: %w", req.RequestID, req.GameSessionID, req.RelayID, reply.Error)
	}
	if reply.RequestID != req.RequestID {
		return SessionUpdateReply{}, fmt.Errorf("bus: session update reply for %s: %w", req.RequestID,
			&FieldError{Type: "SessionUpdateReply", Field: "requestId", Reason: fmt.Sprintf("answers request %q", reply.RequestID)})
	}
	return reply, nil
}

// ServeSessionUpdates takes the session update requests addressed to relay
// relayID, no queue group, answering as ServeReserves does (INVALID,
// EXPIRED, DRAINING). It stops when ctx is done or stop is called.
func (c *Conn) ServeSessionUpdates(ctx context.Context, relayID string, handler SessionUpdateHandler) (stop func(), err error) {
	subject, err := SessionUpdateSubject(relayID)
	if err != nil {
		return nil, fmt.Errorf("bus: serve session updates: %w", err)
	}
	return serveRelayRequests(ctx, c, subject, relayID, "session updates", DecodeSessionUpdateRequest, refuseSessionUpdate, handler)
}

func refuseSessionUpdate(requestID string, code ErrorCode, msg string) SessionUpdateReply {
	if requestID == "" {
		requestID = "unknown"
	}
	return SessionUpdateReply{RequestID: requestID, Error: &ReplyError{Code: code, Message: msg}}
}
