//go:build !unix

package relay

import (
	"net"
	"syscall"
)

// rawConnOf returns nil: without non-blocking socket writes, every WebSocket
// write goes through a drain goroutine.
func rawConnOf(net.Conn) syscall.RawConn { return nil }

// tryWrite is never called without a raw connection.
func tryWrite(syscall.RawConn, []byte) (int, error) { return 0, syscall.EINVAL }
