package bus

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SubjectPrefix starts every Matchpoint subject. Its "v1" is the version of the
// subject layout (which tokens, in which order); the version of each payload is
// the separate "v" field inside it. See docs/bus.md.
const SubjectPrefix = "matchpoint.v1"

// MaxNameLen is the longest user-chosen name (region, configuration, relay id,
// script name, event type), in bytes, that may become a subject token.
const MaxNameLen = 128

// Queue groups used by default: every relay of a region serves placements in
// DefaultRelayQueue, every matchmaker serves backfill requests in
// DefaultMatchmakerQueue, so that exactly one member takes each request.
const (
	DefaultRelayQueue      = "matchpoint-relays"
	DefaultMatchmakerQueue = "matchpoint-matchmakers"
)

// SessionEventKind is the last token of a session event subject.
type SessionEventKind string

// The session event kinds, one per payload type.
const (
	KindSessionStarted SessionEventKind = "started"
	KindSessionEnded   SessionEventKind = "ended"
	KindPlayerJoined   SessionEventKind = "player_joined"
	KindPlayerLeft     SessionEventKind = "player_left"
)

const hexDigits = "0123456789ABCDEF"

// Token turns a user-chosen name into one subject token. Bytes in
// [A-Za-z0-9_-] stay as they are; every other byte becomes '=' followed by two
// upper-case hex digits, so '.', '*', '>', spaces and '=' itself can never split
// or widen a subject, and the result is also a valid JetStream KV key. The
// mapping is one to one (ParseToken reverses it). Token rejects, with an error
// wrapping ErrInvalidName, an empty name, a name longer than MaxNameLen bytes
// and a name that is not valid UTF-8.
func Token(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	if isPlain(name) {
		return name, nil
	}
	var b strings.Builder
	b.Grow(len(name) * 3)
	for i := 0; i < len(name); i++ {
		c := name[i]
		if safeByte(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('=')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String(), nil
}

// ParseToken reverses Token: it returns the name a token was built from. It
// accepts only tokens Token could have produced (canonical escapes, upper-case
// hex) and reports anything else with an error wrapping ErrInvalidName.
func ParseToken(tok string) (string, error) {
	if tok == "" {
		return "", fmt.Errorf("%w: empty token", ErrInvalidName)
	}
	if isPlain(tok) {
		if err := checkName(tok); err != nil {
			return "", err
		}
		return tok, nil
	}
	out := make([]byte, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if safeByte(c) {
			out = append(out, c)
			continue
		}
		if c != '=' {
			return "", fmt.Errorf("%w: token %q: byte %q at %d is neither plain nor a =HH escape", ErrInvalidName, tok, c, i)
		}
		if i+2 >= len(tok) {
			return "", fmt.Errorf("%w: token %q: escape at %d is cut short", ErrInvalidName, tok, i)
		}
		hi, lo := unhex(tok[i+1]), unhex(tok[i+2])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("%w: token %q: bad escape at %d (want = and two upper-case hex digits)", ErrInvalidName, tok, i)
		}
		d := byte(hi<<4 | lo)
		if safeByte(d) {
			return "", fmt.Errorf("%w: token %q: escape at %d encodes a plain byte %q", ErrInvalidName, tok, i, d)
		}
		out = append(out, d)
		i += 2
	}
	name := string(out)
	if err := checkName(name); err != nil {
		return "", err
	}
	return name, nil
}

func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty name", ErrInvalidName)
	case len(name) > MaxNameLen:
		return fmt.Errorf("%w: name of %d bytes is longer than %d", ErrInvalidName, len(name), MaxNameLen)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: name %q is not valid UTF-8", ErrInvalidName, name)
	}
	return nil
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !safeByte(s[i]) {
			return false
		}
	}
	return true
}

func safeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// tokenOrWildcard is Token, except that the empty name means "any" and gives
// the single-token wildcard "*".
func tokenOrWildcard(name string) (string, error) {
	if name == "" {
		return "*", nil
	}
	return Token(name)
}

func join(field string, tokens ...string) string {
	return SubjectPrefix + "." + field + "." + strings.Join(tokens, ".")
}

