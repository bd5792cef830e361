package store

import (
	"fmt"

	"github.com/matchpoint-dev/matchpoint/wirejson"
)

// playerSessionBody is the JSON the store keeps of p (a player session
// HASH's field b): p without its status, version and termination time,
// which the HASH holds apart. It is what Marshal writes of that copy.
func playerSessionBody(p *PlayerSession) ([]byte, error) {
	b := make([]byte, 0, 192+len(p.PlayerSessionId)+len(p.PlayerId)+len(p.GameSessionId)+len(p.FleetId)+
		len(p.FleetArn)+len(p.PlayerData)+len(p.IpAddress)+len(p.DnsName))
	b = append(b, `{"PlayerSessionId":`...)
	b = wirejson.String(b, p.PlayerSessionId)
	b = append(b, `,"PlayerId":`...)
	b = wirejson.String(b, p.PlayerId)
	b = append(b, `,"GameSessionId":`...)
	b = wirejson.String(b, p.GameSessionId)
	b = append(b, `,"FleetId":`...)
	b = wirejson.String(b, p.FleetId)
	b = wirejson.MemberOmitEmpty(b, "FleetArn", p.FleetArn)
	b = wirejson.MemberOmitEmpty(b, "PlayerData", p.PlayerData)
	b = append(b, `,"Status":""`...)
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
	return append(b, '}'), nil
}
