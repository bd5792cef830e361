package matchmaker

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/wirejson"
)

// The FlexMatch event types.
const (
	EventMatchmakingSearching  = "MatchmakingSearching"
	EventPotentialMatchCreated = "PotentialMatchCreated"
	EventAcceptMatch           = "AcceptMatch"
	EventAcceptMatchCompleted  = "AcceptMatchCompleted"
	EventMatchmakingSucceeded  = "MatchmakingSucceeded"
	EventMatchmakingTimedOut   = "MatchmakingTimedOut"
	EventMatchmakingCancelled  = "MatchmakingCancelled"
	EventMatchmakingFailed     = "MatchmakingFailed"
)

// The AcceptMatchCompleted acceptance values.
const (
	AcceptanceAccepted = "Accepted"
	AcceptanceRejected = "Rejected"
	AcceptanceTimedOut = "TimedOut"
)

// EventTimeFormat is the ISO 8601 form of event times, as FlexMatch writes
// them: 2017-08-08T21:15:36.421Z.
const EventTimeFormat = "2006-01-02T15:04:05.000Z"

// eventTime is t in UTC as EventTimeFormat lays it out, written digit by
// digit: time.Time.Format reads its layout on every call, and a ticket's
// events format several times each.
func eventTime(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.Format(EventTimeFormat)
	}
	hour, minute, second := t.Clock()
	var b [len(EventTimeFormat)]byte
	put := func(at, n, digits int) {
		for i := at + digits - 1; i >= at; i-- {
			b[i] = byte('0' + n%10)
			n /= 10
		}
	}
	put(0, year, 4)
	b[4] = '-'
	put(5, int(month), 2)
	b[7] = '-'
	put(8, day, 2)
	b[10] = 'T'
	put(11, hour, 2)
	b[13] = ':'
	put(14, minute, 2)
	b[16] = ':'
	put(17, second, 2)
	b[19] = '.'
	put(20, t.Nanosecond()/int(time.Millisecond), 3)
	b[23] = 'Z'
	return string(b[:])
}

// Event is a FlexMatch matchmaking event: the EventBridge/SNS envelope with
// the FlexMatch detail. docs/events.md shows one of each type.
type Event struct {
	Version    string      `json:"version"`
	ID         string      `json:"id"`
	DetailType string      `json:"detail-type"`
	Source     string      `json:"source"`
	Account    string      `json:"account"`
	Time       string      `json:"time"`
	Region     string      `json:"region"`
	Resources  []string    `json:"resources"`
	Detail     EventDetail `json:"detail"`
}

// EventDetail is the FlexMatch event detail; which fields are set depends on
// Type.
type EventDetail struct {
	Type                  string                 `json:"type"`
	Tickets               []EventTicket          `json:"tickets"`
	EstimatedWaitMillis   EstimatedWait          `json:"estimatedWaitMillis,omitempty"`
	AcceptanceTimeout     int                    `json:"acceptanceTimeout,omitempty"`
	AcceptanceRequired    *bool                  `json:"acceptanceRequired,omitempty"`
	Acceptance            string                 `json:"acceptance,omitempty"`
	RuleEvaluationMetrics []RuleEvaluationMetric `json:"ruleEvaluationMetrics,omitempty"`
	Reason                string                 `json:"reason,omitempty"`
	Message               string                 `json:"message,omitempty"`
	MatchID               string                 `json:"matchId,omitempty"`
	GameSessionInfo       GameSessionInfo        `json:"gameSessionInfo"`
	CustomEventData       string                 `json:"customEventData,omitempty"`
	// KeptOutBy and Expansions are Matchpoint's own, on MatchmakingTimedOut
	// and MatchmakingCancelled (see explanation).
	KeptOutBy  string   `json:"keptOutBy,omitempty"`
	Expansions []string `json:"expansions,omitempty"`
	// Unmatchable is Matchpoint's own, on MatchmakingTimedOut and
	// MatchmakingCancelled: why the ticket could never match.
	Unmatchable string `json:"unmatchable,omitempty"`
	// PlacementError is Matchpoint's own, on MatchmakingFailed: why the
	// placement failed, for operators (message is FlexMatch's).
	PlacementError string `json:"placementError,omitempty"`
	// MatchpointLocation is Matchpoint's own, on the MatchmakingSucceeded of
	// a STANDALONE match: the region the forming loop chose for it (the
	// tickets' MatchpointLocation), absent when none could be chosen.
	MatchpointLocation string `json:"matchpointLocation,omitempty"`
}

// EstimatedWait is the estimatedWaitMillis of MatchmakingSearching: as
// GameLift documents it, whole seconds despite its name, written as a JSON
// number, or the string "NOT_AVAILABLE" when there is no estimate.
type EstimatedWait string

// MarshalJSON writes a number of seconds as a JSON number, anything else as
// a string.
func (e EstimatedWait) MarshalJSON() ([]byte, error) { return e.appendJSON(nil), nil }

