package matchmaker

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/wirejson"
)

// AppendJSON appends o as encoding/json's Marshal writes it: the answer to
// every StartMatchmaking, which Marshal's reflection made a tenth of the
// request's own work.
func (o *StartMatchmakingOutput) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"MatchmakingTicket":`...)
	b, err := o.MatchmakingTicket.appendJSON(b)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// AppendJSON appends o as encoding/json's Marshal writes it.
func (o *DescribeMatchmakingOutput) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"TicketList":`...)
	b, err := wirejson.Array(b, o.TicketList, appendTicket)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendJSON appends t as Marshal writes it. Its connection information,
// present only once a match is placed, is written by Marshal.
func (t *MatchmakingTicket) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"TicketId":`...)
	b = wirejson.String(b, t.TicketId)
	b = wirejson.Member(b, "ConfigurationName", t.ConfigurationName)
	b = wirejson.Member(b, "ConfigurationArn", t.ConfigurationArn)
	b = wirejson.Member(b, "Status", string(t.Status))
	b = wirejson.MemberOmitEmpty(b, "StatusReason", t.StatusReason)
	b = wirejson.MemberOmitEmpty(b, "StatusMessage", t.StatusMessage)
	b = appendTimestampMember(b, "StartTime", t.StartTime)
	b = appendTimestampMember(b, "EndTime", t.EndTime)
	if t.EstimatedWaitTime != nil {
		b = wirejson.Int(append(b, `,"EstimatedWaitTime":`...), int64(*t.EstimatedWaitTime))
	}
	b = append(b, `,"Players":`...)
	b, err := wirejson.Array(b, t.Players, appendPlayer)
	if err != nil {
		return nil, err
	}
	if t.GameSessionConnectionInfo != nil {
		info, err := json.Marshal(t.GameSessionConnectionInfo)
		if err != nil {
			return nil, fmt.Errorf("ticket %s GameSessionConnectionInfo: %w", t.TicketId, err)
		}
		b = append(append(b, `,"GameSessionConnectionInfo":`...), info...)
	}
	b = wirejson.MemberOmitEmpty(b, "MatchpointLocation", t.MatchpointLocation)
	return append(b, '}'), nil
}

func appendTicket(b []byte, t *MatchmakingTicket) ([]byte, error) { return t.appendJSON(b) }

func appendPlayer(b []byte, p *store.Player) ([]byte, error) {
	b, err := p.AppendJSON(b)
	if err != nil {
		return b, fmt.Errorf("player %s: %w", p.PlayerId, err)
	}
	return b, nil
}

// appendJSON appends t as MarshalJSON writes it.
func (t Timestamp) appendJSON(b []byte) []byte {
	return strconv.AppendFloat(b, float64(t.UnixMilli())/1000, 'f', -1, 64)
}

// appendTimestampMember appends the member name: t after a comma, as
// Marshal writes a *Timestamp field tagged omitempty: nothing when t is nil.
func appendTimestampMember(b []byte, name string, t *Timestamp) []byte {
	if t == nil {
		return b
	}
	b = append(append(append(b, `,"`...), name...), `":`...)
	return t.appendJSON(b)
}
