package sessionsearch

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
}
