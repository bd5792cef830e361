// Package protocol is the client wire format of the Matchpoint relay, shared by the
// relay server and the Go client SDK. It is wire-compatible with the GameLift
// Realtime client SDK 1.2: every WebSocket binary frame and every UDP datagram
// carries one protobuf Packet (realtime.proto) prefixed by its varint length.
//
// The codec is written by hand on google.golang.org/protobuf/encoding/protowire so
// that encoding and decoding a data packet allocate nothing: AppendPacket appends a
// frame to a caller-owned buffer and DecodePacket decodes a frame into a
// caller-owned Packet, reusing its buffers. The package does no I/O beyond the
// io.Reader and io.Writer helpers ReadPacket and WritePacket.
//
// docs/protocol.md states the whole protocol as Matchpoint implements it: framing,
// messages, op codes, handshakes, sequence numbers, groups, reconnect, pings, kicks
// and error handling.
package protocol
