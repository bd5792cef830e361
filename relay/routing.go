// Routing: player messages along their routes, through the script when it filters them, and groups.

package relay

import "github.com/matchpoint-dev/matchpoint/relay/protocol"

// viaScript reports whether a developer message must go through the session's
// script rather than straight to its recipients.
func (s *session) viaScript(p *protocol.Packet) bool {
	if s.script == nil {
		return false
	}
	k := protocol.RouteOf(p).Kind
	return k == protocol.TargetServer || int(k) >= len(s.throughScript) || s.throughScript[k]
}

// forward delivers a developer message from sender along its route, using out as
// scratch. Safe on any goroutine: it reads the routes snapshot.
func (s *session) forward(sender *peer, in *protocol.Packet, out *outgoing, fast bool) {
	s.forwardVia(sender, in, out, fast, nil)
}

// forwardVia is forward from a UDP reader: the datagrams join the reader's batch
// sb (nil: they are written at once). The message is encoded once per channel
// for all its recipients (outgoing).
func (s *session) forwardVia(sender *peer, in *protocol.Packet, out *outgoing, fast bool, sb *sendBatch) {
	t := protocol.RouteOf(in)
	out.Message = protocol.MessageNone
	out.SequenceNumber, out.ClientVersion = 0, 0
	out.OpCode = in.OpCode
	out.Sender = sender.id
	out.TargetPlayer = in.TargetPlayer
	out.TargetGroup = in.TargetGroup
	out.Payload = in.Payload
	out.fresh()
	rt := s.routes.Load()
	switch t.Kind {
	case protocol.TargetPlayer:
		dst := rt.peers[t.ID]
		if dst == nil {
			s.srv.m.drop(dropNoRecipient)
			return
		}
		dst.send(out, fast, sb)
	case protocol.TargetGroup:
		n := 0
		for _, m := range rt.group(t.ID) {
			if m != sender {
				m.send(out, fast, sb)
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
	out.fresh()
	for _, m := range to {
		m.reliable.enqueueOut(out)
	}
}
