package matchmaker

import "github.com/matchpoint-dev/matchpoint/wirejson"

// appendJSON appends ev as encoding/json's Marshal writes it, without its
// reflection: every ticket's arrival and every match write events.
func (ev *Event) appendJSON(b []byte) []byte {
	b = append(b, `{"version":`...)
	b = wirejson.String(b, ev.Version)
	b = wirejson.Member(b, "id", ev.ID)
	b = wirejson.Member(b, "detail-type", ev.DetailType)
	b = wirejson.Member(b, "source", ev.Source)
	b = wirejson.Member(b, "account", ev.Account)
	b = wirejson.Member(b, "time", ev.Time)
	b = wirejson.Member(b, "region", ev.Region)
	b = append(b, `,"resources":`...)
	b = wirejson.Strings(b, ev.Resources)
	b = append(b, `,"detail":`...)
	b = ev.Detail.appendJSON(b)
	return append(b, '}')
}

func (d *EventDetail) appendJSON(b []byte) []byte {
	b = append(b, `{"type":`...)
	b = wirejson.String(b, d.Type)
	b = append(b, `,"tickets":`...)
	b, _ = wirejson.Array(b, d.Tickets, appendEventTicket)
	if d.EstimatedWaitMillis != "" {
		b = append(b, `,"estimatedWaitMillis":`...)
		b = d.EstimatedWaitMillis.appendJSON(b)
	}
	if d.AcceptanceTimeout != 0 {
		b = append(b, `,"acceptanceTimeout":`...)
		b = wirejson.Int(b, int64(d.AcceptanceTimeout))
	}
	if d.AcceptanceRequired != nil {
		b = append(b, `,"acceptanceRequired":`...)
		b = appendBool(b, *d.AcceptanceRequired)
	}
	b = wirejson.MemberOmitEmpty(b, "acceptance", d.Acceptance)
	if len(d.RuleEvaluationMetrics) > 0 {
		b = append(b, `,"ruleEvaluationMetrics":[`...)
		for i, m := range d.RuleEvaluationMetrics {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"ruleName":`...)
			b = wirejson.String(b, m.RuleName)
			b = append(b, `,"passedCount":`...)
			b = wirejson.Int(b, int64(m.PassedCount))
			b = append(b, `,"failedCount":`...)
			b = wirejson.Int(b, int64(m.FailedCount))
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = wirejson.MemberOmitEmpty(b, "reason", d.Reason)
	b = wirejson.MemberOmitEmpty(b, "message", d.Message)
	b = wirejson.MemberOmitEmpty(b, "matchId", d.MatchID)
	g := &d.GameSessionInfo
	b = append(b, `,"gameSessionInfo":{`...)
	open := len(b)
	if g.GameSessionArn != "" {
		b = append(b, `"gameSessionArn":`...)
		b = wirejson.String(b, g.GameSessionArn)
	}
	if g.IPAddress != "" {
		b = wirejson.Comma(b, open)
		b = append(b, `"ipAddress":`...)
		b = wirejson.String(b, g.IPAddress)
	}
	if g.Port != 0 {
		b = wirejson.Comma(b, open)
		b = append(b, `"port":`...)
		b = wirejson.Int(b, int64(g.Port))
	}
	b = wirejson.Comma(b, open)
	b = append(b, `"players":`...)
	b, _ = wirejson.Array(b, g.Players, appendEventPlayer)
	b = append(b, '}')
	b = wirejson.MemberOmitEmpty(b, "customEventData", d.CustomEventData)
	b = wirejson.MemberOmitEmpty(b, "keptOutBy", d.KeptOutBy)
	if len(d.Expansions) > 0 {
		b = append(b, `,"expansions":`...)
		b = wirejson.Strings(b, d.Expansions)
	}
	b = wirejson.MemberOmitEmpty(b, "unmatchable", d.Unmatchable)
	b = wirejson.MemberOmitEmpty(b, "placementError", d.PlacementError)
	b = wirejson.MemberOmitEmpty(b, "matchpointLocation", d.MatchpointLocation)
	return append(b, '}')
}

func appendEventTicket(b []byte, t *EventTicket) ([]byte, error) {
	b = append(b, `{"ticketId":`...)
	b = wirejson.String(b, t.TicketID)
	b = wirejson.Member(b, "startTime", t.StartTime)
	b = append(b, `,"players":`...)
	b, _ = wirejson.Array(b, t.Players, appendEventPlayer)
	return append(b, '}'), nil
}

func appendEventPlayer(b []byte, p *EventPlayer) ([]byte, error) {
	b = append(b, `{"playerId":`...)
	b = wirejson.String(b, p.PlayerID)
	b = wirejson.MemberOmitEmpty(b, "team", p.Team)
	b = wirejson.MemberOmitEmpty(b, "playerSessionId", p.PlayerSessionID)
	if p.Accepted != nil {
		b = append(b, `,"accepted":`...)
		b = appendBool(b, *p.Accepted)
	}
	return append(b, '}'), nil
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}
