package bus

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Payloads are JSON: readable with `nats sub`, writable by hand in tests and
// by other languages without generated code, and far from being the cost of a
// placement (docs/bus.md, Encoding). Unknown fields are ignored, so a newer
// writer may add optional fields without a version change.

type payload interface {
	ver() *int
	validate(c *check)
}

// check collects the first validation failure of one payload.
type check struct {
	typ string
	err *FieldError
}

func (c *check) fail(field, reason string) {
	if c.err == nil {
		c.err = &FieldError{Type: c.typ, Field: field, Reason: reason}
	}
}

func (c *check) required(field, v string) {
	if v == "" {
		c.fail(field, "required")
	}
}

func (c *check) name(field, v string) {
	if err := checkName(v); err != nil {
		if v == "" {
			c.fail(field, "required")
			return
		}
		c.fail(field, strings.TrimPrefix(err.Error(), ErrInvalidName.Error()+": "))
	}
}

func (c *check) nonNegative(field string, n int) {
	if n < 0 {
		c.fail(field, "must not be negative")
	}
}

func (c *check) time(field string, t time.Time) {
	if t.IsZero() {
		c.fail(field, "required")
	}
}

// requiredAt is required for field[i].sub, whose name it builds only when v
// is missing: checks run on every message, and almost all pass.
func (c *check) requiredAt(field string, i int, sub, v string) {
	if v == "" {
		c.fail(c.at(field, i, sub), "required")
	}
}

func (c *check) at(field string, i int, sub string) string {
	return field + "[" + strconv.Itoa(i) + "]." + sub
}

func quote(s string) string { return strconv.Quote(s) }

func typeName[T any]() string { return reflect.TypeFor[T]().Name() }

// encode sets the version when it is zero, validates and marshals m.
func encode[T any, P interface {
	*T
	payload
}](m T) ([]byte, error) {
	return encodeAs[T, P](m, nil)
}

// encodeAs is encode that first tries canonical, a hand-written writer of
// json.Marshal's output that answers false for a value it does not write
// (which json.Marshal then writes); canonical may be nil.
func encodeAs[T any, P interface {
	*T
	payload
}](m T, canonical func(P) ([]byte, bool)) ([]byte, error) {
	p := P(&m)
	if err := checkPayload[T](p); err != nil {
		return nil, err
	}
	if canonical != nil {
		if b, ok := canonical(p); ok {
			return b, nil
		}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("bus: encode %s: %w", typeName[T](), err)
	}
	return b, nil
}

// checkPayload checks *p as it is about to be written: its version, set to
// Version when zero, and its fields.
func checkPayload[T any, P interface {
	*T
	payload
}](p P) error {
	v := p.ver()
	if *v == 0 {
		*v = Version
	}
	if *v != Version {
		return &VersionError{Type: typeName[T](), Got: *v}
	}
	c := check{typ: typeName[T]()}
	p.validate(&c)
	if c.err != nil {
		return c.err
	}
	return nil
}

// decode unmarshals and validates one payload of type T, rejecting a major
// version other than Version.
func decode[T any, P interface {
	*T
	payload
}](data []byte) (T, error) {
	var m T
	typ := typeName[T]()
	if err := json.Unmarshal(data, &m); err != nil {
		var zero T
		if v, ok := probeVersion(data); ok && v != Version {
			return zero, &VersionError{Type: typ, Got: v}
		}
		return zero, jsonError[T](typ, data, err)
	}
	return accept[T, P](m)
}

// accept checks the version and validates a decoded payload.
func accept[T any, P interface {
	*T
	payload
}](m T) (T, error) {
	typ := typeName[T]()
	p := P(&m)
	switch v := *p.ver(); {
	case v == 0:
		var zero T
		return zero, &FieldError{Type: typ, Field: "v", Reason: "required"}
	case v != Version:
		var zero T
		return zero, &VersionError{Type: typ, Got: v}
	}
	c := check{typ: typ}
	p.validate(&c)
	if c.err != nil {
		var zero T
		return zero, c.err
	}
	return m, nil
}

