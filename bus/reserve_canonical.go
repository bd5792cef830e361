package bus

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/matchpoint-dev/matchpoint/wirejson"
)

// Every CreatePlayerSessions call sends a ReserveRequest to a relay and a
// ReserveReply back, and encoding/json's reflection took 9.3 µs and 31
// allocations to decode a request of 4 players (BenchmarkReserveRequestDecode).
// The decoders here read the exact form Encode writes (json.Marshal's field
// order and escapes, no space, players without attributes or latencies, a
// reply without error) by hand; anything else, including valid JSON in
// another form, makes them answer false, and the Decode functions fall back
// to encoding/json. What they accept they decode as encoding/json does
// (FuzzReserveRequestCanonical and FuzzReserveReplyCanonical compare the
// two). The writers here write that form with wirejson's appenders, so that
// Encode's output is json.Marshal's (FuzzReserveRequestEncode and
// FuzzReserveReplyEncode compare the two).

// canonicalReader walks one JSON text written by json.Marshal.
type canonicalReader struct {
	data []byte
	pos  int
	buf  []byte // unquote's scratch
}

// lit consumes s when the input continues with it.
func (r *canonicalReader) lit(s string) bool {
	if len(r.data)-r.pos < len(s) || string(r.data[r.pos:r.pos+len(s)]) != s {
		return false
	}
	r.pos += len(s)
	return true
}

// str consumes a string: the escapes json.Marshal writes (\" \\ \/ \b \f
// \n \r \t and \u other than surrogates) and valid UTF-8, decoded as
// encoding/json decodes them.
func (r *canonicalReader) str() (string, bool) {
	if !r.lit(`"`) {
		return "", false
	}
	start := r.pos
	for ; r.pos < len(r.data); r.pos++ {
		switch c := r.data[r.pos]; {
		case c == '"':
			s := string(r.data[start:r.pos])
			r.pos++
			return s, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return r.unquote(start)
		}
	}
	return "", false
}

// unquote finishes a string begun at start that holds escapes or non-ASCII
// bytes.
func (r *canonicalReader) unquote(start int) (string, bool) {
	out := append(r.buf[:0], r.data[start:r.pos]...)
	defer func() { r.buf = out[:0] }()
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			r.pos++
			return string(out), utf8.Valid(out)
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			r.pos++
			continue
		}
		if r.pos+1 >= len(r.data) {
			return "", false
		}
		e := r.data[r.pos+1]
		r.pos += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if len(r.data)-r.pos < 4 {
				return "", false
			}
			n, err := strconv.ParseUint(string(r.data[r.pos:r.pos+4]), 16, 32)
			if err != nil || utf16.IsSurrogate(rune(n)) {
				return "", false
			}
			out = utf8.AppendRune(out, rune(n))
			r.pos += 4
		default:
			return "", false
		}
	}
	return "", false
}

// small consumes a non-negative integer of at most 9 digits without a
// leading zero (but 0 itself).
func (r *canonicalReader) small() (int, bool) {
	n, start := 0, r.pos
	for r.pos < len(r.data) && r.pos-start < 9 && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		n = n*10 + int(r.data[r.pos]-'0')
		r.pos++
	}
	digits := r.pos - start
	if digits == 0 || digits > 1 && r.data[start] == '0' ||
		r.pos < len(r.data) && r.data[r.pos] >= '0' && r.data[r.pos] <= '9' {
		return 0, false
	}
	return n, true
}

// optional consumes `,"key":` and a string when the input continues with
// them; ok is false when the key is there but its string is not canonical.
func (r *canonicalReader) optional(key string) (v string, ok bool) {
	if !r.lit(`,"` + key + `":`) {
		return "", true
	}
	return r.str()
}

// head consumes the start both payloads share: `{"v":N,"requestId":"..."`.
func (r *canonicalReader) head() (v int, requestID string, ok bool) {
	if !r.lit(`{"v":`) {
		return 0, "", false
	}
	if v, ok = r.small(); !ok || !r.lit(`,"requestId":`) {
		return 0, "", false
	}
	requestID, ok = r.str()
	return v, requestID, ok
}

// decodeReserveRequestCanonical decodes a ReserveRequest in Encode's form.
func decodeReserveRequestCanonical(data []byte, m *ReserveRequest) bool {
	r := canonicalReader{data: data}
	var ok bool
	if m.V, m.RequestID, ok = r.head(); !ok || !r.lit(`,"relayId":`) {
		return false
	}
	if m.RelayID, ok = r.str(); !ok || !r.lit(`,"gameSessionId":`) {
		return false
	}
	if m.GameSessionID, ok = r.str(); !ok || !r.lit(`,"players":`) {
		return false
	}
	if !r.lit("null") {
		if !r.players(m) {
			return false
		}
	}
	if !r.lit(`,"deadline":`) {
		return false
	}
	start := r.pos
	if _, ok := r.str(); !ok || !r.lit("}") || r.pos != len(data) {
		return false
	}
	return m.Deadline.UnmarshalJSON(data[start:r.pos-1]) == nil
}