func named(what, name string) (string, error) {
	tok, err := Token(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return tok, nil
}

func namedOrAny(what, name string) (string, error) {
	tok, err := tokenOrWildcard(name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	return tok, nil
}

// PlacementSubject is where placement requests for region go:
// matchpoint.v1.placement.<region>.
func PlacementSubject(region string) (string, error) {
	r, err := named("region", region)
	if err != nil {
		return "", err
	}
	return join("placement", r), nil
}

// RelayPlacementSubject is where placement requests addressed to one relay go
// (backfill into a session it hosts): matchpoint.v1.placement.<region>.<relayID>.
func RelayPlacementSubject(region, relayID string) (string, error) {
	r, err := named("region", region)
	if err != nil {
		return "", err
	}
	id, err := named("relayId", relayID)
	if err != nil {
		return "", err
	}
	return join("placement", r, id), nil
}

// BackfillSubject is where backfill requests for a configuration go:
// matchpoint.v1.backfill.<configuration>.
func BackfillSubject(configuration string) (string, error) {
	c, err := named("configuration", configuration)
	if err != nil {
		return "", err
	}
	return join("backfill", c), nil
}

// BackfillFilter is the subscription subject for the backfill requests of one
// configuration, or of every configuration when configuration is empty.
func BackfillFilter(configuration string) (string, error) {
	c, err := namedOrAny("configuration", configuration)
	if err != nil {
		return "", err
	}
	return join("backfill", c), nil
}

// ReserveSubject is where requests to reserve player sessions in a session
// of relay relayID go: matchpoint.v1.relay.<relayID>.reserve (five tokens, so
// never a heartbeat subject).
func ReserveSubject(relayID string) (string, error) {
	id, err := named("relayId", relayID)
	if err != nil {
		return "", err
	}
	return join("relay", id, "reserve"), nil
}

// HeartbeatSubject is where relay relayID of region publishes its heartbeats:
// matchpoint.v1.relay.heartbeat.<region>.<relayID>.
func HeartbeatSubject(region, relayID string) (string, error) {
	r, err := named("region", region)
	if err != nil {
		return "", err
	}
	id, err := named("relayId", relayID)
	if err != nil {
		return "", err
	}
	return join("relay", "heartbeat", r, id), nil
}

// HeartbeatFilter is the subscription subject for the heartbeats of every relay
// of region, or of every region when region is empty.
func HeartbeatFilter(region string) (string, error) {
	r, err := namedOrAny("region", region)
	if err != nil {
		return "", err
	}
	return join("relay", "heartbeat", r, "*"), nil
}

// SessionSubject is where a relay publishes a session event:
// matchpoint.v1.session.<region>.<configuration>.<kind>.
func SessionSubject(region, configuration string, kind SessionEventKind) (string, error) {
	r, err := named("region", region)
	if err != nil {
		return "", err
	}
	c, err := named("configuration", configuration)
	if err != nil {
		return "", err
	}
	switch kind {
	case KindSessionStarted, KindSessionEnded, KindPlayerJoined, KindPlayerLeft:
	default:
		return "", fmt.Errorf("%w: unknown session event kind %q", ErrInvalidName, kind)
	}
	return join("session", r, c, string(kind)), nil
}

// SessionFilter is the subscription subject for every kind of session event of
// region and configuration; an empty region or configuration means any.
func SessionFilter(region, configuration string) (string, error) {
	r, err := namedOrAny("region", region)
	if err != nil {
		return "", err
	}
	c, err := namedOrAny("configuration", configuration)
	if err != nil {
		return "", err
	}
	return join("session", r, c, "*"), nil
}

// MatchmakingEventSubject is where the matchmaker publishes an event of
// eventType (such as MatchmakingSucceeded) for a configuration:
// matchpoint.v1.matchmaking.<configuration>.<eventType>.
func MatchmakingEventSubject(configuration, eventType string) (string, error) {
	c, err := named("configuration", configuration)
	if err != nil {
		return "", err
	}
	t, err := named("eventType", eventType)
	if err != nil {
		return "", err
	}
	return join("matchmaking", c, t), nil
}

// MatchmakingEventFilter is the subscription subject for the matchmaking
// events of eventType of a configuration; an empty configuration or
// eventType matches every one.
func MatchmakingEventFilter(configuration, eventType string) (string, error) {
	c, err := namedOrAny("configuration", configuration)
	if err != nil {
		return "", err
	}
	t, err := namedOrAny("eventType", eventType)
	if err != nil {
		return "", err
	}
	return join("matchmaking", c, t), nil
}

// ScriptSubject is where a new version of script name is announced:
// matchpoint.v1.script.<name>.
func ScriptSubject(name string) (string, error) {
	n, err := named("script", name)
	if err != nil {
		return "", err
	}
	return join("script", n), nil
}

// ScriptFilter is the subscription subject for the announcements of script
// name, or of every script when name is empty.
func ScriptFilter(name string) (string, error) {
	n, err := namedOrAny("script", name)
	if err != nil {
		return "", err
	}
	return join("script", n), nil
}

// subjectTokens splits subject after SubjectPrefix and field, returning the n
// remaining tokens, or false when it does not have that shape.
func subjectTokens(subject, field string, n int) ([]string, bool) {
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+"."+field+".")
	if !ok {
		return nil, false
	}
	toks := strings.Split(rest, ".")
	if len(toks) != n {
		return nil, false
	}
	return toks, true
}

// Configuration changes.

// ConfigurationSubject is where a change to matchmaking configuration name
// is announced: matchpoint.v1.configuration.<name>.
func ConfigurationSubject(name string) (string, error) {
	n, err := named("configuration", name)
	if err != nil {
		return "", err
	}
	return join("configuration", n), nil
}

// ConfigurationFilter is the subscription subject for the changes to
// configuration name, or to every configuration when name is empty.
func ConfigurationFilter(name string) (string, error) {
	n, err := namedOrAny("configuration", name)
	if err != nil {
		return "", err
	}
	return join("configuration", n), nil
}

// Game session updates and terminations.

// SessionUpdateSubject is where requests to update or end a session of relay
// relayID go: matchpoint.v1.relay.<relayID>.session (five tokens, so never a
// heartbeat subject; "session" is not "reserve", so never a reserve one).
func SessionUpdateSubject(relayID string) (string, error) {
	id, err := named("relayId", relayID)
	if err != nil {
		return "", err
	}
	return join("relay", id, "session"), nil
}
