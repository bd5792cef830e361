// Package client is the Go client SDK of the Matchpoint relay: it logs in with a
// player session id over WebSocket, sends developer messages to players, groups or
// the server, and receives messages and events. It speaks docs/protocol.md with the
// Matchpoint extensions (player connect/disconnect notices, refusal reasons).
//
// With Options.UDP the client also binds the relay's fast path after the login: plain
// UDP with the connect token (-5/-6/-7), or DTLS 1.2 with the verify identity
// exchange (-14/-15) when the URL is wss://. Fast messages then travel by UDP when
// their payload fits 1200 bytes, with sequence numbers (newest wins); everything
// else uses the WebSocket. Reconnect resumes a dropped peer with its reconnect
// token; Ping measures the round-trip time.
//
// Sending is cheap: Send encodes into a reused buffer and writes one WebSocket
// message or datagram under a mutex, without allocating. Received messages go to
// Options.OnMessage (payload valid during the call, no allocation) or, without it,
// to the Messages channel (payload copied).
package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/matchpoint-dev/matchpoint/relay/protocol"
)

// Message is a developer message received from another player or the server.
type Message struct {
	OpCode int32
	// Sender is the sender's peer id, protocol.PeerServer for the server.
	Sender       int32
	TargetPlayer int32
	TargetGroup  int32
	// Payload is the developer data. Passed to Options.OnMessage it is valid only
	// during the call; on the Messages channel it is the message's own copy.
	Payload []byte
}

// EventKind says what an Event reports.
type EventKind uint8

// Event kinds.
const (
	// PlayerConnected: another player logged in (Event.PeerID).
	PlayerConnected EventKind = iota + 1
	// PlayerDisconnected: another player left (Event.PeerID).
	PlayerDisconnected
	// GroupMembership: the members of Event.Group are Event.Players.
	GroupMembership
)

// Event is a change in the session another than a message.
type Event struct {
	Kind   EventKind
	PeerID int32
	Group  int32
	// Sender, for GroupMembership, is the peer whose join, leave or request
	// the update answers, protocol.PeerServer when nobody asked (another
	// player left, or the script broadcast it): the C# SDK's
	// GroupMembershipEventArgs.Sender.
	Sender  int32
	Players []int32
}

// Options configure a Client. The zero value is usable.
type Options struct {
	// GameSessionID, when set, is sent with the WebSocket request so that the
	// relay refuses player sessions of any other game session.
	GameSessionID string
	// Dialer dials the WebSocket; nil: websocket.DefaultDialer.
	Dialer *websocket.Dialer
	// Header is sent with the WebSocket request.
	Header http.Header
	// OnMessage, when set, receives every message on the client's read
	// goroutine; the Messages channel is then unused. It must not block long.
	OnMessage func(Message)
	// OnEvent, when set, receives every event on the read goroutine; the
	// Events channel is then unused.
	OnEvent func(Event)
	// MessageBuffer is the capacity of the Messages channel. Default 1024. When
	// it is full the client stops reading until there is room.
	MessageBuffer int
	// EventBuffer is the capacity of the Events channel. Default 256. When it is
	// full, events are dropped (DroppedEvents counts them).
	EventBuffer int
	// Logger receives the client's logs. Default slog.Default().
	Logger *slog.Logger
	// UDP binds the relay's fast path after the login (DTLS when the URL is
	// wss://), so that fast messages travel by UDP. When the binding fails the
	// client stays on the WebSocket (FastBound reports it).
	UDP bool
	// RootCAs verifies the relay's certificate, for wss:// (when Dialer is nil)
	// and DTLS. Nil: the system roots for wss, and for DTLS the CA certificate
	// of the login result.
	RootCAs *x509.CertPool
}

// LoginError is a refused login: the relay's refusal code and message.
type LoginError struct {
	Refusal protocol.Refusal
	Message string
}

// Error returns the refusal name and message.
func (e *LoginError) Error() string {
	return fmt.Sprintf("relay client: login refused: %s: %s", e.Refusal, e.Message)
}

// ErrClosed is returned by operations on a closed client.
var ErrClosed = errors.New("relay client: closed")