// players consumes a non-null players array.
func (r *canonicalReader) players(m *ReserveRequest) bool {
	if !r.lit("[") {
		return false
	}
	// A capacity only: an unescaped quote cannot be inside a string.
	m.Players = make([]Player, 0, bytes.Count(r.data[r.pos:], []byte(`{"playerId":`)))
	if r.lit("]") {
		return true
	}
	for {
		var p Player
		var ok bool
		if !r.lit(`{"playerId":`) {
			return false
		}
		if p.PlayerID, ok = r.str(); !ok {
			return false
		}
		if p.Team, ok = r.optional("team"); !ok {
			return false
		}
		if p.PlayerSessionID, ok = r.optional("playerSessionId"); !ok {
			return false
		}
		if p.PlayerData, ok = r.optional("playerData"); !ok || !r.lit("}") {
			return false
		}
		m.Players = append(m.Players, p)
		if r.lit("]") {
			return true
		}
		if !r.lit(",") {
			return false
		}
	}
}

// decodeReserveReplyCanonical is decodeReserveRequestCanonical's twin for a
// successful ReserveReply, which the matchmaker decodes for every
// CreatePlayerSessions call (4.8% of dev's CPU at 3,000 calls/s through
// encoding/json). A refusal (with "error") takes encoding/json.
func decodeReserveReplyCanonical(data []byte, m *ReserveReply) bool {
	r := canonicalReader{data: data}
	var ok bool
	if m.V, m.RequestID, ok = r.head(); !ok || !r.lit(`,"playerSessions":[`) {
		return false
	}
	m.PlayerSessions = make([]PlayerSession, 0, bytes.Count(r.data[r.pos:], []byte(`{"playerId":`)))
	for {
		var p PlayerSession
		if !r.lit(`{"playerId":`) {
			return false
		}
		if p.PlayerID, ok = r.str(); !ok || !r.lit(`,"playerSessionId":`) {
			return false
		}
		if p.PlayerSessionID, ok = r.str(); !ok || !r.lit("}") {
			return false
		}
		m.PlayerSessions = append(m.PlayerSessions, p)
		if r.lit("]}") {
			return r.pos == len(data)
		}
		if !r.lit(",") {
			return false
		}
	}
}

// appendReserveRequest writes m as json.Marshal does (wirejson), or answers
// false for what it leaves to json.Marshal: a player with attributes or
// latencies, a deadline json.Marshal refuses.
func appendReserveRequest(m *ReserveRequest) ([]byte, bool) {
	size := 120 + len(m.RequestID) + len(m.RelayID) + len(m.GameSessionID)
	for i := range m.Players {
		p := &m.Players[i]
		if len(p.Attributes) > 0 || len(p.LatencyInMs) > 0 {
			return nil, false
		}
		size += 62 + len(p.PlayerID) + len(p.Team) + len(p.PlayerSessionID) + len(p.PlayerData)
	}
	b := appendHead(make([]byte, 0, size), m.V, m.RequestID)
	b = wirejson.Member(b, "relayId", m.RelayID)
	b = wirejson.Member(b, "gameSessionId", m.GameSessionID)
	b = append(b, `,"players":`...)
	b, _ = wirejson.Array(b, m.Players, func(b []byte, p *Player) ([]byte, error) {
		b = wirejson.String(append(b, `{"playerId":`...), p.PlayerID)
		b = wirejson.MemberOmitEmpty(b, "team", p.Team)
		b = wirejson.MemberOmitEmpty(b, "playerSessionId", p.PlayerSessionID)
		b = wirejson.MemberOmitEmpty(b, "playerData", p.PlayerData)
		return append(b, '}'), nil
	})
	b, err := wirejson.Time(append(b, `,"deadline":`...), m.Deadline)
	if err != nil {
		return nil, false
	}
	return append(b, '}'), true
}

// appendReserveReply writes m as json.Marshal does (wirejson), or answers
// false for a reply with an error, which json.Marshal writes.
func appendReserveReply(m *ReserveReply) ([]byte, bool) {
	if m.Error != nil {
		return nil, false
	}
	size := 45 + len(m.RequestID)
	for _, ps := range m.PlayerSessions {
		size += 37 + len(ps.PlayerID) + len(ps.PlayerSessionID)
	}
	b := appendHead(make([]byte, 0, size), m.V, m.RequestID)
	if len(m.PlayerSessions) > 0 {
		b = append(b, `,"playerSessions":`...)
		b, _ = wirejson.Array(b, m.PlayerSessions, func(b []byte, ps *PlayerSession) ([]byte, error) {
			b = wirejson.String(append(b, `{"playerId":`...), ps.PlayerID)
			return append(wirejson.Member(b, "playerSessionId", ps.PlayerSessionID), '}'), nil
		})
	}
	return append(b, '}'), true
}

// appendHead appends `{"v":N,"requestId":"..."`.
func appendHead(b []byte, v int, requestID string) []byte {
	b = strconv.AppendInt(append(b, `{"v":`...), int64(v), 10)
	return wirejson.String(append(b, `,"requestId":`...), requestID)
}
