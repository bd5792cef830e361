package relay

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// maxCloseReason is the longest close reason a WebSocket close frame holds.
const maxCloseReason = 123

// eventKind says what an event asks of the session goroutine.
type eventKind uint8

const (
	evLogin eventKind = iota + 1
	evData
	evGroup
	evDisconnect
	evFunc
)

// event is a request to the session goroutine. Synchronous events (login, data,
// group) carry a done channel the sender waits on, so the packet they point to
// stays valid until the session has handled it.
type event struct {
	kind eventKind
	peer *peer
	pkt  *protocol.Packet
	fn   func()
	done chan struct{}

	// login request and result
	login     *protocol.Packet
	sink      *wsConn
	ip        netip.Addr
	refusal   protocol.Refusal
	refuseMsg string

	// dropped: the connection ended without a close frame (the peer is held
	// for a reconnect).
	dropped bool
}

// endRequest is why a session is asked to end.
type endRequest struct {
	reason  string
	message string
}

// session is one game session: its players, groups, script and lifecycle. Routing
// reads the routes snapshot from any goroutine; everything else that changes the
// session runs on its goroutine (run).
type session struct {
	srv    *Server
	log    *slog.Logger
	script Script
	// throughScript says which player messages go through the script:
	// [TargetPlayer] and [TargetGroup] (by protocol.TargetKind);
	// server-addressed messages always do.
	throughScript [protocol.TargetGroup + 1]bool
	maxPlayers    int
	// pingInterval is the script's WebSocket ping period; 0: the relay's.
	pingInterval time.Duration
	id, arn      string

	routes       atomic.Pointer[routes]
	inbox        chan *event
	wake         chan struct{}
	done         chan struct{}
	ended        atomic.Bool
	endReq       atomic.Pointer[endRequest]
	lastActivity atomic.Int64 // unix nanoseconds of the last packet from a player

	// ledgerNum is the session's number in the ledger's byHash, 0 until
	// it has one; ledger.mu guards it.
	ledgerNum uint64
	// placements are the ledger's records of the placements that made or
	// backfilled the session (ledger.settle), for ledger.sessionEnded;
	// ledger.mu guards it.
	placements []*placed

	mu sync.Mutex // guards info and res
	// info is the session's placement data; its Players are res's matched
	// players (Info).
	info GameSessionInfo
	// res holds the reservations and their matched players. Those made
	// after the session was created (a backfill, CreatePlayerSessions) are
	// forgotten a while after they expire unused, where the players of the
	// placement that created the session stay its matched players.
	res reservations

	// turn is held by whoever runs the script or touches the state below:
	// the session goroutine while it starts, handles an event or a tick and
	// ends, and a WebSocket reader while it runs its player's message
	// through the script (scriptedNow).
	turn sync.Mutex

	// Owned by the holder of turn.
	nextPeer      int32
	everConnected bool
	// createdEmpty: placed without players (CreateGameSession), the
	// session is empty from its start rather than EXPIRED.
	createdEmpty bool
	emptySince   time.Time
	lastHealth   time.Time
	scratch      outgoing
	byPSID       map[string]*peer         // player session id -> its peer, connected or held
	held         map[*peer]time.Time      // dropped peers awaiting a reconnect, since when
	backfill     chan bus.BackfillRequest // to the backfiller; nil without automatic backfill
}

func newSession(srv *Server, info GameSessionInfo, maxPlayers int) *session {
	s := &session{
		srv:        srv,
		log:        srv.log.With("gameSessionId", info.GameSessionID),
		maxPlayers: maxPlayers,
		id:         info.GameSessionID,
		arn:        info.GameSessionARN,
		inbox:      make(chan *event, 256),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		info:       info,
		byPSID:     make(map[string]*peer),
		held:       make(map[*peer]time.Time),
	}
	if replacesLeavers(info) {
		s.backfill = make(chan bus.BackfillRequest, 1)
	}
	s.routes.Store(newRoutes())
	s.lastActivity.Store(info.CreatedAt.UnixNano())
	return s
}

// post hands ev to the session goroutine; it reports false when the session has
// ended.
func (s *session) post(ev *event) bool {
	select {
	case s.inbox <- ev:
		return true
	case <-s.done:
		return false
	}
}

// call posts a synchronous event and waits until the session has handled it.
func (s *session) call(ev *event) bool {
	if !s.post(ev) {
		return false
	}
	select {
	case <-ev.done:
		return true
	case <-s.done:
		select {
		case <-ev.done:
			return true
		default:
			return false
		}
	}
}