// Client is a logged-in connection to a relay. Its methods are safe for concurrent
// use.
type Client struct {
	conn    *websocket.Conn
	url     *url.URL
	psid    string
	payload []byte
	opts    Options
	fast    *fastConn  // nil without a bound fast path
	dmu     sync.Mutex // serializes dispatch between the WebSocket and UDP readers

	pmu     sync.Mutex
	pings   map[uint32]chan struct{}
	pingSeq atomic.Uint32

	peerID   int32
	result   protocol.LoginResult
	messages chan Message
	events   chan Event
	dropped  atomic.Int64

	wmu  sync.Mutex
	wbuf []byte
	wpkt protocol.Packet

	gmu    sync.Mutex
	groups map[int32]bool

	done     chan struct{}
	closing  chan struct{} // closed by Close: unblocks a read goroutine waiting on Messages
	closeErr error
	closed   atomic.Bool
}

// Dial connects to the relay at rawURL (ws://host:port/websocket, or without the
// path), logs in with playerSessionID and connectPayload, and returns once the
// relay has answered. A refused login is a *LoginError.
func Dial(ctx context.Context, rawURL, playerSessionID string, connectPayload []byte, opts Options) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("relay client: url %q: %w", rawURL, err)
	}
	if u.Path == "" {
		u.Path = "/websocket"
	}
	if opts.GameSessionID != "" {
		q := u.Query()
		q.Set("gameSessionId", opts.GameSessionID)
		u.RawQuery = q.Encode()
	}
	if opts.Dialer == nil {
		opts.Dialer = websocket.DefaultDialer
		if opts.RootCAs != nil {
			d := *websocket.DefaultDialer
			d.TLSClientConfig = &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12}
			opts.Dialer = &d
		}
	}
	if opts.MessageBuffer <= 0 {
		opts.MessageBuffer = 1024
	}
	if opts.EventBuffer <= 0 {
		opts.EventBuffer = 256
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return dial(ctx, u, playerSessionID, connectPayload, opts, "")
}

// dial opens the WebSocket, logs in (resuming a peer when reconnectToken is set),
// binds the fast path when asked and starts the readers.
func dial(ctx context.Context, u *url.URL, playerSessionID string, connectPayload []byte, opts Options, reconnectToken string) (*Client, error) {
	conn, resp, err := opts.Dialer.DialContext(ctx, u.String(), opts.Header)
	if err != nil {
		return nil, fmt.Errorf("relay client: dial %s: %w", u.Redacted(), err)
	}
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	conn.SetReadLimit(protocol.MaxFrameSize)
	c := &Client{conn: conn, url: u, psid: playerSessionID, payload: connectPayload, opts: opts,
		groups: make(map[int32]bool), done: make(chan struct{}), closing: make(chan struct{}),
		pings:    make(map[uint32]chan struct{}),
		messages: make(chan Message, opts.MessageBuffer), events: make(chan Event, opts.EventBuffer)}
	if err := c.login(ctx, playerSessionID, connectPayload, reconnectToken); err != nil {
		conn.Close()
		return nil, err
	}
	if opts.UDP && c.result.FastPort > 0 {
		f, err := c.bindFast(ctx)
		if err != nil {
			opts.Logger.Warn("relay client: no UDP path, staying on the WebSocket", "err", err)
		} else {
			c.fast = f
		}
	}
	fastDone := make(chan struct{})
	if c.fast != nil {
		go c.fastReadLoop(fastDone)
	} else {
		close(fastDone)
	}
	go c.readLoop(fastDone)
	return c, nil
}

// Reconnect logs in again on a new WebSocket with the reconnect token of the
// last login, keeping the peer id and groups (docs/protocol.md 7.2), and returns
// the new Client; the relay closes this one's connection (4003) if it is still
// open. It works within the relay's grace period after a drop
// (LoginResult().ReconnectGraceMillis); later it fails with a *LoginError
// (protocol.RefusalReconnectFailed).
func (c *Client) Reconnect(ctx context.Context) (*Client, error) {
	nc, err := dial(ctx, c.url, c.psid, c.payload, c.opts, c.result.ReconnectToken)
	if err != nil {
		return nil, err
	}
	if c.closed.CompareAndSwap(false, true) {
		close(c.closing)
		c.conn.Close()
	}
	<-c.done
	nc.keepGroups(c)
	return nc, nil
}

