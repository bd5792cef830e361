package relay

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// sink is one channel to a client: the WebSocket (reliable) or a bound UDP path
// (fast). Its methods are safe for concurrent use and never wait for the network.
type sink interface {
	// enqueue encodes p into the sink's send queue. It may set p.Reliable and
	// p.SequenceNumber for its channel. It returns false when the sink is closed
	// or its queue is full (the sink then closes itself).
	enqueue(p *protocol.Packet) bool
	// enqueueOut is enqueue of o's packet through its encodings, so that o is
	// encoded once for all its recipients; it keeps no reference to o.
	enqueueOut(o *outgoing) bool
	// close ends the channel after what is queued, with a close code and reason
	// where the transport has them.
	close(code int, reason string)
}

// peer is a logged-in player of a session, on one WebSocket connection. Its fields
// are set before the peer is published in the session's routes and not changed
// after, except fast and leaveReason. A reconnect replaces the peer by a copy with
// the new connection and tokens, sharing its link.
type peer struct {
	id         int32
	sess       *session
	link       *link
	ip         netip.Addr // the WebSocket's remote IP, for stock UDP binding
	player     Player
	extensions bool // the client declared protocol.ExtensionVersion >= 1
	reliable   sink
	// fast is the bound UDP path, nil while there is none: fast sends then go
	// over reliable.
	fast atomic.Pointer[sinkBox]
	// leaveReason is the bus.Left* reason recorded by whoever closes the peer
	// (kick, session end); empty means the client closed.
	leaveReason atomic.Pointer[string]
	// connectToken binds a UDP path to this peer; reconnectToken resumes it.
	connectToken   string
	reconnectToken string
}

// link is the state of a player that outlives its connections: the sequence
// counter and encode buffers of its fast path and its message rate bucket.
type link struct {
	fastMu   sync.Mutex
	fastSeq  protocol.SeqCounter
	fastBuf  []byte
	fastTail []byte // a packet's fields after its sequence number, encoded for fastBuf
	// batch holds the player's datagrams not yet written, nil when there are
	// none; set under fastMu and the batch's lock, cleared under the batch's.
	batch atomic.Pointer[sendBatch]

	bucketMu sync.Mutex
	tokens   float64
	last     time.Time
}

