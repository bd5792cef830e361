//go:build unix

package relay

import (
	"net"
	"syscall"
)

// rawConnOf returns c's socket for non-blocking writes, nil when c is not a
// plain socket (TLS).
func rawConnOf(c net.Conn) syscall.RawConn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// tryWrite writes as much of b as the socket takes without waiting: n < len(b)
// with a nil error means the socket's buffer is full.
func tryWrite(rc syscall.RawConn, b []byte) (n int, err error) {
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			k, e := syscall.Write(int(fd), b[n:])
			switch {
			case e == syscall.EINTR:
				continue
			case e == syscall.EAGAIN:
				return true
			case e != nil:
				werr = e
				return true
			}
			n += k
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
}
