package protocol

// UDP packets carry a per-link sequence number; the receiver keeps only packets
// newer than the newest it has accepted (newest wins: late packets are dropped, never
// reordered). 0 means "unsequenced": WebSocket packets leave it unset.

// SeqNewer reports whether sequence number a is newer than b, in serial-number
// arithmetic over int32 (RFC 1982): a is newer when a-b, wrapped to int32, is
// positive: a is at most 2^31-1 steps ahead of b. So -2147483648 is newer than
// 2147483647 (the counter wrapped). Numbers exactly 2^31 apart are not newer than
// each other.
func SeqNewer(a, b int32) bool { return a-b > 0 }

// SeqFilter drops UDP packets that are not newer than the newest accepted one. The
// zero value accepts any first packet. It is not safe for concurrent use: keep one
// per UDP link and direction.
type SeqFilter struct {
	last    int32
	started bool
}

// Accept reports whether a packet with sequence number seq is to be kept, and if so
// records it as the newest. Unsequenced packets (seq 0) are always kept and do not
// move the window.
func (f *SeqFilter) Accept(seq int32) bool {
	if seq == 0 {
		return true
	}
	if f.started && !SeqNewer(seq, f.last) {
		return false
	}
	f.last, f.started = seq, true
	return true
}

// Last returns the newest accepted sequence number, 0 when none.
func (f *SeqFilter) Last() int32 { return f.last }

// Reset forgets the newest sequence number, as when a UDP link is re-bound.
func (f *SeqFilter) Reset() { *f = SeqFilter{} }

// SeqCounter stamps outgoing UDP packets: 1, 2, 3, ..., wrapping past the int32
// maximum and skipping 0. The zero value is ready; not safe for concurrent use.
type SeqCounter struct {
	n int32
}

// Last returns the last sequence number Next returned, 0 when none.
func (c *SeqCounter) Last() int32 { return c.n }

// Next returns the next sequence number.
func (c *SeqCounter) Next() int32 {
	c.n++
	if c.n == 0 {
		c.n++
	}
	return c.n
}
