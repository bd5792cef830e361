package relay

// Held counts what the relay holds: the reservations and matched players of
// the game session id (0 once it ended), and the ledger's player session ids
// and placement records, of every session (for
// TestStaleReservationsForgotten).
func Held(s *Server, id string) (reservations, players, psids, records int) {
	s.mu.Lock()
	sess := s.sessions[id]
	s.mu.Unlock()
	s.ledger.mu.Lock()
	psids = len(s.ledger.byHash) + len(s.ledger.collided) // ids of the same hash in one session count once
	records = len(s.ledger.placements) + len(s.ledger.reserves)
	s.ledger.mu.Unlock()
	if sess != nil {
		sess.mu.Lock()
		reservations, players = sess.res.held(), sess.res.matchedCount()
		sess.mu.Unlock()
	}
	return reservations, players, psids, records
}

// FastStamped returns the sequence number of the last datagram the relay
// stamped for the player connected with player session psid (sent, or
// queued in a batch), 0 when none and -1 when no such player is connected
// (for TestUDPFastMessages).
func FastStamped(s *Server, psid string) int32 {
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		sessions = append(sessions, sess)
	}
	s.mu.Unlock()
	for _, sess := range sessions {
		for _, p := range sess.routes.Load().all {
			if p.player.PlayerSessionID == psid {
				p.link.fastMu.Lock()
				defer p.link.fastMu.Unlock()
				return p.link.fastSeq.Last()
			}
		}
	}
	return -1
}
