// Command relayfixture runs a real Matchpoint relay for the end-to-end tests of the
// JavaScript SDK (relay/client/js/test/e2e.test.js): an embedded NATS server, one relay on a
// free loopback port whose sessions run an echo script, and one placement. It prints
// one JSON line, {"url": ..., "playerSessionIds": [...]}, then serves until its
// standard input closes or it receives SIGINT or SIGTERM.
//
// With -tls the relay serves wss (and DTLS) with a development certificate for
// 127.0.0.1 and localhost (relay.DevCertificate): the url is then wss://... and the
// line also carries "caPem", the PEM CA certificate that clients must trust.
//
// The echo script answers every message sent to the server (target player -1) with
// a message of the same op code from the server to the sender, whose payload is
// "echo:" followed by the original payload.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/embedded"
	"github.com/matchpoint-dev/matchpoint/relay"
)

const region = "sdk-js-test"

func main() {
	players := flag.Int("players", 3, "players in the placement")
	useTLS := flag.Bool("tls", false, "serve wss and DTLS with a generated development certificate")
	flag.Parse()
	if err := run(*players, *useTLS); err != nil {
		fmt.Fprintln(os.Stderr, "relayfixture:", err)
		os.Exit(1)
	}
}

// ready is the line printed once the relay serves the placement's players.
type ready struct {
	URL              string   `json:"url"`
	PlayerSessionIDs []string `json:"playerSessionIds"`
	// CAPEM is the CA certificate of the relay's development certificate, with -tls.
	CAPEM string `json:"caPem,omitempty"`
}

func run(players int, useTLS bool) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	nats, err := embedded.Run(ctx, embedded.Options{})
	if err != nil {
		return err
	}
	defer nats.Shutdown()
	conn, err := bus.Connect(ctx, nats.URL(), bus.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer conn.Close()
	opts := relay.Options{Region: region, ListenAddr: "127.0.0.1:0", Logger: logger,
		DrainTimeout:  100 * time.Millisecond,
		ScriptFactory: func(relay.GameSessionInfo) (relay.Script, error) { return echoScript{}, nil }}
	scheme := "ws"
	if useTLS {
		if opts.TLS, opts.CACertPEM, err = relay.DevCertificate("127.0.0.1", "localhost"); err != nil {
			return err
		}
		scheme = "wss"
	}
	srv, err := relay.New(conn, opts)
	if err != nil {
		return err
	}
	runErr := make(chan error, 1)
	go func() { runErr <- srv.Run(ctx) }()

	reply, err := place(ctx, conn, players)
	if err != nil {
		return err
	}
	line := ready{
		URL:   fmt.Sprintf("%s://%s:%d/websocket", scheme, reply.Endpoint.IPAddress, reply.Endpoint.TCPPort),
		CAPEM: string(opts.CACertPEM),
	}
	for _, ps := range reply.PlayerSessions {
		line.PlayerSessionIDs = append(line.PlayerSessionIDs, ps.PlayerSessionID)
	}
	if err := json.NewEncoder(os.Stdout).Encode(line); err != nil {
		return err
	}

	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	case err := <-runErr:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// place requests a placement of players players, retrying while the relay is still
// subscribing to placements.
func place(ctx context.Context, conn *bus.Conn, players int) (bus.PlacementReply, error) {
	req := bus.PlacementRequest{MatchID: "sdk-js-e2e", Configuration: "sdk-js", Region: region, MaxPlayers: players}
	for i := range players {
		req.Players = append(req.Players, bus.Player{PlayerID: fmt.Sprintf("player-%d", i+1)})
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		req.Deadline = time.Now().Add(5 * time.Second)
		reply, err := conn.RequestPlacement(ctx, req)
		if err == nil {
			return reply, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return bus.PlacementReply{}, fmt.Errorf("placement: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// echoScript allows everything and echoes the messages sent to the server.
type echoScript struct{}

func (echoScript) OnStartGameSession(relay.Session)                         {}
func (echoScript) OnPlayerConnect(relay.Session, relay.Player, []byte) bool { return true }
func (echoScript) OnPlayerAccepted(relay.Session, relay.Player)             {}
func (echoScript) OnPlayerDisconnect(relay.Session, int32)                  {}
func (echoScript) OnPlayerJoinGroup(relay.Session, int32, int32) bool       { return true }
func (echoScript) OnPlayerLeaveGroup(relay.Session, int32, int32) bool      { return true }
func (echoScript) OnSendToPlayer(relay.Session, relay.Message) bool         { return true }
func (echoScript) OnSendToGroup(relay.Session, relay.Message) bool          { return true }
func (echoScript) OnHealthCheck(relay.Session) bool                         { return true }
func (echoScript) OnProcessTerminate(relay.Session)                         {}

// OnMessage answers m to its sender with the same op code and "echo:" + payload.
func (echoScript) OnMessage(s relay.Session, m relay.Message) {
	payload := append([]byte("echo:"), m.Payload...)
	if err := s.SendReliableMessage(relay.NewMessage(m.OpCode, s.GetServerID(), payload), m.Sender); err != nil {
		s.Logger().Warn("echo", "err", err)
	}
}
