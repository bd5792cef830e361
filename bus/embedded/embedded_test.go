package embedded_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
)

// syncBuffer is a bytes.Buffer safe for the server's logging goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestPortInUseFailsWithoutExiting(t *testing.T) {
	first := bustest.RunServer(t)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(first.URL(), "nats://"))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	portNum, err := strconv.Atoi(port)
	if err != nil {
		t.Fatal(err)
	}
	second, err := embedded.Run(ctx, embedded.Options{Port: portNum, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err == nil {
		second.Shutdown()
		t.Fatal("second server on the same port started")
	}
	if !strings.Contains(err.Error(), "port in use?") {
		t.Fatalf("error %q does not suggest the port is in use", err)
	}
	if !strings.Contains(logs.String(), "component=nats-server") {
		t.Fatalf("server log lines did not reach the logger: %q", logs.String())
	}
}

func TestJetStreamTempDirRemoved(t *testing.T) {
	e, err := embedded.Run(t.Context(), embedded.Options{JetStream: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := e.NATS().StoreDir()
	if dir == "" || !e.NATS().JetStreamEnabled() {
		t.Fatalf("JetStream enabled %v, store dir %q", e.NATS().JetStreamEnabled(), dir)
	}
	e.Shutdown()
	if _, err := net.Dial("tcp", strings.TrimPrefix(e.URL(), "nats://")); err == nil {
		t.Fatal("server still accepts connections after Shutdown")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("store dir %s left behind (%v)", dir, err)
	}
}