// appendJSON appends e as MarshalJSON writes it.
func (e EstimatedWait) appendJSON(b []byte) []byte {
	if e.seconds() {
		return append(b, e...)
	}
	return wirejson.String(b, string(e))
}

// seconds reports whether e is a number of seconds written as JSON writes
// a number: decimal digits without a leading zero, at most 2^31-1.
func (e EstimatedWait) seconds() bool {
	if len(e) == 0 || len(e) > 10 || (e[0] == '0' && len(e) > 1) {
		return false
	}
	n := 0
	for i := 0; i < len(e); i++ {
		c := e[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n <= math.MaxInt32
}

// UnmarshalJSON reads a JSON number or string.
func (e *EstimatedWait) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*e = EstimatedWait(n.String())
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("estimatedWaitMillis %s: want a number or a string", b)
	}
	*e = EstimatedWait(str)
	return nil
}

// explanation is what kept a searching ticket out of a match so far.
type explanation struct {
	// Metrics sums the rule outcomes of the forming searches the ticket
	// anchored without finding a match.
	Metrics []RuleEvaluationMetric
	// KeptOutBy is the rule that failed most often in them.
	KeptOutBy string
	// Expansions lists the expansion steps in force for the ticket, as
	// "target = value (after Ns)".
	Expansions []string
	// Unmatchable says why the ticket can never match the rule set ("can
	// never match: the party of 5 players is larger than any team (at most
	// 4)"), from the first pass that saw it; the other fields are then
	// empty: no search was tried.
	Unmatchable string
}

// EventTicket is one ticket in an event.
type EventTicket struct {
	TicketID  string        `json:"ticketId"`
	StartTime string        `json:"startTime"`
	Players   []EventPlayer `json:"players"`
}

// EventPlayer is one player in an event. Accepted is absent until the
// player answers (and outside acceptance events).
type EventPlayer struct {
	PlayerID        string `json:"playerId"`
	Team            string `json:"team,omitempty"`
	PlayerSessionID string `json:"playerSessionId,omitempty"`
	Accepted        *bool  `json:"accepted,omitempty"`
}

// GameSessionInfo is the game session of an event: every player of the
// match and, on MatchmakingSucceeded after a placement, where to connect.
type GameSessionInfo struct {
	GameSessionArn string        `json:"gameSessionArn,omitempty"`
	IPAddress      string        `json:"ipAddress,omitempty"`
	Port           int           `json:"port,omitempty"`
	Players        []EventPlayer `json:"players"`
}

// RuleEvaluationMetric counts how often a rule passed and failed while a
// match was formed.
type RuleEvaluationMetric struct {
	RuleName    string `json:"ruleName"`
	PassedCount int    `json:"passedCount"`
	FailedCount int    `json:"failedCount"`
}

// Reasons and messages FlexMatch uses in events and ticket statuses.
const (
	reasonTimedOut   = "TimedOut"
	messageTimedOut  = "Removed from matchmaking due to timing out."
	reasonCancelled  = "Cancelled"
	messageCancelled = "Cancelled by request."
	reasonFailed     = "UNEXPECTED_ERROR"
	messageFailed    = "An unexpected error was encountered during match placing."
	reasonRejected   = "AcceptanceRejected"
	messageRejected  = "A player rejected the proposed match."
	reasonAccTimeout = "AcceptanceTimedOut"
	messageAccTimout = "Not every player accepted the proposed match in time."
	messageReplaced  = "Replaced by a new backfill request."
	estimateNA       = "NOT_AVAILABLE"
)

// memberPrefix marks the entries of Ticket.Acceptances that list the
// tickets of the proposed match (memberPrefix + ticket id), next to the
// players' answers. Player ids cannot contain control characters, so the
// keys never collide. This keeps the match's membership on every ticket of
// the match, atomically with its status, across processes.
const memberPrefix = "\x00ticket:"

