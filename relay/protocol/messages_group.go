package protocol

import "google.golang.org/protobuf/encoding/protowire"

// PlayerConnectMessage tells a Matchpoint client that a player connected (op
// OpPlayerConnect). Stock clients never receive it.
type PlayerConnectMessage struct {
	PeerID int32 // field 1
}

// PlayerDisconnectMessage tells a Matchpoint client that a player left (op
// OpPlayerDisconnect). Stock clients never receive it.
type PlayerDisconnectMessage struct {
	PeerID int32 // field 1
}

// JoinGroup asks the server to add the sender to a group (op OpJoinGroup).
type JoinGroup struct {
	Group int32 // field 1; > 0
}

// LeaveGroup asks the server to remove the sender from a group (op OpLeaveGroup).
type LeaveGroup struct {
	Group int32 // field 1; > 0
}

// RequestGroupMembership asks for a group's member list (op
// OpRequestGroupMembership); the answer is a GroupMembershipUpdate.
type RequestGroupMembership struct {
	Group int32 // field 1; > 0 or GroupAllPlayers
}

// The five messages above share one encoding: a single int32 as field 1.

func sizeOneInt32(v int32) int { return sizeVarintField(1, int32Wire(v)) }

func appendOneInt32(dst []byte, v int32) []byte { return appendVarintField(dst, 1, int32Wire(v)) }

func mergeOneInt32(b []byte, msg, name string, v *int32) error {
	for len(b) > 0 {
		num, typ, n, err := readTag(b, msg)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 1 {
			*v, n, err = readInt32(b, typ, msg, name)
		} else {
			n, err = skipField(b, msg, num, typ)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// Size returns the encoded size of m in bytes.
func (m *PlayerConnectMessage) Size() int { return sizeOneInt32(m.PeerID) }

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *PlayerConnectMessage) Append(dst []byte) []byte { return appendOneInt32(dst, m.PeerID) }

// Marshal returns the protobuf encoding of m.
func (m *PlayerConnectMessage) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *PlayerConnectMessage) Unmarshal(b []byte) error {
	*m = PlayerConnectMessage{}
	return m.merge(b, "PlayerConnectMessage")
}

func (m *PlayerConnectMessage) merge(b []byte, msg string) error {
	return mergeOneInt32(b, msg, "peerId", &m.PeerID)
}

// Size returns the encoded size of m in bytes.
func (m *PlayerDisconnectMessage) Size() int { return sizeOneInt32(m.PeerID) }

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *PlayerDisconnectMessage) Append(dst []byte) []byte { return appendOneInt32(dst, m.PeerID) }

// Marshal returns the protobuf encoding of m.
func (m *PlayerDisconnectMessage) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *PlayerDisconnectMessage) Unmarshal(b []byte) error {
	*m = PlayerDisconnectMessage{}
	return m.merge(b, "PlayerDisconnectMessage")
}

func (m *PlayerDisconnectMessage) merge(b []byte, msg string) error {
	return mergeOneInt32(b, msg, "peerId", &m.PeerID)
}

// Size returns the encoded size of m in bytes.
func (m *JoinGroup) Size() int { return sizeOneInt32(m.Group) }

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *JoinGroup) Append(dst []byte) []byte { return appendOneInt32(dst, m.Group) }

// Marshal returns the protobuf encoding of m.
func (m *JoinGroup) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *JoinGroup) Unmarshal(b []byte) error {
	*m = JoinGroup{}
	return m.merge(b, "JoinGroup")
}

func (m *JoinGroup) merge(b []byte, msg string) error {
	return mergeOneInt32(b, msg, "group", &m.Group)
}

// Size returns the encoded size of m in bytes.
func (m *LeaveGroup) Size() int { return sizeOneInt32(m.Group) }

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *LeaveGroup) Append(dst []byte) []byte { return appendOneInt32(dst, m.Group) }

// Marshal returns the protobuf encoding of m.
func (m *LeaveGroup) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *LeaveGroup) Unmarshal(b []byte) error {
	*m = LeaveGroup{}
	return m.merge(b, "LeaveGroup")
}

func (m *LeaveGroup) merge(b []byte, msg string) error {
	return mergeOneInt32(b, msg, "group", &m.Group)
}

// Size returns the encoded size of m in bytes.
func (m *RequestGroupMembership) Size() int { return sizeOneInt32(m.Group) }

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *RequestGroupMembership) Append(dst []byte) []byte { return appendOneInt32(dst, m.Group) }

// Marshal returns the protobuf encoding of m.
func (m *RequestGroupMembership) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *RequestGroupMembership) Unmarshal(b []byte) error {
	*m = RequestGroupMembership{}
	return m.merge(b, "RequestGroupMembership")
}

func (m *RequestGroupMembership) merge(b []byte, msg string) error {
	return mergeOneInt32(b, msg, "group", &m.Group)
}

// GroupMembershipUpdate carries the member list of a group (op
// OpGroupMembershipUpdate, server -> client).
type GroupMembershipUpdate struct {
	Group   int32   // field 1
	Players []int32 // field 2; packed on encode, packed or not on decode
}

func (m *GroupMembershipUpdate) playersSize() int {
	n := 0
	for _, p := range m.Players {
		n += protowire.SizeVarint(int32Wire(p))
	}
	return n
}

// Size returns the encoded size of m in bytes.
func (m *GroupMembershipUpdate) Size() int {
	return sizeOneInt32(m.Group) + sizeBytesField(2, m.playersSize())
}

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *GroupMembershipUpdate) Append(dst []byte) []byte {
	dst = appendOneInt32(dst, m.Group)
	if len(m.Players) == 0 {
		return dst
	}
	dst = protowire.AppendTag(dst, 2, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(m.playersSize()))
	for _, p := range m.Players {
		dst = protowire.AppendVarint(dst, int32Wire(p))
	}
	return dst
}

// Marshal returns the protobuf encoding of m.
func (m *GroupMembershipUpdate) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b, reusing m.Players' array.
func (m *GroupMembershipUpdate) Unmarshal(b []byte) error {
	m.reset()
	return m.merge(b, "GroupMembershipUpdate")
}

func (m *GroupMembershipUpdate) reset() {
	m.Group = 0
	m.Players = m.Players[:0]
}

func (m *GroupMembershipUpdate) merge(b []byte, msg string) error {
	for len(b) > 0 {
		num, typ, n, err := readTag(b, msg)
		if err != nil {
			return err
		}
		b = b[n:]
		switch {
		case num == 1:
			m.Group, n, err = readInt32(b, typ, msg, "group")
		case num == 2 && typ == protowire.BytesType:
			n, err = m.mergePacked(b, msg)
		case num == 2:
			var v int32
			v, n, err = readInt32(b, typ, msg, "players")
			m.Players = append(m.Players, v)
		default:
			n, err = skipField(b, msg, num, typ)
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (m *GroupMembershipUpdate) mergePacked(b []byte, msg string) (int, error) {
	packed, n, err := readBytes(b, protowire.BytesType, msg, "players", MaxFrameSize)
	if err != nil {
		return 0, err
	}
	for len(packed) > 0 {
		v, k := protowire.ConsumeVarint(packed)
		if k < 0 {
			return 0, varintErr(msg+".players", k)
		}
		m.Players = append(m.Players, int32(v))
		packed = packed[k:]
	}
	return n, nil
}
