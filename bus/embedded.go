package bus

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedOptions configure an in-process NATS server for `matchpoint dev` and
// tests. The zero value listens on a random loopback port without JetStream.
type EmbeddedOptions struct {
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
	// Log routes the server's own log lines to the process log.
	Log bool
}

// Embedded is a running in-process NATS server.
type Embedded struct {
	mu      sync.Mutex
	srv     *server.Server
	opts    server.Options
	tempDir string
	log     bool
}

// RunEmbedded starts a NATS server in this process and returns once it takes
// connections, or fails when ctx is done first.
func RunEmbedded(ctx context.Context, o EmbeddedOptions) (*Embedded, error) {
	e := &Embedded{log: o.Log}
	e.opts = server.Options{
		ServerName: o.ServerName,
		Host:       o.Host,
		Port:       o.Port,
		NoSigs:     true,
		NoLog:      !o.Log,
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
				return nil, fmt.Errorf("bus: embedded NATS store dir: %w", err)
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

func (e *Embedded) start(ctx context.Context) (*server.Server, error) {
	opts := e.opts
	srv, err := server.NewServer(&opts)
	if err != nil {
		return nil, fmt.Errorf("bus: embedded NATS: %w", err)
	}
	if e.log {
		srv.ConfigureLogger()
	}
	srv.Start()
	for !srv.ReadyForConnections(50 * time.Millisecond) {
		if err := ctx.Err(); err != nil {
			srv.Shutdown()
			srv.WaitForShutdown()
			return nil, fmt.Errorf("bus: embedded NATS did not start: %w", err)
		}
		if !srv.Running() {
			return nil, errors.New("bus: embedded NATS stopped while starting (port in use?)")
		}
	}
	return srv, nil
}

// URL is the nats:// URL clients connect to.
func (e *Embedded) URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv.ClientURL()
}

// Server is the running server, for tests that inspect it.
func (e *Embedded) Server() *server.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv
}

// Restart stops the server and starts a new one on the same host, port and
// store directory, as a restarted NATS would come back; connected clients
// reconnect on their own. For fault tests.
func (e *Embedded) Restart(ctx context.Context) error {
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
func (e *Embedded) Shutdown() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	e.removeTemp()
}

func (e *Embedded) removeTemp() {
	if e.tempDir != "" {
		_ = os.RemoveAll(e.tempDir)
		e.tempDir = ""
	}
}
