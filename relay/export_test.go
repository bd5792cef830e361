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
	psids = len(s.ledger.reservations)
	records = len(s.ledger.placements)
	s.ledger.mu.Unlock()
	if sess != nil {
		sess.mu.Lock()
		reservations, players = len(sess.reservations), len(sess.info.Players)
		sess.mu.Unlock()
	}
	return reservations, players, psids, records
}