func matchMembers(t *store.Ticket) []string {
	var ids []string
	for k := range t.Acceptances {
		if id, ok := strings.CutPrefix(k, memberPrefix); ok {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// eventOptions choose what the players of an event show.
type eventOptions struct {
	accepted bool // show each player's answer
	sessions map[string]string
}

func eventPlayers(t *store.Ticket, o eventOptions) []EventPlayer {
	ps := make([]EventPlayer, len(t.Players))
	for i, p := range t.Players {
		ep := EventPlayer{PlayerID: p.PlayerId, Team: p.Team, PlayerSessionID: o.sessions[p.PlayerId]}
		if o.accepted {
			switch t.Acceptances[p.PlayerId] {
			case store.AcceptanceAccept:
				ep.Accepted = new(true)
			case store.AcceptanceReject:
				ep.Accepted = new(false)
			}
		}
		ps[i] = ep
	}
	return ps
}

// detailFor fills the tickets and the game session's players of a detail.
func detailFor(typ string, tickets []store.Ticket, o eventOptions) EventDetail {
	d := EventDetail{Type: typ, Tickets: make([]EventTicket, len(tickets)), GameSessionInfo: GameSessionInfo{Players: []EventPlayer{}}}
	for i := range tickets {
		t := &tickets[i]
		ps := eventPlayers(t, o)
		d.Tickets[i] = EventTicket{TicketID: t.TicketId, StartTime: eventTime(t.StartTime), Players: ps}
		d.GameSessionInfo.Players = append(d.GameSessionInfo.Players, ps...)
		if typ == EventMatchmakingSucceeded && d.MatchpointLocation == "" {
			d.MatchpointLocation = t.MatchpointLocation
		}
	}
	return d
}

// eventConfig returns the configuration for an event's envelope; a
// configuration deleted meanwhile still gets its events.
func (s *Service) eventConfig(ctx context.Context, name string) store.Configuration {
	cfg, _, err := s.config(ctx, "ConfigurationName", name)
	if err != nil {
		return store.Configuration{Name: name}
	}
	return cfg
}

// emit records an event: appended to the configuration's log (which gives
// it its sequence number), published on the bus, queued for the webhook,
// and announced to local subscribers. The state change it reports has
// already happened, so failures are logged, not returned: events are at most
// once, the ticket is the truth.
func (s *Service) emit(ctx context.Context, cfg store.Configuration, d EventDetail) {
	payload := s.encodeEvent(cfg, &d)
	ids := eventTicketIDs(&d)
	// The event outlives a cancelled request: the state change is done.
	ctx = context.WithoutCancel(ctx)
	seq, err := s.store.AppendEvent(ctx, cfg.Name, ids, payload)
	if err != nil {
		s.log.Error("append matchmaking event", "configuration", cfg.Name, "type", d.Type, "err", err)
	}
	s.deliver(ctx, cfg, d.Type, payload, seq, ids)
}

// eventTicketIDs are the ids of the tickets an event concerns, as its log
// entry lists them.
func eventTicketIDs(d *EventDetail) []string {
	ids := make([]string, len(d.Tickets))
	for i, t := range d.Tickets {
		ids[i] = t.TicketID
	}
	return ids
}

// encodeEvent wraps a detail in its envelope and encodes it.
func (s *Service) encodeEvent(cfg store.Configuration, d *EventDetail) []byte {
	d.CustomEventData = cfg.CustomEventData
	ev := Event{
		Version:    "0",
		ID:         newUUID(),
		DetailType: "GameLift Matchmaking Event",
		Source:     "aws.gamelift",
		Account:    s.opts.AccountID,
		Time:       eventTime(s.now()),
		Region:     s.opts.Region,
		Resources:  []string{s.ConfigurationArn(cfg.Name)},
		Detail:     *d,
	}
	return ev.appendJSON(make([]byte, 0, eventSize(d)))
}

// eventSize is room enough for most events of d's size.
func eventSize(d *EventDetail) int {
	n := 600 + 80*len(d.GameSessionInfo.Players) + 60*len(d.RuleEvaluationMetrics) + len(d.CustomEventData)
	for _, t := range d.Tickets {
		n += 80 + 80*len(t.Players)
	}
	return n
}

// deliver does what follows the log append of an event (seq is its
// sequence number, 0 if the append failed): publish, webhook, subscribers.
func (s *Service) deliver(ctx context.Context, cfg store.Configuration, typ string, payload []byte, seq uint64, ids []string) {
	s.metrics.events.WithLabelValues(cfg.Name, typ).Inc()
	if s.opts.Publisher != nil {
		if err := s.opts.Publisher.PublishMatchmakingEvent(ctx, cfg.Name, typ, payload); err != nil {
			s.log.Warn("publish matchmaking event", "configuration", cfg.Name, "type", typ, "err", err)
		}
	}
	if cfg.NotificationTarget != "" {
		s.hooks.enqueue(cfg.NotificationTarget, payload)
	}
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.Debug("matchmaking event", "configuration", cfg.Name, "type", typ, "seq", seq, "tickets", ids)
	}
	s.notify(cfg.Name)
}

// configurationChanged tells the forming loops that a configuration was
// created, updated or deleted: this process's own at once, and every
// matchmaker's through the bus (Options.Bus), so that a new configuration
// forms matches without waiting for their next scan of the store. A failed
// publication is logged: the scan catches up.
func (s *Service) configurationChanged(ctx context.Context, name string, change bus.ConfigurationChange) {
	s.former.configurationChanged(name)
	if s.opts.Bus == nil {
		return
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	err := s.opts.Bus.PublishConfigurationChanged(pctx, bus.ConfigurationChanged{Name: name, Change: change, At: s.now().UTC()})
	if err != nil {
		s.log.Warn("publish configuration change", "configuration", name, "change", change, "err", err)
	}
}

// DecodeEvent decodes an event payload as stored in the log.
func DecodeEvent(payload []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Event{}, fmt.Errorf("decode matchmaking event: %w", err)
	}
	return ev, nil
}
