package protocol

import "errors"

// Error kinds. Every error returned by this package is a *FieldError whose Unwrap
// chain reaches one of these, so callers can count refusals by kind with errors.Is.
var (
	// ErrTruncated: the input ends inside a varint, a length-delimited field or a frame.
	ErrTruncated = errors.New("truncated")
	// ErrMalformed: the input is not valid protobuf (bad varint, field number 0,
	// invalid UTF-8 in a string, trailing bytes after the packet, ...).
	ErrMalformed = errors.New("malformed")
	// ErrWireType: a known field arrived with a wire type its type cannot have.
	ErrWireType = errors.New("wrong wire type")
	// ErrTooLarge: a frame, payload, string or certificate exceeds its limit.
	ErrTooLarge = errors.New("too large")
	// ErrOpCode: the op code is not accepted in this direction or on this channel.
	ErrOpCode = errors.New("op code not accepted")
	// ErrTarget: the target player or group is not valid.
	ErrTarget = errors.New("invalid target")
	// ErrMessage: the inner message is missing, does not match the op code, or holds
	// an invalid value.
	ErrMessage = errors.New("invalid message")
)

// FieldError is an error about one field of the wire format. Field is the path of
// the field in protobuf names, such as "packet.payload" or
// "packet.login.playerSessionId"; its Error text is "<field>: <detail>".
type FieldError struct {
	Field  string
	Detail string
	Kind   error
}

// Error returns "<field>: <detail>".
func (e *FieldError) Error() string { return e.Field + ": " + e.Detail }

// Unwrap returns the error kind (ErrTruncated, ErrTooLarge, ...).
func (e *FieldError) Unwrap() error { return e.Kind }

func fieldErr(kind error, field, detail string) error {
	return &FieldError{Field: field, Detail: detail, Kind: kind}
}
