package freeport

import (
	"net"
	"testing"
)

// TestGet: the port is below the ephemeral range (where the range can be
// read) and both a TCP listener and a UDP socket can take it (free, whose
// refusals TestFree checks).
func TestGet(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		port, err := Get()
		if err != nil {
			t.Fatal(err)
		}
		if low-lowest >= minRoom && (port < lowest || port >= low) {
			t.Fatalf("port %d, want from %d to %d (below the ephemeral range)", port, lowest, low-1)
		}
		if !free(port) {
			t.Fatalf("port %d cannot be taken for TCP and UDP", port)
		}
	}
}

// TestFree: a port taken for TCP, or for UDP, is not free.
func TestFree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if port := ln.Addr().(*net.TCPAddr).Port; free(port) {
		t.Fatalf("port %d is held for TCP and reported free", port)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if port := pc.LocalAddr().(*net.UDPAddr).Port; free(port) {
		t.Fatalf("port %d is held for UDP and reported free", port)
	}
}
