// Package connlimit caps the connections a listener holds open at once from
// one client IP address: a connection over the cap is closed as soon as it is
// accepted, before any byte is read, so that one client cannot take every file
// descriptor of a process.
package connlimit

import (
	"net"
	"net/netip"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
)

// Listener is a net.Listener that admits at most a fixed number of open
// connections per remote IP address.
type Listener struct {
	net.Listener
	max     int
	refused prometheus.Counter

	mu   sync.Mutex
	open map[netip.Addr]int
}

// Wrap returns ln capped at maxPerIP open connections per remote IP address;
// each connection closed at accept for being over the cap increments refused
// (nil: not counted). A maxPerIP of 0 or less returns ln unchanged.
func Wrap(ln net.Listener, maxPerIP int, refused prometheus.Counter) net.Listener {
	if maxPerIP <= 0 {
		return ln
	}
	return &Listener{Listener: ln, max: maxPerIP, refused: refused, open: make(map[netip.Addr]int)}
}

// Accept returns the next connection whose address holds fewer than the cap;
// the others are closed and counted as they come.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := remoteIP(c)
		l.mu.Lock()
		over := l.open[ip] >= l.max
		if !over {
			l.open[ip]++
		}
		l.mu.Unlock()
		if !over {
			ac := &conn{Conn: c, l: l, ip: ip}
			if sc, ok := c.(syscall.Conn); ok {
				return &sysConn{conn: ac, sc: sc}, nil
			}
			return ac, nil
		}
		// Counted first, so that a client that sees the close finds it counted.
		if l.refused != nil {
			l.refused.Inc()
		}
		_ = c.Close()
	}
}

// Open returns how many connections from ip are open.
func (l *Listener) Open(ip netip.Addr) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.open[ip.Unmap()]
}

func (l *Listener) release(ip netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[ip]--; l.open[ip] <= 0 {
		delete(l.open, ip)
	}
}

// remoteIP is the IP address of c's peer; connections of other networks
// (unix sockets) share the zero address.
func remoteIP(c net.Conn) netip.Addr {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr().Unmap()
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// conn is an admitted connection: closing it frees its place.
type conn struct {
	net.Conn
	l    *Listener
	ip   netip.Addr
	once sync.Once
}

// Close closes the connection and frees its place under the cap.
func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.ip) })
	return err
}

// sysConn is an admitted connection over a socket (syscall.Conn, as
// *net.TCPConn is): it exposes the socket, so that code writing to it directly
// (the relay's non-blocking writes) works through the cap as without it.
type sysConn struct {
	*conn
	sc syscall.Conn
}

// SyscallConn returns the raw socket of the inner connection.
func (c *sysConn) SyscallConn() (syscall.RawConn, error) { return c.sc.SyscallConn() }
