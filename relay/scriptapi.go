// The script-facing API: the Session methods a game session's script calls.

package relay

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	out := s.srv.getOutgoing()
	defer s.srv.putOutgoing(out)
	out.OpCode = protocol.OpGroupMembershipUpdate
	out.Sender = protocol.PeerServer
	out.SetMessage(protocol.MessageGroupMembershipUpdate)
	out.GroupMembershipUpdate.Group = groupToBroadcast
	out.GroupMembershipUpdate.Players = append(out.GroupMembershipUpdate.Players, rt.memberIDs(groupToBroadcast)...)
	out.fresh()
	for _, m := range rt.group(targetGroup) {
		m.reliable.enqueueOut(out)
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

// Info returns a copy of the session's placement data. Its Players, made
// from the session's reservations, is kept and handed out again until a
// reservation is made or forgotten (a session reserved for again and again
// holds many, and scripts read Info on every call to getGameSessionData or
// getGameProperties), or until a collection finds no caller holding it; a
// change makes a new slice, so a slice handed out never changes. Callers
// must not modify its elements.
func (s *session) Info() GameSessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := s.info
	info.Players = slices.Clip(s.res.matched())
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
	out := s.srv.getOutgoing()
	defer s.srv.putOutgoing(out)
	out.OpCode, out.Sender, out.TargetPlayer, out.Payload = m.OpCode, m.Sender, peerID, m.Payload
	out.fresh()
	p.send(out, fast, nil)
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
	out := s.srv.getOutgoing()
	defer s.srv.putOutgoing(out)
	out.OpCode, out.Sender, out.TargetGroup, out.Payload = m.OpCode, m.Sender, groupID, m.Payload
	out.fresh()
	for _, p := range s.routes.Load().group(groupID) {
		p.send(out, fast, nil)
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
