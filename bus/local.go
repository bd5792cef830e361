package bus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// localServer is a relay request server on this connection, reached by
// requests sent on the same connection without the NATS server: dev runs a
// matchmaker and a relay on one connection, and a reservation's request,
// its delivery, the reply and its decoding over the in-process NATS server
// cost about as much as the relay's work itself. A request (validated by
// the requester, as its encoding would) goes to its handler on the caller's
// goroutine, answered as the bus path answers it: a refusal past its
// deadline, the handler's context ending at the deadline or when the server
// stops, and a reply that would not encode refused as INTERNAL. (It is
// addressed to this server's relay: its subject names the relay.)
// A server that is stopping takes no more local requests: they go over the
// bus, where the subscription refuses them as DRAINING or no one answers.
type localServer[Q relayRequest, R any, P relayReply[R]] struct {
	ctx     context.Context
	log     *slog.Logger
	subject string
	refuse  func(requestID string, code ErrorCode, msg string) R
	handler func(context.Context, Q) R

	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup // requests being handled
}

// enter reports whether the server takes a request; the caller then calls
// wg.Done when it has answered.
func (l *localServer[Q, R, P]) enter() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return false
	}
	l.wg.Add(1)
	return true
}

// close stops taking requests and waits for those being handled.
func (l *localServer[Q, R, P]) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.wg.Wait()
}

// serve answers req, or reports false when the server no longer takes
// requests.
func (l *localServer[Q, R, P]) serve(req Q) (R, bool) {
	if !l.enter() {
		var zero R
		return zero, false
	}
	defer l.wg.Done()
	id, _, deadline := req.addressed()
	if !time.Now().Before(deadline) {
		return l.refuse(id, CodeExpired, "deadline "+deadline.Format(time.RFC3339Nano)+" passed"), true
	}
	hctx, cancel := context.WithDeadline(l.ctx, deadline)
	reply := l.handler(hctx, req)
	cancel()
	P(&reply).answers(id)
	if err := checkPayload[R](P(&reply)); err != nil {
		l.log.Error("reply does not encode", "subject", l.subject, "err", err)
		return l.refuse(id, CodeInternal, "relay reply does not encode: "+err.Error()), true
	}
	return reply, true
}

// serveLocally registers l for the requests on its subject sent on c, until
// the returned stop (which waits for the requests being handled).
func serveLocally[Q relayRequest, R any, P relayReply[R]](c *Conn, l *localServer[Q, R, P]) (stop func()) {
	c.local.Store(l.subject, l)
	return func() {
		c.local.CompareAndDelete(l.subject, l)
		l.close()
	}
}

// requestLocally answers req through the server for subject on c, if c
// serves it; ok is false when it does not (or is stopping), and the request
// goes over the bus.
func requestLocally[Q relayRequest, R any, P relayReply[R]](c *Conn, subject string, req Q) (reply R, ok bool) {
	v, found := c.local.Load(subject)
	if !found {
		return reply, false
	}
	l, isServer := v.(*localServer[Q, R, P])
	if !isServer {
		return reply, false
	}
	return l.serve(req)
}

// requestRelay sends req, addressed to one relay, on subject and returns the
// relay's reply: from the server on c itself when c serves subject
// (requestLocally), else over the bus, encoded and decoded. what names the
// request in errors ("reserve", "session update").
func requestRelay[Q relayRequest, R any, P relayReply[R]](ctx context.Context, c *Conn, what, subject string, req Q,
	encode func(Q) ([]byte, error), decode func([]byte) (R, error)) (R, error) {
	if reply, ok := requestLocally[Q, R, P](c, subject, req); ok {
		return reply, nil
	}
	var zero R
	data, err := encode(req)
	if err != nil {
		return zero, fmt.Errorf("bus: request %s: %w", what, err)
	}
	id, _, _ := req.addressed()
	raw, err := c.request(ctx, "request "+what+" "+id, subject, data)
	if err != nil {
		return zero, err
	}
	reply, err := decode(raw)
	if err != nil {
		return zero, fmt.Errorf("bus: %s reply for %s: %w", what, id, err)
	}
	return reply, nil
}