// probeVersion reads only "v", for payloads whose body does not fit this
// build's type (a newer major version may reshape it).
func probeVersion(data []byte) (int, bool) {
	var probe struct {
		V int `json:"v"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || probe.V == 0 {
		return 0, false
	}
	return probe.V, true
}

// jsonError turns an encoding/json error into a FieldError naming the field.
func jsonError[T any](typ string, data []byte, err error) error {
	var syn *json.SyntaxError
	var ute *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &FieldError{Type: typ, Reason: fmt.Sprintf("invalid JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))}
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			return &FieldError{Type: typ, Reason: fmt.Sprintf("want a JSON object, got %s", ute.Value)}
		}
		return &FieldError{Type: typ, Field: field, Reason: fmt.Sprintf("want %s, got %s", jsonKind(ute.Type), ute.Value)}
	}
	if field := badTimeField[T](data); field != "" {
		return &FieldError{Type: typ, Field: field, Reason: "want an RFC 3339 time string: " + err.Error()}
	}
	return &FieldError{Type: typ, Reason: err.Error()}
}

// badTimeField finds the top-level time field of T whose value does not parse,
// since time.Time's own errors do not say which field they came from.
func badTimeField[T any](data []byte) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return ""
	}
	timeType := reflect.TypeFor[time.Time]()
	t := reflect.TypeFor[T]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Type != timeType {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		raw, ok := fields[name]
		if !ok {
			continue
		}
		var tm time.Time
		if tm.UnmarshalJSON(raw) != nil {
			return name
		}
	}
	return ""
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// Encode validates r and returns its JSON, with V set to Version when zero.
func (r PlacementRequest) Encode() ([]byte, error) { return encode(r) }

// Encode validates r and returns its JSON, with V set to Version when zero.
func (r PlacementReply) Encode() ([]byte, error) { return encode(r) }

// Encode validates h and returns its JSON, with V set to Version when zero.
func (h Heartbeat) Encode() ([]byte, error) { return encode(h) }

// Encode validates e and returns its JSON, with V set to Version when zero.
func (e SessionStarted) Encode() ([]byte, error) { return encode(e) }

// Encode validates e and returns its JSON, with V set to Version when zero.
func (e SessionEnded) Encode() ([]byte, error) { return encode(e) }

// Encode validates e and returns its JSON, with V set to Version when zero.
func (e PlayerJoined) Encode() ([]byte, error) { return encode(e) }

// Encode validates e and returns its JSON, with V set to Version when zero.
func (e PlayerLeft) Encode() ([]byte, error) { return encode(e) }

// Encode validates r and returns its JSON, with V set to Version when zero.
func (r BackfillRequest) Encode() ([]byte, error) { return encode(r) }

// Encode validates r and returns its JSON, with V set to Version when zero.
func (r BackfillReply) Encode() ([]byte, error) { return encode(r) }

// Encode validates s and returns its JSON, with V set to Version when zero.
func (s ScriptVersion) Encode() ([]byte, error) { return encode(s) }

// DecodePlacementRequest parses and validates a PlacementRequest. Errors match
// ErrMalformed (a *FieldError naming the field) or ErrUnsupportedVersion.
func DecodePlacementRequest(data []byte) (PlacementRequest, error) {
	return decode[PlacementRequest](data)
}

// DecodePlacementReply parses and validates a PlacementReply.
func DecodePlacementReply(data []byte) (PlacementReply, error) {
	return decode[PlacementReply](data)
}

// DecodeHeartbeat parses and validates a Heartbeat.
func DecodeHeartbeat(data []byte) (Heartbeat, error) { return decode[Heartbeat](data) }

// DecodeSessionStarted parses and validates a SessionStarted.
func DecodeSessionStarted(data []byte) (SessionStarted, error) {
	return decode[SessionStarted](data)
}

// DecodeSessionEnded parses and validates a SessionEnded.
func DecodeSessionEnded(data []byte) (SessionEnded, error) { return decode[SessionEnded](data) }

// DecodePlayerJoined parses and validates a PlayerJoined.
func DecodePlayerJoined(data []byte) (PlayerJoined, error) { return decode[PlayerJoined](data) }

// DecodePlayerLeft parses and validates a PlayerLeft.
func DecodePlayerLeft(data []byte) (PlayerLeft, error) { return decode[PlayerLeft](data) }

// DecodeBackfillRequest parses and validates a BackfillRequest.
func DecodeBackfillRequest(data []byte) (BackfillRequest, error) {
	return decode[BackfillRequest](data)
}

// DecodeBackfillReply parses and validates a BackfillReply.
func DecodeBackfillReply(data []byte) (BackfillReply, error) { return decode[BackfillReply](data) }

// DecodeScriptVersion parses and validates a ScriptVersion.
func DecodeScriptVersion(data []byte) (ScriptVersion, error) { return decode[ScriptVersion](data) }

// Encode validates r and returns its JSON, with V set to Version when zero.
func (r ReserveRequest) Encode() ([]byte, error) { return encodeAs(r, appendReserveRequest) }

// Encode validates r and returns its JSON, with V set to Version when zero.
func (r ReserveReply) Encode() ([]byte, error) { return encodeAs(r, appendReserveReply) }

// DecodeReserveRequest parses and validates a ReserveRequest. It and
// DecodeReserveReply call their canonical readers directly: passed to a
// shared helper as a function value, the decoded value escapes to the heap
// (one more allocation per call, BenchmarkReserveRequestDecode).
func DecodeReserveRequest(data []byte) (ReserveRequest, error) {
	var m ReserveRequest
	if decodeReserveRequestCanonical(data, &m) {
		return accept(m)
	}
	return decode[ReserveRequest](data)
}

// DecodeReserveReply parses and validates a ReserveReply.
func DecodeReserveReply(data []byte) (ReserveReply, error) {
	var m ReserveReply
	if decodeReserveReplyCanonical(data, &m) {
		return accept(m)
	}
	return decode[ReserveReply](data)
}

// Configuration changes.

// Encode validates m and returns its JSON, with V set to Version when zero.
func (m ConfigurationChanged) Encode() ([]byte, error) { return encode(m) }

// DecodeConfigurationChanged parses and validates a ConfigurationChanged.
func DecodeConfigurationChanged(data []byte) (ConfigurationChanged, error) {
	return decode[ConfigurationChanged](data)
}

// Game session updates and terminations.

// Encode validates r and returns its JSON, with V set to Version when zero.
func (r SessionUpdateRequest) Encode() ([]byte, error) { return encode(r) }

// Encode validates r and returns its JSON, with V set to Version when zero.
func (r SessionUpdateReply) Encode() ([]byte, error) { return encode(r) }

// DecodeSessionUpdateRequest parses and validates a SessionUpdateRequest.
func DecodeSessionUpdateRequest(data []byte) (SessionUpdateRequest, error) {
	return decode[SessionUpdateRequest](data)
}

// DecodeSessionUpdateReply parses and validates a SessionUpdateReply.
func DecodeSessionUpdateReply(data []byte) (SessionUpdateReply, error) {
	return decode[SessionUpdateReply](data)
}
