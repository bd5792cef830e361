package player

import "github.com/matchpoint-dev/matchpoint/matchmaker/wirejson"

// AppendJSON appends p as encoding/json's Marshal writes it, without its
// reflection: a ticket is written to the store with its players on every
// change.
func (p *Player) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"PlayerId":`...)
	b = wirejson.String(b, p.PlayerId)
	if len(p.PlayerAttributes) > 0 {
		b = append(b, `,"PlayerAttributes":{`...)
		for i, k := range wirejson.SortedKeys(p.PlayerAttributes) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(wirejson.String(b, k), ':')
			v := p.PlayerAttributes[k]
			var err error
			if b, err = v.AppendJSON(b); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	if p.Team != "" {
		b = append(b, `,"Team":`...)
		b = wirejson.String(b, p.Team)
	}
	if len(p.LatencyInMs) > 0 {
		b = append(b, `,"LatencyInMs":{`...)
		for i, k := range wirejson.SortedKeys(p.LatencyInMs) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(wirejson.String(b, k), ':')
			b = wirejson.Int(b, int64(p.LatencyInMs[k]))
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// AppendJSON appends v as encoding/json's Marshal writes it.
func (v *AttributeValue) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	open := len(b)
	sep := func(b []byte) []byte {
		if len(b) > open {
			return append(b, ',')
		}
		return b
	}
	if v.S != nil {
		b = append(b, `"S":`...)
		b = wirejson.String(b, *v.S)
	}
	if v.N != nil {
		b = sep(b)
		b = append(b, `"N":`...)
		var err error
		if b, err = wirejson.Float(b, *v.N); err != nil {
			return b, err
		}
	}
	if len(v.SL) > 0 {
		b = sep(b)
		b = append(b, `"SL":`...)
		b = wirejson.Strings(b, v.SL)
	}
	if len(v.SDM) > 0 {
		b = sep(b)
		b = append(b, `"SDM":{`...)
		for i, k := range wirejson.SortedKeys(v.SDM) {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(wirejson.String(b, k), ':')
			var err error
			if b, err = wirejson.Float(b, v.SDM[k]); err != nil {
				return b, err
			}
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}
