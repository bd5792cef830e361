package relay

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
)

// Default values of Options.
const (
	DefaultRegion               = "local"
	DefaultListenAddr           = ":7000"
	DefaultMaxSessions          = 100
	DefaultMaxPlayersPerSession = 200
	DefaultPlayerSessionTTL     = 60 * time.Second
	DefaultEmptySessionTimeout  = 60 * time.Second
	DefaultIdleTimeout          = 10 * time.Minute
	DefaultDrainTimeout         = 5 * time.Minute
	DefaultHeartbeatInterval    = time.Second
	DefaultLoginTimeout         = 10 * time.Second
	DefaultWriteTimeout         = 10 * time.Second
	DefaultHTTPReadTimeout      = 30 * time.Second
	DefaultHTTPWriteTimeout     = 60 * time.Second
	DefaultHTTPIdleTimeout      = 60 * time.Second
	DefaultSendQueueBytes       = 1 << 20
	DefaultReconnectGrace       = 30 * time.Second
	// DefaultPingInterval: a dead peer is noticed within 15 s (3 intervals),
	// half of DefaultReconnectGrace, for 1 ping per player every 5 s (docs/relay.md).
	DefaultPingInterval = 5 * time.Second
)

// Options configure a Server. The zero value is usable: every field has a default.
type Options struct {
	// RelayID names this relay in the cluster (bus token rules). Default:
	// "relay-" and random characters.
	RelayID string
	// Region is the region whose placements this relay serves. Default "local".
	Region string
	// Fleets are the fleets (ids, fleet-...) whose game sessions this relay
	// hosts, in its region; empty: every fleet. Heartbeats carry them, and
	// a CreateGameSession placement of another fleet is refused (FULL, so
	// that the matchmaker tries another relay). FlexMatch placements name
	// no fleet and are always taken.
	Fleets []string
	// PublicIP and PublicDNS are the address players connect to, given in
	// placement replies and heartbeats. Default PublicIP: the listener's IP, or
	// 127.0.0.1 when it listens on every interface.
	PublicIP  string
	PublicDNS string
	// ListenAddr is the TCP address of the WebSocket listener. Default ":7000";
	// port 0 picks a free port (see Server.Addr).
	ListenAddr string
	// PublicTCPPort is the WebSocket port players connect to, when a proxy or
	// NAT maps it. Default: the listener's port.
	PublicTCPPort int
	// MaxSessions is how many game sessions the relay hosts at once; further
	// placements are refused with bus.CodeFull. Default 100.
	MaxSessions int
	// MaxPlayersPerSession caps the players of one session (GameLift: 200);
	// a placement's maxPlayers is lowered to it. Default 200.
	MaxPlayersPerSession int
	// PlayerSessionTTL is how long a reserved player session stays usable
	// before it expires unused. Default 60s, as GameLift.
	PlayerSessionTTL time.Duration
	// EmptySessionTimeout ends a session that has had no player for this long
	// after its last player left. Default 60s.
	EmptySessionTimeout time.Duration
	// IdleTimeout ends a session in which no player sent anything for this
	// long. Default 10m.
	IdleTimeout time.Duration
	// ScriptedSessionTimeouts applies the empty and idle timeouts, and the end
	// of a session nobody connected to, to sessions whose script is loaded too.
	// Default false: such a session ends when its script calls processEnding
	// (or a drain ends it), as in GameLift Realtime. Matchpoint's own.
	ScriptedSessionTimeouts bool
	// DrainTimeout is how long Shutdown lets sessions run before ending them.
	// Default 5m.
	DrainTimeout time.Duration
	// HeartbeatInterval is the period of bus heartbeats and script health
	// checks. Default 1s.
	HeartbeatInterval time.Duration
	// LoginTimeout is how long a new WebSocket may wait before its login.
	// Default 10s (docs/protocol.md 7.1).
	LoginTimeout time.Duration
	// WriteTimeout bounds one write to a client; a client that does not read
	// is disconnected. Default 10s.
	WriteTimeout time.Duration
	// SendQueueBytes bounds the bytes queued for one client; a client that falls
	// further behind is disconnected (close 1008, "send queue full"). Default 1 MiB.
	SendQueueBytes int
	// UDPAddr is the UDP address of the fast path (plain UDP, or DTLS 1.2 when
	// TLS is set). Default: the WebSocket listener's host and port, over UDP.
	UDPAddr string
	// PublicUDPPort is the UDP port players are told (LoginResult.fastPort and
	// placement replies), when NAT maps it. Default: the UDP listener's port.
	PublicUDPPort int
	// DisableUDP turns the fast path off: fastPort 0, everything on the WebSocket.
	DisableUDP bool
	// TLS, when set with a certificate, serves the WebSocket over TLS (wss) and
	// the fast path over DTLS 1.2; nil serves ws and plain UDP.
	TLS *tls.Config
	// CACertPEM is the PEM CA certificate handed to clients in the login result
	// (LoginResult.caCert) so that they can verify the DTLS certificate. Default
	// with TLS: the last certificate of the TLS certificate chain when it has more
	// than one, else none (a publicly trusted certificate).
	CACertPEM []byte
	// ReconnectGrace is how long a dropped player's peer is held for a reconnect
	// with its reconnect token (docs/protocol.md 7.2). Default 30s; negative
	// turns reconnects off.
	ReconnectGrace time.Duration
	// PingInterval is the period of the WebSocket pings the relay sends; a
	// connection silent for 3 intervals, and at least 10s, is closed with 4004.
	// Default 5s (DefaultPingInterval).
	PingInterval time.Duration
	// ConnectionIdleTimeout closes a WebSocket that sent nothing, not even a
	// pong, for this long, with 4004. Default: 3 PingIntervals, and at least 10s.
	ConnectionIdleTimeout time.Duration
	// MaxMessagesPerSecond limits the packets one player may send per second,
	// over both channels (token bucket, burst of one second); the excess is
	// dropped and counted (reason rate_limited). 0: no limit.
	MaxMessagesPerSecond int
	// MaxConnectionsPerIP limits the TCP connections open at once from one IP
	// address on the WebSocket listener (HTTP requests and WebSockets alike);
	// more are closed as they are accepted and counted. 0: no limit.
	MaxConnectionsPerIP int
	// HTTPReadTimeout bounds the reading of an HTTP request (the WebSocket
	// handshake), HTTPWriteTimeout the writing of its answer, and
	// HTTPIdleTimeout how long a keep-alive connection waits for its next
	// request. A WebSocket is bound by none of them once upgraded. Defaults
	// 30s, 60s, 60s.
	HTTPReadTimeout  time.Duration
	HTTPWriteTimeout time.Duration
	HTTPIdleTimeout  time.Duration
	// ScriptFactory creates the script of each session; nil: every session
	// runs with the default behaviour (a nil Script).
	ScriptFactory ScriptFactory
	// Logger receives the relay's logs. Default slog.Default().
	Logger *slog.Logger
	// Registerer receives the relay's Prometheus metrics; nil registers none.
	Registerer prometheus.Registerer
}

