package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/relaytest"
)

// startDev runs the dev stack on free ports for one test; its sessions run
// the server script named scriptName ("" for none).
func startDev(t *testing.T, scriptName string) devAddrs {
	return startDevRelay(t, scriptName, false)
}

// startDevRelay is startDev with the relay's TLS and DTLS on or off.
func startDevRelay(t *testing.T, scriptName string, useTLS bool) devAddrs {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	mm := matchmakerFlags{httpAddr: "127.0.0.1:0", apiKeys: "dev:dev-secret", region: "us-east-1", accountID: "000000000000", script: scriptName,
		queueRegions: defaultRegion, leaseTTL: 2 * time.Second, interval: 20 * time.Millisecond, placementTimeout: 5 * time.Second, drainTimeout: time.Second}
	ready := make(chan devAddrs, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rd := devRelay{addr: "127.0.0.1:0", tls: useTLS}
	if useTLS {
		rd.caFile = filepath.Join(t.TempDir(), "ca.pem")
	}
	go func() {
		done <- dev(ctx, &mm, &httpFlags{}, store.NewMemory(store.Options{}), rd, 0, true, io.Discard, log, ready)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dev: %v", err)
		}
	})
	select {
	case a := <-ready:
		if useTLS {
			written, err := os.ReadFile(rd.caFile)
			if err != nil || !bytes.Equal(written, a.CACertPEM) {
				t.Fatalf("dev --tls wrote %q (%v), want its CA", written, err)
			}
		}
		return a
	case err := <-done:
		t.Fatalf("dev stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("dev did not start within 20s")
	}
	return devAddrs{}
}

func call(t *testing.T, method, url, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewBufferString(body))
	req.Header.Set("Authorization", "Bearer dev-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, url, err)
		}
	}
	return resp.StatusCode
}

type ticketOut struct {
	MatchmakingTicket struct {
		TicketId                  string
		Status                    string
		GameSessionConnectionInfo *struct {
			GameSessionArn        string
			IpAddress             string
			Port                  int
			MatchedPlayerSessions []struct{ PlayerId, PlayerSessionId string }
		}
	}
}

// matchTwo starts two tickets on the sample configuration, waits until both
// are COMPLETED and returns their player session ids and the relay port.
func matchTwo(t *testing.T, a devAddrs) (sessions []string, port int) {
	t.Helper()
	var ids []string
	for _, p := range []string{`{"PlayerId":"ana","PlayerAttributes":{"skill":{"N":1000}}}`, `{"PlayerId":"bo","PlayerAttributes":{"skill":{"N":1050}}}`} {
		var out ticketOut
		if code := call(t, "POST", a.API+"/v1/tickets", `{"ConfigurationName":"duel","Players":[`+p+`]}`, &out); code != http.StatusCreated {
			t.Fatalf("start ticket: HTTP %d", code)
		}
		ids = append(ids, out.MatchmakingTicket.TicketId)
	}
	for _, id := range ids {
		var out ticketOut
		storetest.Eventually(t, 10*time.Second, func() string { return fmt.Sprintf("ticket %s is %s, want COMPLETED", id, out.MatchmakingTicket.Status) }, func() bool {
			out = ticketOut{}
			call(t, "GET", a.API+"/v1/tickets/"+id, "", &out)
			return out.MatchmakingTicket.Status == "COMPLETED"
		})
		ci := out.MatchmakingTicket.GameSessionConnectionInfo
		if ci == nil || ci.Port == 0 || len(ci.MatchedPlayerSessions) != 1 || ci.MatchedPlayerSessions[0].PlayerSessionId == "" {
			t.Fatalf("ticket %s: connection info %+v", id, ci)
		}
		sessions = append(sessions, ci.MatchedPlayerSessions[0].PlayerSessionId)
		port = ci.Port
	}
	return sessions, port
}

func receive(t *testing.T, ctx context.Context, c *client.Client) client.Message {
	t.Helper()
	select {
	case m := <-c.Messages():
		return m
	case <-ctx.Done():
		t.Fatal("no message")
	}
	return client.Message{}
}

// TestDevMatchesTwoPlayers is the quick start: two tickets on the sample
// configuration become a placed match with connection info, and the two
// players connect to the relay with their player session ids and talk.
func TestDevMatchesTwoPlayers(t *testing.T) {
	a := startDev(t, "")
	sessions, port := matchTwo(t, a)
	if !strings.HasSuffix(a.Relay, fmt.Sprintf(":%d", port)) {
		t.Fatalf("connection info port %d, relay listens on %s", port, a.Relay)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ana, err := client.Dial(ctx, "ws://"+a.Relay+"/websocket", sessions[0], nil, client.Options{})
	if err != nil {
		t.Fatalf("ana connects: %v", err)
	}
	defer ana.Close()
	bo, err := client.Dial(ctx, "ws://"+a.Relay+"/websocket", sessions[1], nil, client.Options{})
	if err != nil {
		t.Fatalf("bo connects: %v", err)
	}
	defer bo.Close()
	if err := ana.Send(ctx, 1, client.ToPlayer(bo.PeerID()), []byte("hello bo"), true); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, ctx, bo); string(m.Payload) != "hello bo" || m.Sender != ana.PeerID() || m.OpCode != 1 {
		t.Fatalf("bo got %+v", m)
	}
	if _, err := client.Dial(ctx, "ws://"+a.Relay+"/websocket", sessions[0], nil, client.Options{}); err == nil {
		t.Fatal("a player session id is single use")
	}
	resp, err := http.Get(a.API + "/readyz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get(a.API + "/dashboard/")
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("dashboard page: %v %v", resp, err)
	}
	resp.Body.Close()
	var overview map[string]any
	if code := call(t, "GET", a.API+"/dashboard/api/overview", "", &overview); code != 200 {
		t.Fatalf("dashboard overview: HTTP %d", code)
	}
	if !strings.Contains(fmt.Sprint(overview), "duel") {
		t.Fatalf("the dashboard overview lacks the sample configuration: %v", overview)
	}
	// The API's requests are counted: matchTwo's two StartMatchmaking.
	resp, err = http.Get(a.API + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `matchpoint_api_requests_total{action="POST /v1/tickets",code="201",face="rest"} 2`; !strings.Contains(string(metrics), want) {
		t.Fatalf("/metrics lacks %s", want)
	}
}

// TestDevRunsUploadedScript uploads a Realtime script through the dev stack's
// API; the sessions of the next match run it.
func TestDevRunsUploadedScript(t *testing.T) {
	a := startDev(t, "echo")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var up struct{ Script struct{ Version int } }
	if code := call(t, "POST", a.API+"/v1/scripts/echo", relaytest.EchoScript, &up); code != http.StatusCreated || up.Script.Version != 1 {
		t.Fatalf("upload: HTTP %d, %+v", code, up)
	}
	sessions, _ := matchTwo(t, a)
	ana, err := client.Dial(ctx, "ws://"+a.Relay+"/websocket", sessions[0], nil, client.Options{})
	if err != nil {
		t.Fatalf("ana connects: %v", err)
	}
	defer ana.Close()
	if err := ana.Send(ctx, 1, client.ToServer(), []byte("ping"), true); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, ctx, ana); string(m.Payload) != "echo:ping" || m.OpCode != 2 {
		t.Fatalf("ana got %+v, want the script's echo", m)
	}
}

