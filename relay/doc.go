// Package relay is Matchpoint's realtime relay, compatible with Amazon GameLift
// Realtime: it answers placement requests from the bus by creating game
// sessions (or backfilling running ones), admits their players over WebSocket
// with the player session ids the placements reserved, routes their messages
// to players and groups, reliably over the WebSocket and fast over UDP or DTLS,
// runs each session's script, and reports sessions and players on the bus.
// docs/relay.md describes the behaviour, docs/protocol.md the wire protocol.
//
// # Files
//
// server.go holds Server, New, Run and Shutdown; placement.go answers
// placement requests and cancellations; reserve.go the matchmaker's requests
// to reserve player sessions in a running session and to update or end one
// (UpdateGameSession, TerminateGameSession); ledger.go records placements,
// cancelled tries and reserved player sessions; session.go is a game session's
// lifecycle; admission.go its reservations, logins, reconnects and departures;
// reservations.go how it stores its reservations and matched players;
// routing.go its message routing and groups; scriptapi.go the Session methods
// scripts call; websocket.go the WebSocket connections, pinger.go the one
// goroutine that pings them all; udp.go the fast path
// and plain UDP, dtls.go DTLS; decode.go the decoding and validation every
// client packet goes through.
//
// # Goroutines
//
//   - Run's caller runs the relay: it starts the goroutines below, waits for its
//     context or Shutdown, then drains and waits for all of them.
//   - The HTTP server's Serve goroutine, started by Run, accepts WebSocket
//     upgrades; it stops when Run closes the HTTP server after the drain.
//   - The heartbeat goroutine (Server.heartbeats), started by Run, publishes
//     heartbeats and prunes the ledger; Run stops it last, through a channel.
//   - Placement requests and cancellations are handled on the bus's subscription
//     goroutines (Server.place, Server.cancelPlacement); Run unsubscribes them
//     when it starts draining.
//   - One goroutine per game session (session.run), in Server.wg, handles the
//     session's events and timers; it ends when an end is requested (script,
//     timeouts, cancellation, drain) and Run waits for it.
//   - A session with automatic backfill owns a backfiller goroutine, cancelled
//     and waited for when the session ends.
//   - Per WebSocket connection, a reader goroutine (wsConn.serveConn), in
//     Server.wg. A connection has no writer goroutine: the sender that finds no
//     write in progress writes what is queued with a non-blocking system call
//     (wsConn.writeNow), or a broadcast's shared frame straight from the
//     sender's buffer when nothing is queued (wsConn.writeShared); a write that must wait, a TLS connection and the close
//     run on a goroutine started for them (wsConn.drain), which ends when the
//     queue is empty. The reader ends when the connection does; it then closes
//     the write side and waits for its end (writerDone). Run closes the
//     remaining connections after the drain.
//   - The pinger goroutine (Server.pings), started by Run and stopped with the
//     heartbeats, pings every connection whose ping is due and closes the
//     silent ones.
//   - The fast path has one reader per plain UDP socket (fastPath.readLoop), or
//     with DTLS an accept loop (fastPath.acceptLoop) and one goroutine per
//     association (fastPath.serveDTLS), all in fastPath.wg; fastPath.close,
//     called by Run at the end, closes the sockets and waits for them.
//   - Timers: a binding resends its UDP acknowledgement from a time.AfterFunc
//     (stopped when the client is heard or the binding goes), and a script's
//     AfterFunc posts to its session goroutine, which drops it once ended.
//
// # Locks
//
// The relay has ten mutexes. A goroutine holding one of them takes only mutexes
// later in this order (none is taken twice):
//
//  1. session.turn: held by the session goroutine while it handles an event or
//     a tick, by a WebSocket reader running its message through the script
//     (session.scriptedNow), and by a session update changing the maximum of
//     players (session.setMaxPlayers, which takes session.mu inside it).
//  2. Server.mu: sessions, connections, creating, draining.
//  3. ledger.mu: placements, cancelled tries, reservations by player session id
//     (taken inside Server.mu when a placement is claimed and settled).
//  4. session.mu: the session's reservations and info (taken inside
//     ledger.mu when a cancellation checks whether a player joined, when
//     prune forgets an ended session's player session ids, and when the
//     ledger records, forgets or looks up a player session id, which it
//     asks the session about: one session at a time).
//  5. fastPath.mu (a RWMutex): the fast path's bindings and bindable peers.
//  6. binding.mu: a binding's acknowledgement resend timer.
//  7. wsConn.mu: a connection's send queue and close state (taken inside
//     Server.mu when Run closes the connections, and by senders); never held
//     during a write.
//  8. link.fastMu: a player's fast path sequence counter and encode buffer.
//  9. sendBatch.mu: a UDP reader's batch of datagrams to write.
//  10. link.bucketMu: a player's rate limit bucket; a leaf.
//
// Routing takes none of them: it reads the session's routes, an immutable
// snapshot the session goroutine replaces atomically.
package relay
