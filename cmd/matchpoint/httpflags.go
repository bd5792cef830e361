package main

import (
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/relay/connlimit"
)

// httpFlags are the timeouts of every HTTP server of a process: the
// matchmaker's API, the relay's WebSocket listener (its handshakes) and its
// admin endpoints. Event streams and WebSockets are bound by none of them once
// they run: they set their own deadlines.
type httpFlags struct {
	readTimeout  time.Duration
	writeTimeout time.Duration
	idleTimeout  time.Duration
}

func (h *httpFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&h.readTimeout, "http-read-timeout", 30*time.Second, "longest time to read an HTTP request, body included; a slower client is disconnected")
	fs.DurationVar(&h.writeTimeout, "http-write-timeout", 60*time.Second, "longest time to write an HTTP answer (event streams and WebSockets are not bound by it)")
	fs.DurationVar(&h.idleTimeout, "http-idle-timeout", 60*time.Second, "close a keep-alive HTTP connection idle for this long")
}

// check refuses negative timeouts, naming the flag.
func (h *httpFlags) check() error {
	return nonNegative(map[string]time.Duration{"http-read-timeout": h.readTimeout, "http-write-timeout": h.writeTimeout, "http-idle-timeout": h.idleTimeout})
}

// nonNegative returns an error naming the first flag, by name, whose value is
// negative.
func nonNegative[T int | time.Duration](flags map[string]T) error {
	names := slices.Sorted(maps.Keys(flags))
	for _, n := range names {
		if flags[n] < 0 {
			return fmt.Errorf("--%s: %v is negative", n, flags[n])
		}
	}
	return nil
}

// server returns an HTTP server of handler with the flags' timeouts.
func (h *httpFlags) server(handler http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: h.readTimeout, WriteTimeout: h.writeTimeout, IdleTimeout: h.idleTimeout,
		ErrorLog: slog.NewLogLogger(log.With("component", "http").Handler(), slog.LevelWarn)}
}

// refusedConnections counts the connections of the process's HTTP listeners
// closed at accept for being over their per-IP cap, by listener ("api",
// "admin").
func refusedConnections(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "matchpoint_http_refused_connections_total",
		Help: "HTTP connections closed at accept because their client IP held the listener's maximum (--max-connections-per-ip).",
	}, []string{"listener"})
	reg.MustRegister(c)
	return c
}

// listen opens the TCP listener of the address flag addrFlag, capped at perIP
// open connections per client IP (0: no cap); refusals count in refused.
func listen(addrFlag, addr string, perIP int, refused prometheus.Counter) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", addrFlag, err)
	}
	return connlimit.Wrap(ln, perIP, refused), nil
}
