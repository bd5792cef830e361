package matchmaker

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// FlexMatch limits (reference/flexmatch.md §4-6).
const (
	MaxNameLength            = 128
	MaxRuleSetBody           = 65535
	MaxPlayersPerTicket      = 10
	MaxPlayersPerBackfill    = 199
	MaxPlayerIDLength        = 1024
	MaxAttributesPerPlayer   = 10
	MaxStringAttribute       = 100
	MaxStringListEntries     = 100
	MaxStringMapEntries      = 10
	MaxDescribeTickets       = 10
	MaxRequestTimeout        = 43200
	MaxAcceptanceTimeout     = 600
	DefaultAcceptanceTimeout = 30
	MaxCustomEventData       = 256
	MaxGameProperties        = 16
	MaxGamePropertyKey       = 32
	MaxGamePropertyValue     = 96
	MaxGameSessionData       = 4096
	MaxDescription           = 1024
	MaxNotificationTarget    = 2048
	MaxQueueArnLength        = 512
	MaxTags                  = 200
	MaxDescribeLimit         = 10
)

// The FlexMatch modes and backfill modes.
const (
	ModeStandalone = "STANDALONE"
	ModeWithQueue  = "WITH_QUEUE"
	BackfillAuto   = "AUTOMATIC"
	BackfillManual = "MANUAL"
)

// checkName checks a resource name or ticket id: 1-128 characters of
// [a-zA-Z0-9-.].
func checkName(field, v string) *Error {
	if v == "" {
		return invalid(field, "is required")
	}
	if len(v) > MaxNameLength {
		return invalid(field, "must be at most %d characters, got %d", MaxNameLength, len(v))
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return invalid(field, "must match [a-zA-Z0-9-.]*: %q is not allowed", rune(c))
		}
	}
	return nil
}

func checkLen(field, v string, lo, hi int) *Error {
	n := utf8.RuneCountInString(v)
	if !utf8.ValidString(v) {
		return invalid(field, "must be valid UTF-8")
	}
	if n < lo || n > hi {
		if lo == hi || lo == 0 {
			return invalid(field, "must be at most %d characters, got %d", hi, n)
		}
		return invalid(field, "must be %d to %d characters, got %d", lo, hi, n)
	}
	return nil
}

func checkTags(tags []Tag) *Error {
	if len(tags) > MaxTags {
		return invalid("Tags", "at most %d tags, got %d", MaxTags, len(tags))
	}
	for i, t := range tags {
		if err := checkLen(fmt.Sprintf("Tags[%d].Key", i), t.Key, 1, 128); err != nil {
			return err
		}
		if err := checkLen(fmt.Sprintf("Tags[%d].Value", i), t.Value, 0, 256); err != nil {
			return err
		}
	}
	return nil
}

// checkNotificationTarget accepts an https URL (where GameLift takes an SNS
// topic ARN): events are POSTed to it.
func checkNotificationTarget(v string) *Error {
	if v == "" {
		return nil
	}
	if len(v) > MaxNotificationTarget {
		return invalid("NotificationTarget", "must be at most %d characters", MaxNotificationTarget)
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return invalid("NotificationTarget", "must be an https URL (Matchpoint POSTs events to a webhook; SNS topic ARNs are not supported)")
	}
	return nil
}

// checkConfiguration checks a complete configuration record.
func checkConfiguration(c *store.Configuration) *Error {
	if err := checkName("Name", c.Name); err != nil {
		return err
	}
	if c.Description != "" {
		if err := checkLen("Description", c.Description, 1, MaxDescription); err != nil {
			return err
		}
	}
	if err := checkName("RuleSetName", c.RuleSetName); err != nil {
		return err
	}
	if c.RequestTimeoutSeconds < 1 || c.RequestTimeoutSeconds > MaxRequestTimeout {
		return invalid("RequestTimeoutSeconds", "must be 1 to %d, got %d", MaxRequestTimeout, c.RequestTimeoutSeconds)
	}
	if c.AcceptanceTimeoutSeconds < 1 || c.AcceptanceTimeoutSeconds > MaxAcceptanceTimeout {
		return invalid("AcceptanceTimeoutSeconds", "must be 1 to %d, got %d", MaxAcceptanceTimeout, c.AcceptanceTimeoutSeconds)
	}
	switch c.FlexMatchMode {
	case ModeStandalone, ModeWithQueue:
	default:
		return invalid("FlexMatchMode", "must be STANDALONE or WITH_QUEUE, got %q", c.FlexMatchMode)
	}
	switch c.BackfillMode {
	case BackfillManual:
	case BackfillAuto:
		if c.FlexMatchMode == ModeStandalone {
			return invalid("BackfillMode", "AUTOMATIC is not available with FlexMatchMode STANDALONE")
		}
	default:
		return invalid("BackfillMode", "must be AUTOMATIC or MANUAL, got %q", c.BackfillMode)
	}
	if len(c.GameSessionQueueArns) > 0 && c.FlexMatchMode != ModeWithQueue {
		return invalid("GameSessionQueueArns", "only allowed with FlexMatchMode WITH_QUEUE")
	}
	for i, a := range c.GameSessionQueueArns {
		if err := checkQueueRef(fmt.Sprintf("GameSessionQueueArns[%d]", i), a); err != nil {
			return err
		}
	}
	if c.AdditionalPlayerCount < 0 {
		return invalid("AdditionalPlayerCount", "must be 0 or more, got %d", c.AdditionalPlayerCount)
	}
	if err := checkLen("CustomEventData", c.CustomEventData, 0, MaxCustomEventData); err != nil {
		return err
	}
	if len(c.GameProperties) > MaxGameProperties {
		return invalid("GameProperties", "at most %d properties, got %d", MaxGameProperties, len(c.GameProperties))
	}
	for i, p := range c.GameProperties {
		if err := checkLen(fmt.Sprintf("GameProperties[%d].Key", i), p.Key, 1, MaxGamePropertyKey); err != nil {
			return err
		}
		if err := checkLen(fmt.Sprintf("GameProperties[%d].Value", i), p.Value, 0, MaxGamePropertyValue); err != nil {
			return err
		}
	}
	if err := checkLen("GameSessionData", c.GameSessionData, 0, MaxGameSessionData); err != nil {
		return err
	}
	return checkNotificationTarget(c.NotificationTarget)
}

