// The preamble of every packet a client sends, on any transport.

package relay

import (
	"errors"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// decodeClient decodes frame b into in and validates it as a packet from a
// client (udp: it came by UDP or DTLS). On failure it returns the reason the
// packet is dropped (dropTooLarge for a frame over protocol.MaxFrameSize,
// dropMalformed for one that does not decode) and the error.
func decodeClient(b []byte, in *protocol.Packet, udp bool) (string, error) {
	if err := protocol.DecodePacket(b, in); err != nil {
		if len(b) > protocol.MaxFrameSize {
			return dropTooLarge, err
		}
		return dropMalformed, err
	}
	if err := protocol.ValidateFromClient(in, udp); err != nil {
		return validationReason(err), err
	}
	return "", nil
}

// decode is decodeClient for a datagram or DTLS record: it counts its bytes,
// and the drop when it is invalid.
func (fp *fastPath) decode(b []byte, in *protocol.Packet) bool {
	m := fp.srv.m
	m.udpBytesIn.Add(float64(len(b)))
	if drop, err := decodeClient(b, in, true); err != nil {
		m.dropUDP(drop)
		return false
	}
	return true
}

// validationReason maps a ValidateFromClient error to a drop reason.
func validationReason(err error) string {
	switch {
	case errors.Is(err, protocol.ErrOpCode):
		return dropOpCode
	case errors.Is(err, protocol.ErrTarget):
		return dropTarget
	case errors.Is(err, protocol.ErrTooLarge):
		return dropTooLarge
	default:
		return dropMessage
	}
}
