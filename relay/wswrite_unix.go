//go:build unix

package relay

import (
	"net"
	"syscall"
	"unsafe"
)

// rawWriter makes non-blocking writes on a socket: the call's arguments and
// results live in the struct and its callback is bound once, so that a write
// allocates nothing. Only the goroutine owning a connection's write side uses it.
type rawWriter struct {
	rc  syscall.RawConn
	buf []byte
	n   int
	err error
	fn  func(fd uintptr) bool // rw.write, bound once
}

// newRawWriter returns a writer on c's socket, nil when c is not a plain socket
// (TLS).
func newRawWriter(c net.Conn) *rawWriter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	rw := &rawWriter{rc: rc}
	rw.fn = rw.write
	return rw
}

// try writes as much of b as the socket takes without waiting: n < len(b)
// with a nil error means the socket's buffer is full.
func (rw *rawWriter) try(b []byte) (int, error) {
	rw.buf, rw.n, rw.err = b, 0, nil
	err := rw.rc.Write(rw.fn)
	rw.buf = nil
	if err == nil {
		err = rw.err
	}
	return rw.n, err
}

// write is the RawConn callback: it never asks to wait for the socket.
func (rw *rawWriter) write(fd uintptr) bool {
	for rw.n < len(rw.buf) {
		// A raw system call: the socket does not block, so the scheduler need
		// not hand this thread's processor over meanwhile (see mmsg.call).
		k, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rw.buf[rw.n])), uintptr(len(rw.buf)-rw.n))
		switch e {
		case 0:
			rw.n += int(k)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return true
		default:
			rw.err = e
			return true
		}
	}
	return true
}
