package sessionsearch

import "encoding/hex"

// Session is what a search reads of a game session. Filters are compiled
// against its fields, so renaming one is a change to the generated programs.
type Session struct {
	// ID is the game session's id; ARN its ARN. gameSessionId matches
	// either, as GameLift accepts a GameSessionId or a GameSessionArn.
	ID, ARN string
	// Name is gameSessionName; the empty string is a session without a name.
	Name string
	// Properties are the game properties, gameSessionProperties.<key>.
	Properties map[string]string
	// MaximumSessions is the MaximumPlayerSessionCount (maximumSessions).
	MaximumSessions int
	// PlayerSessionCount is the number of players in the session.
	PlayerSessionCount int
	// CreationTimeMillis is the creation time in Unix milliseconds.
	CreationTimeMillis int64
	// HasAvailablePlayerSessions tells whether a player can still join:
	// the caller decides it from the player count, the reservations and the
	// PlayerSessionCreationPolicy.
	HasAvailablePlayerSessions bool

	// vars is what filters read of the session, once Prepare has built it.
	vars map[string]any
}

// Prepare builds, once, what filters read of s, so that matching s later
// costs no allocation. s must not change after Prepare, and Prepare must run
// before s is shared between goroutines. A session not prepared is matched
// all the same, building what the filter reads at each match.
func (s *Session) Prepare() { s.vars = s.variables() }

// variables is the environment of a filter's program for s: each field under
// its name (filterFields) and each property under propertyVar(key).
func (s *Session) variables() map[string]any {
	if s.vars != nil {
		return s.vars
	}
	m := make(map[string]any, len(filterFields)+len(s.Properties))
	m["ID"], m["ARN"], m["Name"] = s.ID, s.ARN, s.Name
	m["MaximumSessions"], m["PlayerSessionCount"] = s.MaximumSessions, s.PlayerSessionCount
	m["CreationTimeMillis"], m["HasAvailablePlayerSessions"] = s.CreationTimeMillis, s.HasAvailablePlayerSessions
	for k, v := range s.Properties {
		m[propertyVar(k)] = v
	}
	return m
}

// filterFields are the session's fields a filter program reads, with their
// types: the environment it is compiled against. Properties are variables
// of their own (propertyVar), undefined when a session lacks them.
var filterFields = map[string]any{
	"ID": "", "ARN": "", "Name": "", "MaximumSessions": 0, "PlayerSessionCount": 0,
	"CreationTimeMillis": int64(0), "HasAvailablePlayerSessions": false,
}

// propertyVar names the variable of property key in a filter's
// environment: p_ and the key's bytes in hex, so that no key can name a
// field or write expr syntax.
func propertyVar(key string) string { return "p_" + hex.EncodeToString([]byte(key)) }