// allow takes one token from the player's bucket of rate tokens per second (burst
// rate); rate 0 allows everything.
func (l *link) allow(rate int, now time.Time) bool {
	if rate <= 0 {
		return true
	}
	l.bucketMu.Lock()
	defer l.bucketMu.Unlock()
	if l.last.IsZero() {
		l.tokens = float64(rate)
	} else {
		l.tokens = min(float64(rate), l.tokens+now.Sub(l.last).Seconds()*float64(rate))
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

// sinkBox lets a sink interface live in an atomic.Pointer.
type sinkBox struct{ s sink }

// outgoing is a packet on its way to one or more recipients, with its
// encodings, each made at most once whatever the number of recipients: the
// WebSocket frame (header and packet: the same bytes for every connection) and
// the fields of the UDP frame after its op code and sequence number (the
// sequence number is per recipient, and with it the length prefix). Its owner
// (a connection's reader, a UDP reader, the session goroutine, a pooled
// scratch) fills in the packet, calls fresh, sends, and reuses it, buffers
// included, for its next packet: the sinks copy what they keep.
type outgoing struct {
	protocol.Packet
	frame  []byte // the WebSocket frame, when framed
	tail   []byte // protocol.AppendPacketTail of the UDP packet, when tailed
	framed bool
	tailed bool
}

// fresh forgets the encodings of the previous packet: o's owner calls it once
// it has filled in a new packet, before the first send.
func (o *outgoing) fresh() { o.framed, o.tailed = false, false }

// wsFrame returns the packet's WebSocket frame (reliable, unsequenced),
// encoding it on the first call after fresh.
func (o *outgoing) wsFrame() []byte {
	if !o.framed {
		o.Reliable, o.SequenceNumber = true, 0
		o.frame = appendFrameHeader(o.frame[:0], frameBinary, o.FrameSize())
		o.frame = protocol.AppendPacket(o.frame, &o.Packet)
		o.framed = true
	}
	return o.frame
}

// udpTail returns the fields of the packet's UDP frames (unreliable) after the
// op code and sequence number, encoding them on the first call after fresh.
func (o *outgoing) udpTail() []byte {
	if !o.tailed {
		o.Reliable = false
		o.tail = protocol.AppendPacketTail(o.tail[:0], &o.Packet)
		o.tailed = true
	}
	return o.tail
}

// send queues o's packet for the peer: over the fast path when fast is asked, a
// path exists and the payload fits UDP, over the WebSocket otherwise. From a
// UDP reader, a datagram over a UDP binding joins the reader's batch sb (nil:
// it is written at once).
func (p *peer) send(o *outgoing, fast bool, sb *sendBatch) bool {
	if fast && protocol.FitsUDP(len(o.Payload)) {
		if b := p.fast.Load(); b != nil {
			if bd, ok := b.s.(*binding); ok {
				return bd.sendOut(o, sb)
			}
			return b.s.enqueueOut(o)
		}
	}
	return p.reliable.enqueueOut(o)
}

// setLeaveReason records why the peer leaves, keeping the first reason given.
func (p *peer) setLeaveReason(reason string) {
	p.leaveReason.CompareAndSwap(nil, &reason)
}

// routes is an immutable snapshot of who is in a session and in which groups.
// The session goroutine replaces it on every change (copy on write); senders on
// any goroutine read it without locks.
type routes struct {
	peers  map[int32]*peer
	all    []*peer // ascending peer id
	groups map[int32][]*peer
}

func newRoutes() *routes {
	return &routes{peers: map[int32]*peer{}, groups: map[int32][]*peer{}}
}

// group returns the members of group g (protocol.GroupAllPlayers for all).
func (r *routes) group(g int32) []*peer {
	if g == protocol.GroupAllPlayers {
		return r.all
	}
	return r.groups[g]
}

// memberIDs returns the peer ids of group g, ascending.
func (r *routes) memberIDs(g int32) []int32 {
	members := r.group(g)
	ids := make([]int32, len(members))
	for i, m := range members {
		ids[i] = m.id
	}
	return ids
}

// inGroup reports whether peer id is a member of group g.
func (r *routes) inGroup(g, id int32) bool {
	for _, m := range r.group(g) {
		if m.id == id {
			return true
		}
	}
	return false
}

// with returns a copy of r with p added to the players.
func (r *routes) with(p *peer) *routes {
	n := r.clone()
	n.peers[p.id] = p
	n.all = insertSorted(n.all, p)
	return n
}

// without returns a copy of r with p removed from the players and every group.
func (r *routes) without(p *peer) *routes {
	n := r.clone()
	delete(n.peers, p.id)
	n.all = removePeer(n.all, p.id)
	for g, members := range n.groups {
		if m := removePeer(members, p.id); len(m) == 0 {
			delete(n.groups, g)
		} else {
			n.groups[g] = m
		}
	}
	return n
}

// joined returns a copy of r with p in group g.
func (r *routes) joined(g int32, p *peer) *routes {
	n := r.clone()
	n.groups[g] = insertSorted(n.groups[g], p)
	return n
}

// left returns a copy of r without p in group g.
func (r *routes) left(g int32, p *peer) *routes {
	n := r.clone()
	if m := removePeer(n.groups[g], p.id); len(m) == 0 {
		delete(n.groups, g)
	} else {
		n.groups[g] = m
	}
	return n
}

// replaced returns a copy of r with old replaced by np everywhere (reconnect).
func (r *routes) replaced(old, np *peer) *routes {
	n := r.clone()
	n.peers[np.id] = np
	n.all = swapPeer(n.all, old, np)
	for g, members := range n.groups {
		n.groups[g] = swapPeer(members, old, np)
	}
	return n
}

// clone copies the maps; member slices are never modified in place, so they are
// shared until changed.
func (r *routes) clone() *routes {
	n := &routes{peers: make(map[int32]*peer, len(r.peers)+1), all: r.all, groups: make(map[int32][]*peer, len(r.groups)+1)}
	for id, p := range r.peers {
		n.peers[id] = p
	}
	for g, m := range r.groups {
		n.groups[g] = m
	}
	return n
}

func insertSorted(members []*peer, p *peer) []*peer {
	out := make([]*peer, 0, len(members)+1)
	added := false
	for _, m := range members {
		if m.id == p.id {
			return members
		}
		if !added && m.id > p.id {
			out = append(out, p)
			added = true
		}
		out = append(out, m)
	}
	if !added {
		out = append(out, p)
	}
	return out
}

func swapPeer(members []*peer, old, np *peer) []*peer {
	for i, m := range members {
		if m == old {
			out := append([]*peer(nil), members...)
			out[i] = np
			return out
		}
	}
	return members
}

func removePeer(members []*peer, id int32) []*peer {
	for i, m := range members {
		if m.id == id {
			out := make([]*peer, 0, len(members)-1)
			out = append(out, members[:i]...)
			return append(out, members[i+1:]...)
		}
	}
	return members
}
