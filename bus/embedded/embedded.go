// Package embedded runs a NATS server inside the process, for `matchpoint dev`
// and tests (bus/bustest). It is apart from package bus so that what only needs
// the client (the relay, the matchmaker) does not link nats-server.
package embedded

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Options configure an in-process NATS server for `matchpoint dev` and tests.
// The zero value listens on a random loopback port without JetStream.
type Options struct {
	// Host to listen on. Default 127.0.0.1.
	Host string
	// Port to listen on. Default (0): a random free port.
	Port int
	// JetStream enables JetStream (the script store). Its files go to
	// StoreDir, or to a temporary directory removed by Shutdown.
	JetStream bool
	StoreDir  string
	// ServerName shows in monitoring. Default "matchpoint-embedded".
	ServerName string
	// Logger receives the server's own log lines (notices as Info, warnings,
	// errors; a fatal error is logged as an error, never exits the process).
	// Nil: the server logs nothing.
	Logger *slog.Logger
}

// startTimeout bounds Run and Restart when their context has no deadline.
const startTimeout = 10 * time.Second

// Server is a running in-process NATS server.
type Server struct {
	mu      sync.Mutex
	srv     *server.Server
	opts    server.Options
	tempDir string
	log     *slog.Logger
}

// Run starts a NATS server in this process and returns once it takes
// connections, or fails when ctx is done first.
func Run(ctx context.Context, o Options) (*Server, error) {
	e := &Server{log: o.Logger}
	e.opts = server.Options{
		ServerName: o.ServerName,
		Host:       o.Host,
		Port:       o.Port,
		NoSigs:     true,
		NoLog:      o.Logger == nil,
		MaxPayload: 1 << 20,
	}
	if e.opts.ServerName == "" {
		e.opts.ServerName = "matchpoint-embedded"
	}
	if e.opts.Host == "" {
		e.opts.Host = "127.0.0.1"
	}
	if e.opts.Port == 0 {
		e.opts.Port = server.RANDOM_PORT
	}
	if o.JetStream {
		e.opts.JetStream = true
		e.opts.StoreDir = o.StoreDir
		if e.opts.StoreDir == "" {
			dir, err := os.MkdirTemp("", "matchpoint-nats-*")
			if err != nil {
				return nil, fmt.Errorf("embedded NATS store dir: %w", err)
			}
			e.tempDir = dir
			e.opts.StoreDir = dir
		}
	}
	srv, err := e.start(ctx)
	if err != nil {
		e.removeTemp()
		return nil, err
	}
	// A restart must come back on the same port, so that clients reconnect.
	if addr, ok := srv.Addr().(*net.TCPAddr); ok {
		e.opts.Port = addr.Port
	}
	e.srv = srv
	return e, nil
}

func (e *Server) start(ctx context.Context) (*server.Server, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	opts := e.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS: %w", err)
	}
	if e.log != nil {
		srv.SetLoggerV2(slogAdapter{e.log.With("component", "nats-server")}, false, false, false)
	}
	srv.Start()
	for !srv.ReadyForConnections(50 * time.Millisecond) {
		if err := ctx.Err(); err != nil {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("embedded NATS on %s:%d did not start (port in use?): %w", e.opts.Host, e.opts.Port, err)
		}
	}
	return srv, nil
}

// URL is the nats:// URL clients connect to.
func (e *Server) URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv.ClientURL()
}

// Interest reports whether a message published on subject now would reach
// a subscriber in the server's account: a client's subscription (once the
// server has it), a JetStream stream's, a route's or a leaf node's. It is
// bus.Options.Interest for a connection to this server.
func (e *Server) Interest(subject string) bool {
	return e.NATS().GlobalAccount().SubscriptionInterest(subject)
}

// NATS is the running nats-server, for tests that inspect it.
func (e *Server) NATS() *server.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv
}

// Restart stops the server and starts a new one on the same host, port and
// store directory, as a restarted NATS would come back; connected clients
// reconnect on their own. For fault tests.
func (e *Server) Restart(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	srv, err := e.start(ctx)
	if err != nil {
		return err
	}
	e.srv = srv
	return nil
}

// Shutdown stops the server, waits for it, and removes the temporary store
// directory it created.
func (e *Server) Shutdown() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	e.removeTemp()
}

func (e *Server) removeTemp() {
	if e.tempDir != "" {
		_ = os.RemoveAll(e.tempDir)
		e.tempDir = ""
	}
}

// slogAdapter is the nats-server Logger writing to log/slog.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Noticef(format string, v ...any) { a.log.Info(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Warnf(format string, v ...any)   { a.log.Warn(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Fatalf(format string, v ...any)  { a.log.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Errorf(format string, v ...any)  { a.log.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Debugf(format string, v ...any)  { a.log.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Tracef(format string, v ...any)  { a.log.Debug(fmt.Sprintf(format, v...)) }
