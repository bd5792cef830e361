package bus

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
)

// PublishHeartbeat publishes a relay's heartbeat on
// HeartbeatSubject(h.Region, h.RelayID).
func (c *Conn) PublishHeartbeat(ctx context.Context, h Heartbeat) error {
	subject, err := HeartbeatSubject(h.Region, h.RelayID)
	if err != nil {
		return fmt.Errorf("bus: publish heartbeat: %w", err)
	}
	data, err := h.Encode()
	return c.publish(ctx, "publish heartbeat", subject, data, err)
}

// SubscribeHeartbeats calls fn with every heartbeat of the relays of region
// (every region when it is empty), one at a time, in arrival order, until ctx
// is done or stop is called. Heartbeats that do not decode are dropped and
// reported to Options.OnDecodeError (or logged).
func (c *Conn) SubscribeHeartbeats(ctx context.Context, region string, fn func(Heartbeat)) (stop func(), err error) {
	subject, err := HeartbeatFilter(region)
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe heartbeats: %w", err)
	}
	return c.subscribe(ctx, subject, "", 1, false, func(m *nats.Msg, _ bool) {
		h, err := DecodeHeartbeat(m.Data)
		if err != nil {
			c.dropped(m.Subject, err)
			return
		}
		fn(h)
	})
}

// PublishSessionStarted publishes e on SessionSubject(region, configuration, started).
func (c *Conn) PublishSessionStarted(ctx context.Context, e SessionStarted) error {
	data, err := e.Encode()
	return c.publishSession(ctx, e.SessionRef, KindSessionStarted, data, err)
}

// PublishSessionEnded publishes e on SessionSubject(region, configuration, ended).
func (c *Conn) PublishSessionEnded(ctx context.Context, e SessionEnded) error {
	data, err := e.Encode()
	return c.publishSession(ctx, e.SessionRef, KindSessionEnded, data, err)
}

// PublishPlayerJoined publishes e on SessionSubject(region, configuration, player_joined).
func (c *Conn) PublishPlayerJoined(ctx context.Context, e PlayerJoined) error {
	data, err := e.Encode()
	return c.publishSession(ctx, e.SessionRef, KindPlayerJoined, data, err)
}

// PublishPlayerLeft publishes e on SessionSubject(region, configuration, player_left).
func (c *Conn) PublishPlayerLeft(ctx context.Context, e PlayerLeft) error {
	data, err := e.Encode()
	return c.publishSession(ctx, e.SessionRef, KindPlayerLeft, data, err)
}

func (c *Conn) publishSession(ctx context.Context, ref SessionRef, kind SessionEventKind, data []byte, err error) error {
	op := "publish session " + string(kind)
	if err != nil {
		return fmt.Errorf("bus: %s: %w", op, err)
	}
	subject, err := SessionSubject(ref.Region, ref.Configuration, kind)
	return c.publish(ctx, op, subject, data, err)
}

// SessionHandlers receive session events; a nil handler skips its kind.
type SessionHandlers struct {
	Started      func(SessionStarted)
	Ended        func(SessionEnded)
	PlayerJoined func(PlayerJoined)
	PlayerLeft   func(PlayerLeft)
}

// SubscribeSessionEvents delivers the session events of region and
// configuration (an empty one means any) to h, one at a time. One
// subscription covers every kind, so the events of a session arrive in the
// order its relay published them. It stops when ctx is done or stop is called.
func (c *Conn) SubscribeSessionEvents(ctx context.Context, region, configuration string, h SessionHandlers) (stop func(), err error) {
	subject, err := SessionFilter(region, configuration)
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe session events: %w", err)
	}
	return c.subscribe(ctx, subject, "", 1, false, func(m *nats.Msg, _ bool) {
		toks, ok := subjectTokens(m.Subject, "session", 3)
		if !ok {
			c.dropped(m.Subject, fmt.Errorf("%w: not a session event subject", ErrInvalidName))
			return
		}
		if err := dispatchSession(SessionEventKind(toks[2]), m.Data, h); err != nil {
			c.dropped(m.Subject, err)
		}
	})
}

