// Package wirejson appends JSON text exactly as encoding/json's Marshal
// writes it, for the few hot paths (a ticket's stored body, FlexMatch events,
// player sessions, reservations on the bus) where Marshal's reflection costs
// more than the rest of the work. Its
// appenders write what Marshal would, byte for byte: strings with the same
// escapes (HTML characters included), numbers in the same notation, map keys
// in the same order. The tests hold them to Marshal.
package wirejson

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// ErrUnsupported is returned for a value Marshal refuses too: a float that
// is NaN or infinite, a time outside the years 0 to 9999.
var ErrUnsupported = errors.New("value not representable in JSON")

const hex = "0123456789abcdef"

// safe holds the bytes String copies as they are: printable ASCII but for
// the quote, the backslash and the HTML characters <, > and &.
var safe = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// String appends s as a JSON string.
func String(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if safe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Strings appends ss as a JSON array of strings; nil is null.
func Strings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = String(b, s)
	}
	return append(b, ']')
}

// Int appends n.
func Int(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// Float appends f in the notation Marshal uses for a float64: plain
// decimals, exponent form below 1e-6 and from 1e21.
func Float(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return b, ErrUnsupported
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 is written e-9.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// Time appends t as time.Time's MarshalJSON writes it (RFC 3339 with
// nanoseconds, quoted), refusing what it refuses: a year outside 0 to 9999,
// a zone offset of a day or more.
func Time(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	if b[n0+len("9999")] != '-' {
		return b, ErrUnsupported
	}
	if n := len(b); b[n-1] != 'Z' {
		c := b[n-len("Z07:00")]
		if ('0' <= c && c <= '9') || 10*(b[n-5]-'0')+(b[n-4]-'0') >= 24 {
			return b, ErrUnsupported
		}
	}
	return append(b, '"'), nil
}

// Object appends m as a JSON object, its keys in Marshal's order (sorted),
// each value written by value.
func Object[V any](b []byte, m map[string]V, value func([]byte, V) ([]byte, error)) ([]byte, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(String(b, k), ':')
		var err error
		if b, err = value(b, m[k]); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// Array appends items as a JSON array, each written by item; a nil slice is
// null, as Marshal writes it.
func Array[T any](b []byte, items []T, item func([]byte, *T) ([]byte, error)) ([]byte, error) {
	if items == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i := range items {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = item(b, &items[i]); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

// Comma appends the comma before an object's member unless nothing has been
// written since open, the length of b just after the object's '{': for
// objects whose first member may be omitted.
func Comma(b []byte, open int) []byte {
	if len(b) > open {
		return append(b, ',')
	}
	return b
}

// Member appends ,"name": and value as a string: a member of an object after
// its first. name is written as it is (a Go field's JSON name).
func Member(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return String(b, value)
}

// MemberOmitEmpty is Member, or nothing when value is empty: a field tagged
// omitempty.
func MemberOmitEmpty(b []byte, name, value string) []byte {
	if value == "" {
		return b
	}
	return Member(b, name, value)
}
