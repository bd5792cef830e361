//go:build unix

package relay

import (
	"net"
	"syscall"
	"unsafe"
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
			// A raw system call: the socket does not block, so the scheduler
			// need not hand this thread's processor over meanwhile (see
			// mmsg.call).
			k, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[n])), uintptr(len(b)-n))
			switch e {
			case 0:
				n += int(k)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return true
			default:
				werr = e
				return true
			}
		}
		return true
	})
	if err == nil {
		err = werr
	}
	return n, err
}
