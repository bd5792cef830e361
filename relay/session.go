package relay

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// Errors of the Session methods.
var (
	// ErrUnknownPeer: no connected player has this peer id.
	ErrUnknownPeer = errors.New("relay: unknown peer")
	// ErrSessionEnded: the game session has ended.
	ErrSessionEnded = errors.New("relay: game session ended")
	// ErrPayloadTooLarge: a payload exceeds protocol.MaxPayloadSize.
	ErrPayloadTooLarge = errors.New("relay: payload too large")
	// ErrInvalidGroup: the group id is neither positive nor protocol.GroupAllPlayers.
	ErrInvalidGroup = errors.New("relay: invalid group id")
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
	sink      sink
	ip        netip.Addr
	refusal   protocol.Refusal
	refuseMsg string

	// dropped: the connection ended without a close frame (the peer is held
	// for a reconnect).
	dropped bool
}

// reservation is a player session reserved by a placement.
type reservation struct {
	player  MatchedPlayer
	expires time.Time
	used    bool
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

	mu           sync.Mutex // guards info.Players and reservations
	info         GameSessionInfo
	reservations map[string]*reservation

	// turn is held by whoever runs the script or touches the state below:
	// the session goroutine while it starts, handles an event or a tick and
	// ends, and a WebSocket reader while it runs its player's message
	// through the script (scriptedNow).
	turn sync.Mutex

	// Owned by the holder of turn.
	nextPeer      int32
	everConnected bool
	emptySince    time.Time
	lastHealth    time.Time
	scratch       protocol.Packet
	byPSID        map[string]*peer         // player session id -> its peer, connected or held
	held          map[*peer]time.Time      // dropped peers awaiting a reconnect, since when
	backfill      chan bus.BackfillRequest // to the backfiller; nil without automatic backfill
}

func newSession(srv *Server, info GameSessionInfo, maxPlayers int) *session {
	s := &session{
		srv:          srv,
		log:          srv.log.With("gameSessionId", info.GameSessionID),
		maxPlayers:   maxPlayers,
		id:           info.GameSessionID,
		arn:          info.GameSessionARN,
		inbox:        make(chan *event, 256),
		wake:         make(chan struct{}, 1),
		done:         make(chan struct{}),
		info:         info,
		reservations: make(map[string]*reservation),
		byPSID:       make(map[string]*peer),
		held:         make(map[*peer]time.Time),
	}
	if info.BackfillMode == BackfillAutomatic {
		s.backfill = make(chan bus.BackfillRequest, 1)
	}
	s.routes.Store(newRoutes())
	s.lastActivity.Store(info.CreatedAt.UnixNano())
	return s
}

// reserve adds player sessions for players, refusing when the session would exceed
// maxPlayers with the players connected and the reservations still live.
func (s *session) reserve(players []bus.Player, now time.Time) ([]bus.PlayerSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended.Load() {
		return nil, ErrSessionEnded
	}
	used := len(s.routes.Load().all)
	for _, r := range s.reservations {
		if !r.used && now.Before(r.expires) {
			used++
		}
	}
	if used+len(players) > s.maxPlayers {
		return nil, fmt.Errorf("%d players and live reservations, %d more asked, maximum %d: %w",
			used, len(players), s.maxPlayers, errFull)
	}
	out := make([]bus.PlayerSession, len(players))
	for i, p := range players {
		mp := MatchedPlayer{PlayerID: p.PlayerID, PlayerSessionID: newID("psess-"), Team: p.Team, Attributes: p.Attributes,
			LatencyInMs: maps.Clone(p.LatencyInMs)}
		s.reservations[mp.PlayerSessionID] = &reservation{player: mp, expires: now.Add(s.srv.opts.PlayerSessionTTL)}
		s.info.Players = append(s.info.Players, mp)
		out[i] = bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: mp.PlayerSessionID}
	}
	return out, nil
}

