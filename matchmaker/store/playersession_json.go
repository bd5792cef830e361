package store

import (
	"fmt"

	"github.com/matchpoint-dev/matchpoint/wirejson"
)

// playerSessionBody is the JSON the store keeps of p (a player session
// HASH's field b): what the HASH does not hold in its other fields or name
// in its key. Its id is in the key, its player and game session in fields
// p and g, its fleet is its game session's (GameSessionFleet) unless
// FleetId says otherwise, and its status, version and termination time are
// fields of their own; decodePlayerSession puts them back. It is what
// Marshal writes of those members (TestPlayerSessionBodyIsMarshal). Records
// written before 2026-12-07 hold every member in the body, which
// decodePlayerSession reads as well.
func playerSessionBody(p *PlayerSession) ([]byte, error) {
	// Each member starts with a comma; the first one's becomes the brace.
	b := make([]byte, 0, 128+len(p.FleetId)+len(p.FleetArn)+len(p.PlayerData)+len(p.IpAddress)+len(p.DnsName))
	if p.FleetId != GameSessionFleet(p.GameSessionId) {
		b = wirejson.Member(b, "FleetId", p.FleetId)
	}
	b = wirejson.MemberOmitEmpty(b, "FleetArn", p.FleetArn)
	b = wirejson.MemberOmitEmpty(b, "PlayerData", p.PlayerData)
	b = wirejson.MemberOmitEmpty(b, "IpAddress", p.IpAddress)
	b = wirejson.MemberOmitEmpty(b, "DnsName", p.DnsName)
	if p.Port != 0 {
		b = append(b, `,"Port":`...)
		b = wirejson.Int(b, int64(p.Port))
	}
	if !p.CreationTime.IsZero() {
		b = append(b, `,"CreationTime":`...)
		var err error
		if b, err = wirejson.Time(b, p.CreationTime); err != nil {
			return nil, fmt.Errorf("player session CreationTime: %w", err)
		}
	}
	if len(b) == 0 {
		return []byte("{}"), nil
	}
	b[0] = '{'
	return append(b, '}'), nil
}
