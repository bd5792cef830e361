//go:build linux

package integration

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTimerSlackOfEveryThread: `matchpoint dev` re-executes itself once at
// start so that every one of its threads, the Go runtime's monitor among
// them, has the --timer-slack asked for (1ms by default); the process keeps
// its pid and its name, serves, and drains on SIGTERM. With 0 its threads
// keep the slack the process was started with.
func TestTimerSlackOfEveryThread(t *testing.T) {
	inherited := readSlack(t, "/proc/self/timerslack_ns")
	for _, tc := range []struct {
		name string
		args []string
		want int64
	}{
		{"default", nil, int64(time.Millisecond)},
		{"300us", []string{"--timer-slack", "300us"}, int64(300 * time.Microsecond)},
		{"off", []string{"--timer-slack", "0"}, inherited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := fmt.Sprintf("127.0.0.1:%d", freePort(t))
			p := startProc(t, "dev", append([]string{"dev", "--http-addr", api,
				"--relay-addr", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--log-level", "info"}, tc.args...)...)
			waitReady(t, p, "http://"+api+"/readyz")
			pid := p.cmd.Process.Pid
			comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
			if err != nil {
				t.Fatalf("the process started (pid %d) is not the one serving: %v", pid, err)
			}
			if got, want := strings.TrimSpace(string(comm)), filepath.Base(binary); got != want {
				t.Errorf("process name %q, want %q", got, want)
			}
			tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
			if err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, task := range tasks {
				b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/timerslack_ns", pid, task.Name()))
				if errors.Is(err, fs.ErrNotExist) {
					// Older kernels keep it at /proc/<tid> only.
					b, err = os.ReadFile(fmt.Sprintf("/proc/%s/timerslack_ns", task.Name()))
				}
				if errors.Is(err, fs.ErrNotExist) {
					continue // the thread ended
				}
				if err != nil {
					t.Fatal(err)
				}
				seen++
				if got := parseSlack(t, b); got != tc.want {
					t.Errorf("thread %s: timer slack %d ns, want %d", task.Name(), got, tc.want)
				}
			}
			if seen < 2 {
				t.Errorf("%d threads read, want the runtime's too", seen)
			}
			if err := p.terminate(10 * time.Second); err != nil {
				t.Error(err)
			}
			if tc.want != inherited && !strings.Contains(p.out.String(), `msg="timer slack"`) {
				t.Errorf("no timer slack in the log:\n%s", p.out.String())
			}
		})
	}
}

func readSlack(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseSlack(t, b)
}

func parseSlack(t *testing.T, b []byte) int64 {
	t.Helper()
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatalf("timerslack_ns %q: %v", b, err)
	}
	return n
}