// keepGroups gives c the memberships of old, the client it replaces: the relay
// kept the peer in its groups. An update c has received since its login is
// newer and stays.
func (c *Client) keepGroups(old *Client) {
	old.gmu.Lock()
	defer old.gmu.Unlock()
	c.gmu.Lock()
	defer c.gmu.Unlock()
	for g, member := range old.groups {
		if _, ok := c.groups[g]; !ok {
			c.groups[g] = member
		}
	}
}

func (c *Client) login(ctx context.Context, psid string, payload []byte, reconnectToken string) error {
	p := &c.wpkt
	p.Reset()
	p.OpCode = protocol.OpLogin
	p.TargetPlayer = protocol.PeerServer
	p.Reliable = true
	p.Payload = payload
	p.SetMessage(protocol.MessageLogin)
	p.Login = protocol.LoginCommand{PlayerSessionID: psid, ClientVersion: protocol.ClientVersionRealtime,
		ExtensionVersion: protocol.ExtensionVersion, ReconnectToken: reconnectToken}
	c.wbuf = protocol.AppendPacket(c.wbuf[:0], p)
	if d, ok := ctx.Deadline(); ok {
		c.conn.SetWriteDeadline(d)
		c.conn.SetReadDeadline(d)
		defer c.conn.SetWriteDeadline(time.Time{})
		defer c.conn.SetReadDeadline(time.Time{})
	}
	if err := c.conn.WriteMessage(websocket.BinaryMessage, c.wbuf); err != nil {
		return fmt.Errorf("relay client: send login: %w", err)
	}
	var in protocol.Packet
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("relay client: read login result: %w", err)
		}
		if err := protocol.DecodePacket(data, &in); err != nil {
			return fmt.Errorf("relay client: login result: %w", err)
		}
		if in.Message != protocol.MessageLoginResult {
			continue
		}
		if !in.LoginResult.Success {
			return &LoginError{Refusal: in.LoginResult.Refusal, Message: in.LoginResult.Message}
		}
		c.result = in.LoginResult
		c.result.CACert = append([]byte(nil), in.LoginResult.CACert...)
		c.peerID = in.LoginResult.PeerID
		return nil
	}
}

// PeerID is the client's peer id in the session.
func (c *Client) PeerID() int32 { return c.peerID }

// LoginResult is the relay's answer to the login (tokens, UDP port).
func (c *Client) LoginResult() protocol.LoginResult { return c.result }

// ToPlayer addresses one player.
func ToPlayer(peerID int32) protocol.Target {
	return protocol.Target{Kind: protocol.TargetPlayer, ID: peerID}
}

// ToGroup addresses the members of a group (the sender excluded).
func ToGroup(groupID int32) protocol.Target {
	return protocol.Target{Kind: protocol.TargetGroup, ID: groupID}
}

// ToAll addresses every other player.
func ToAll() protocol.Target { return ToGroup(protocol.GroupAllPlayers) }

// ToServer addresses the session's script (its OnMessage).
func ToServer() protocol.Target {
	return protocol.Target{Kind: protocol.TargetServer, ID: protocol.PeerServer}
}

