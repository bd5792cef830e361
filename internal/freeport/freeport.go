// Package freeport finds loopback ports for tests to give to processes and
// flags that take no port 0 a test could read back.
package freeport

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// ephemeralRange is where Linux keeps the range of ports it gives to
// outgoing connections and to listeners on port 0.
const ephemeralRange = "/proc/sys/net/ipv4/ip_local_port_range"

// lowest is the lowest port Get picks; it needs minRoom ports below the
// ephemeral range to pick from, else the kernel picks.
const (
	lowest  = 10000
	minRoom = 1000
)

// Get returns a port of 127.0.0.1 that is free for TCP and for UDP at the
// time of the call (relays listen on both). It picks at random below the
// kernel's range of ephemeral ports, from which the outgoing connections
// and port-0 listeners of tests running alongside take theirs: a port from
// that range can be taken between this call and the caller's bind (a dev
// process of the integration tests failed with "address already in use" in
// CI). Where the range cannot be read, or leaves no room below it, the
// kernel picks.
func Get() (int, error) {
	low := ephemeralLow()
	if low-lowest < minRoom {
		return kernelPick()
	}
	for range 100 {
		port := lowest + rand.IntN(low-lowest)
		if free(port) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("free port: none free for TCP and UDP in 100 tries from %d to %d", lowest, low-1)
}

// ephemeralLow is the lowest ephemeral port, or 0 when it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile(ephemeralRange)
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	low, err := strconv.Atoi(f[0])
	if err != nil {
		return 0
	}
	return low
}

// free reports whether port can be bound on 127.0.0.1 for TCP and UDP.
func free(port int) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return false
	}
	pc.Close()
	return true
}

// kernelPick is a port the kernel gives a TCP listener on port 0 whose UDP
// twin is free too.
func kernelPick() (int, error) {
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("free port: %w", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if free(port) {
			return port, nil
		}
	}
	return 0, errors.New("free port: no free TCP+UDP port in 20 tries")
}
