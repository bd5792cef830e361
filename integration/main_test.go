package integration

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/freeport"
)

// binary is the matchpoint binary the tests run, built once by TestMain (or
// given by MATCHPOINT_BIN).
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("integration: skipped with -short (builds the matchpoint binary and runs clusters of processes)")
		return 0
	}
	if bin := os.Getenv("MATCHPOINT_BIN"); bin != "" {
		binary = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "matchpoint-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "matchpoint")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"build", "-o", binary}
	if flags := os.Getenv("MATCHPOINT_BUILD_FLAGS"); flags != "" {
		args = append(args, strings.Fields(flags)...)
	}
	build := exec.CommandContext(ctx, "go", append(args, "github.com/matchpoint-dev/matchpoint/cmd/matchpoint")...)
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "integration: build matchpoint: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// logBuffer collects a process's output, safe for the process's writer and
// the test at once.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// proc is one matchpoint process owned by a test. The test's cleanup kills
// it if it still runs, and writes its output to the test log if the test
// failed.
type proc struct {
	name string
	cmd  *exec.Cmd
	out  *logBuffer
	done chan struct{}
	err  error // after done
}

// cleanEnv is the environment of child processes: the test's, without
// MATCHPOINT_ settings that would change their flags.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MATCHPOINT_") {
			env = append(env, kv)
		}
	}
	return env
}

func startProc(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(binary, args...), out: &logBuffer{}, done: make(chan struct{})}
	p.cmd.Env = cleanEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("---- output of %s (%s) ----\n%s", p.name, strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("kill %s: %v", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still runs 10s after SIGKILL", p.name)
	}
}

// signal sends sig (SIGSTOP, SIGCONT) to the process.
func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v to %s: %v", sig, p.name, err)
	}
}

// terminate sends SIGTERM and reports an error unless the process exits 0
// within limit.
func (p *proc) terminate(limit time.Duration) error {
	if !p.running() {
		return fmt.Errorf("%s had already stopped: %v", p.name, p.err)
	}
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("SIGTERM %s: %w", p.name, err)
	}
	select {
	case <-p.done:
	case <-time.After(limit):
		return fmt.Errorf("%s did not exit within %v of SIGTERM", p.name, limit)
	}
	if p.err != nil {
		return fmt.Errorf("%s exited after SIGTERM with %v (after %v)", p.name, p.err, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// freePort returns a port of 127.0.0.1 whose TCP and UDP are free now
// (relays listen on both), outside the ports the kernel hands out
// (freeport.Get).
func freePort(t *testing.T) int {
	t.Helper()
	port, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	return port
}
