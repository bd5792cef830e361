package relay

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
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
	DefaultSendQueueBytes       = 1 << 20
)

// Options configure a Server. The zero value is usable: every field has a default.
type Options struct {
	// RelayID names this relay in the cluster (bus token rules). Default:
	// "relay-" and random characters.
	RelayID string
	// Region is the region whose placements this relay serves. Default "local".
	Region string
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
	setDefault(&o.SendQueueBytes, DefaultSendQueueBytes)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	switch {
	case o.MaxSessions < 0, o.MaxPlayersPerSession < 0, o.SendQueueBytes < 0, o.PublicTCPPort < 0:
		return o, errors.New("relay: negative limit in Options")
	case o.PlayerSessionTTL < 0, o.EmptySessionTimeout < 0, o.IdleTimeout < 0, o.DrainTimeout < 0,
		o.HeartbeatInterval < 0, o.LoginTimeout < 0, o.WriteTimeout < 0:
		return o, errors.New("relay: negative duration in Options")
	}
	return o, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v == 0 {
		*v = def
	}
}
