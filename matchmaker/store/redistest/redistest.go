// Package redistest starts a real redis-server for tests, on a free loopback
// port, and stops it when the test ends. It is the Redis twin of nats-server's
// RunServer helper: tests that exercise Redis use a real server, never a mock.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/internal/freeport"
	"github.com/matchpoint-dev/matchpoint/internal/poll"
)

// Server is a running redis-server owned by one test.
type Server struct {
	// Addr is host:port of the server, for redis.Options.Addr.
	Addr string
	cmd  *exec.Cmd
	dir  string // the server's working directory, where replication writes its RDB
}

// Start launches redis-server on a free loopback port with persistence off and
// registers its shutdown with t.Cleanup. It fails the test when redis-server is
// not installed (.ci/test.sh installs it) or does not answer within 10s.
func Start(t testing.TB) *Server {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found: run .ci/test.sh, which installs it, or apt-get install redis-server")
	}
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freeport.Get()
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		s, err := launch(path, port)
		if err == nil {
			t.Cleanup(s.stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

// Client returns a client of the server with go-redis's default options,
// closed when t ends.
func (s *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.Addr})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Restart stops the server and starts it again on the same port, empty, as a
// Redis that lost its memory would come back. Used by fault tests.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.stop()
	_, portText, _ := net.SplitHostPort(s.Addr)
	port, _ := strconv.Atoi(portText)
	path, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found: %v", err)
	}
	n, err := launch(path, port)
	if err != nil {
		t.Fatalf("restart redis-server: %v", err)
	}
	s.cmd, s.dir = n.cmd, n.dir
}

func launch(path string, port int) (*Server, error) {
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path,
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--loglevel", "warning",
	)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd, dir: dir}
	if poll.Until(10*time.Second, func() bool { return ping(s.Addr) == nil }) {
		return s, nil
	}
	s.stop()
	return nil, fmt.Errorf("redis-server on port %d did not answer PING within 10s", port)
}

func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	_ = os.RemoveAll(s.dir)
	s.cmd = nil
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected PING reply %q", line)
	}
	return nil
}
