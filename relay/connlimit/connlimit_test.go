package connlimit

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// serve accepts on l and greets every admitted connection with one byte; the
// admitted connections are sent on held.
func serve(l net.Listener, held chan<- net.Conn) {
	for {
		c, err := l.Accept()
		if err != nil {
			close(held)
			return
		}
		_, _ = c.Write([]byte{'!'})
		held <- c
	}
}

// dial connects from the local address from and reports whether the
// listener admitted the connection (greeted it) or closed it.
func dial(t *testing.T, addr string, from string) (net.Conn, bool) {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", from, err)
	}
	var b [1]byte
	_, err = io.ReadFull(c, b[:])
	return c, err == nil
}

func count(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestCapPerIP: the connections of one address beyond the cap are closed at
// accept and counted, another address is not affected, and closing an
// admitted connection frees its place.
func TestCapPerIP(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := prometheus.NewCounter(prometheus.CounterOpts{Name: "refused"})
	l := Wrap(inner, 3, refused).(*Listener)
	defer l.Close()
	held := make(chan net.Conn, 100)
	go serve(l, held)
	addr := inner.Addr().String()

	const n = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	var clients []net.Conn
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, ok := dial(t, addr, "127.0.0.1")
			mu.Lock()
			defer mu.Unlock()
			clients = append(clients, c)
			if ok {
				admitted++
			}
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	if admitted != 3 || count(t, refused) != n-3 {
		t.Fatalf("%d of %d connections admitted, %v refused; want 3 admitted, %d refused", admitted, n, count(t, refused), n-3)
	}
	if c, ok := dial(t, addr, "127.0.0.2"); !ok {
		t.Fatal("a connection from another address was refused")
	} else {
		defer c.Close()
	}
	first := <-held
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if got := l.Open(netip.MustParseAddr("127.0.0.1")); got != 2 {
		t.Fatalf("%d connections open from 127.0.0.1 after one closed, want 2", got)
	}
	c, ok := dial(t, addr, "127.0.0.1")
	defer c.Close()
	if !ok {
		t.Fatal("a place freed by a closed connection was not given to the next one")
	}
}

// TestNoCap: a cap of 0 leaves the listener as it is.
func TestNoCap(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer inner.Close()
	if l := Wrap(inner, 0, nil); l != inner {
		t.Fatalf("Wrap with no cap returned %T, want the listener itself", l)
	}
}
