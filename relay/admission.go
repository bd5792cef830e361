// Admission: player sessions reserved by placements, logins and reconnects, and departures.

package relay

import (
	"crypto/subtle"
	"fmt"
	"math"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// reserve adds player sessions for players, refusing when the session would exceed
// maxPlayers with the players connected and the reservations still live.
// late is set for a session already created.
func (s *session) reserve(players []bus.Player, now time.Time, late bool) ([]bus.PlayerSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended.Load() {
		return nil, ErrSessionEnded
	}
	used := len(s.routes.Load().all) + s.res.live(now)
	if used+len(players) > s.maxPlayers {
		return nil, fmt.Errorf("%d players and live reservations, %d more asked, maximum %d: %w",
			used, len(players), s.maxPlayers, errFull)
	}
	out := make([]bus.PlayerSession, len(players))
	for i, p := range players {
		psid := p.PlayerSessionID
		if psid == "" {
			psid = newID("psess-")
		}
		s.res.add(p, psid, now.Add(s.srv.opts.PlayerSessionTTL), late)
		out[i] = bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: psid}
	}
	return out, nil
}

// forgetStaleReservations forgets the late reservations that expired unused
// more than PlayerSessionTTL ago, with their matched players, so that a
// session reserved for again and again (CreatePlayerSessions over hours)
// keeps only what can still log in and what did. It returns their player
// session ids, for the ledger. A login with one of them is then refused as
// not reserved, where it was refused as expired.
func (s *session) forgetStaleReservations(now time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res.forgetStale(now, s.srv.opts.PlayerSessionTTL)
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

// psidHashes returns the hashes of the player session ids the session
// holds, reserved or logged in.
func (s *session) psidHashes() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res.hashes()
}

// recorded reports whether the ledger records the session as player
// session psid's (ledger.addPSIDLocked).
func (s *session) recorded(psid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res.recorded(psid)
}

// setRecorded records, or not, that the ledger records the session as
// player session psid's, when the session holds it.
func (s *session) setRecorded(psid string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.res.setRecorded(psid, on)
}

// recordsOther reports whether the ledger records the session as the
// session of a player session id other than psid whose hash is h.
func (s *session) recordsOther(h uint64, psid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res.recordsOther(h, psid)
}

// joined reports whether a player has logged in with one of the session's
// player sessions.
func (s *session) joined() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res.joined()
}

// reserved looks up the reservation of player session psid for a login at
// now: its index in the session's table and matched player, or why the
// login is refused. The index stays valid on the session goroutine, the
// only one that moves reservations (reservations.forgetStale).
func (s *session) reserved(psid string, now time.Time) (int32, MatchedPlayer, protocol.Refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.res.find(psid)
	switch {
	case i < 0:
		return i, MatchedPlayer{}, protocol.RefusalUnknownPlayerSession
	case s.res.used(i):
		return i, MatchedPlayer{}, protocol.RefusalPlayerSessionUsed
	case s.res.expired(i, now):
		return i, MatchedPlayer{}, protocol.RefusalPlayerSessionExpired
	}
	return i, s.res.player(i, psid), protocol.RefusalNone
}

// hasLiveReservation reports whether a reserved player session may still log in.
func (s *session) hasLiveReservation(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.res.live(now) > 0
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
	res, mp, refusal := s.reserved(psid, now)
	rt := s.routes.Load()
	switch refusal {
	case protocol.RefusalUnknownPlayerSession:
		refuse(refusal, "player session not reserved in this game session")
		return
	case protocol.RefusalPlayerSessionUsed:
		refuse(refusal, "player session already used")
		return
	case protocol.RefusalPlayerSessionExpired:
		refuse(refusal, "player session reservation expired")
		return
	}
	if len(rt.all) >= s.maxPlayers {
		refuse(protocol.RefusalSessionFull, fmt.Sprintf("game session has its maximum of %d players", s.maxPlayers))
		return
	}
	p := &peer{
		id:   s.nextPeer + 1,
		sess: s,
		link: &link{},
		ip:   ev.ip,
		player: Player{PeerID: s.nextPeer + 1, PlayerSessionID: psid, PlayerID: mp.PlayerID,
			Team: mp.Team, Attributes: mp.Attributes, LatencyInMs: mp.LatencyInMs,
			PlayerData: mp.PlayerData, ConnectedAt: now},
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
	s.res.use(res)
	s.mu.Unlock()
	s.nextPeer = p.id
	s.byPSID[psid] = p
	if fp := s.srv.fast; fp != nil {
		fp.register(p)
	}
	// The player becomes routable while its login result is queued and not
	// yet sent (docs/relay.md, Admission): its login result is the first thing
	// it receives, and a message sent to it once it has it (or once the
	// others hear of it) is not dropped as having no recipient.
	s.loginResult(p, ev.sink, func() { s.routes.Store(rt.with(p)) })
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

// loginResult queues p's successful login result on conn and runs publish,
// which makes p routable. The result cannot leave before publish has run: conn
// stays corked until the session has handled the login (wsConn.uncork).
func (s *session) loginResult(p *peer, conn *wsConn, publish func()) {
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
	conn.enqueue(&out.Packet)
	publish()
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
	// As at a first login: the new connection routable while its login
	// result waits to be sent.
	s.loginResult(np, ev.sink, func() { s.routes.Store(rt.replaced(old, np)) })
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
	out.fresh()
	for _, m := range to {
		if m.extensions && m.id != id {
			m.reliable.enqueueOut(out)
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
