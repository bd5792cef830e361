package relay

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// Transport labels of the message and byte counters.
const (
	transportWebSocket = "websocket"
	transportUDP       = "udp"
)

// Drop reasons (label "reason" of relay_dropped_packets_total).
const (
	dropMalformed     = "malformed"      // the frame does not decode (connection closed)
	dropTextFrame     = "text_frame"     // a WebSocket text message (connection closed)
	dropOpCode        = "op_code"        // op code not accepted from a client here
	dropMessage       = "message"        // wrong or missing inner message
	dropTarget        = "target"         // invalid target
	dropTooLarge      = "too_large"      // payload over the limit of its channel
	dropNoRecipient   = "no_recipient"   // target player not connected, group empty or unknown
	dropScript        = "script_refused" // onSendToPlayer / onSendToGroup returned false
	dropSecondLogin   = "second_login"   // op 0 on a logged-in connection
	dropQueueFull     = "queue_full"     // recipient's send queue full (recipient disconnected)
	dropNoScript      = "no_script"      // message to the server in a session without script
	dropSessionEnding = "session_ending" // message to a session that is ending
	dropUnbound       = "unbound"        // datagram from an address bound to no peer
	dropSpoofed       = "spoofed"        // datagram whose sender is not the bound peer
	dropSequence      = "sequence"       // datagram not newer than the newest accepted
	dropBadToken      = "bad_token"      // UDP connect or verify identity with a wrong connect token
	dropRateLimited   = "rate_limited"   // over Options.MaxMessagesPerSecond
	dropBindRefused   = "bind_refused"   // UDP connect that would take a binding it proves less than
)

// udpDropReasons are the drop reasons of fast path datagrams (label "reason" of
// relay_udp_refused_datagrams_total).
var udpDropReasons = []string{dropMalformed, dropOpCode, dropMessage, dropTarget, dropTooLarge, dropNoScript,
	dropUnbound, dropSpoofed, dropSequence, dropBadToken, dropRateLimited, dropBindRefused}

// Refusal reasons of UDP bindings (label "reason" of relay_udp_bind_refused_total).
const (
	bindBadToken      = "bad_token"            // -5 or -14 whose connect token is not the peer's
	bindNoPeer        = "no_peer"              // tokenless -5 whose sender has no WebSocket from that IP
	bindNoTokenRebind = "rebind_without_token" // tokenless -5 for a peer bound at another address
	bindAddressTaken  = "address_taken"        // -5 from an address bound to another peer by a stronger proof
)

