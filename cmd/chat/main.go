// Command chat is Matchpoint's sample game client: a player who joins the game
// session a match was placed in and talks with the other players there, with the
// Go client of the relay (relay/client).
//
// With --ticket it reads the player's matchmaking ticket from the REST API
// (GET /v1/tickets/{id}), waits until the ticket is COMPLETED and takes the
// relay's address and the player session id from the ticket's
// GameSessionConnectionInfo:
//
//	go run ./cmd/chat --ticket ana
//
// Without --ticket the same fields come from flags named after them, copied from
// a COMPLETED ticket:
//
//	go run ./cmd/chat --ip-address 127.0.0.1 --port 7000 --player-session-id psess-...
//
// It connects with the player session id, prints its peer id and every other
// player present or joining, sends its message to each of them once, prints every
// message it receives with the sender's peer id, and stops after --for or on
// Ctrl-C.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/matchpoint-dev/matchpoint/relay/client"
	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// opChat is the developer op code of a chat message.
const opChat = 1

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ue):
		os.Exit(2) // the flag package has said why
	case err != nil:
		fmt.Fprintln(os.Stderr, "chat:", err)
		os.Exit(1)
	}
}

// usageError is a command line the flag package refused and explained.
type usageError struct{ error }

// options are the command's flags.
type options struct {
	url             string
	ipAddress       string
	port            int
	playerSessionID string
	gameSessionArn  string
	ticket          string
	api             string
	apiKey          string
	player          string
	message         string
	duration        time.Duration
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("chat", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: chat --ticket TICKET_ID [flags]
       chat --player-session-id ID [--ip-address IP --port PORT] [flags]

Join the game session of a COMPLETED matchmaking ticket and talk with the other players.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.url, "url", "ws://127.0.0.1:7000/websocket", "the relay's WebSocket URL; --ip-address and --port (or the ticket's) replace its host and port")
	fs.StringVar(&o.ipAddress, "ip-address", "", "the relay's address: the ticket's GameSessionConnectionInfo.IpAddress")
	fs.IntVar(&o.port, "port", 0, "the relay's port: the ticket's GameSessionConnectionInfo.Port")
	fs.StringVar(&o.playerSessionID, "player-session-id", "", "the player's session id: the ticket's GameSessionConnectionInfo.MatchedPlayerSessions[].PlayerSessionId")
	fs.StringVar(&o.gameSessionArn, "game-session-arn", "", "optional: the ticket's GameSessionConnectionInfo.GameSessionArn; the relay then refuses a player session of another game session")
	fs.StringVar(&o.ticket, "ticket", "", "read the connection info from this matchmaking ticket through the REST API, once it is COMPLETED")
	fs.StringVar(&o.api, "api", "http://127.0.0.1:8080", "with --ticket, the matchmaker's API")
	fs.StringVar(&o.apiKey, "api-key", "dev-secret", "with --ticket, the API key's secret")
	fs.StringVar(&o.player, "player", "", "with --ticket, which of the ticket's players this is (default: its first player)")
	fs.StringVar(&o.message, "message", "", `the message to send to each other player (default "hello from PLAYER")`)
	fs.DurationVar(&o.duration, "for", 30*time.Second, "stop after this long (waiting for the ticket included)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, err
		}
		return o, usageError{err}
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.ticket == "" && o.playerSessionID == "":
		fs.Usage()
		return o, errors.New("give --ticket or --player-session-id")
	case o.ticket != "" && o.playerSessionID != "":
		return o, errors.New("give --ticket or --player-session-id, not both")
	case o.duration <= 0:
		return o, fmt.Errorf("--for %s: must be positive", o.duration)
	}
	return o, nil
}

// run is the command: it parses args, and writes what happens to stdout and
// the usage to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	player := ""
	if o.ticket != "" {
		if player, err = fromTicket(ctx, &o, stdout); err != nil {
			return stopped(ctx, err, o.duration)
		}
	}
	relayURL, err := o.relayURL()
	if err != nil {
		return err
	}
	// Messages and events reach the loop below through one channel, in the
	// order the relay sent them. stop releases the client's read goroutine
	// once the loop has ended.
	incoming := make(chan any, 256)
	stop := make(chan struct{})
	deliver := func(v any) {
		select {
		case incoming <- v:
		case <-stop:
		}
	}
	c, err := client.Dial(ctx, relayURL, o.playerSessionID, nil, client.Options{
		GameSessionID: o.gameSessionArn,
		OnMessage: func(m client.Message) {
			m.Payload = append([]byte(nil), m.Payload...)
			deliver(m)
		},
		OnEvent: func(e client.Event) { deliver(e) },
		Logger:  slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return stopped(ctx, err, o.duration)
	}
	defer c.Close()
	defer close(stop)
	if player == "" {
		player = "peer " + strconv.Itoa(int(c.PeerID()))
	}
	message := o.message
	if message == "" {
		message = "hello from " + player
	}
	fmt.Fprintf(stdout, "connected to %s as peer %d\n", relayURL, c.PeerID())
	return chat(ctx, c, incoming, message, stdout)
}

// stopped is err, unless ctx ended: nothing after Ctrl-C, or that --for has
// passed.
func stopped(ctx context.Context, err error, d time.Duration) error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("not connected within --for %s: %w", d, err)
	case ctx.Err() != nil:
		return nil
	}
	return err
}