// viaScript reports whether a developer message must go through the session's
// script rather than straight to its recipients.
func (s *session) viaScript(p *protocol.Packet) bool {
	if s.script == nil {
		return false
	}
	k := protocol.RouteOf(p).Kind
	return k == protocol.TargetServer || int(k) >= len(s.throughScript) || s.throughScript[k]
}

// configure applies the script's configuration (ScriptConfig) to a session not
// yet running: its maxPlayers lowers the session's, refusing a placement of
// more players, and its ping interval replaces the relay's.
func (s *session) configure(players int) error {
	s.throughScript[protocol.TargetPlayer], s.throughScript[protocol.TargetGroup] = true, true
	if f, ok := s.script.(ScriptFilters); ok {
		s.throughScript[protocol.TargetPlayer] = f.FiltersSendToPlayer()
		s.throughScript[protocol.TargetGroup] = f.FiltersSendToGroup()
	}
	c, ok := s.script.(ScriptConfig)
	if !ok {
		return nil
	}
	if n := c.MaxPlayers(); n > 0 && n < s.maxPlayers {
		if players > n {
			return fmt.Errorf("%d players, the script admits at most %d", players, n)
		}
		s.mu.Lock()
		s.maxPlayers = n
		s.info.MaxPlayers = n
		s.mu.Unlock()
	}
	if d := c.PingInterval(); d > 0 {
		s.pingInterval = d
	}
	return nil
}

// joined reports whether a player has logged in with one of the session's
// player sessions.
func (s *session) joined() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reservations {
		if r.used {
			return true
		}
	}
	return false
}

