package protocol

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// maxPrefixSize is the size of the varint prefix of the largest frame,
// protowire.SizeVarint(MaxFrameSize).
const maxPrefixSize = 3

// WritePacket encodes p as one frame into buf[:0] and writes it to w with a single
// Write call. It returns the buffer, grown if needed, for reuse by the next call.
func WritePacket(w io.Writer, buf []byte, p *Packet) ([]byte, error) {
	buf = AppendPacket(buf[:0], p)
	if _, err := w.Write(buf); err != nil {
		return buf, fmt.Errorf("protocol: write frame: %w", err)
	}
	return buf, nil
}

// ReadPacket reads one frame from a stream of frames (a recorded session, a pipe)
// and decodes it into p. buf is scratch space, grown to at most MaxFrameSize when
// too small and returned for reuse; p.Payload aliases it until the next call. It
// returns io.EOF, unwrapped, when r ends cleanly before a frame.
func ReadPacket(r io.Reader, buf []byte, p *Packet) ([]byte, error) {
	if cap(buf) < maxPrefixSize {
		buf = make([]byte, 0, 64)
	}
	prefix := buf[:maxPrefixSize]
	var length uint64
	n := 0
	for ; ; n++ {
		if n == maxPrefixSize {
			return buf, fieldErr(ErrTooLarge, "frame.length", "varint longer than "+strconv.Itoa(maxPrefixSize)+" bytes")
		}
		if _, err := io.ReadFull(r, prefix[n:n+1]); err != nil {
			if n == 0 && errors.Is(err, io.EOF) {
				return buf, io.EOF
			}
			return buf, readErr("frame.length", err)
		}
		if prefix[n] < 0x80 {
			length, _ = protowire.ConsumeVarint(prefix[:n+1])
			break
		}
	}
	if total := uint64(n+1) + length; total > MaxFrameSize {
		return buf, fieldErr(ErrTooLarge, "frame", "length "+strconv.FormatUint(total, 10)+" exceeds "+strconv.Itoa(MaxFrameSize))
	}
	if uint64(cap(buf)) < length {
		buf = make([]byte, 0, length)
	}
	body := buf[:length]
	if _, err := io.ReadFull(r, body); err != nil {
		return buf, readErr("packet", err)
	}
	return buf, DecodePacketBody(body, p)
}

func readErr(field string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fieldErr(ErrTruncated, field, "stream ended inside a frame")
	}
	return fmt.Errorf("protocol: read %s: %w", field, err)
}
