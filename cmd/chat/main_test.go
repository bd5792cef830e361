package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/poll"
)

// syncBuffer is a bytes.Buffer that a command writes while the test reads it.
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

// walkthrough is what README.md's "A match in a minute" asks a user to run.
type walkthrough struct {
	// tickets are the bodies of the curl lines that start tickets.
	tickets []string
	// chats are the arguments of the `go run ./cmd/chat` lines.
	chats [][]string
}

// readWalkthrough reads the walk-through from README.md.
func readWalkthrough(t *testing.T) walkthrough {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## A match in a minute\n")
	if !ok {
		t.Fatal(`README.md has no section "A match in a minute"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var w walkthrough
	body := regexp.MustCompile(`^\s*-d '(.*)'$`)
	sc := bufio.NewScanner(strings.NewReader(section))
	for sc.Scan() {
		line := sc.Text()
		if m := body.FindStringSubmatch(line); m != nil {
			w.tickets = append(w.tickets, m[1])
		}
		if args, ok := strings.CutPrefix(line, "go run ./cmd/chat "); ok {
			w.chats = append(w.chats, strings.Fields(args))
		}
	}
	if len(w.tickets) != 2 || len(w.chats) != 2 {
		t.Fatalf("README.md's walk-through starts %d tickets and runs chat %d times, want 2 and 2", len(w.tickets), len(w.chats))
	}
	if !strings.Contains(section, "curl -s -H 'Authorization: Bearer dev-secret' -X POST http://127.0.0.1:8080/v1/tickets \\\n") {
		t.Fatal("README.md's walk-through starts its tickets elsewhere than POST http://127.0.0.1:8080/v1/tickets with the key dev-secret")
	}
	return w
}

// startDev builds cmd/matchpoint and runs `matchpoint dev` on free ports until
// the test ends; it returns the API's URL.
func startDev(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "matchpoint")
	build := exec.Command("go", "build", "-o", bin, "github.com/matchpoint-dev/matchpoint/cmd/matchpoint")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build cmd/matchpoint: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "dev", "--http-addr", "127.0.0.1:0", "--relay-addr", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	api := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "API" {
				api <- f[1]
			}
		}
		io.Copy(io.Discard, stdout)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("matchpoint dev: %v\n%s", err, stderr.String())
			}
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			t.Errorf("matchpoint dev did not stop within 15s of an interrupt\n%s", stderr.String())
		}
	})
	select {
	case u := <-api:
		return u
	case err := <-exited:
		t.Fatalf("matchpoint dev stopped: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("matchpoint dev did not start within 60s\n%s", stderr.String())
	}
	return ""
}

// TestWalkthrough runs README.md's "A match in a minute" for real: `matchpoint
// dev`, the README's two tickets through the REST API, and its two chat
// commands; each player gets the other's message.
func TestWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs cmd/matchpoint")
	}
	w := readWalkthrough(t)
	api := startDev(t)

	players := map[string]string{} // ticket id -> player id
	for _, body := range w.tickets {
		req, _ := http.NewRequest(http.MethodPost, api+"/v1/tickets", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer dev-secret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ MatchmakingTicket ticket }
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated || len(out.MatchmakingTicket.Players) != 1 {
			t.Fatalf("POST /v1/tickets %s: HTTP %d, %+v, %v", body, resp.StatusCode, out, err)
		}
		players[out.MatchmakingTicket.TicketId] = out.MatchmakingTicket.Players[0].PlayerId
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type chatter struct {
		player string
		out    syncBuffer
		errOut syncBuffer
		done   chan error
	}
	var chats []*chatter
	for _, args := range w.chats {
		c := &chatter{done: make(chan error, 1)}
		for i, a := range args[:len(args)-1] {
			if a == "--ticket" {
				c.player = players[args[i+1]]
			}
		}
		if c.player == "" {
			t.Fatalf("chat %v names none of the tickets %v", args, players)
		}
		chats = append(chats, c)
		args = append(args, "--api", api)
		go func() { c.done <- run(ctx, args, &c.out, &c.errOut) }()
	}

	peer := regexp.MustCompile(`(?m)^connected to ws://\S+ as peer (\d+)$`)
	got := func(c, from *chatter) bool {
		m := peer.FindStringSubmatch(from.out.String())
		return m != nil && strings.Contains(c.out.String(), fmt.Sprintf("\npeer %s: hello from %s\n", m[1], from.player))
	}
	deadline, _ := ctx.Deadline()
	if !poll.Until(time.Until(deadline), func() bool { return got(chats[0], chats[1]) && got(chats[1], chats[0]) }) {
		t.Fatalf("the players did not exchange their messages:\n%s:\n%s%s\n%s:\n%s%s",
			chats[0].player, chats[0].out.String(), chats[0].errOut.String(), chats[1].player, chats[1].out.String(), chats[1].errOut.String())
	}
	cancel() // Ctrl-C
	for _, c := range chats {
		if err := <-c.done; err != nil {
			t.Errorf("%s: %v\n%s", c.player, err, c.out.String())
		}
		out := c.out.String()
		if !strings.HasPrefix(out, "ticket ") || !strings.Contains(out, ": COMPLETED\n") || !strings.Contains(out, "sent to peer ") {
			t.Errorf("%s printed:\n%s", c.player, out)
		}
	}
}

// TestFlags checks the command line.
func TestFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "give --ticket or --player-session-id"},
		{[]string{"--ticket", "a", "--player-session-id", "p"}, "not both"},
		{[]string{"--ticket", "a", "extra"}, `unexpected argument "extra"`},
		{[]string{"--ticket", "a", "--for", "0s"}, "must be positive"},
		{[]string{"--nope"}, "flag provided but not defined"},
	} {
		err := run(context.Background(), c.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
	}
	for _, c := range []struct {
		o    options
		want string
	}{
		{options{url: "ws://127.0.0.1:7000/websocket"}, "ws://127.0.0.1:7000/websocket"},
		{options{url: "ws://127.0.0.1:7000/websocket", ipAddress: "10.0.0.7", port: 7123}, "ws://10.0.0.7:7123/websocket"},
		{options{url: "wss://relay.example/websocket", port: 443}, "wss://relay.example:443/websocket"},
		{options{url: "ws://127.0.0.1:7000/websocket", ipAddress: "::1"}, "ws://[::1]:7000/websocket"},
	} {
		if got, err := c.o.relayURL(); err != nil || got != c.want {
			t.Errorf("%+v: %q, %v; want %q", c.o, got, err, c.want)
		}
	}
}
