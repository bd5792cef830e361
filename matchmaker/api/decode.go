package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// decode reads one JSON object into v strictly: unknown fields, wrong types,
// malformed or trailing data are InvalidRequestExceptions whose message names
// the field ("field Players.PlayerId: expected string, got number").
func decode(body []byte, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return bad("body: empty; want a JSON object")
	}
	if trimmed[0] != '{' {
		return bad("body: want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bad(describe(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("body: unexpected data after the JSON object")
	}
	return nil
}

func describe(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		} else {
			field = "field " + field
		}
		return fmt.Sprintf("%s: expected %s, got %s", field, typeName(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("body: malformed JSON at offset %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "body: truncated JSON"
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Sprintf("field %s: unknown field", strings.Trim(name, `"`))
	}
	return "body: " + strings.TrimPrefix(msg, "json: ")
}

// typeName turns a Go type into a JSON one for messages.
func typeName(t string) string {
	switch {
	case t == "string":
		return "string"
	case t == "bool":
		return "boolean"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "integer"
	case strings.HasPrefix(t, "float"):
		return "number"
	case strings.HasPrefix(t, "[]"):
		return "array"
	case strings.HasPrefix(t, "map["):
		return "object"
	}
	return "object"
}

func bad(msg string) error {
	return &matchmaker.Error{Type: matchmaker.InvalidRequest, Message: msg}
}

// missingConfiguration is the NotFoundException of a configuration named in
// a path or query that does not exist.
func missingConfiguration(name string) error {
	return &matchmaker.Error{Type: matchmaker.NotFound, Message: fmt.Sprintf("matchmaking configuration %q does not exist", name)}
}
