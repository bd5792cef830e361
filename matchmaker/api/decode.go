package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// decode reads one JSON object into v strictly: unknown fields, wrong types,
// malformed or trailing data and strings that are not valid UTF-8 are
// InvalidRequestExceptions whose message names the field ("field
// Players.PlayerId: expected string, got number").
//
// The bodies of the requests sent most, StartMatchmaking and
// CreatePlayerSessions, are read without reflection when they can be
// (decode_fast.go).
func decode(body []byte, v any) error {
	switch in := v.(type) {
	case *matchmaker.StartMatchmakingInput:
		if decodeStartMatchmaking(body, in) {
			return nil
		}
	case *matchmaker.CreatePlayerSessionsInput:
		if decodeCreatePlayerSessions(body, in) {
			return nil
		}
	}
	return decodeStrict(body, v)
}

// decodeStrict is decode through encoding/json, whatever the input.
func decodeStrict(body []byte, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return bad("body: empty; want a JSON object")
	}
	if trimmed[0] != '{' {
		return bad("body: want a JSON object")
	}
	if err := checkUTF8(body); err != nil {
		return err
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

// maxUTF8Depth bounds the nesting checkUTF8 follows; deeper bodies are left
// to encoding/json, which refuses them.
const maxUTF8Depth = 10000

// checkUTF8 refuses a JSON body holding a string, or an object key, that is
// not valid UTF-8: raw invalid bytes or an escaped lone surrogate.
// encoding/json would replace either with U+FFFD, so that two different
// player ids could become one. The message names the field
// ("field Players[1].PlayerId: must be valid UTF-8"). Malformed JSON is left
// to the decoder to describe.
func checkUTF8(body []byte) error {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u`)) {
		// Neither raw invalid bytes nor escapes: the common body, checked
		// without following its structure.
		return nil
	}
	type frame struct {
		object  bool
		wantKey bool
		key     []byte // quoted, as in the body
		index   int
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case !f.object:
				fmt.Fprintf(&b, "[%d]", f.index)
			case f.key != nil:
				var k string
				_ = json.Unmarshal(f.key, &k)
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(k)
			}
		}
		if b.Len() == 0 {
			return "body"
		}
		return "field " + b.String()
	}
	for i := 0; i < len(body); {
		switch body[i] {
		case '{', '[':
			if len(stack) == maxUTF8Depth {
				return nil
			}
			stack = append(stack, frame{object: body[i] == '{', wantKey: true})
		case '}', ']':
			if len(stack) == 0 {
				return nil
			}
			stack = stack[:len(stack)-1]
		case ',':
			if len(stack) == 0 {
				return nil
			}
			top := &stack[len(stack)-1]
			top.index++
			top.wantKey = true
		case '"':
			end, valid := scanString(body, i)
			if end < 0 {
				return nil
			}
			var top *frame
			if len(stack) > 0 {
				top = &stack[len(stack)-1]
			}
			isKey := top != nil && top.object && top.wantKey
			if !valid {
				if isKey {
					return bad(path() + ": a key is not valid UTF-8")
				}
				return bad(path() + ": must be valid UTF-8")
			}
			if isKey {
				top.key = body[i:end]
				top.wantKey = false
			}
			i = end
			continue
		}
		i++
	}
	return nil
}

// scanString reads the JSON string starting at the quote body[start]: end is
// the index after its closing quote (-1 when there is none) and valid says
// whether it decodes to valid UTF-8 (no invalid bytes, no lone surrogate
// escapes).
func scanString(body []byte, start int) (end int, valid bool) {
	valid = true
	for i := start + 1; i < len(body); {
		c := body[i]
		switch {
		case c == '"':
			return i + 1, valid
		case c == '\\':
			if i+1 >= len(body) {
				return -1, valid
			}
			if body[i+1] != 'u' {
				i += 2
				continue
			}
			r, ok := hex4(body, i+2)
			if !ok {
				return -1, valid
			}
			i += 6
			switch {
			case r >= 0xdc00 && r <= 0xdfff:
				valid = false
			case r >= 0xd800 && r <= 0xdbff:
				lo, ok := rune(-1), false
				if i+1 < len(body) && body[i] == '\\' && body[i+1] == 'u' {
					lo, ok = hex4(body, i+2)
				}
				if !ok || lo < 0xdc00 || lo > 0xdfff {
					valid = false
					continue
				}
				i += 6
			}
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && size == 1 {
				valid = false
			}
			i += size
		}
	}
	return -1, valid
}

// hex4 reads the four hex digits of a \u escape at body[at:].
func hex4(body []byte, at int) (rune, bool) {
	if at+4 > len(body) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(body[at:at+4]), 16, 16)
	return rune(n), err == nil
}
