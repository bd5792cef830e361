package protocol

// PingCommand is a client ping (op OpPing, either channel). The original protocol
// defines it empty; its fields are Matchpoint extensions.
type PingCommand struct {
	ID         uint32 // field 100; echoed in PingResult.ID
	ClientTime int64  // field 101; the client's clock, echoed verbatim
}

// Size returns the encoded size of m in bytes.
func (m *PingCommand) Size() int {
	return sizeVarintField(100, uint64(m.ID)) + sizeVarintField(101, uint64(m.ClientTime))
}

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *PingCommand) Append(dst []byte) []byte {
	dst = appendVarintField(dst, 100, uint64(m.ID))
	return appendVarintField(dst, 101, uint64(m.ClientTime))
}

// Marshal returns the protobuf encoding of m.
func (m *PingCommand) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *PingCommand) Unmarshal(b []byte) error {
	*m = PingCommand{}
	return m.merge(b, "PingCommand")
}

func (m *PingCommand) merge(b []byte, msg string) error {
	for len(b) > 0 {
		num, typ, n, err := readTag(b, msg)
		if err != nil {
			return err
		}
		b = b[n:]
		var v uint64
		switch num {
		case 100:
			v, n, err = readVarint(b, typ, msg, "id")
			m.ID = uint32(v)
		case 101:
			v, n, err = readVarint(b, typ, msg, "clientTime")
			m.ClientTime = int64(v)
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

// PingResult answers a PingCommand (op OpPingResult, on the channel the ping came
// on). The original protocol defines it empty; its fields are Matchpoint extensions.
type PingResult struct {
	ID         uint32 // field 100; PingCommand.ID
	ClientTime int64  // field 101; PingCommand.ClientTime
	ServerTime int64  // field 102; the server's wall clock in Unix nanoseconds
}

// Size returns the encoded size of m in bytes.
func (m *PingResult) Size() int {
	return sizeVarintField(100, uint64(m.ID)) +
		sizeVarintField(101, uint64(m.ClientTime)) +
		sizeVarintField(102, uint64(m.ServerTime))
}

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *PingResult) Append(dst []byte) []byte {
	dst = appendVarintField(dst, 100, uint64(m.ID))
	dst = appendVarintField(dst, 101, uint64(m.ClientTime))
	return appendVarintField(dst, 102, uint64(m.ServerTime))
}

// Marshal returns the protobuf encoding of m.
func (m *PingResult) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *PingResult) Unmarshal(b []byte) error {
	*m = PingResult{}
	return m.merge(b, "PingResult")
}

func (m *PingResult) merge(b []byte, msg string) error {
	for len(b) > 0 {
		num, typ, n, err := readTag(b, msg)
		if err != nil {
			return err
		}
		b = b[n:]
		var v uint64
		switch num {
		case 100:
			v, n, err = readVarint(b, typ, msg, "id")
			m.ID = uint32(v)
		case 101:
			v, n, err = readVarint(b, typ, msg, "clientTime")
			m.ClientTime = int64(v)
		case 102:
			v, n, err = readVarint(b, typ, msg, "serverTime")
			m.ServerTime = int64(v)
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

// UDPConnectMessage rides the unsecured UDP handshake (ops OpUDPConnect,
// OpUDPConnectServerAck, OpUDPConnectClientAck). The original defines it empty.
type UDPConnectMessage struct {
	// ConnectToken (field 100, Matchpoint) is LoginResult.ConnectToken; Matchpoint
	// clients set it on OpUDPConnect so the binding does not rest on the source address.
	ConnectToken string
}

// Size returns the encoded size of m in bytes.
func (m *UDPConnectMessage) Size() int { return sizeBytesField(100, len(m.ConnectToken)) }

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *UDPConnectMessage) Append(dst []byte) []byte {
	return appendStringField(dst, 100, m.ConnectToken)
}

// Marshal returns the protobuf encoding of m.
func (m *UDPConnectMessage) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *UDPConnectMessage) Unmarshal(b []byte) error {
	*m = UDPConnectMessage{}
	return m.merge(b, "UDPConnectMessage")
}

func (m *UDPConnectMessage) merge(b []byte, msg string) error {
	for len(b) > 0 {
		num, typ, n, err := readTag(b, msg)
		if err != nil {
			return err
		}
		b = b[n:]
		if num == 100 {
			m.ConnectToken, n, err = readString(b, typ, msg, "connectToken")
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

// VerifyIdentityCommand binds a DTLS association to a peer (op OpVerifyIdentity).
type VerifyIdentityCommand struct {
	PeerID       int32  // field 1
	ConnectToken string // field 2; LoginResult.ConnectToken
}

// Size returns the encoded size of m in bytes.
func (m *VerifyIdentityCommand) Size() int {
	return sizeVarintField(1, int32Wire(m.PeerID)) + sizeBytesField(2, len(m.ConnectToken))
}

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *VerifyIdentityCommand) Append(dst []byte) []byte {
	dst = appendVarintField(dst, 1, int32Wire(m.PeerID))
	return appendStringField(dst, 2, m.ConnectToken)
}

// Marshal returns the protobuf encoding of m.
func (m *VerifyIdentityCommand) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *VerifyIdentityCommand) Unmarshal(b []byte) error {
	*m = VerifyIdentityCommand{}
	return m.merge(b, "VerifyIdentityCommand")
}

func (m *VerifyIdentityCommand) merge(b []byte, msg string) error {
	for len(b) > 0 {
		num, typ, n, err := readTag(b, msg)
		if err != nil {
			return err
		}
		b = b[n:]
		switch num {
		case 1:
			m.PeerID, n, err = readInt32(b, typ, msg, "peerId")
		case 2:
			m.ConnectToken, n, err = readString(b, typ, msg, "connectToken")
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

// VerifyIdentityResult answers a VerifyIdentityCommand (op OpVerifyIdentityResult).
type VerifyIdentityResult struct {
	Success bool  // field 1
	PeerID  int32 // field 2
}

// Size returns the encoded size of m in bytes.
func (m *VerifyIdentityResult) Size() int {
	return sizeVarintField(1, boolWire(m.Success)) + sizeVarintField(2, int32Wire(m.PeerID))
}

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *VerifyIdentityResult) Append(dst []byte) []byte {
	dst = appendVarintField(dst, 1, boolWire(m.Success))
	return appendVarintField(dst, 2, int32Wire(m.PeerID))
}

// Marshal returns the protobuf encoding of m.
func (m *VerifyIdentityResult) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *VerifyIdentityResult) Unmarshal(b []byte) error {
	*m = VerifyIdentityResult{}
	return m.merge(b, "VerifyIdentityResult")
}

func (m *VerifyIdentityResult) merge(b []byte, msg string) error {
	for len(b) > 0 {
		num, typ, n, err := readTag(b, msg)
		if err != nil {
			return err
		}
		b = b[n:]
		switch num {
		case 1:
			m.Success, n, err = readBool(b, typ, msg, "success")
		case 2:
			m.PeerID, n, err = readInt32(b, typ, msg, "peerId")
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
