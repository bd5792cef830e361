package bus

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the package returns wraps one of them (or a
// context error), so callers decide with errors.Is.
var (
	// ErrInvalidName: a name cannot become a subject token (empty, too long,
	// not UTF-8) or a token is not one Token produces.
	ErrInvalidName = errors.New("bus: invalid name")
	// ErrMalformed: a payload is not valid JSON for its type, or a field is
	// missing or out of range. The error names the field.
	ErrMalformed = errors.New("bus: malformed payload")
	// ErrUnsupportedVersion: a payload's "v" is a major version this build
	// does not read.
	ErrUnsupportedVersion = errors.New("bus: unsupported payload version")
	// ErrNoResponders: nobody subscribes to the request's subject (no relay in
	// the region, no matchmaker). It is known at once: fail fast.
	ErrNoResponders = errors.New("bus: no responders")
	// ErrTimeout: a request got no reply before its deadline. The error also
	// wraps context.DeadlineExceeded when the context's deadline expired.
	ErrTimeout = errors.New("bus: request timed out")
	// ErrRefused: the responder answered with an error code. errors.As with
	// *ReplyError gives the code.
	ErrRefused = errors.New("bus: request refused")
	// ErrClosed: the connection is closed.
	ErrClosed = errors.New("bus: connection closed")
	// ErrScriptNotFound: the script store has no such script, or no such
	// version of it.
	ErrScriptNotFound = errors.New("bus: script not found")
)

// ErrorCode says why a responder refused a request.
type ErrorCode string

// The error codes a responder may answer with. Decoders accept other non-empty
// codes too (a newer responder may add some); Retryable treats them as final.
const (
	// CodeFull: the relay has no room (maximum sessions or players). Retry on another relay.
	CodeFull ErrorCode = "FULL"
	// CodeDraining: the responder is shutting down and takes nothing new. Retry elsewhere.
	CodeDraining ErrorCode = "DRAINING"
	// CodeInvalid: the request is malformed or inconsistent. Retrying cannot help.
	CodeInvalid ErrorCode = "INVALID"
	// CodeExpired: the request's deadline passed before it was handled.
	CodeExpired ErrorCode = "EXPIRED"
	// CodeConflict: the idempotency key was already used for a different request.
	CodeConflict ErrorCode = "CONFLICT"
	// CodeInternal: the responder failed. Retry elsewhere.
	CodeInternal ErrorCode = "INTERNAL"
)

// Retryable reports whether sending the same request again (to another
// responder of the same queue group) may succeed.
func (c ErrorCode) Retryable() bool {
	switch c {
	case CodeFull, CodeDraining, CodeInternal:
		return true
	}
	return false
}

// ReplyError is a refusal carried in a reply ("error" in the JSON). Returned as
// an error it matches ErrRefused with errors.Is.
type ReplyError struct {
	Code    ErrorCode `json:"code"`
	Message string    `json:"message,omitempty"`
}

// Error returns the code and the message.
func (e *ReplyError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("bus: refused: %s", e.Code)
	}
	return fmt.Sprintf("bus: refused: %s: %s", e.Code, e.Message)
}

// Is makes a *ReplyError match ErrRefused.
func (e *ReplyError) Is(target error) bool { return target == ErrRefused }

// FieldError reports a malformed payload: which message type, which field (a
// JSON path such as players[1].playerId, empty for the document as a whole)
// and why. It matches ErrMalformed with errors.Is.
type FieldError struct {
	Type   string
	Field  string
	Reason string
}

// Error reads like "bus: malformed PlacementRequest: players[1].playerId: required".
func (e *FieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("bus: malformed %s: %s", e.Type, e.Reason)
	}
	return fmt.Sprintf("bus: malformed %s: %s: %s", e.Type, e.Field, e.Reason)
}

// Is makes a *FieldError match ErrMalformed.
func (e *FieldError) Is(target error) bool { return target == ErrMalformed }

// VersionError reports a payload whose major version this build does not read.
// It matches ErrUnsupportedVersion with errors.Is.
type VersionError struct {
	Type string
	Got  int
}

// Error names the type, the version found and the version understood.
func (e *VersionError) Error() string {
	return fmt.Sprintf("bus: %s: field v: version %d is not supported (this build reads v%d)", e.Type, e.Got, Version)
}

// Is makes a *VersionError match ErrUnsupportedVersion.
func (e *VersionError) Is(target error) bool { return target == ErrUnsupportedVersion }
