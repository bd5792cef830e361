//go:build unix

package connlimit

import (
	"io"
	"net"
	"syscall"
	"testing"
)

// TestRawSocket: an admitted TCP connection exposes the socket of the accepted
// connection (syscall.Conn), and bytes written on that socket reach the client.
func TestRawSocket(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := Wrap(inner, 2, nil)
	defer l.Close()
	held := make(chan net.Conn, 1)
	go serve(l, held)
	client, ok := dial(t, inner.Addr().String(), "127.0.0.1")
	if !ok {
		t.Fatal("connection refused under the cap")
	}
	defer client.Close()
	c := <-held
	defer c.Close()
	sc, ok := c.(syscall.Conn)
	if !ok {
		t.Fatalf("admitted connection %T does not implement syscall.Conn", c)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	if err := rc.Write(func(fd uintptr) bool {
		_, werr = syscall.Write(int(fd), []byte("raw"))
		return true
	}); err != nil || werr != nil {
		t.Fatalf("raw write: %v, %v", err, werr)
	}
	got := make([]byte, 3)
	if _, err := io.ReadFull(client, got); err != nil || string(got) != "raw" {
		t.Fatalf("client read %q, %v; want \"raw\"", got, err)
	}
}