// playerRules say what a request's players must carry.
type playerRules struct {
	max         int
	requireTeam bool
}

// checkPlayers checks a request's players against FlexMatch's limits. Their
// attributes are not checked against the rule set: as in FlexMatch, a ticket
// missing a declared attribute that has no default, or carrying one of
// another type, is accepted and can never match (forming.Unmatchable says
// so in its explanation and its MatchmakingTimedOut event).
func checkPlayers(players []store.Player, pr playerRules) *Error {
	if len(players) == 0 {
		return invalid("Players", "at least one player is required")
	}
	if len(players) > pr.max {
		return invalid("Players", "at most %d players, got %d", pr.max, len(players))
	}
	seen := make(map[string]int, len(players))
	for i, p := range players {
		f := "Players[" + strconv.Itoa(i) + "]"
		if err := checkPlayerID(f+".PlayerId", p.PlayerId); err != nil {
			return err
		}
		if j, dup := seen[p.PlayerId]; dup {
			return invalid(f+".PlayerId", "player %q is also Players[%d]", p.PlayerId, j)
		}
		seen[p.PlayerId] = i
		if pr.requireTeam && p.Team == "" {
			return invalid(f+".Team", "is required for a backfill request")
		}
		if p.Team != "" {
			if err := checkLen(f+".Team", p.Team, 1, MaxPlayerIDLength); err != nil {
				return err
			}
		}
		if len(p.PlayerAttributes) > MaxAttributesPerPlayer {
			return invalid(f+".PlayerAttributes", "at most %d attributes, got %d", MaxAttributesPerPlayer, len(p.PlayerAttributes))
		}
		for name, v := range p.PlayerAttributes {
			if err := checkAttribute(f+".PlayerAttributes["+name+"]", name, v); err != nil {
				return err
			}
		}
		for region, ms := range p.LatencyInMs {
			lf := f + ".LatencyInMs[" + region + "]"
			if err := checkLen(lf, region, 1, 64); err != nil {
				return err
			}
			if ms < 1 {
				return invalid(lf, "must be 1 or more, got %d", ms)
			}
		}
	}
	return nil
}

func checkPlayerID(field, id string) *Error {
	if err := checkLen(field, id, 1, MaxPlayerIDLength); err != nil {
		return err
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return invalid(field, "must not contain control characters")
		}
	}
	return nil
}

func checkAttribute(field, name string, v store.AttributeValue) *Error {
	if err := checkLen(field, name, 1, MaxPlayerIDLength); err != nil {
		return err
	}
	set := 0
	if v.S != nil {
		set++
	}
	if v.N != nil {
		set++
	}
	if v.SL != nil {
		set++
	}
	if v.SDM != nil {
		set++
	}
	if set != 1 {
		return invalid(field, "exactly one of S, N, SL and SDM must be set, got %d", set)
	}
	switch {
	case v.S != nil:
		return checkLen(field+".S", *v.S, 1, MaxStringAttribute)
	case v.N != nil:
		if math.IsNaN(*v.N) || math.IsInf(*v.N, 0) {
			return invalid(field+".N", "must be a finite number")
		}
	case v.SL != nil:
		if len(v.SL) > MaxStringListEntries {
			return invalid(field+".SL", "at most %d strings, got %d", MaxStringListEntries, len(v.SL))
		}
		for i, s := range v.SL {
			if err := checkLen(fmt.Sprintf("%s.SL[%d]", field, i), s, 1, MaxStringAttribute); err != nil {
				return err
			}
		}
	default:
		if len(v.SDM) > MaxStringMapEntries {
			return invalid(field+".SDM", "at most %d pairs, got %d", MaxStringMapEntries, len(v.SDM))
		}
		for k, n := range v.SDM {
			if err := checkLen(field+".SDM", k, 1, MaxStringAttribute); err != nil {
				return err
			}
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return invalid(fmt.Sprintf("%s.SDM[%s]", field, k), "must be a finite number")
			}
		}
	}
	return nil
}
