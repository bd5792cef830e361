//go:build unix

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

// nofileChildEnv carries, to the re-executed test binary, the open-files
// limit and the `matchpoint dev` arguments of the child process.
const nofileChildEnv = "MATCHPOINT_TEST_NOFILE_CHILD"

type nofileChild struct {
	Limit uint64
	Args  []string
}

// TestOpsNofileChild is the child process of TestOpsLowNofile: with the
// open-files limit it is given (soft and hard), it runs `matchpoint dev`
// until it is killed. It does nothing in a normal test run.
func TestOpsNofileChild(t *testing.T) {
	spec := os.Getenv(nofileChildEnv)
	if spec == "" {
		t.Skip("the child process of TestOpsLowNofile")
	}
	var c nofileChild
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: c.Limit, Max: c.Limit}); err != nil {
		t.Fatal(err)
	}
	os.Exit(run(context.Background(), append([]string{"dev"}, c.Args...), io.Discard, os.Stderr))
}

// startNofileChild runs `matchpoint dev` with args in a child process whose
// open-files limit is limit, and waits until its /healthz answers.
func startNofileChild(t *testing.T, limit uint64, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	spec, _ := json.Marshal(nofileChild{Limit: limit, Args: append([]string{"--http-addr", addr, "--relay-addr", "127.0.0.1:0", "--log-level", "warn"}, args...)})
	cmd := exec.Command(os.Args[0], "-test.run=^TestOpsNofileChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), nofileChildEnv+"="+string(spec))
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("child log:\n%s", logs.String())
		}
	})
	waitFor(t, "http://"+addr+"/healthz", "the child starts", func(p probe) bool { return p.code == http.StatusOK })
	return addr
}

// flood opens n keep-alive connections to addr from 127.0.0.1, each sending
// one GET /healthz, and waits until each is answered, closed, or unanswered
// for a few seconds (the server had no file descriptor to accept it). It
// returns the connections, left open, and how many were answered.
func flood(t *testing.T, addr string, n int) ([]net.Conn, int) {
	t.Helper()
	var mu sync.Mutex
	var conns []net.Conn
	answered := 0
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: matchpoint\r\n\r\n"); err != nil {
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(3 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				return
			}
			resp.Body.Close()
			_ = c.SetReadDeadline(time.Time{})
			mu.Lock()
			answered++
			mu.Unlock()
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns, answered
}

// healthzFrom polls /healthz on addr over new connections from the local IP
// from until it answers 200, for up to 30s.
func healthzFrom(t *testing.T, addr, from string) {
	t.Helper()
	c := http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext}}
	var err error
	storetest.Eventually(t, 30*time.Second, func() string { return fmt.Sprintf("/healthz from %s: %v", from, err) }, func() bool {
		var resp *http.Response
		if resp, err = c.Get("http://" + addr + "/healthz"); err != nil {
			return false
		}
		resp.Body.Close()
		err = fmt.Errorf("HTTP %d", resp.StatusCode)
		return resp.StatusCode == http.StatusOK
	})
}

// TestOpsLowNofile runs `matchpoint dev` with 128 open files at most and
// opens more idle keep-alive connections to its API than that: the
// matchmaker still answers /healthz, because the idle connections are closed
// by --http-idle-timeout, or because --max-connections-per-ip refuses those
// over the cap at once.
func TestOpsLowNofile(t *testing.T) {
	const limit, conns = 128, 300
	t.Run("idle timeout", func(t *testing.T) {
		addr := startNofileChild(t, limit, "--max-connections-per-ip", "0", "--http-idle-timeout", "1s")
		flood(t, addr, conns)
		healthzFrom(t, addr, "127.0.0.1")
	})
	t.Run("per-IP cap", func(t *testing.T) {
		const perIP = 20
		addr := startNofileChild(t, limit, "--max-connections-per-ip", strconv.Itoa(perIP), "--http-idle-timeout", "10m")
		if _, answered := flood(t, addr, conns); answered > perIP {
			t.Errorf("%d of %d connections from one address answered, over the cap of %d", answered, conns, perIP)
		}
		healthzFrom(t, addr, "127.0.0.2")
	})
}
