//go:build !linux

package relay

import (
	"net"
	"net/netip"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// recvBatch receives one datagram per read where there is no recvmmsg.
type recvBatch struct {
	c    *net.UDPConn
	buf  []byte
	n    int
	from netip.AddrPort
}

// newRecvBatch prepares c's reads, one datagram each.
func newRecvBatch(c *net.UDPConn, _ int) (*recvBatch, error) {
	return &recvBatch{c: c, buf: make([]byte, protocol.MaxFrameSize+1)}, nil
}

// read waits for a datagram and receives it.
func (r *recvBatch) read() (int, error) {
	n, from, err := r.c.ReadFromUDPAddrPort(r.buf)
	if err != nil {
		return 0, err
	}
	r.n, r.from = n, from
	return 1, nil
}

// datagram returns the datagram of the last read and its source.
func (r *recvBatch) datagram(int) ([]byte, netip.AddrPort) { return r.buf[:r.n], r.from }

// batchWriter sends datagrams one system call each where there is no sendmmsg.
type batchWriter struct {
	c *net.UDPConn
}

// newBatchWriter prepares c's writes, one datagram each.
func newBatchWriter(c *net.UDPConn, _ int) (*batchWriter, error) { return &batchWriter{c: c}, nil }

// write sends bufs[i] to addrs[i] in order and returns the datagrams and bytes
// sent.
func (w *batchWriter) write(bufs [][]byte, addrs []netip.AddrPort) (sent, bytes int) {
	for i, b := range bufs {
		if _, err := w.c.WriteToUDPAddrPort(b, addrs[i]); err == nil {
			sent++
			bytes += len(b)
		}
	}
	return sent, bytes
}
