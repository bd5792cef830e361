package relay

import (
	"time"
)

// pings is the relay's pinger: every pingTick of the shortest ping interval in
// use it pings the WebSocket connections whose ping is due and closes those
// silent too long (wsConn.keepAlive), until stop is closed. One goroutine and
// one timer for all connections: the pings of a tick leave in one run, and
// their pongs come back together, instead of a timer, a wake-up and a
// scheduling round per ping.
func (s *Server) pings(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	interval := s.opts.PingInterval
	t := time.NewTicker(pingTick(interval))
	defer t.Stop()
	var due []*wsConn
	for {
		select {
		case <-stop:
			return
		case <-s.pingChange:
			if d := time.Duration(s.minPing.Load()); d > 0 && d < interval {
				interval = d
				t.Reset(pingTick(d))
			}
		case now := <-t.C:
			due = s.duePings(now, due[:0])
			for i, w := range due {
				w.keepAlive(now)
				due[i] = nil
			}
		}
	}
}

// pingTick is the pinger's period: a tenth of the ping interval, between 10 ms
// and 250 ms; a ping leaves up to one tick late.
func pingTick(interval time.Duration) time.Duration {
	return min(max(interval/10, 10*time.Millisecond), 250*time.Millisecond)
}

// usePingInterval records that a connection pings every d, for the pinger's
// period.
func (s *Server) usePingInterval(d time.Duration) {
	for {
		cur := s.minPing.Load()
		if cur > 0 && cur <= int64(d) {
			return
		}
		if s.minPing.CompareAndSwap(cur, int64(d)) {
			select {
			case s.pingChange <- struct{}{}:
			default:
			}
			return
		}
	}
}

// duePings appends to due the connections whose ping is due at now.
func (s *Server) duePings(now time.Time, due []*wsConn) []*wsConn {
	n := now.UnixNano()
	s.mu.Lock()
	defer s.mu.Unlock()
	for w := range s.conns {
		if w.nextPing.Load() <= n {
			due = append(due, w)
		}
	}
	return due
}