// requestEnd asks the session to end; the first request wins. Safe from any
// goroutine, including the session's own.
func (s *session) requestEnd(reason, message string) {
	if s.endReq.CompareAndSwap(nil, &endRequest{reason: reason, message: message}) {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// run is the session goroutine: it handles events and timers until the session
// ends. The Server's wait group owns it.
func (s *session) run(tick time.Duration) {
	defer s.srv.wg.Done()
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	s.lastHealth = time.Now()
	if s.backfill != nil {
		ctx, cancel := context.WithCancel(s.srv.baseCtx)
		done := make(chan struct{})
		go s.backfiller(ctx, done)
		defer func() { cancel(); <-done }()
	}
	s.turn.Lock()
	s.invoke("OnStartGameSession", func(sc Script) { sc.OnStartGameSession(s) })
	s.turn.Unlock()
	for s.endReq.Load() == nil {
		select {
		case ev := <-s.inbox:
			s.turn.Lock()
			s.handle(ev)
			s.turn.Unlock()
		case <-s.wake:
		case now := <-ticker.C:
			s.turn.Lock()
			s.check(now)
			s.turn.Unlock()
		}
	}
	s.turn.Lock()
	defer s.turn.Unlock()
	s.end(*s.endReq.Load())
}

func (s *session) handle(ev *event) {
	switch ev.kind {
	case evLogin:
		s.admit(ev)
	case evData:
		s.scripted(ev.peer, ev.pkt)
	case evGroup:
		s.groupCommand(ev.peer, ev.pkt)
	case evDisconnect:
		s.disconnect(ev.peer, ev.dropped)
	case evFunc:
		s.invoke("AfterFunc", func(Script) { ev.fn() })
	}
	if ev.done != nil {
		ev.done <- struct{}{}
	}
}

// check applies the session's timeouts and runs the health check. A session
// whose script is loaded ends when its script says so (or a drain ends it),
// as in GameLift Realtime: the expiry, empty and idle timeouts apply to it only
// with Options.ScriptedSessionTimeouts.
func (s *session) check(now time.Time) {
	o := &s.srv.opts
	if gone := s.forgetStaleReservations(now); len(gone) > 0 {
		s.srv.ledger.forgetPlayerSessions(s, gone)
	}
	for p, since := range s.held {
		if now.Sub(since) >= o.ReconnectGrace {
			s.remove(p)
		}
	}
	timeouts := s.script == nil || o.ScriptedSessionTimeouts
	if timeouts && len(s.routes.Load().all) == 0 && !s.hasLiveReservation(now) {
		switch {
		case !s.everConnected && !s.createdEmpty:
			s.requestEnd(bus.EndExpired, "no reserved player connected within "+o.PlayerSessionTTL.String())
		case now.Sub(s.emptySince) >= o.EmptySessionTimeout:
			s.requestEnd(bus.EndEmpty, "empty for "+o.EmptySessionTimeout.String())
		}
	}
	if timeouts && now.Sub(time.Unix(0, s.lastActivity.Load())) >= o.IdleTimeout {
		s.requestEnd(bus.EndIdle, "no message for "+o.IdleTimeout.String())
	}
	if s.script != nil && now.Sub(s.lastHealth) >= o.HeartbeatInterval {
		s.lastHealth = now
		if !s.invokeBool("OnHealthCheck", true, func(sc Script) bool { return sc.OnHealthCheck(s) }) {
			s.srv.m.unhealthyChecks.Inc()
			s.log.Warn("script health check failed")
		}
	}
}

// invoke runs a script callback on the session goroutine, recovering a panic.
func (s *session) invoke(name string, fn func(Script)) bool {
	if s.script == nil && name != "AfterFunc" {
		return true
	}
	panicked := true
	defer func() {
		if panicked {
			r := recover()
			s.srv.m.scriptPanics.WithLabelValues(name).Inc()
			s.log.Error("script callback panicked", "callback", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	fn(s.script)
	panicked = false
	return true
}

// invokeBool runs a script callback that returns a decision; def is the answer
// without a script or when the callback panics.
func (s *session) invokeBool(name string, def bool, fn func(Script) bool) bool {
	if s.script == nil {
		return def
	}
	v := def
	ok := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				s.srv.m.scriptPanics.WithLabelValues(name).Inc()
				s.log.Error("script callback panicked", "callback", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		v = fn(s.script)
		ok = true
	}()
	if !ok {
		return def
	}
	return v
}

// end closes every connection, reports the end and removes the session.
func (s *session) end(req endRequest) {
	s.ended.Store(true)
	if req.reason != bus.EndScript && req.reason != bus.EndForceTerminated {
		s.invoke("OnProcessTerminate", func(sc Script) { sc.OnProcessTerminate(s) })
	}
	code, why := protocol.CloseSessionEnded, "game session ended"
	if req.reason == bus.EndDrained {
		code, why = protocol.CloseGoingAway, "relay draining"
	}
	rt := s.routes.Load()
	s.routes.Store(newRoutes())
	for i, p := range rt.all {
		p.setLeaveReason(bus.LeftEnded)
		p.reliable.close(code, why)
		if fp := s.srv.fast; fp != nil {
			fp.unregister(p)
		}
		s.left(p, *p.leaveReason.Load(), len(rt.all)-i-1)
	}
	s.srv.removeSession(s)
	s.srv.m.sessionsEnded.WithLabelValues(req.reason).Inc()
	s.log.Info("game session ended", "reason", req.reason, "message", req.message)
	ctx, cancel := s.srv.publishContext()
	defer cancel()
	if err := s.srv.bus.PublishSessionEnded(ctx, bus.SessionEnded{SessionRef: s.ref(), Reason: req.reason,
		Message: req.message, EndedAt: time.Now()}); err != nil {
		s.log.Warn("publish session ended", "err", err)
	}
	close(s.done)
}

func (s *session) ref() bus.SessionRef {
	return bus.SessionRef{GameSessionID: s.id, GameSessionARN: s.arn, MatchID: s.info.MatchID,
		Configuration: s.info.Configuration, Region: s.info.Region, RelayID: s.info.RelayID}
}

// publishContext bounds one bus publish.
func (srv *Server) publishContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(srv.baseCtx, 5*time.Second)
}
