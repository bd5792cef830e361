// Package bustest starts real NATS servers for tests: one embedded server per
// test, shut down by t.Cleanup, and connections to it closed the same way.
package bustest

import (
	"context"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
)

const startTimeout = 10 * time.Second

// RunServer starts an embedded NATS server (loopback, random port, no
// JetStream) for the test and shuts it down when the test ends.
func RunServer(t testing.TB) *bus.Embedded {
	t.Helper()
	return run(t, bus.EmbeddedOptions{})
}

// RunJetStreamServer is RunServer with JetStream enabled, storing under a
// directory of the test's own.
func RunJetStreamServer(t testing.TB) *bus.Embedded {
	t.Helper()
	return run(t, bus.EmbeddedOptions{JetStream: true, StoreDir: t.TempDir()})
}

func run(t testing.TB, o bus.EmbeddedOptions) *bus.Embedded {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	e, err := bus.RunEmbedded(ctx, o)
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	t.Cleanup(e.Shutdown)
	return e
}

// Connect opens a bus.Conn to e for the test and closes it when the test ends.
// opts may be the zero value.
func Connect(t testing.TB, e *bus.Embedded, opts bus.Options) *bus.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if opts.Name == "" {
		opts.Name = t.Name()
	}
	c, err := bus.Connect(ctx, e.URL(), opts)
	if err != nil {
		t.Fatalf("connect to embedded NATS: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}
