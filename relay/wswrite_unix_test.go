//go:build unix

package relay_test

import (
	"strconv"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// TestRawWritesThroughConnLimit: a WebSocket accepted through the per-IP cap
// (Options.MaxConnectionsPerIP) is written with non-blocking raw writes, as
// one accepted without it, rather than through a drain goroutine per write.
func TestRawWritesThroughConnLimit(t *testing.T) {
	e := bustest.RunServer(t)
	for _, perIP := range []int{0, 4} {
		t.Run("max-per-ip="+strconv.Itoa(perIP), func(t *testing.T) {
			s := relaytest.RunServer(t, e, func(o *relay.Options) { o.MaxConnectionsPerIP = perIP })
			c, _, err := websocket.DefaultDialer.Dial("ws://"+s.Addr().String()+"/websocket", nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			relaytest.Eventually(t, "the relay registers the connection", func() bool {
				conns, _ := relay.RawWriters(s)
				return conns == 1
			})
			if conns, raw := relay.RawWriters(s); raw != conns {
				t.Fatalf("%d of %d connections have a raw writer: the others write through a drain goroutine", raw, conns)
			}
		})
	}
}
