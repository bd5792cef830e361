package relay

import (
	"net"
	"net/netip"
	"sync"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// Batch sizes of a UDP reader: the datagrams it reads with one system call, and
// the datagrams it queues before writing them with one system call.
const (
	readBatchSize  = 16
	writeBatchSize = 64
)

// udpReader is one plain UDP socket of the fast path with its reader's batches.
type udpReader struct {
	conn *net.UDPConn
	recv *recvBatch
	send *sendBatch
}

// newUDPReader prepares the batches of socket c's reader.
func newUDPReader(c *net.UDPConn, m *metrics) (*udpReader, error) {
	recv, err := newRecvBatch(c, readBatchSize)
	if err != nil {
		return nil, err
	}
	w, err := newBatchWriter(c, writeBatchSize)
	if err != nil {
		return nil, err
	}
	return &udpReader{conn: c, recv: recv, send: &sendBatch{w: w, m: m, links: make([]*link, 0, writeBatchSize)}}, nil
}

// sendBatch collects the datagrams a UDP reader sends while it handles one batch
// of received datagrams, and writes them with one system call (sendmmsg on
// Linux) when the batch is handled or the send batch is full. Every socket of
// the fast path is bound to the same address and port, so a batch may carry
// datagrams for bindings that other sockets received.
//
// A client keeps only UDP datagrams newer than the newest it has (SeqFilter), so
// a peer's datagrams must leave in the order of their sequence numbers. A link
// with datagrams in a batch points at that batch until the batch is written, and
// every sender to that link, on any goroutine, adds to that batch rather than
// writing at once. Lock order: link.fastMu, then sendBatch.mu.
type sendBatch struct {
	mu    sync.Mutex
	w     *batchWriter
	m     *metrics
	n     int
	bufs  [writeBatchSize][]byte
	addrs [writeBatchSize]netip.AddrPort
	links []*link // the links pointing at the batch
}

// add queues for addr the datagram of the packet with op code opCode and other
// fields tail (protocol.AppendPacketTail), stamped with l's next sequence
// number. With held it adds only while l points at b, and reports whether it
// did. l.fastMu is held.
func (b *sendBatch) add(l *link, addr netip.AddrPort, opCode int32, tail []byte, held bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if held && l.batch.Load() != b {
		return false
	}
	if b.n == writeBatchSize {
		b.flushLocked()
	}
	b.bufs[b.n] = protocol.AppendPacketWithTail(b.bufs[b.n][:0], opCode, l.fastSeq.Next(), tail)
	b.addrs[b.n] = addr
	b.n++
	if l.batch.Load() != b {
		l.batch.Store(b)
		b.links = append(b.links, l)
	}
	return true
}

// flush writes the queued datagrams.
func (b *sendBatch) flush() {
	b.mu.Lock()
	b.flushLocked()
	b.mu.Unlock()
}

// flushLocked writes the queued datagrams and releases the links; b.mu is held.
func (b *sendBatch) flushLocked() {
	if b.n == 0 {
		return
	}
	sent, bytes := b.w.write(b.bufs[:b.n], b.addrs[:b.n])
	b.m.udpOut.Add(float64(sent))
	b.m.udpBytesOut.Add(float64(bytes))
	for i, l := range b.links {
		l.batch.CompareAndSwap(b, nil)
		b.links[i] = nil
	}
	b.links = b.links[:0]
	b.n = 0
}