// Send sends a developer message (opCode > 0) to target. reliable asks for the
// WebSocket; a fast message travels by UDP when the fast path is bound and the
// payload fits protocol.MaxUDPPayloadSize, over the WebSocket otherwise. It waits
// only for the local write, bounded by ctx's deadline.
func (c *Client) Send(ctx context.Context, opCode int32, target protocol.Target, payload []byte, reliable bool) error {
	if !protocol.IsDeveloperOpCode(opCode) {
		return fmt.Errorf("relay client: op code %d is not a developer op code (> 0)", opCode)
	}
	if len(payload) > protocol.MaxPayloadSize {
		return fmt.Errorf("relay client: payload of %d bytes exceeds %d", len(payload), protocol.MaxPayloadSize)
	}
	if !reliable && c.fast != nil && protocol.FitsUDP(len(payload)) {
		return c.fast.sendData(c, opCode, target, payload)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	p := &c.wpkt
	if err := fillMessage(p, c.peerID, opCode, target, payload); err != nil {
		return err
	}
	p.Reliable = true
	return c.writeLocked(ctx)
}

// fillMessage sets p to a developer message from sender to target.
func fillMessage(p *protocol.Packet, sender, opCode int32, target protocol.Target, payload []byte) error {
	p.Message = protocol.MessageNone
	p.OpCode = opCode
	p.Sender = sender
	p.TargetPlayer, p.TargetGroup = 0, 0
	switch target.Kind {
	case protocol.TargetServer:
		p.TargetPlayer = protocol.PeerServer
	case protocol.TargetPlayer:
		p.TargetPlayer = target.ID
	case protocol.TargetGroup:
		p.TargetGroup = target.ID
	default:
		return fmt.Errorf("relay client: invalid target kind %d", target.Kind)
	}
	p.Payload = payload
	return nil
}

// writeLocked encodes c.wpkt and writes it; c.wmu is held.
func (c *Client) writeLocked(ctx context.Context) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("relay client: send: %w", err)
	}
	c.wbuf = protocol.AppendPacket(c.wbuf[:0], &c.wpkt)
	c.wpkt.Payload = nil
	d, _ := ctx.Deadline()
	if err := c.conn.SetWriteDeadline(d); err != nil {
		return fmt.Errorf("relay client: send: %w", err)
	}
	if err := c.conn.WriteMessage(websocket.BinaryMessage, c.wbuf); err != nil {
		return fmt.Errorf("relay client: send: %w", err)
	}
	return nil
}

// groupCommand sends a join, leave or membership request.
func (c *Client) groupCommand(ctx context.Context, op int32, kind protocol.MessageKind, group int32) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	p := &c.wpkt
	p.Reset()
	p.OpCode = op
	p.Sender = c.peerID
	p.TargetPlayer = protocol.PeerServer
	p.Reliable = true
	p.SetMessage(kind)
	switch kind {
	case protocol.MessageJoinGroup:
		p.JoinGroup.Group = group
	case protocol.MessageLeaveGroup:
		p.LeaveGroup.Group = group
	case protocol.MessageRequestGroupMembership:
		p.RequestGroupMembership.Group = group
	}
	err := c.writeLocked(ctx)
	p.Message = protocol.MessageNone
	return err
}

// JoinGroup asks to join group (> 0). The relay (and its script) decides; the
// answer is a GroupMembership event.
func (c *Client) JoinGroup(ctx context.Context, group int32) error {
	if group <= 0 {
		return fmt.Errorf("relay client: group %d: custom groups are > 0", group)
	}
	return c.groupCommand(ctx, protocol.OpJoinGroup, protocol.MessageJoinGroup, group)
}

// LeaveGroup asks to leave group (> 0); the answer is a GroupMembership event.
func (c *Client) LeaveGroup(ctx context.Context, group int32) error {
	if group <= 0 {
		return fmt.Errorf("relay client: group %d: custom groups are > 0", group)
	}
	return c.groupCommand(ctx, protocol.OpLeaveGroup, protocol.MessageLeaveGroup, group)
}

// RequestGroupMembership asks for the members of group (> 0, or
// protocol.GroupAllPlayers); the answer is a GroupMembership event.
func (c *Client) RequestGroupMembership(ctx context.Context, group int32) error {
	if group <= 0 && group != protocol.GroupAllPlayers {
		return fmt.Errorf("relay client: group %d is neither > 0 nor -1", group)
	}
	return c.groupCommand(ctx, protocol.OpRequestGroupMembership, protocol.MessageRequestGroupMembership, group)
}

// IsInGroup reports whether the last membership update of group listed this
// client.
func (c *Client) IsInGroup(group int32) bool {
	c.gmu.Lock()
	defer c.gmu.Unlock()
	return c.groups[group]
}

// Messages delivers received messages when Options.OnMessage is nil. It is closed
// when the connection ends.
func (c *Client) Messages() <-chan Message { return c.messages }

