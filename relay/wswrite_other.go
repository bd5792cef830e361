//go:build !unix

package relay

import (
	"net"
	"syscall"
)

// rawWriter is not available: every WebSocket write goes through a drain
// goroutine.
type rawWriter struct{}

// newRawWriter returns nil.
func newRawWriter(net.Conn) *rawWriter { return nil }

// try is never called on a nil writer.
func (*rawWriter) try([]byte) (int, error) { return 0, syscall.EINVAL }
