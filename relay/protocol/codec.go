package protocol

import (
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// Size returns the encoded size of p in bytes, without the length prefix.
func (p *Packet) Size() int {
	return sizeVarintField(1, sint32Wire(p.OpCode)) + sizeVarintField(2, int32Wire(p.SequenceNumber)) + p.tailSize()
}

// tailSize is the size of p's fields after its sequence number.
func (p *Packet) tailSize() int {
	n := sizeVarintField(3, int32Wire(p.TargetPlayer)) +
		sizeVarintField(4, int32Wire(p.TargetGroup)) +
		sizeVarintField(5, int32Wire(p.Sender)) +
		sizeVarintField(6, boolWire(p.Reliable)) +
		sizeVarintField(7, int32Wire(p.ClientVersion)) +
		sizeBytesField(15, len(p.Payload))
	if size, ok := p.memberSize(); ok {
		n += sizeMessageField(protowire.Number(p.Message), size)
	}
	return n
}

// FrameSize returns the size of p's frame: the length prefix plus Size.
func (p *Packet) FrameSize() int {
	n := p.Size()
	return protowire.SizeVarint(uint64(n)) + n
}

// AppendPacket appends p to dst as one frame (varint length, then the Packet) and
// returns the extended buffer. It allocates only when dst lacks capacity. It does
// not check limits: ValidateFromClient and the size constants say what a peer accepts.
func AppendPacket(dst []byte, p *Packet) []byte {
	dst = protowire.AppendVarint(dst, uint64(p.Size()))
	dst = appendVarintField(dst, 1, sint32Wire(p.OpCode))
	dst = appendVarintField(dst, 2, int32Wire(p.SequenceNumber))
	return appendTail(dst, p)
}

// AppendPacketTail appends the fields of p after its op code and sequence
// number, without a length prefix: what the frames of one message sent over UDP
// to several peers share, their sequence numbers being per peer.
// AppendPacketWithTail makes each frame of it.
func AppendPacketTail(dst []byte, p *Packet) []byte { return appendTail(dst, p) }

// AppendPacketWithTail appends one frame of the packet with op code opCode,
// sequence number seq and the other fields tail (from AppendPacketTail): the
// same bytes as AppendPacket of that packet.
func AppendPacketWithTail(dst []byte, opCode, seq int32, tail []byte) []byte {
	n := sizeVarintField(1, sint32Wire(opCode)) + sizeVarintField(2, int32Wire(seq)) + len(tail)
	dst = protowire.AppendVarint(dst, uint64(n))
	dst = appendVarintField(dst, 1, sint32Wire(opCode))
	dst = appendVarintField(dst, 2, int32Wire(seq))
	return append(dst, tail...)
}

func appendTail(dst []byte, p *Packet) []byte {
	dst = appendVarintField(dst, 3, int32Wire(p.TargetPlayer))
	dst = appendVarintField(dst, 4, int32Wire(p.TargetGroup))
	dst = appendVarintField(dst, 5, int32Wire(p.Sender))
	dst = appendVarintField(dst, 6, boolWire(p.Reliable))
	dst = appendVarintField(dst, 7, int32Wire(p.ClientVersion))
	dst = appendBytesField(dst, 15, p.Payload)
	if size, ok := p.memberSize(); ok {
		dst = protowire.AppendTag(dst, protowire.Number(p.Message), protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(size))
		dst = p.appendMember(dst)
	}
	return dst
}

// memberSize returns the size of the selected oneof member; ok is false when no
// member (or an unknown MessageKind) is selected, and then nothing is encoded.
func (p *Packet) memberSize() (size int, ok bool) {
	switch p.Message {
	case MessageLogin:
		return p.Login.Size(), true
	case MessageLoginResult:
		return p.LoginResult.Size(), true
	case MessagePing:
		return p.Ping.Size(), true
	case MessagePingResult:
		return p.PingResult.Size(), true
	case MessageUDPConnect:
		return p.UDPConnect.Size(), true
	case MessagePlayerConnect:
		return p.PlayerConnect.Size(), true
	case MessagePlayerDisconnect:
		return p.PlayerDisconnect.Size(), true
	case MessageVerifyIdentity:
		return p.VerifyIdentity.Size(), true
	case MessageVerifyIdentityResult:
		return p.VerifyIdentityResult.Size(), true
	case MessageJoinGroup:
		return p.JoinGroup.Size(), true
	case MessageLeaveGroup:
		return p.LeaveGroup.Size(), true
	case MessageRequestGroupMembership:
		return p.RequestGroupMembership.Size(), true
	case MessageGroupMembershipUpdate:
		return p.GroupMembershipUpdate.Size(), true
	}
	return 0, false
}

func (p *Packet) appendMember(dst []byte) []byte {
	switch p.Message {
	case MessageLogin:
		return p.Login.Append(dst)
	case MessageLoginResult:
		return p.LoginResult.Append(dst)
	case MessagePing:
		return p.Ping.Append(dst)
	case MessagePingResult:
		return p.PingResult.Append(dst)
	case MessageUDPConnect:
		return p.UDPConnect.Append(dst)
	case MessagePlayerConnect:
		return p.PlayerConnect.Append(dst)
	case MessagePlayerDisconnect:
		return p.PlayerDisconnect.Append(dst)
	case MessageVerifyIdentity:
		return p.VerifyIdentity.Append(dst)
	case MessageVerifyIdentityResult:
		return p.VerifyIdentityResult.Append(dst)
	case MessageJoinGroup:
		return p.JoinGroup.Append(dst)
	case MessageLeaveGroup:
		return p.LeaveGroup.Append(dst)
	case MessageRequestGroupMembership:
		return p.RequestGroupMembership.Append(dst)
	case MessageGroupMembershipUpdate:
		return p.GroupMembershipUpdate.Append(dst)
	}
	return dst
}

// DecodePacket decodes one frame (varint length, then the Packet, nothing after it)
// into p, which the caller owns and may reuse for every frame. The scalar fields and
// Message are overwritten; the selected member is cleared before decoding, reusing
// GroupMembershipUpdate.Players' array. p.Payload and p.LoginResult.CACert alias b:
// copy them before reusing b. String fields are copied.
//
// Unknown fields are skipped. Errors are *FieldError values naming the field, such
// as "packet.payload: length 5000 exceeds 4096". Data packets decode without
// allocating.
func DecodePacket(b []byte, p *Packet) error {
	if len(b) > MaxFrameSize {
		return fieldErr(ErrTooLarge, "frame", "length "+strconv.Itoa(len(b))+" exceeds "+strconv.Itoa(MaxFrameSize))
	}
	length, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return varintErr("frame.length", n)
	}
	rest := len(b) - n
	if length > uint64(rest) {
		return fieldErr(ErrTruncated, "frame.length",
			"length "+strconv.FormatUint(length, 10)+" exceeds the remaining "+strconv.Itoa(rest)+" bytes")
	}
	if length < uint64(rest) {
		return fieldErr(ErrMalformed, "frame", strconv.Itoa(rest-int(length))+" trailing bytes after the packet")
	}
	return DecodePacketBody(b[n:], p)
}

