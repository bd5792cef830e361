package protocol

// LoginCommand is the client's login (op OpLogin, on the WebSocket). The packet
// that carries it also carries the connection payload in Packet.Payload.
type LoginCommand struct {
	PlayerSessionID string // field 1
	ClientVersion   int32  // field 2; ClientVersionRealtime for the Realtime SDK
	// ReconnectToken (field 100, Matchpoint) resumes a dropped peer: the
	// LoginResult.ReconnectToken of its previous connection.
	ReconnectToken string
	// ExtensionVersion (field 101, Matchpoint) is ExtensionVersion for clients that
	// speak the Matchpoint extensions, 0 for stock clients.
	ExtensionVersion int32
}

// Size returns the encoded size of m in bytes.
func (m *LoginCommand) Size() int {
	return sizeBytesField(1, len(m.PlayerSessionID)) +
		sizeVarintField(2, int32Wire(m.ClientVersion)) +
		sizeBytesField(100, len(m.ReconnectToken)) +
		sizeVarintField(101, int32Wire(m.ExtensionVersion))
}

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *LoginCommand) Append(dst []byte) []byte {
	dst = appendStringField(dst, 1, m.PlayerSessionID)
	dst = appendVarintField(dst, 2, int32Wire(m.ClientVersion))
	dst = appendStringField(dst, 100, m.ReconnectToken)
	return appendVarintField(dst, 101, int32Wire(m.ExtensionVersion))
}

// Marshal returns the protobuf encoding of m.
func (m *LoginCommand) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b.
func (m *LoginCommand) Unmarshal(b []byte) error {
	*m = LoginCommand{}
	return m.merge(b, "LoginCommand")
}

func (m *LoginCommand) merge(b []byte, msg string) error {
	for len(b) > 0 {
		num, typ, n, err := readTag(b, msg)
		if err != nil {
			return err
		}
		b = b[n:]
		switch num {
		case 1:
			m.PlayerSessionID, n, err = readString(b, typ, msg, "playerSessionId")
		case 2:
			m.ClientVersion, n, err = readInt32(b, typ, msg, "clientVersion")
		case 100:
			m.ReconnectToken, n, err = readString(b, typ, msg, "reconnectToken")
		case 101:
			m.ExtensionVersion, n, err = readInt32(b, typ, msg, "extensionVersion")
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

// LoginResult is the server's answer to a login (op OpLoginResult, on the
// WebSocket). After decoding, CACert aliases the decoded input.
type LoginResult struct {
	Success        bool   // field 1
	ReconnectToken string // field 2
	PeerID         int32  // field 3
	FastPort       int32  // field 4; the server's UDP port, 0 when UDP is off
	CACert         []byte // field 5; PEM CA certificate for DTLS, empty when unsecured
	ConnectToken   string // field 6; binds the UDP or DTLS path to this peer
	// Refusal (field 100, Matchpoint) says why success is false.
	Refusal Refusal
	// Message (field 101, Matchpoint) is a human-readable refusal reason.
	Message string
	// ReconnectGraceMillis (field 102, Matchpoint) is how long ReconnectToken stays
	// usable after a disconnect.
	ReconnectGraceMillis int32
}

// Size returns the encoded size of m in bytes.
func (m *LoginResult) Size() int {
	return sizeVarintField(1, boolWire(m.Success)) +
		sizeBytesField(2, len(m.ReconnectToken)) +
		sizeVarintField(3, int32Wire(m.PeerID)) +
		sizeVarintField(4, int32Wire(m.FastPort)) +
		sizeBytesField(5, len(m.CACert)) +
		sizeBytesField(6, len(m.ConnectToken)) +
		sizeVarintField(100, int32Wire(int32(m.Refusal))) +
		sizeBytesField(101, len(m.Message)) +
		sizeVarintField(102, int32Wire(m.ReconnectGraceMillis))
}

// Append appends the protobuf encoding of m (without length prefix) to dst.
func (m *LoginResult) Append(dst []byte) []byte {
	dst = appendVarintField(dst, 1, boolWire(m.Success))
	dst = appendStringField(dst, 2, m.ReconnectToken)
	dst = appendVarintField(dst, 3, int32Wire(m.PeerID))
	dst = appendVarintField(dst, 4, int32Wire(m.FastPort))
	dst = appendBytesField(dst, 5, m.CACert)
	dst = appendStringField(dst, 6, m.ConnectToken)
	dst = appendVarintField(dst, 100, int32Wire(int32(m.Refusal)))
	dst = appendStringField(dst, 101, m.Message)
	return appendVarintField(dst, 102, int32Wire(m.ReconnectGraceMillis))
}

// Marshal returns the protobuf encoding of m.
func (m *LoginResult) Marshal() []byte { return m.Append(make([]byte, 0, m.Size())) }

// Unmarshal replaces m with the message encoded in b; CACert aliases b.
func (m *LoginResult) Unmarshal(b []byte) error {
	*m = LoginResult{}
	return m.merge(b, "LoginResult")
}

func (m *LoginResult) merge(b []byte, msg string) error {
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
			m.ReconnectToken, n, err = readString(b, typ, msg, "reconnectToken")
		case 3:
			m.PeerID, n, err = readInt32(b, typ, msg, "peerId")
		case 4:
			m.FastPort, n, err = readInt32(b, typ, msg, "fastPort")
		case 5:
			m.CACert, n, err = readBytes(b, typ, msg, "caCert", MaxCACertSize)
		case 6:
			m.ConnectToken, n, err = readString(b, typ, msg, "connectToken")
		case 100:
			var v int32
			v, n, err = readInt32(b, typ, msg, "refusal")
			m.Refusal = Refusal(v)
		case 101:
			m.Message, n, err = readString(b, typ, msg, "message")
		case 102:
			m.ReconnectGraceMillis, n, err = readInt32(b, typ, msg, "reconnectGraceMillis")
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
