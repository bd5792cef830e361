//go:build !linux

package relay

import "syscall"

// udpReaders is how many UDP sockets share the fast port: one where the kernel
// does not load-balance SO_REUSEPORT sockets.
func udpReaders() int { return 1 }

// reusePort is unused with one reader.
func reusePort(_, _ string, _ syscall.RawConn) error { return nil }
