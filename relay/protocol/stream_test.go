package protocol

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

func TestWriteReadPacket(t *testing.T) {
	samples := samplePackets()
	names := []string{"login", "data reliable", "group membership update", "data all fields", "empty"}
	var stream bytes.Buffer
	var buf []byte
	var err error
	for _, name := range names {
		if buf, err = WritePacket(&stream, buf, samples[name]); err != nil {
			t.Fatal(err)
		}
	}
	var p Packet
	buf = nil
	for _, name := range names {
		if buf, err = ReadPacket(&stream, buf, &p); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !packetsEqual(&p, samples[name]) {
			t.Fatalf("%s: got %+v", name, p)
		}
	}
	if _, err = ReadPacket(&stream, buf, &p); err != io.EOF {
		t.Fatalf("at the end: err = %v, want io.EOF", err)
	}
}

type failingWriter struct{}

var errBroken = errors.New("broken pipe")

func (failingWriter) Write([]byte) (int, error) { return 0, errBroken }

func TestStreamErrors(t *testing.T) {
	if _, err := WritePacket(failingWriter{}, nil, &Packet{OpCode: 1}); !errors.Is(err, errBroken) {
		t.Fatalf("WritePacket error = %v, want it to wrap %v", err, errBroken)
	}
	tests := []struct {
		name string
		in   []byte
		kind error
		text string
	}{
		{"eof in prefix", []byte{0x85}, ErrTruncated, "frame.length: stream ended inside a frame"},
		{"eof in body", []byte{0x05, 0x08}, ErrTruncated, "packet: stream ended inside a frame"},
		{"prefix too long", []byte{0x80, 0x80, 0x80, 0x01}, ErrTooLarge, "frame.length: varint longer than 3 bytes"},
		{"frame too large", protowire.AppendVarint(nil, MaxFrameSize-1), ErrTooLarge, "frame: length 16385 exceeds 16384"},
		{"bad body", []byte{0x02, 0x7a, 0x05}, ErrTruncated, "packet.payload: length 5 exceeds the remaining 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p Packet
			_, err := ReadPacket(bytes.NewReader(tt.in), nil, &p)
			checkFieldError(t, err, tt.kind, tt.text)
		})
	}
	if protowire.SizeVarint(MaxFrameSize) != maxPrefixSize {
		t.Fatalf("maxPrefixSize %d, want %d", maxPrefixSize, protowire.SizeVarint(MaxFrameSize))
	}
}
