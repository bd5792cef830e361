package api

import (
	"strconv"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// decodeStartMatchmaking decodes the common StartMatchmaking body, the
// request a matchmaker receives most, without reflection: JSON whose
// strings are printable ASCII without escapes, each field named exactly
// and once, no null, integers where the shape has int. It reports false,
// having written nothing, for anything else, and decode then reads the body
// with encoding/json, which accepts the rest of JSON and words every
// refusal: so the two give the same input or the same error
// (FuzzDecodeStartMatchmakingFast checks it).
func decodeStartMatchmaking(body []byte, in *matchmaker.StartMatchmakingInput) bool {
	p := jsonScanner{b: body}
	var out matchmaker.StartMatchmakingInput
	var seen fieldSet
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "TicketId":
			return seen.first(0) && p.str(&out.TicketId)
		case "ConfigurationName":
			return seen.first(1) && p.str(&out.ConfigurationName)
		case "Players":
			out.Players = []store.Player{}
			return seen.first(2) && p.array(func() bool {
				out.Players = append(out.Players, store.Player{})
				return p.player(&out.Players[len(out.Players)-1])
			})
		}
		return false
	})
	if !ok || !p.end() {
		return false
	}
	*in = out
	return true
}

// decodeCreatePlayerSessions is decodeStartMatchmaking for a
// CreatePlayerSessions body, the request a game backend sends most.
func decodeCreatePlayerSessions(body []byte, in *matchmaker.CreatePlayerSessionsInput) bool {
	p := jsonScanner{b: body}
	var out matchmaker.CreatePlayerSessionsInput
	var seen fieldSet
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "GameSessionId":
			return seen.first(0) && p.str(&out.GameSessionId)
		case "PlayerIds":
			out.PlayerIds = []string{}
			return seen.first(1) && p.array(func() bool {
				out.PlayerIds = append(out.PlayerIds, "")
				return p.str(&out.PlayerIds[len(out.PlayerIds)-1])
			})
		case "PlayerDataMap":
			if !seen.first(2) {
				return false
			}
			out.PlayerDataMap = map[string]string{}
			return p.object(func(player []byte) bool {
				if _, dup := out.PlayerDataMap[string(player)]; dup {
					return false
				}
				var data string
				if !p.str(&data) {
					return false
				}
				out.PlayerDataMap[string(player)] = data
				return true
			})
		}
		return false
	})
	if !ok || !p.end() {
		return false
	}
	*in = out
	return true
}

// fieldSet records the fields of one object already read, by index.
type fieldSet uint8

// first marks field i and reports whether it was not marked yet.
func (s *fieldSet) first(i uint) bool {
	if *s&(1<<i) != 0 {
		return false
	}
	*s |= 1 << i
	return true
}

// jsonScanner reads the subset of JSON the fast decoders take. The maps and
// lists of each shape are read by code written out for them: a generic
// reader calling its element's reader through a func value moves the
// scanner and every element to the heap (3 more allocations per
// StartMatchmaking body, measured).
type jsonScanner struct {
	b []byte
	i int
}

func (p *jsonScanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and takes c.
func (p *jsonScanner) next(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *jsonScanner) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// rawStr reads a string of printable ASCII without escapes.
func (p *jsonScanner) rawStr() ([]byte, bool) {
	if !p.next('"') {
		return nil, false
	}
	start := p.i
	for ; p.i < len(p.b); p.i++ {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return p.b[start : p.i-1], true
		case c == '\\' || c < 0x20 || c >= 0x7f:
			return nil, false
		}
	}
	return nil, false
}

func (p *jsonScanner) str(dst *string) bool {
	s, ok := p.rawStr()
	if ok {
		*dst = string(s)
	}
	return ok
}

// number reads a JSON number's literal; integer reports whether it has
// neither fraction nor exponent.
func (p *jsonScanner) number() (lit []byte, integer, ok bool) {
	p.ws()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.b) && p.b[p.i] == '0':
		p.i++
	case p.i < len(p.b) && p.b[p.i] >= '1' && p.b[p.i] <= '9':
		p.digits()
	default:
		return nil, false, false
	}
	integer = true
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if !p.digits() {
			return nil, false, false
		}
		integer = false
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return nil, false, false
		}
		integer = false
	}
	return p.b[start:p.i], integer, true
}

// digits takes one digit or more.
func (p *jsonScanner) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

func (p *jsonScanner) float(dst *float64) bool {
	lit, _, ok := p.number()
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	*dst = f
	return err == nil
}

func (p *jsonScanner) int(dst *int) bool {
	lit, integer, ok := p.number()
	if !ok || !integer {
		return false
	}
	n, err := strconv.ParseInt(string(lit), 10, 64)
	*dst = int(n)
	return err == nil
}

// object reads an object, calling member for each key (valid until the
// next read) with the scanner before the member's value, which member
// reads.
func (p *jsonScanner) object(member func(key []byte) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	for {
		key, ok := p.rawStr()
		if !ok || !p.next(':') || !member(key) {
			return false
		}
		if p.next('}') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

// array reads an array, calling element for each element.
func (p *jsonScanner) array(element func() bool) bool {
	if !p.next('[') {
		return false
	}
	if p.next(']') {
		return true
	}
	for {
		if !element() {
			return false
		}
		if p.next(']') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

// player reads a Player.
func (p *jsonScanner) player(pl *store.Player) bool {
	var seen fieldSet
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "PlayerId":
			return seen.first(0) && p.str(&pl.PlayerId)
		case "Team":
			return seen.first(1) && p.str(&pl.Team)
		case "PlayerAttributes":
			if !seen.first(2) {
				return false
			}
			pl.PlayerAttributes = map[string]store.AttributeValue{}
			return p.object(func(name []byte) bool {
				if _, dup := pl.PlayerAttributes[string(name)]; dup {
					return false
				}
				var v store.AttributeValue
				if !p.attribute(&v) {
					return false
				}
				pl.PlayerAttributes[string(name)] = v
				return true
			})
		case "LatencyInMs":
			if !seen.first(3) {
				return false
			}
			pl.LatencyInMs = map[string]int{}
			return p.object(func(region []byte) bool {
				if _, dup := pl.LatencyInMs[string(region)]; dup {
					return false
				}
				var ms int
				if !p.int(&ms) {
					return false
				}
				pl.LatencyInMs[string(region)] = ms
				return true
			})
		}
		return false
	})
}

// attribute reads an AttributeValue.
func (p *jsonScanner) attribute(v *store.AttributeValue) bool {
	var seen fieldSet
	return p.object(func(key []byte) bool {
		switch string(key) {
		case "S":
			v.S = new(string)
			return seen.first(0) && p.str(v.S)
		case "N":
			v.N = new(float64)
			return seen.first(1) && p.float(v.N)
		case "SL":
			v.SL = []string{}
			return seen.first(2) && p.array(func() bool {
				v.SL = append(v.SL, "")
				return p.str(&v.SL[len(v.SL)-1])
			})
		case "SDM":
			if !seen.first(3) {
				return false
			}
			v.SDM = map[string]float64{}
			return p.object(func(k []byte) bool {
				if _, dup := v.SDM[string(k)]; dup {
					return false
				}
				var f float64
				if !p.float(&f) {
					return false
				}
				v.SDM[string(k)] = f
				return true
			})
		}
		return false
	})
}
