//go:build unix

package relay

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
)

// TestRawWritesThroughConnLimit: a WebSocket accepted through the per-IP cap
// (Options.MaxConnectionsPerIP) is written with non-blocking raw writes, as
// one accepted without it, rather than through a drain goroutine per write.
func TestRawWritesThroughConnLimit(t *testing.T) {
	e := bustest.RunServer(t)
	for _, perIP := range []int{0, 4} {
		t.Run("max-per-ip="+strconv.Itoa(perIP), func(t *testing.T) {
			opts := Options{ListenAddr: "127.0.0.1:0", Region: "test", MaxConnectionsPerIP: perIP,
				Logger: slog.New(slog.DiscardHandler)}
			s, err := New(bustest.Connect(t, e, bus.Options{Logger: opts.Logger}), opts)
			if err != nil {
				t.Fatal(err)
			}
			runErr := make(chan error, 1)
			go func() { runErr <- s.Run(context.Background()) }()
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := s.Shutdown(ctx); err != nil {
					t.Error(err)
				}
				if err := <-runErr; err != nil {
					t.Error(err)
				}
			})
			<-s.Ready()
			c, _, err := websocket.DefaultDialer.Dial("ws://"+s.Addr().String()+"/websocket", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var w *wsConn
			deadline := time.Now().Add(5 * time.Second)
			for w == nil {
				if time.Now().After(deadline) {
					t.Fatal("the relay did not register the connection")
				}
				s.mu.Lock()
				for c := range s.conns {
					w = c
				}
				s.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
			if w.raw == nil {
				t.Fatalf("connection %T has no raw writer: its writes go through a drain goroutine", w.nc)
			}
		})
	}
}
