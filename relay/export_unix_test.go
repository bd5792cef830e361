//go:build unix

package relay

// RawWriters counts the relay's open WebSocket connections and those it
// writes with non-blocking raw writes (for TestRawWritesThroughConnLimit).
func RawWriters(s *Server) (conns, raw int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		conns++
		if c.raw != nil {
			raw++
		}
	}
	return conns, raw
}