// chat greets every other player once and prints the messages and events of
// incoming until ctx ends or the relay closes the connection.
func chat(ctx context.Context, c *client.Client, incoming <-chan any, message string, stdout io.Writer) error {
	r := &room{ctx: ctx, c: c, message: []byte(message), stdout: stdout, greeted: map[int32]bool{c.PeerID(): true}}
	// The players already here: the relay answers with the all-players group.
	// Those who connect later arrive as PlayerConnected events.
	if err := c.RequestGroupMembership(ctx, protocol.GroupAllPlayers); err != nil {
		return err
	}
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-c.Done():
			if err := c.Err(); err != nil {
				return fmt.Errorf("the relay closed the connection: %w", err)
			}
			return nil
		case v := <-incoming:
			switch v := v.(type) {
			case client.Message:
				err = r.received(v)
			case client.Event:
				err = r.event(v)
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// room is what chat knows of the game session: the players it has greeted.
type room struct {
	ctx     context.Context
	c       *client.Client
	message []byte
	stdout  io.Writer
	greeted map[int32]bool
}

// greet sends the message to peer, once.
func (r *room) greet(peer int32) error {
	if r.greeted[peer] {
		return nil
	}
	r.greeted[peer] = true
	if err := r.c.Send(r.ctx, opChat, client.ToPlayer(peer), r.message, true); err != nil {
		return err
	}
	fmt.Fprintf(r.stdout, "sent to peer %d: %s\n", peer, r.message)
	return nil
}

// present notes a player who was there before chat heard of it, and greets it.
func (r *room) present(peer int32) error {
	if r.greeted[peer] {
		return nil
	}
	fmt.Fprintf(r.stdout, "peer %d is here\n", peer)
	return r.greet(peer)
}

// received prints m. A player's message can arrive before the relay's list of
// the players present: its sender is present then.
func (r *room) received(m client.Message) error {
	if m.Sender == protocol.PeerServer {
		fmt.Fprintf(r.stdout, "server: %s\n", m.Payload)
		return nil
	}
	err := r.present(m.Sender)
	fmt.Fprintf(r.stdout, "peer %d: %s\n", m.Sender, m.Payload)
	return err
}

// event prints e and greets the players it shows for the first time.
func (r *room) event(e client.Event) error {
	switch e.Kind {
	case client.PlayerConnected:
		fmt.Fprintf(r.stdout, "peer %d joined\n", e.PeerID)
		return r.greet(e.PeerID)
	case client.PlayerDisconnected:
		fmt.Fprintf(r.stdout, "peer %d left\n", e.PeerID)
	case client.GroupMembership:
		for _, p := range e.Players {
			if err := r.present(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// relayURL is --url with the host and port of --ip-address and --port.
func (o *options) relayURL() (string, error) {
	u, err := url.Parse(o.url)
	if err != nil {
		return "", fmt.Errorf("--url: %w", err)
	}
	host, port := u.Hostname(), u.Port()
	if o.ipAddress != "" {
		host = o.ipAddress
	}
	if o.port != 0 {
		port = strconv.Itoa(o.port)
	}
	u.Host = host
	if port != "" {
		u.Host = net.JoinHostPort(host, port)
	}
	return u.String(), nil
}

// ticket is what chat reads of a matchmaking ticket (GET /v1/tickets/{id}).
type ticket struct {
	TicketId                  string
	Status                    string
	StatusReason              string
	StatusMessage             string
	Players                   []struct{ PlayerId string }
	GameSessionConnectionInfo *struct {
		GameSessionArn        string
		IpAddress             string
		Port                  int
		MatchedPlayerSessions []struct{ PlayerId, PlayerSessionId string }
	}
}

// fromTicket waits until o.ticket is COMPLETED, sets o's connection flags from
// its connection info and returns the player's id.
func fromTicket(ctx context.Context, o *options, stdout io.Writer) (string, error) {
	last := ""
	for {
		t, err := getTicket(ctx, o.api, o.apiKey, o.ticket)
		if err != nil {
			return "", err
		}
		if t.Status != last {
			fmt.Fprintf(stdout, "ticket %s: %s\n", o.ticket, t.Status)
			last = t.Status
		}
		switch t.Status {
		case "COMPLETED":
			return connectionOf(t, o)
		case "FAILED", "CANCELLED", "TIMED_OUT":
			return "", fmt.Errorf("ticket %s is %s: %s %s", o.ticket, t.Status, t.StatusReason, t.StatusMessage)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("ticket %s is still %s", o.ticket, t.Status)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// connectionOf sets o's connection flags from the COMPLETED ticket t for the
// player o.player (the ticket's first player when empty) and returns the
// player's id.
func connectionOf(t ticket, o *options) (string, error) {
	ci := t.GameSessionConnectionInfo
	if ci == nil || len(ci.MatchedPlayerSessions) == 0 {
		return "", fmt.Errorf("ticket %s is COMPLETED without connection info", t.TicketId)
	}
	player := o.player
	if player == "" && len(t.Players) > 0 {
		player = t.Players[0].PlayerId
	}
	for _, s := range ci.MatchedPlayerSessions {
		if s.PlayerId == player {
			o.ipAddress, o.port, o.playerSessionID, o.gameSessionArn = ci.IpAddress, ci.Port, s.PlayerSessionId, ci.GameSessionArn
			return player, nil
		}
	}
	return "", fmt.Errorf("ticket %s has no player session for player %q", t.TicketId, player)
}

func getTicket(ctx context.Context, api, key, id string) (ticket, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"/v1/tickets/"+url.PathEscape(id), nil)
	if err != nil {
		return ticket{}, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ticket{}, fmt.Errorf("ticket %s: %w", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return ticket{}, fmt.Errorf("ticket %s: %w", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		return ticket{}, fmt.Errorf("ticket %s: HTTP %d: %s", id, resp.StatusCode, body)
	}
	var out struct{ MatchmakingTicket ticket }
	if err := json.Unmarshal(body, &out); err != nil {
		return ticket{}, fmt.Errorf("ticket %s: %w", id, err)
	}
	return out.MatchmakingTicket, nil
}
