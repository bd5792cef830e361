package protocol

import (
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file holds the field-level encoding and decoding helpers shared by the Packet
// and the inner messages. Decoders name fields as msg + "." + name, built only when
// an error is returned, so the success path allocates nothing.

func wireTypeName(t protowire.Type) string {
	switch t {
	case protowire.VarintType:
		return "varint"
	case protowire.Fixed32Type:
		return "fixed32"
	case protowire.Fixed64Type:
		return "fixed64"
	case protowire.BytesType:
		return "bytes"
	case protowire.StartGroupType:
		return "start group"
	case protowire.EndGroupType:
		return "end group"
	}
	return "wire type " + strconv.Itoa(int(t))
}

func varintErr(field string, n int) error {
	err := protowire.ParseError(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fieldErr(ErrTruncated, field, "truncated varint")
	}
	return fieldErr(ErrMalformed, field, "malformed varint: "+err.Error())
}

func wantType(msg, name string, got, want protowire.Type) error {
	if got == want {
		return nil
	}
	return fieldErr(ErrWireType, msg+"."+name, "wire type "+wireTypeName(got)+", want "+wireTypeName(want))
}

// readTag reads a field tag; it refuses field number 0 and numbers out of range.
func readTag(b []byte, msg string) (protowire.Number, protowire.Type, int, error) {
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, 0, varintErr(msg+".tag", n)
	}
	num, typ := protowire.DecodeTag(v)
	if num < protowire.MinValidNumber || num > protowire.MaxValidNumber {
		return 0, 0, 0, fieldErr(ErrMalformed, msg+".tag", "invalid field number "+strconv.FormatUint(v>>3, 10))
	}
	return num, typ, n, nil
}

// skipField skips the value of an unknown field, as protobuf requires.
func skipField(b []byte, msg string, num protowire.Number, typ protowire.Type) (int, error) {
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		field := msg + ".field " + strconv.Itoa(int(num))
		err := protowire.ParseError(n)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fieldErr(ErrTruncated, field, "truncated unknown field ("+wireTypeName(typ)+")")
		}
		return 0, fieldErr(ErrMalformed, field, "malformed unknown field: "+err.Error())
	}
	return n, nil
}

func readVarint(b []byte, typ protowire.Type, msg, name string) (uint64, int, error) {
	if err := wantType(msg, name, typ, protowire.VarintType); err != nil {
		return 0, 0, err
	}
	v, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return 0, 0, varintErr(msg+"."+name, n)
	}
	return v, n, nil
}

func readInt32(b []byte, typ protowire.Type, msg, name string) (int32, int, error) {
	v, n, err := readVarint(b, typ, msg, name)
	return int32(v), n, err
}

func readSint32(b []byte, typ protowire.Type, msg, name string) (int32, int, error) {
	v, n, err := readVarint(b, typ, msg, name)
	return int32(protowire.DecodeZigZag(v & 0xffffffff)), n, err
}

func readBool(b []byte, typ protowire.Type, msg, name string) (bool, int, error) {
	v, n, err := readVarint(b, typ, msg, name)
	return v != 0, n, err
}

// readBytes reads a length-delimited field of at most limit bytes. The result
// aliases b; an empty field yields an empty, non-nil slice.
func readBytes(b []byte, typ protowire.Type, msg, name string, limit int) ([]byte, int, error) {
	if err := wantType(msg, name, typ, protowire.BytesType); err != nil {
		return nil, 0, err
	}
	length, n := protowire.ConsumeVarint(b)
	if n < 0 {
		return nil, 0, varintErr(msg+"."+name, n)
	}
	if length > uint64(limit) {
		return nil, 0, fieldErr(ErrTooLarge, msg+"."+name,
			"length "+strconv.FormatUint(length, 10)+" exceeds "+strconv.Itoa(limit))
	}
	if rest := len(b) - n; length > uint64(rest) {
		return nil, 0, fieldErr(ErrTruncated, msg+"."+name,
			"length "+strconv.FormatUint(length, 10)+" exceeds the remaining "+strconv.Itoa(rest)+" bytes")
	}
	end := n + int(length)
	return b[n:end:end], end, nil
}

// readString reads a proto3 string: valid UTF-8, at most MaxStringSize bytes.
func readString(b []byte, typ protowire.Type, msg, name string) (string, int, error) {
	v, n, err := readBytes(b, typ, msg, name, MaxStringSize)
	if err != nil {
		return "", 0, err
	}
	if !utf8.Valid(v) {
		return "", 0, fieldErr(ErrMalformed, msg+"."+name, "invalid UTF-8")
	}
	return string(v), n, nil
}

// readMessage reads the bytes of an embedded message.
func readMessage(b []byte, typ protowire.Type, msg, name string) ([]byte, int, error) {
	return readBytes(b, typ, msg, name, MaxFrameSize)
}

// Encoding helpers. Each emits nothing for a zero value, as proto3 does.

func tagSize(num protowire.Number) int { return protowire.SizeTag(num) }

func sizeVarintField(num protowire.Number, v uint64) int {
	if v == 0 {
		return 0
	}
	return tagSize(num) + protowire.SizeVarint(v)
}

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// int32 values are sign-extended to 64 bits on the wire (10 bytes when negative).
func int32Wire(v int32) uint64 { return uint64(int64(v)) }

func sint32Wire(v int32) uint64 { return protowire.EncodeZigZag(int64(v)) }

func boolWire(v bool) uint64 {
	if v {
		return 1
	}
	return 0
}

func sizeBytesField(num protowire.Number, n int) int {
	if n == 0 {
		return 0
	}
	return tagSize(num) + protowire.SizeBytes(n)
}

func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendStringField(b []byte, num protowire.Number, v string) []byte {
	if v == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, v)
}

// sizeMessageField is the size of an embedded message field, which is emitted even
// when the message is empty (oneof members have presence).
func sizeMessageField(num protowire.Number, n int) int {
	return tagSize(num) + protowire.SizeBytes(n)
}