// TestDevTLSFastPath runs dev with --tls: players connect over wss, bind the
// fast path over DTLS and exchange fast messages.
func TestDevTLSFastPath(t *testing.T) {
	a := startDevRelay(t, "", true)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(a.CACertPEM) {
		t.Fatal("dev --tls must expose its CA")
	}
	sessions, _ := matchTwo(t, a)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	opts := client.Options{UDP: true, RootCAs: pool}
	ana, err := client.Dial(ctx, "wss://"+a.Relay+"/websocket", sessions[0], nil, opts)
	if err != nil {
		t.Fatalf("ana connects over wss: %v", err)
	}
	defer ana.Close()
	bo, err := client.Dial(ctx, "wss://"+a.Relay+"/websocket", sessions[1], nil, opts)
	if err != nil {
		t.Fatalf("bo connects over wss: %v", err)
	}
	defer bo.Close()
	storetest.Eventually(t, 15*time.Second, func() string { return "the DTLS fast path did not bind" }, func() bool { return ana.FastBound() && bo.FastBound() })
	if err := ana.Send(ctx, 3, client.ToPlayer(bo.PeerID()), []byte("fast"), false); err != nil {
		t.Fatal(err)
	}
	if m := receive(t, ctx, bo); string(m.Payload) != "fast" {
		t.Fatalf("bo got %+v", m)
	}
}

// TestBenchRelayAgainstDev runs a short bench relay against the dev stack's
// relay: every message a bot sends reaches the other players of its session.
func TestBenchRelayAgainstDev(t *testing.T) {
	a := startDev(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := bus.Connect(ctx, a.NATS, bus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, udp := range []bool{true, false} {
		res, err := benchRelay(ctx, conn, benchRelayFlags{region: defaultRegion, sessions: 2, players: 3, hz: 20, size: 32, udp: udp, duration: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if res.players != 6 || res.sent == 0 || res.delivered < res.sent || res.p50 <= 0 {
			t.Fatalf("udp=%v: %+v", udp, res)
		}
	}
}

// TestDevRestartsOnTheSameRedis runs dev --redis-url twice on one Redis: the
// second run finds the sample rule set, configuration and queue of the first,
// says it leaves them as they are, and matches on them.
func TestDevRestartsOnTheSameRedis(t *testing.T) {
	rs := redistest.Start(t)
	for i := range 2 {
		rc := redis.NewClient(&redis.Options{Addr: rs.Addr})
		var logs syncBuffer
		ctx, cancel := context.WithCancel(context.Background())
		mm := matchmakerFlags{httpAddr: "127.0.0.1:0", apiKeys: "dev:dev-secret", region: "us-east-1", accountID: "000000000000",
			queueRegions: defaultRegion, leaseTTL: 2 * time.Second, interval: 20 * time.Millisecond, placementTimeout: 5 * time.Second, drainTimeout: time.Second}
		ready := make(chan devAddrs, 1)
		done := make(chan error, 1)
		go func() {
			st := store.NewRedis(rc, store.Options{Prefix: "mp:", Retention: time.Hour})
			done <- dev(ctx, &mm, &httpFlags{}, st, devRelay{addr: "127.0.0.1:0"}, 0, true, io.Discard, slog.New(slog.NewTextHandler(&logs, nil)), ready)
		}()
		select {
		case a := <-ready:
			if i == 1 {
				for _, want := range []string{
					`msg="the sample rule set exists; left as it is" rule_set=duel`,
					`msg="the sample configuration exists; left as it is" configuration=duel`,
					`msg="the game session queue exists; left as it is" queue=default regions=[us-east-1]`,
				} {
					if !strings.Contains(logs.String(), want) {
						t.Errorf("the second run's log lacks %q:\n%s", want, logs.String())
					}
				}
			}
			matchTwo(t, a)
		case err := <-done:
			t.Fatalf("run %d: dev stopped: %v", i+1, err)
		case <-time.After(20 * time.Second):
			t.Fatalf("run %d: dev did not start within 20s", i+1)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: dev: %v", i+1, err)
		}
		rc.Close()
	}
}