// Events delivers events when Options.OnEvent is nil. It is closed when the
// connection ends.
func (c *Client) Events() <-chan Event { return c.events }

// DroppedEvents counts events dropped because the Events channel was full.
func (c *Client) DroppedEvents() int64 { return c.dropped.Load() }

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err is why the connection ended, after Done is closed: a *websocket.CloseError
// with the relay's close code (protocol.CloseKicked, CloseSessionEnded, ...), nil
// after Close, or the network error.
func (c *Client) Err() error {
	<-c.done
	return c.closeErr
}

// CloseCode returns the close code of the relay's close frame, or 0.
func (c *Client) CloseCode() int {
	var ce *websocket.CloseError
	if errors.As(c.Err(), &ce) {
		return ce.Code
	}
	return 0
}

// Close sends a close frame, waits up to a second for the relay's answer and
// closes the connection.
func (c *Client) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		<-c.done
		return nil
	}
	close(c.closing)
	c.wmu.Lock()
	err := c.conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(protocol.CloseNormal, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		c.conn.Close()
		<-c.done
	}
	if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
		return fmt.Errorf("relay client: close: %w", err)
	}
	return nil
}

// readLoop is the client's read goroutine; it ends when the connection does,
// after the fast reader (fastDone).
func (c *Client) readLoop(fastDone <-chan struct{}) {
	var in protocol.Packet
	buf := make([]byte, protocol.MaxFrameSize+1)
	defer func() {
		c.conn.Close()
		if c.fast != nil {
			c.fast.conn.Close()
		}
		<-fastDone
		close(c.messages)
		close(c.events)
		close(c.done)
	}()
	for {
		_, r, err := c.conn.NextReader()
		if err != nil {
			if !c.closed.Load() || !isNormalClose(err) {
				c.closeErr = err
			}
			return
		}
		n, err := readAll(r, buf)
		if err != nil {
			c.closeErr = err
			return
		}
		if err := protocol.DecodePacket(buf[:n], &in); err != nil {
			c.opts.Logger.Warn("relay client: undecodable packet", "err", err)
			continue
		}
		c.dispatch(&in)
	}
}

func isNormalClose(err error) bool {
	return websocket.IsCloseError(err, protocol.CloseNormal)
}

func readAll(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, errors.New("relay client: frame too large")
}

func (c *Client) dispatch(in *protocol.Packet) {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	switch {
	case protocol.IsDeveloperOpCode(in.OpCode):
		m := Message{OpCode: in.OpCode, Sender: in.Sender, TargetPlayer: in.TargetPlayer, TargetGroup: in.TargetGroup}
		if c.opts.OnMessage != nil {
			m.Payload = in.Payload
			c.opts.OnMessage(m)
			return
		}
		m.Payload = append([]byte(nil), in.Payload...)
		select {
		case c.messages <- m:
		case <-c.closing:
		}
	case in.Message == protocol.MessagePingResult:
		c.pmu.Lock()
		ch := c.pings[in.PingResult.ID]
		delete(c.pings, in.PingResult.ID)
		c.pmu.Unlock()
		if ch != nil {
			close(ch)
		}
	case in.Message == protocol.MessagePlayerConnect:
		c.event(Event{Kind: PlayerConnected, PeerID: in.PlayerConnect.PeerID})
	case in.Message == protocol.MessagePlayerDisconnect:
		c.event(Event{Kind: PlayerDisconnected, PeerID: in.PlayerDisconnect.PeerID})
	case in.Message == protocol.MessageGroupMembershipUpdate:
		u := in.GroupMembershipUpdate
		players := append([]int32(nil), u.Players...)
		member := false
		for _, id := range players {
			member = member || id == c.peerID
		}
		c.gmu.Lock()
		c.groups[u.Group] = member
		c.gmu.Unlock()
		c.event(Event{Kind: GroupMembership, Group: u.Group, Sender: in.Sender, Players: players})
	}
}

func (c *Client) event(e Event) {
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(e)
		return
	}
	select {
	case c.events <- e:
	default:
		c.dropped.Add(1)
	}
}
