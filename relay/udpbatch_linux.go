package relay

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// mmsghdr is the kernel's struct mmsghdr: one message of recvmmsg and sendmmsg.
type mmsghdr struct {
	hdr unix.Msghdr
	n   uint32 // bytes received or sent
}

// mmsg calls recvmmsg or sendmmsg on one socket with message headers, buffer
// vectors and socket addresses allocated once, so that a batch of datagrams
// costs one system call and no allocation. golang.org/x/net/ipv4 has the same
// calls, but its ReadBatch allocates a net.UDPAddr per datagram.
type mmsg struct {
	rc    syscall.RawConn
	v6    bool // an AF_INET6 socket (dual stack: IPv4 peers as mapped addresses)
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6 // used as RawSockaddrInet4 on an AF_INET socket

	// The call in progress: trap on hdrs[off:end], its result in n and errno.
	trap     uintptr
	off, end int
	n        int
	errno    syscall.Errno
	callFn   func(fd uintptr) bool // m.call, bound once
}

// newMmsg prepares size messages on socket c.
func newMmsg(c *net.UDPConn, size int) (*mmsg, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("relay: udp socket: %w", err)
	}
	var sa unix.Sockaddr
	var serr error
	if err := rc.Control(func(fd uintptr) { sa, serr = unix.Getsockname(int(fd)) }); err != nil {
		return nil, fmt.Errorf("relay: udp socket: %w", err)
	}
	if serr != nil {
		return nil, fmt.Errorf("relay: udp socket name: %w", serr)
	}
	_, v6 := sa.(*unix.SockaddrInet6)
	m := &mmsg{rc: rc, v6: v6, hdrs: make([]mmsghdr, size), iovs: make([]unix.Iovec, size),
		names: make([]unix.RawSockaddrInet6, size)}
	for i := range m.hdrs {
		m.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&m.names[i]))
		m.hdrs[i].hdr.Iov = &m.iovs[i]
		m.hdrs[i].hdr.SetIovlen(1)
	}
	m.callFn = m.call
	return m, nil
}

// call makes the system call on hdrs[off:end]; it reports false (wait for the
// socket) when the socket is not ready. The socket never blocks, so the call is
// raw: the scheduler does not mark the thread as in a system call, and does not
// hand its processor to another thread (a wake-up, and another when the call
// returns) when the call outlasts sysmon's 20 µs tick, as sendmmsg of a batch
// does; that cut the relay's CPU per delivered message by about 15%.
func (m *mmsg) call(fd uintptr) bool {
	for {
		r, _, e := unix.RawSyscall6(m.trap, fd, uintptr(unsafe.Pointer(&m.hdrs[m.off])), uintptr(m.end-m.off), 0, 0, 0)
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		m.n, m.errno = int(r), e
		return true
	}
}

// recvBatch receives datagrams into buffers allocated once.
type recvBatch struct {
	m    *mmsg
	bufs [][]byte
}

// newRecvBatch prepares c's reads of up to size datagrams at once.
func newRecvBatch(c *net.UDPConn, size int) (*recvBatch, error) {
	m, err := newMmsg(c, size)
	if err != nil {
		return nil, err
	}
	r := &recvBatch{m: m, bufs: make([][]byte, size)}
	for i := range r.bufs {
		r.bufs[i] = make([]byte, protocol.MaxFrameSize+1)
		m.iovs[i].Base = &r.bufs[i][0]
		m.iovs[i].SetLen(len(r.bufs[i]))
	}
	m.trap = unix.SYS_RECVMMSG
	return r, nil
}

// read waits for datagrams and receives as many as are queued, up to the batch
// size; datagram returns them.
func (r *recvBatch) read() (int, error) {
	m := r.m
	for i := range m.hdrs {
		m.hdrs[i].hdr.Namelen = unix.SizeofSockaddrInet6
		m.hdrs[i].hdr.Flags = 0
	}
	m.off, m.end = 0, len(m.hdrs)
	if err := m.rc.Read(m.callFn); err != nil {
		return 0, err
	}
	if m.errno != 0 {
		return 0, m.errno
	}
	return m.n, nil
}

// datagram returns the i-th datagram of the last read and its source; the
// bytes are valid until the next read.
func (r *recvBatch) datagram(i int) ([]byte, netip.AddrPort) {
	sa := &r.m.names[i]
	var addr netip.Addr
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		addr = netip.AddrFrom4(sa4.Addr)
	case unix.AF_INET6:
		addr = netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			addr = addr.WithZone(strconv.FormatUint(uint64(sa.Scope_id), 10))
		}
	}
	return r.bufs[i][:r.m.hdrs[i].n], netip.AddrPortFrom(addr, getPort(&sa.Port))
}

// batchWriter sends datagrams with sendmmsg.
type batchWriter struct {
	m *mmsg
}

// newBatchWriter prepares c's writes of up to size datagrams at once.
func newBatchWriter(c *net.UDPConn, size int) (*batchWriter, error) {
	m, err := newMmsg(c, size)
	if err != nil {
		return nil, err
	}
	m.trap = unix.SYS_SENDMMSG
	return &batchWriter{m: m}, nil
}

// write sends bufs[i] to addrs[i] in order and returns the datagrams and bytes
// sent. A datagram the socket refuses is skipped; a closed socket ends the write.
func (w *batchWriter) write(bufs [][]byte, addrs []netip.AddrPort) (sent, bytes int) {
	m := w.m
	for i, b := range bufs {
		m.iovs[i].Base = &b[0]
		m.iovs[i].SetLen(len(b))
		m.hdrs[i].hdr.Namelen = m.putName(i, addrs[i])
	}
	m.off, m.end = 0, len(bufs)
	for m.off < m.end {
		if err := m.rc.Write(m.callFn); err != nil {
			break
		}
		if m.errno != 0 || m.n == 0 {
			m.off++ // sendmmsg reports the error of its first datagram only: skip it
			continue
		}
		for _, b := range bufs[m.off : m.off+m.n] {
			bytes += len(b)
		}
		sent += m.n
		m.off += m.n
	}
	return sent, bytes
}

// putName writes addr as the i-th destination and returns its length, 0 (the
// datagram is refused) for an IPv6 address on an AF_INET socket.
func (m *mmsg) putName(i int, addr netip.AddrPort) uint32 {
	sa := &m.names[i]
	ip := addr.Addr()
	if !m.v6 {
		if ip = ip.Unmap(); !ip.Is4() {
			return 0
		}
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		*sa4 = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: ip.As4()}
		putPort(&sa4.Port, addr.Port())
		return unix.SizeofSockaddrInet4
	}
	*sa = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: ip.As16()}
	putPort(&sa.Port, addr.Port())
	if z := ip.Zone(); z != "" {
		id, _ := strconv.ParseUint(z, 10, 32)
		sa.Scope_id = uint32(id)
	}
	return unix.SizeofSockaddrInet6
}

// getPort and putPort read and write a socket address's port, which is in
// network byte order.
func getPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

func putPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}