// DecodePacketBody is DecodePacket for a Packet without its length prefix.
func DecodePacketBody(b []byte, p *Packet) error {
	if len(b) > MaxFrameSize {
		return fieldErr(ErrTooLarge, "packet", "length "+strconv.Itoa(len(b))+" exceeds "+strconv.Itoa(MaxFrameSize))
	}
	p.OpCode, p.SequenceNumber, p.TargetPlayer, p.TargetGroup, p.Sender = 0, 0, 0, 0, 0
	p.Reliable, p.ClientVersion, p.Payload, p.Message = false, 0, nil, MessageNone
	const msg = "packet"
	for len(b) > 0 {
		num, typ, n, err := readTag(b, msg)
		if err != nil {
			return err
		}
		b = b[n:]
		switch num {
		case 1:
			p.OpCode, n, err = readSint32(b, typ, msg, "opCode")
		case 2:
			p.SequenceNumber, n, err = readInt32(b, typ, msg, "sequenceNumber")
		case 3:
			p.TargetPlayer, n, err = readInt32(b, typ, msg, "targetPlayer")
		case 4:
			p.TargetGroup, n, err = readInt32(b, typ, msg, "targetGroup")
		case 5:
			p.Sender, n, err = readInt32(b, typ, msg, "sender")
		case 6:
			p.Reliable, n, err = readBool(b, typ, msg, "reliable")
		case 7:
			p.ClientVersion, n, err = readInt32(b, typ, msg, "clientVersion")
		case 15:
			p.Payload, n, err = readBytes(b, typ, msg, "payload", MaxPayloadSize)
		case 30, 31, 32, 33, 34, 35, 36, 37, 38, 40, 41, 42, 43:
			n, err = p.decodeMember(b, typ, MessageKind(num))
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

// decodeMember decodes oneof member k. As protobuf requires, a member that repeats
// the selected one is merged into it, and a different member replaces it.
func (p *Packet) decodeMember(b []byte, typ protowire.Type, k MessageKind) (int, error) {
	body, n, err := readMessage(b, typ, "packet", k.String())
	if err != nil {
		return 0, err
	}
	if p.Message != k {
		p.SetMessage(k)
	}
	switch k {
	case MessageLogin:
		err = p.Login.merge(body, "packet.login")
	case MessageLoginResult:
		err = p.LoginResult.merge(body, "packet.loginResult")
	case MessagePing:
		err = p.Ping.merge(body, "packet.ping")
	case MessagePingResult:
		err = p.PingResult.merge(body, "packet.pingResult")
	case MessageUDPConnect:
		err = p.UDPConnect.merge(body, "packet.udpConnect")
	case MessagePlayerConnect:
		err = p.PlayerConnect.merge(body, "packet.playerConnect")
	case MessagePlayerDisconnect:
		err = p.PlayerDisconnect.merge(body, "packet.playerDisconnect")
	case MessageVerifyIdentity:
		err = p.VerifyIdentity.merge(body, "packet.verifyIdentity")
	case MessageVerifyIdentityResult:
		err = p.VerifyIdentityResult.merge(body, "packet.verifyIdentityResult")
	case MessageJoinGroup:
		err = p.JoinGroup.merge(body, "packet.joinGroup")
	case MessageLeaveGroup:
		err = p.LeaveGroup.merge(body, "packet.leaveGroup")
	case MessageRequestGroupMembership:
		err = p.RequestGroupMembership.merge(body, "packet.requestGroupMembership")
	case MessageGroupMembershipUpdate:
		err = p.GroupMembershipUpdate.merge(body, "packet.groupMembershipUpdate")
	}
	return n, err
}
