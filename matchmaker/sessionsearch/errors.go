package sessionsearch

import "fmt"

// MaxExpressionLength is GameLift's limit on a FilterExpression or a
// SortExpression, in characters.
const MaxExpressionLength = 1024

// Names of the request fields, used in errors.
const (
	FilterField = "FilterExpression"
	SortField   = "SortExpression"
)

// SyntaxError is an expression that does not parse or does not type-check.
// The service reports it as an InvalidRequestException.
type SyntaxError struct {
	Field string // FilterField or SortField
	Pos   int    // 1-based character (not byte) where the problem is; len+1 for the end
	Msg   string
}

// Error formats the error as `Field: at character N: message`.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s: at character %d: %s", e.Field, e.Pos, e.Msg)
}
