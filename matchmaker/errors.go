package matchmaker

import (
	"errors"
	"fmt"
)

// ErrorType is the GameLift exception name of an error, as both HTTP faces
// report it.
type ErrorType string

// The GameLift exception types the service returns.
const (
	InvalidRequest    ErrorType = "InvalidRequestException"
	NotFound          ErrorType = "NotFoundException"
	InternalService   ErrorType = "InternalServiceException"
	UnsupportedRegion ErrorType = "UnsupportedRegionException"
	LimitExceeded     ErrorType = "LimitExceededException"
	// TerminalRoutingStrategy answers ResolveAlias (and, later, the game
	// session actions) for an alias whose routing is TERMINAL, with the
	// alias's message.
	TerminalRoutingStrategy ErrorType = "TerminalRoutingStrategyException"
)

// Error is every error the service returns for a request: the GameLift
// exception type, a message that names the offending field when there is
// one, and whether the request conflicts with stored state (a duplicate name
// or id, a resource in use), which GameLift reports as InvalidRequestException
// and the REST face as 409.
type Error struct {
	Type     ErrorType
	Message  string
	Conflict bool
	// Err is the underlying cause, if any (a store error).
	Err error
}

// Error returns "Type: Message".
func (e *Error) Error() string { return string(e.Type) + ": " + e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// AsError returns err as an *Error: err itself when it is one (or wraps
// one), otherwise an InternalServiceException that hides err's text.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Type: InternalService, Message: "An internal error occurred.", Err: err}
}

func invalid(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if field != "" {
		msg = field + ": " + msg
	}
	return &Error{Type: InvalidRequest, Message: msg}
}

func conflict(cause error, format string, args ...any) *Error {
	return &Error{Type: InvalidRequest, Message: fmt.Sprintf(format, args...), Conflict: true, Err: cause}
}

func notFound(cause error, format string, args ...any) *Error {
	return &Error{Type: NotFound, Message: fmt.Sprintf(format, args...), Err: cause}
}

func internal(err error, format string, args ...any) *Error {
	return &Error{Type: InternalService, Message: "An internal error occurred.", Err: fmt.Errorf(format+": %w", append(args, err)...)}
}