func (o Options) withDefaults() (Options, error) {
	if o.RelayID == "" {
		o.RelayID = "relay-" + rand.Text()[:10]
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if _, err := bus.Token(o.RelayID); err != nil {
		return o, fmt.Errorf("relay: relay id %q: %w", o.RelayID, err)
	}
	if _, err := bus.Token(o.Region); err != nil {
		return o, fmt.Errorf("relay: region %q: %w", o.Region, err)
	}
	for i, f := range o.Fleets {
		if _, err := bus.Token(f); err != nil {
			return o, fmt.Errorf("relay: fleets[%d] %q: %w", i, f, err)
		}
	}
	o.Fleets = slices.Clone(o.Fleets)
	if o.ListenAddr == "" {
		o.ListenAddr = DefaultListenAddr
	}
	setDefault(&o.MaxSessions, DefaultMaxSessions)
	setDefault(&o.MaxPlayersPerSession, DefaultMaxPlayersPerSession)
	setDefault(&o.PlayerSessionTTL, DefaultPlayerSessionTTL)
	setDefault(&o.EmptySessionTimeout, DefaultEmptySessionTimeout)
	setDefault(&o.IdleTimeout, DefaultIdleTimeout)
	setDefault(&o.DrainTimeout, DefaultDrainTimeout)
	setDefault(&o.HeartbeatInterval, DefaultHeartbeatInterval)
	setDefault(&o.LoginTimeout, DefaultLoginTimeout)
	setDefault(&o.WriteTimeout, DefaultWriteTimeout)
	setDefault(&o.HTTPReadTimeout, DefaultHTTPReadTimeout)
	setDefault(&o.HTTPWriteTimeout, DefaultHTTPWriteTimeout)
	setDefault(&o.HTTPIdleTimeout, DefaultHTTPIdleTimeout)
	setDefault(&o.SendQueueBytes, DefaultSendQueueBytes)
	setDefault(&o.ReconnectGrace, DefaultReconnectGrace)
	setDefault(&o.PingInterval, DefaultPingInterval)
	setDefault(&o.ConnectionIdleTimeout, max(3*o.PingInterval, 10*time.Second))
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	switch {
	case o.MaxSessions < 0, o.MaxPlayersPerSession < 0, o.SendQueueBytes < 0, o.PublicTCPPort < 0,
		o.PublicUDPPort < 0, o.MaxMessagesPerSecond < 0, o.MaxConnectionsPerIP < 0:
		return o, errors.New("relay: negative limit in Options")
	case o.PlayerSessionTTL < 0, o.EmptySessionTimeout < 0, o.IdleTimeout < 0, o.DrainTimeout < 0,
		o.HeartbeatInterval < 0, o.LoginTimeout < 0, o.WriteTimeout < 0, o.PingInterval < 0,
		o.ConnectionIdleTimeout < 0, o.HTTPReadTimeout < 0, o.HTTPWriteTimeout < 0, o.HTTPIdleTimeout < 0:
		return o, errors.New("relay: negative duration in Options")
	}
	return o, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}