// hasLiveReservation reports whether a reserved player session may still log in.
func (s *session) hasLiveReservation(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.reservations {
		if !r.used && now.Before(r.expires) {
			return true
		}
	}
	return false
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
	for p, since := range s.held {
		if now.Sub(since) >= o.ReconnectGrace {
			s.remove(p)
		}
	}
	timeouts := s.script == nil || o.ScriptedSessionTimeouts
	if timeouts && len(s.routes.Load().all) == 0 && !s.hasLiveReservation(now) {
		switch {
		case !s.everConnected:
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

// admit decides a login (docs/protocol.md 7.1) and, when it succeeds, adds the
// peer: the login result first, then the notices to the others.
func (s *session) admit(ev *event) {
	login := ev.login
	psid := login.Login.PlayerSessionID
	refuse := func(r protocol.Refusal, msg string) { ev.refusal, ev.refuseMsg = r, msg }
	if s.ended.Load() || s.endReq.Load() != nil {
		refuse(protocol.RefusalSessionEnded, "the game session has ended")
		return
	}
	if login.Login.ReconnectToken != "" {
		s.reconnect(ev)
		return
	}
	now := time.Now()
	s.mu.Lock()
	res := s.reservations[psid]
	s.mu.Unlock()
	rt := s.routes.Load()
	switch {
	case res == nil:
		refuse(protocol.RefusalUnknownPlayerSession, "player session not reserved in this game session")
		return
	case res.used:
		refuse(protocol.RefusalPlayerSessionUsed, "player session already used")
		return
	case !now.Before(res.expires):
		refuse(protocol.RefusalPlayerSessionExpired, "player session reservation expired")
		return
	case len(rt.all) >= s.maxPlayers:
		refuse(protocol.RefusalSessionFull, fmt.Sprintf("game session has its maximum of %d players", s.maxPlayers))
		return
	}
	p := &peer{
		id:   s.nextPeer + 1,
		sess: s,
		link: &link{},
		ip:   ev.ip,
		player: Player{PeerID: s.nextPeer + 1, PlayerSessionID: psid, PlayerID: res.player.PlayerID,
			Team: res.player.Team, Attributes: res.player.Attributes, LatencyInMs: res.player.LatencyInMs, ConnectedAt: now},
		extensions:     login.Login.ExtensionVersion >= protocol.ExtensionVersion,
		reliable:       ev.sink,
		connectToken:   newToken(),
		reconnectToken: newToken(),
	}
	if !s.invokeBool("OnPlayerConnect", true, func(sc Script) bool { return sc.OnPlayerConnect(s, p.player, login.Payload) }) {
		refuse(protocol.RefusalRejectedByScript, "refused by the game session's script")
		return
	}
	s.mu.Lock()
	res.used = true
	s.mu.Unlock()
	s.nextPeer = p.id
	s.byPSID[psid] = p
	if fp := s.srv.fast; fp != nil {
		fp.register(p)
	}
	// The login result is queued first, so that it is the first thing the
	// player receives; the player is routable at once after it, before the
	// others hear of it, so that a message sent to it on that news (or
	// right after its own login) is not dropped as having no recipient.
	s.loginResult(p)
	s.routes.Store(rt.with(p))
	s.notice(rt.all, protocol.MessagePlayerConnect, p.id)
	s.everConnected = true
	s.srv.players.Add(1)
	s.srv.m.players.Inc()
	ev.peer = p

	s.invoke("OnPlayerAccepted", func(sc Script) { sc.OnPlayerAccepted(s, p.player) })
	ctx, cancel := s.srv.publishContext()
	defer cancel()
	if err := s.srv.bus.PublishPlayerJoined(ctx, bus.PlayerJoined{SessionRef: s.ref(), PlayerID: p.player.PlayerID,
		PlayerSessionID: psid, PeerID: int(p.id), Players: len(rt.all) + 1, JoinedAt: now}); err != nil {
		s.log.Warn("publish player joined", "err", err)
	}
}

// loginResult sends p its successful login result.
func (s *session) loginResult(p *peer) {
	out := &s.scratch
	out.Reset()
	out.OpCode = protocol.OpLoginResult
	out.TargetPlayer = p.id
	out.Sender = protocol.PeerServer
	out.SetMessage(protocol.MessageLoginResult)
	out.LoginResult = protocol.LoginResult{Success: true, PeerID: p.id, ConnectToken: p.connectToken,
		ReconnectToken: p.reconnectToken, FastPort: int32(s.srv.fastPort), CACert: s.srv.caCert}
	if g := s.srv.opts.ReconnectGrace; g > 0 {
		out.LoginResult.ReconnectGraceMillis = int32(min(g.Milliseconds(), math.MaxInt32))
	}
	p.reliable.enqueue(out)
}

// reconnect resumes a connected or held peer on a new connection when the login
// carries its reconnect token (docs/protocol.md 7.2): same peer id and groups,
// new tokens, the old connection closed with 4003, the UDP path to bind again.
func (s *session) reconnect(ev *event) {
	login := ev.login
	old := s.byPSID[login.Login.PlayerSessionID]
	rt := s.routes.Load()
	if old == nil || rt.peers[old.id] != old || s.srv.opts.ReconnectGrace < 0 ||
		subtle.ConstantTimeCompare([]byte(old.reconnectToken), []byte(login.Login.ReconnectToken)) != 1 {
		ev.refusal, ev.refuseMsg = protocol.RefusalReconnectFailed, "reconnect token unknown, expired or used"
		return
	}
	if since, ok := s.held[old]; ok && time.Since(since) >= s.srv.opts.ReconnectGrace {
		ev.refusal, ev.refuseMsg = protocol.RefusalReconnectFailed, "reconnect grace period over"
		return
	}
	np := &peer{id: old.id, sess: s, link: old.link, ip: ev.ip, player: old.player,
		extensions: login.Login.ExtensionVersion >= protocol.ExtensionVersion, reliable: ev.sink,
		connectToken: newToken(), reconnectToken: newToken()}
	delete(s.held, old)
	s.byPSID[np.player.PlayerSessionID] = np
	if fp := s.srv.fast; fp != nil {
		fp.unregister(old)
		fp.register(np)
	}
	// As at a first login: the login result first, then the new connection
	// routable.
	s.loginResult(np)
	s.routes.Store(rt.replaced(old, np))
	old.setLeaveReason(leftReplaced)
	old.reliable.close(protocol.CloseReplaced, "replaced by a reconnect")
	ev.peer = np
	s.log.Debug("player reconnected", "peerId", np.id)
}

// notice sends a player connect or disconnect notice (sender -1, reliable) to the
// members of to that speak the Matchpoint extensions.
func (s *session) notice(to []*peer, kind protocol.MessageKind, id int32) {
	out := &s.scratch
	out.Reset()
	out.Sender = protocol.PeerServer
	out.SetMessage(kind)
	if kind == protocol.MessagePlayerConnect {
		out.OpCode = protocol.OpPlayerConnect
		out.PlayerConnect.PeerID = id
	} else {
		out.OpCode = protocol.OpPlayerDisconnect
		out.PlayerDisconnect.PeerID = id
	}
	for _, m := range to {
		if m.extensions && m.id != id {
			m.reliable.enqueue(out)
		}
	}
}

// disconnect handles a peer whose connection ended: a dropped connection is held
// for ReconnectGrace (its id and groups kept, messages to it dropped), any other
// end removes the peer.
func (s *session) disconnect(p *peer, dropped bool) {
	rt := s.routes.Load()
	if rt.peers[p.id] != p {
		return
	}
	if dropped && p.leaveReason.Load() == nil && s.srv.opts.ReconnectGrace > 0 {
		s.held[p] = time.Now()
		if fp := s.srv.fast; fp != nil {
			fp.unbind(p)
		}
		s.log.Debug("player connection dropped, held for a reconnect", "peerId", p.id)
		return
	}
	s.remove(p)
}

// remove takes a peer out of the session: the script's OnPlayerDisconnect, the
// notices and membership updates to the others, the bus event and, for automatic
// backfill, a backfill request.
func (s *session) remove(p *peer) {
	rt := s.routes.Load()
	if rt.peers[p.id] != p {
		return
	}
	delete(s.held, p)
	delete(s.byPSID, p.player.PlayerSessionID)
	if fp := s.srv.fast; fp != nil {
		fp.unregister(p)
	}
	s.invoke("OnPlayerDisconnect", func(sc Script) { sc.OnPlayerDisconnect(s, p.id) })
	var groups []int32
	for g, members := range rt.groups {
		for _, m := range members {
			if m == p {
				groups = append(groups, g)
			}
		}
	}
	rt = rt.without(p)
	s.routes.Store(rt)
	s.notice(rt.all, protocol.MessagePlayerDisconnect, p.id)
	for _, g := range groups {
		s.membership(rt, g, rt.group(g), protocol.PeerServer)
	}
	if len(rt.all) == 0 {
		s.emptySince = time.Now()
	}
	reason := bus.LeftClosed
	if r := p.leaveReason.Load(); r != nil {
		reason = *r
	}
	s.left(p, reason, len(rt.all))
	if s.backfill != nil {
		s.requestBackfill(rt)
	}
}

// left counts a departed player and reports it on the bus.
func (s *session) left(p *peer, reason string, remaining int) {
	s.srv.players.Add(-1)
	s.srv.m.players.Dec()
	ctx, cancel := s.srv.publishContext()
	defer cancel()
	if err := s.srv.bus.PublishPlayerLeft(ctx, bus.PlayerLeft{SessionRef: s.ref(), PlayerID: p.player.PlayerID,
		PlayerSessionID: p.player.PlayerSessionID, PeerID: int(p.id), Players: remaining, Reason: reason,
		LeftAt: time.Now()}); err != nil {
		s.log.Warn("publish player left", "err", err)
	}
}

// end closes every connection, reports the end and removes the session.
func (s *session) end(req endRequest) {
	s.ended.Store(true)
	if req.reason != bus.EndScript {
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

// forward delivers a developer message from sender along its route, using out as
// scratch. Safe on any goroutine: it reads the routes snapshot.
func (s *session) forward(sender *peer, in, out *protocol.Packet, fast bool) {
	s.forwardVia(sender, in, out, fast, nil)
}

// forwardVia is forward from a UDP reader: the datagrams join the reader's batch
// sb (nil: they are written at once).
func (s *session) forwardVia(sender *peer, in, out *protocol.Packet, fast bool, sb *sendBatch) {
	t := protocol.RouteOf(in)
	out.Message = protocol.MessageNone
	out.SequenceNumber, out.ClientVersion = 0, 0
	out.OpCode = in.OpCode
	out.Sender = sender.id
	out.TargetPlayer = in.TargetPlayer
	out.TargetGroup = in.TargetGroup
	out.Payload = in.Payload
	rt := s.routes.Load()
	switch t.Kind {
	case protocol.TargetPlayer:
		dst := rt.peers[t.ID]
		if dst == nil {
			s.srv.m.drop(dropNoRecipient)
			return
		}
		dst.sendVia(out, fast, sb)
	case protocol.TargetGroup:
		n := 0
		for _, m := range rt.group(t.ID) {
			if m != sender {
				m.sendVia(out, fast, sb)
				n++
			}
		}
		if n == 0 {
			s.srv.m.drop(dropNoRecipient)
		}
	}
}

// postCopy hands a copy of a fast-path packet to the session goroutine without
// waiting, so that one session's script never stalls the UDP reader; when the
// session's inbox is full the packet is dropped (queue_full). The copy allocates:
// scripted UDP traffic costs one allocation per message.
func (s *session) postCopy(kind eventKind, p *peer, in *protocol.Packet) {
	c := *in
	c.Payload = append([]byte(nil), in.Payload...)
	select {
	case s.inbox <- &event{kind: kind, peer: p, pkt: &c}:
	default:
		s.srv.m.drop(dropQueueFull)
	}
}

// scriptedNow runs a player's developer message through the script on the
// caller's goroutine, a WebSocket reader, taking the session's turn: in order
// with that player's other messages, as a call(evData) to the session goroutine
// would be, without the two hand-offs between goroutines that cost more than
// a pass-through callback. It returns false once the session has ended. The
// UDP readers, shared by many sessions, never wait for a turn (postCopy).
func (s *session) scriptedNow(p *peer, in *protocol.Packet) bool {
	s.turn.Lock()
	defer s.turn.Unlock()
	if s.ended.Load() {
		return false
	}
	s.scripted(p, in)
	return true
}

// scripted routes a developer message through the script's callbacks.
func (s *session) scripted(p *peer, in *protocol.Packet) {
	m := Message{OpCode: in.OpCode, Sender: p.id, TargetPlayer: in.TargetPlayer, TargetGroup: in.TargetGroup,
		Reliable: in.Reliable, Payload: in.Payload}
	switch protocol.RouteOf(in).Kind {
	case protocol.TargetServer:
		s.invoke("OnMessage", func(sc Script) { sc.OnMessage(s, m) })
		return
	case protocol.TargetPlayer:
		if !s.invokeBool("OnSendToPlayer", true, func(sc Script) bool { return sc.OnSendToPlayer(s, m) }) {
			s.srv.m.drop(dropScript)
			return
		}
	case protocol.TargetGroup:
		if !s.invokeBool("OnSendToGroup", true, func(sc Script) bool { return sc.OnSendToGroup(s, m) }) {
			s.srv.m.drop(dropScript)
			return
		}
	}
	s.forward(p, in, &s.scratch, !in.Reliable)
}

// groupCommand handles join, leave and membership requests (docs/protocol.md 10).
func (s *session) groupCommand(p *peer, in *protocol.Packet) {
	rt := s.routes.Load()
	switch in.Message {
	case protocol.MessageJoinGroup:
		g := in.JoinGroup.Group
		if rt.inGroup(g, p.id) || !s.invokeBool("OnPlayerJoinGroup", true, func(sc Script) bool { return sc.OnPlayerJoinGroup(s, g, p.id) }) {
			s.membership(rt, g, []*peer{p}, p.id)
			return
		}
		rt = rt.joined(g, p)
		s.routes.Store(rt)
		s.membership(rt, g, rt.group(g), p.id)
	case protocol.MessageLeaveGroup:
		g := in.LeaveGroup.Group
		if !rt.inGroup(g, p.id) || !s.invokeBool("OnPlayerLeaveGroup", true, func(sc Script) bool { return sc.OnPlayerLeaveGroup(s, g, p.id) }) {
			s.membership(rt, g, []*peer{p}, p.id)
			return
		}
		rt = rt.left(g, p)
		s.routes.Store(rt)
		s.membership(rt, g, append(rt.group(g)[:len(rt.group(g)):len(rt.group(g))], p), p.id)
	case protocol.MessageRequestGroupMembership:
		s.membership(rt, in.RequestGroupMembership.Group, []*peer{p}, p.id)
	}
}

// membership sends the member list of group g, as rt has it, to the peers to,
// reliable, from sender: the player whose join, leave or request it answers
// (GroupMembershipEventArgs.Sender), protocol.PeerServer when nobody asked.
func (s *session) membership(rt *routes, g int32, to []*peer, sender int32) {
	out := &s.scratch
	out.Reset()
	out.OpCode = protocol.OpGroupMembershipUpdate
	out.Sender = sender
	out.SetMessage(protocol.MessageGroupMembershipUpdate)
	out.GroupMembershipUpdate.Group = g
	for _, m := range rt.group(g) {
		out.GroupMembershipUpdate.Players = append(out.GroupMembershipUpdate.Players, m.id)
	}
	for _, m := range to {
		m.reliable.enqueue(out)
	}
}

// The Session interface, for scripts.

// GetPlayers returns the connected players, by ascending peer id.
func (s *session) GetPlayers() []Player {
	all := s.routes.Load().all
	out := make([]Player, len(all))
	for i, p := range all {
		out[i] = p.player
	}
	return out
}

// BroadcastGroupMembershipUpdate sends the members of groupToBroadcast to the
// members of targetGroup.
func (s *session) BroadcastGroupMembershipUpdate(groupToBroadcast, targetGroup int32) error {
	if err := checkGroup(groupToBroadcast); err != nil {
		return err
	}
	if err := checkGroup(targetGroup); err != nil {
		return err
	}
	if s.ended.Load() {
		return ErrSessionEnded
	}
	rt := s.routes.Load()
	out := s.srv.getPacket()
	defer s.srv.putPacket(out)
	out.OpCode = protocol.OpGroupMembershipUpdate
	out.Sender = protocol.PeerServer
	out.SetMessage(protocol.MessageGroupMembershipUpdate)
	out.GroupMembershipUpdate.Group = groupToBroadcast
	out.GroupMembershipUpdate.Players = append(out.GroupMembershipUpdate.Players, rt.memberIDs(groupToBroadcast)...)
	for _, m := range rt.group(targetGroup) {
		m.reliable.enqueue(out)
	}
	return nil
}

// GetServerID returns protocol.PeerServer.
func (s *session) GetServerID() int32 { return protocol.PeerServer }

// GetAllPlayersGroupID returns protocol.GroupAllPlayers.
func (s *session) GetAllPlayersGroupID() int32 { return protocol.GroupAllPlayers }

// ProcessEnding ends the session with reason bus.EndScript.
func (s *session) ProcessEnding() { s.requestEnd(bus.EndScript, "the script called processEnding") }

// GetGameSessionID returns the game session id.
func (s *session) GetGameSessionID() string { return s.id }

// Info returns a copy of the session's placement data.
func (s *session) Info() GameSessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.info
	info.Players = append([]MatchedPlayer(nil), s.info.Players...)
	info.GameProperties = append([]bus.GameProperty(nil), s.info.GameProperties...)
	return info
}

// Logger returns the session's logger.
func (s *session) Logger() *slog.Logger { return s.log }

// SendMessage sends m to one player by the fast path.
func (s *session) SendMessage(m Message, peerID int32) error { return s.sendTo(m, peerID, true) }

// SendReliableMessage sends m to one player over the WebSocket.
func (s *session) SendReliableMessage(m Message, peerID int32) error {
	return s.sendTo(m, peerID, false)
}

// SendGroupMessage sends m to a group by the fast path.
func (s *session) SendGroupMessage(m Message, groupID int32) error {
	return s.sendGroup(m, groupID, true)
}

// SendReliableGroupMessage sends m to a group over the WebSocket.
func (s *session) SendReliableGroupMessage(m Message, groupID int32) error {
	return s.sendGroup(m, groupID, false)
}

func (s *session) sendTo(m Message, peerID int32, fast bool) error {
	if len(m.Payload) > protocol.MaxPayloadSize {
		return fmt.Errorf("%d bytes, maximum %d: %w", len(m.Payload), protocol.MaxPayloadSize, ErrPayloadTooLarge)
	}
	if s.ended.Load() {
		return ErrSessionEnded
	}
	p := s.routes.Load().peers[peerID]
	if p == nil {
		return fmt.Errorf("peer %d: %w", peerID, ErrUnknownPeer)
	}
	out := s.srv.getPacket()
	defer s.srv.putPacket(out)
	out.OpCode, out.Sender, out.TargetPlayer, out.Payload = m.OpCode, m.Sender, peerID, m.Payload
	p.send(out, fast)
	return nil
}

func (s *session) sendGroup(m Message, groupID int32, fast bool) error {
	if len(m.Payload) > protocol.MaxPayloadSize {
		return fmt.Errorf("%d bytes, maximum %d: %w", len(m.Payload), protocol.MaxPayloadSize, ErrPayloadTooLarge)
	}
	if err := checkGroup(groupID); err != nil {
		return err
	}
	if s.ended.Load() {
		return ErrSessionEnded
	}
	out := s.srv.getPacket()
	defer s.srv.putPacket(out)
	out.OpCode, out.Sender, out.TargetGroup, out.Payload = m.OpCode, m.Sender, groupID, m.Payload
	for _, p := range s.routes.Load().group(groupID) {
		p.send(out, fast)
	}
	return nil
}

// Kick disconnects a player with protocol.CloseKicked.
func (s *session) Kick(peerID int32, reason string) error {
	p := s.routes.Load().peers[peerID]
	if p == nil {
		return fmt.Errorf("peer %d: %w", peerID, ErrUnknownPeer)
	}
	reason = truncateString(reason, maxCloseReason)
	p.setLeaveReason(bus.LeftKicked)
	p.reliable.close(protocol.CloseKicked, reason)
	// A held peer (dropped, awaiting a reconnect) has no connection left to
	// end: remove it now. Never blocks, so that a script may kick from a callback.
	select {
	case s.inbox <- &event{kind: evFunc, fn: func() {
		if _, held := s.held[p]; held {
			s.remove(p)
		}
	}}:
	default:
	}
	return nil
}

// AfterFunc runs fn on the session goroutine after d.
func (s *session) AfterFunc(d time.Duration, fn func()) (stop func() bool) {
	t := time.AfterFunc(d, func() { s.post(&event{kind: evFunc, fn: fn}) })
	return t.Stop
}

func checkGroup(g int32) error {
	if g > 0 || g == protocol.GroupAllPlayers {
		return nil
	}
	return fmt.Errorf("group %d: %w", g, ErrInvalidGroup)
}

// publishContext bounds one bus publish.
func (srv *Server) publishContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(srv.baseCtx, 5*time.Second)
}
