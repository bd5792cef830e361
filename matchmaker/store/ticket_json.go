package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/wirejson"
)

// ticketBody is the JSON the store keeps of t (a ticket HASH's field b): t
// without what the HASH's other fields hold (status, reason, message, end
// time, deadline, match id, version). It is what Marshal writes of that
// copy; a ticket with acceptances or connection information, rare and
// short-lived, is written by Marshal itself.
func ticketBody(t *Ticket) ([]byte, error) {
	if t.GameSessionConnectionInfo != nil || len(t.Acceptances) > 0 {
		body := *t
		body.Status, body.StatusReason, body.StatusMessage = "", "", ""
		body.EndTime, body.Deadline = time.Time{}, time.Time{}
		body.MatchId, body.Version = "", 0
		return json.Marshal(&body)
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
	if t.Players == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range t.Players {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = t.Players[i].AppendJSON(b); err != nil {
				return nil, fmt.Errorf("ticket player %s: %w", t.Players[i].PlayerId, err)
			}
		}
		b = append(b, ']')
	}
	if t.MatchpointLocation != "" {
		b = append(b, `,"MatchpointLocation":`...)
		b = wirejson.String(b, t.MatchpointLocation)
	}
	if t.Backfill {
		b = append(b, `,"Backfill":true`...)
	}
	if t.BackfillGameSessionArn != "" {
		b = append(b, `,"BackfillGameSessionArn":`...)
		b = wirejson.String(b, t.BackfillGameSessionArn)
	}
	if t.PlacementRetries != 0 {
		b = append(b, `,"PlacementRetries":`...)
		b = wirejson.Int(b, int64(t.PlacementRetries))
	}
	return append(b, '}'), nil
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
