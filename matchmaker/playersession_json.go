package matchmaker

import "github.com/matchpoint-dev/matchpoint/wirejson"

// AppendJSON appends o as encoding/json's Marshal writes it.
func (o *CreatePlayerSessionOutput) AppendJSON(b []byte) ([]byte, error) {
	b = o.PlayerSession.appendJSON(append(b, `{"PlayerSession":`...))
	return append(b, '}'), nil
}

// AppendJSON appends o as encoding/json's Marshal writes it: the answer to
// every CreatePlayerSessions.
func (o *CreatePlayerSessionsOutput) AppendJSON(b []byte) ([]byte, error) {
	b, _ = wirejson.Array(append(b, `{"PlayerSessions":`...), o.PlayerSessions, appendPlayerSession)
	return append(b, '}'), nil
}

// AppendJSON appends o as encoding/json's Marshal writes it.
func (o *DescribePlayerSessionsOutput) AppendJSON(b []byte) ([]byte, error) {
	b, _ = wirejson.Array(append(b, `{"PlayerSessions":`...), o.PlayerSessions, appendPlayerSession)
	b = wirejson.MemberOmitEmpty(b, "NextToken", o.NextToken)
	return append(b, '}'), nil
}

// appendPlayerSession is PlayerSession.appendJSON as wirejson.Array takes it;
// its error is always nil.
func appendPlayerSession(b []byte, p *PlayerSession) ([]byte, error) { return p.appendJSON(b), nil }

// appendJSON appends p as Marshal writes it.
func (p *PlayerSession) appendJSON(b []byte) []byte {
	b = wirejson.String(append(b, `{"PlayerSessionId":`...), p.PlayerSessionId)
	b = wirejson.Member(b, "PlayerId", p.PlayerId)
	b = wirejson.Member(b, "GameSessionId", p.GameSessionId)
	b = wirejson.Member(b, "FleetId", p.FleetId)
	b = wirejson.MemberOmitEmpty(b, "FleetArn", p.FleetArn)
	b = appendTimestampMember(b, "CreationTime", p.CreationTime)
	b = appendTimestampMember(b, "TerminationTime", p.TerminationTime)
	b = wirejson.Member(b, "Status", p.Status)
	b = wirejson.MemberOmitEmpty(b, "IpAddress", p.IpAddress)
	b = wirejson.MemberOmitEmpty(b, "DnsName", p.DnsName)
	if p.Port != 0 {
		b = wirejson.Int(append(b, `,"Port":`...), int64(p.Port))
	}
	b = wirejson.MemberOmitEmpty(b, "PlayerData", p.PlayerData)
	return append(b, '}')
}