func dispatchSession(kind SessionEventKind, data []byte, h SessionHandlers) error {
	switch kind {
	case KindSessionStarted:
		return deliver(h.Started, data, DecodeSessionStarted)
	case KindSessionEnded:
		return deliver(h.Ended, data, DecodeSessionEnded)
	case KindPlayerJoined:
		return deliver(h.PlayerJoined, data, DecodePlayerJoined)
	case KindPlayerLeft:
		return deliver(h.PlayerLeft, data, DecodePlayerLeft)
	}
	return fmt.Errorf("%w: unknown session event kind %q", ErrInvalidName, kind)
}

func deliver[T any](fn func(T), data []byte, dec func([]byte) (T, error)) error {
	if fn == nil {
		return nil
	}
	v, err := dec(data)
	if err != nil {
		return err
	}
	fn(v)
	return nil
}

// PublishMatchmakingEvent publishes a matchmaking event of eventType for
// configuration on MatchmakingEventSubject. data is the matchmaker's own
// encoding of the event; the bus does not look into it.
func (c *Conn) PublishMatchmakingEvent(ctx context.Context, configuration, eventType string, data []byte) error {
	k := eventKey{configuration, eventType}
	subject, ok := c.eventSubjects.Load(k)
	var err error
	if !ok {
		if subject, err = MatchmakingEventSubject(configuration, eventType); err == nil {
			c.eventSubjects.Store(k, subject)
		}
	}
	return c.publish(ctx, "publish matchmaking event", subject, data, err)
}

// SubscribeMatchmakingEvents calls fn with every matchmaking event of
// eventType of configuration (an empty configuration or eventType means
// every one), one at a time, in arrival order, until ctx is done or stop is
// called.
func (c *Conn) SubscribeMatchmakingEvents(ctx context.Context, configuration, eventType string, fn func(MatchmakingEvent)) (stop func(), err error) {
	subject, err := MatchmakingEventFilter(configuration, eventType)
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe matchmaking events: %w", err)
	}
	return c.subscribe(ctx, subject, "", 1, false, func(m *nats.Msg, _ bool) {
		ev, err := parseEventSubject(m.Subject)
		if err != nil {
			c.dropped(m.Subject, err)
			return
		}
		ev.Data = m.Data
		fn(ev)
	})
}

func parseEventSubject(subject string) (MatchmakingEvent, error) {
	toks, ok := subjectTokens(subject, "matchmaking", 2)
	if !ok {
		return MatchmakingEvent{}, fmt.Errorf("%w: not a matchmaking event subject", ErrInvalidName)
	}
	cfg, err := ParseToken(toks[0])
	if err != nil {
		return MatchmakingEvent{}, fmt.Errorf("configuration: %w", err)
	}
	typ, err := ParseToken(toks[1])
	if err != nil {
		return MatchmakingEvent{}, fmt.Errorf("eventType: %w", err)
	}
	return MatchmakingEvent{Configuration: cfg, Type: typ}, nil
}

// PublishScriptVersion announces a new script version on ScriptSubject(s.Name).
func (c *Conn) PublishScriptVersion(ctx context.Context, s ScriptVersion) error {
	subject, err := ScriptSubject(s.Name)
	if err != nil {
		return fmt.Errorf("bus: publish script version: %w", err)
	}
	data, err := s.Encode()
	return c.publish(ctx, "publish script version", subject, data, err)
}

// SubscribeScriptVersions calls fn with every announced version of script name
// (every script when it is empty), one at a time, until ctx is done or stop is
// called. Announcements are not stored: a relay that starts reads the current
// versions from the object store, then follows the announcements.
func (c *Conn) SubscribeScriptVersions(ctx context.Context, name string, fn func(ScriptVersion)) (stop func(), err error) {
	subject, err := ScriptFilter(name)
	if err != nil {
		return nil, fmt.Errorf("bus: subscribe script versions: %w", err)
	}
	return c.subscribe(ctx, subject, "", 1, false, func(m *nats.Msg, _ bool) {
		s, err := DecodeScriptVersion(m.Data)
		if err != nil {
			c.dropped(m.Subject, err)
			return
		}
		fn(s)
	})
}
