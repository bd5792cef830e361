package relay

import (
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// udpReaders is how many UDP sockets (and reader goroutines) share the fast
// port: one per processor, load-balanced by the kernel (SO_REUSEPORT).
func udpReaders() int { return max(1, runtime.GOMAXPROCS(0)) }

// reusePort sets SO_REUSEPORT on a socket before it is bound.
func reusePort(_, _ string, c syscall.RawConn) error {
	var serr error
	if err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	}); err != nil {
		return err
	}
	return serr
}
