package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/matchpoint-dev/matchpoint/wirejson"
)

// ticketBody is the JSON the store keeps of t (a ticket HASH's field b): t
// without what the HASH's other fields hold (status, reason, message, end
// time, deadline, match id, version). It is what Marshal writes of that
// copy; a ticket with acceptances or connection information, rare and
// short-lived, is written by Marshal itself.
func ticketBody(t *Ticket) ([]byte, error) {
	if t.GameSessionConnectionInfo != nil || len(t.Acceptances) > 0 {
		return marshalTicketBody(t)
	}
	b := make([]byte, 0, 160+96*len(t.Players))
	b = append(b, `{"TicketId":`...)
	b = wirejson.String(b, t.TicketId)
	b = append(b, `,"ConfigurationName":`...)
	b = wirejson.String(b, t.ConfigurationName)
	var err error
	if !t.StartTime.IsZero() {
		b = append(b, `,"StartTime":`...)
		if b, err = wirejson.Time(b, t.StartTime); err != nil {
			return nil, fmt.Errorf("ticket StartTime: %w", err)
		}
	}
	if t.EstimatedWaitTime != 0 {
		b = append(b, `,"EstimatedWaitTime":`...)
		b = wirejson.Int(b, int64(t.EstimatedWaitTime))
	}
	b = append(b, `,"Players":`...)
	if b, err = wirejson.Array(b, t.Players, appendPlayer); err != nil {
		return nil, err
	}
	b = wirejson.MemberOmitEmpty(b, "MatchpointLocation", t.MatchpointLocation)
	if t.Backfill {
		b = append(b, `,"Backfill":true`...)
	}
	b = wirejson.MemberOmitEmpty(b, "BackfillGameSessionArn", t.BackfillGameSessionArn)
	if t.PlacementRetries != 0 {
		b = append(b, `,"PlacementRetries":`...)
		b = wirejson.Int(b, int64(t.PlacementRetries))
	}
	return append(b, '}'), nil
}

// marshalTicketBody is ticketBody by Marshal, for what the appender leaves
// to it (and the reference its tests hold it to).
func marshalTicketBody(t *Ticket) ([]byte, error) {
	body := *t
	body.Status, body.StatusReason, body.StatusMessage = "", "", ""
	body.EndTime, body.Deadline = time.Time{}, time.Time{}
	body.MatchId, body.Version = "", 0
	return json.Marshal(&body)
}

func appendPlayer(b []byte, p *Player) ([]byte, error) {
	b, err := p.AppendJSON(b)
	if err != nil {
		return b, fmt.Errorf("ticket player %s: %w", p.PlayerId, err)
	}
	return b, nil
}

// playerIDsJSON is the JSON array of t's player ids (a ticket HASH's field
// p).
func playerIDsJSON(t *Ticket) []byte {
	b := make([]byte, 0, 2+24*len(t.Players))
	b = append(b, '[')
	for i := range t.Players {
		if i > 0 {
			b = append(b, ',')
		}
		b = wirejson.String(b, t.Players[i].PlayerId)
	}
	return append(b, ']')
}