// metrics are the relay's Prometheus collectors. Label values used on the hot path
// are resolved once, so counting allocates nothing.
type metrics struct {
	sessions        prometheus.Gauge
	players         prometheus.Gauge
	messagesIn      *prometheus.CounterVec
	messagesOut     *prometheus.CounterVec
	bytesIn         *prometheus.CounterVec
	bytesOut        *prometheus.CounterVec
	refusedLogins   *prometheus.CounterVec
	dropped         *prometheus.CounterVec
	placements      *prometheus.CounterVec
	reserves        *prometheus.CounterVec
	reservesOK      prometheus.Counter // reserves{result="ok"}, made once: one a CreatePlayerSessions call
	sessionUpdates  *prometheus.CounterVec
	sessionsEnded   *prometheus.CounterVec
	scriptPanics    *prometheus.CounterVec
	unhealthyChecks prometheus.Counter
	rtt             *prometheus.HistogramVec
	backfills       *prometheus.CounterVec
	refusedConns    prometheus.Counter
	udpRefused      *prometheus.CounterVec
	bindRefused     *prometheus.CounterVec

	wsIn, wsOut, wsBytesIn, wsBytesOut     prometheus.Counter
	udpIn, udpOut, udpBytesIn, udpBytesOut prometheus.Counter
	wsRTT                                  prometheus.Observer
	drops                                  map[string]prometheus.Counter
	udpDrops                               map[string]prometheus.Counter
	bindRefusals                           map[string]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relay_sessions", Help: "Game sessions hosted now."}),
		players: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "relay_players", Help: "Connected (logged-in) players now."}),
		messagesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_messages_in_total", Help: "Packets received from clients, by transport; for udp the datagrams accepted (refused ones are in relay_udp_refused_datagrams_total)."}, []string{"transport"}),
		messagesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_messages_out_total", Help: "Packets written to clients, by transport."}, []string{"transport"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_bytes_in_total", Help: "Frame bytes received from clients, by transport."}, []string{"transport"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_bytes_out_total", Help: "Frame bytes written to clients, by transport."}, []string{"transport"}),
		refusedLogins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_refused_logins_total", Help: "Refused logins, by refusal name."}, []string{"reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_dropped_packets_total", Help: "Client packets dropped or refused, by reason."}, []string{"reason"}),
		reserves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_reservations_total", Help: "Reserve requests (CreatePlayerSessions) answered, by result (ok or a bus error code)."}, []string{"result"}),
		sessionUpdates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_session_updates_total", Help: "Session update requests (UpdateGameSession, TerminateGameSession) answered, by result (ok or a bus error code)."}, []string{"result"}),
		placements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_placements_total", Help: "Placement requests answered, by result (ok, repeat or a bus error code)."}, []string{"result"}),
		sessionsEnded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_sessions_ended_total", Help: "Game sessions ended, by reason."}, []string{"reason"}),
		scriptPanics: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_script_panics_total", Help: "Script callbacks that panicked, by callback."}, []string{"callback"}),
		unhealthyChecks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relay_script_unhealthy_total", Help: "Script health checks that returned false."}),
		rtt: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "relay_rtt_seconds", Help: "Round-trip times measured with WebSocket pings, by transport.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}}, []string{"transport"}),
		backfills: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_backfill_requests_total", Help: "Automatic backfill requests sent to the matchmakers, by result (ok or error)."}, []string{"result"}),
		refusedConns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "relay_refused_connections_total", Help: "Connections to the WebSocket listener closed at accept by Options.MaxConnectionsPerIP."}),
		udpRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_udp_refused_datagrams_total", Help: "UDP and DTLS datagrams received and refused, by drop reason."}, []string{"reason"}),
		bindRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "relay_udp_bind_refused_total", Help: "UDP connects (-5) and DTLS verify identities (-14) refused, by reason."}, []string{"reason"}),
	}
	m.wsIn = m.messagesIn.WithLabelValues(transportWebSocket)
	m.wsOut = m.messagesOut.WithLabelValues(transportWebSocket)
	m.wsBytesIn = m.bytesIn.WithLabelValues(transportWebSocket)
	m.wsBytesOut = m.bytesOut.WithLabelValues(transportWebSocket)
	m.udpIn = m.messagesIn.WithLabelValues(transportUDP)
	m.udpOut = m.messagesOut.WithLabelValues(transportUDP)
	m.udpBytesIn = m.bytesIn.WithLabelValues(transportUDP)
	m.udpBytesOut = m.bytesOut.WithLabelValues(transportUDP)
	m.wsRTT = m.rtt.WithLabelValues(transportWebSocket)
	m.reservesOK = m.reserves.WithLabelValues("ok")
	m.drops = make(map[string]prometheus.Counter)
	for _, r := range []string{dropMalformed, dropTextFrame, dropOpCode, dropMessage, dropTarget, dropTooLarge,
		dropNoRecipient, dropScript, dropSecondLogin, dropQueueFull, dropNoScript, dropSessionEnding,
		dropUnbound, dropSpoofed, dropSequence, dropBadToken, dropRateLimited, dropBindRefused} {
		m.drops[r] = m.dropped.WithLabelValues(r)
	}
	m.udpDrops = make(map[string]prometheus.Counter)
	for _, r := range udpDropReasons {
		m.udpDrops[r] = m.udpRefused.WithLabelValues(r)
	}
	m.bindRefusals = make(map[string]prometheus.Counter)
	for _, r := range []string{bindBadToken, bindNoPeer, bindNoTokenRebind, bindAddressTaken} {
		m.bindRefusals[r] = m.bindRefused.WithLabelValues(r)
	}
	for r := protocol.RefusalUnknownPlayerSession; r <= protocol.RefusalLoginTimeout; r++ {
		m.refusedLogins.WithLabelValues(r.String())
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.sessions, m.players, m.messagesIn, m.messagesOut,
		m.bytesIn, m.bytesOut, m.refusedLogins, m.dropped, m.placements, m.reserves, m.sessionUpdates, m.sessionsEnded, m.scriptPanics,
		m.unhealthyChecks, m.rtt, m.backfills, m.refusedConns, m.udpRefused, m.bindRefused} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("relay: register metrics: %w", err)
		}
	}
	return m, nil
}

// drop counts a dropped packet by reason.
func (m *metrics) drop(reason string) { m.drops[reason].Inc() }

// dropUDP counts a refused fast path datagram by reason, among the dropped
// packets and the refused datagrams.
func (m *metrics) dropUDP(reason string) {
	m.drops[reason].Inc()
	m.udpDrops[reason].Inc()
}

// refuseBind counts a refused UDP binding: the datagram by drop reason, the
// binding by bind reason.
func (m *metrics) refuseBind(drop, bind string) {
	m.dropUDP(drop)
	m.bindRefusals[bind].Inc()
}
