package player

import "github.com/matchpoint-dev/matchpoint/wirejson"

// AppendJSON appends p as encoding/json's Marshal writes it, without its
// reflection: a ticket is written to the store with its players on every
// change.
func (p *Player) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"PlayerId":`...)
	b = wirejson.String(b, p.PlayerId)
	var err error
	if len(p.PlayerAttributes) > 0 {
		b = append(b, `,"PlayerAttributes":`...)
		if b, err = wirejson.Object(b, p.PlayerAttributes, appendAttribute); err != nil {
			return b, err
		}
	}
	b = wirejson.MemberOmitEmpty(b, "Team", p.Team)
	if len(p.LatencyInMs) > 0 {
		b = append(b, `,"LatencyInMs":`...)
		b, _ = wirejson.Object(b, p.LatencyInMs, appendInt)
	}
	return append(b, '}'), nil
}

func appendAttribute(b []byte, v AttributeValue) ([]byte, error) { return v.AppendJSON(b) }

func appendInt(b []byte, n int) ([]byte, error) { return wirejson.Int(b, int64(n)), nil }

// AppendJSON appends v as encoding/json's Marshal writes it.
func (v *AttributeValue) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	open := len(b)
	if v.S != nil {
		b = append(b, `"S":`...)
		b = wirejson.String(b, *v.S)
	}
	var err error
	if v.N != nil {
		b = append(wirejson.Comma(b, open), `"N":`...)
		if b, err = wirejson.Float(b, *v.N); err != nil {
			return b, err
		}
	}
	if len(v.SL) > 0 {
		b = append(wirejson.Comma(b, open), `"SL":`...)
		b = wirejson.Strings(b, v.SL)
	}
	if len(v.SDM) > 0 {
		b = append(wirejson.Comma(b, open), `"SDM":`...)
		if b, err = wirejson.Object(b, v.SDM, wirejson.Float); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
