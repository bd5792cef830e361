package api

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

type sseMessage struct {
	id    uint64
	event string
	data  string
}

// sseClient reads one event stream.
type sseClient struct {
	t      *testing.T
	cancel context.CancelFunc
	msgs   chan sseMessage
	beats  chan struct{}
}

func (s *server) stream(t *testing.T, path, lastID string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+keySecret)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("stream %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{t: t, cancel: cancel, msgs: make(chan sseMessage, 100), beats: make(chan struct{}, 100)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var m sseMessage
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if m.event != "" {
					c.msgs <- m
				}
				m = sseMessage{}
			case strings.HasPrefix(line, ": heartbeat"):
				select {
				case c.beats <- struct{}{}:
				default:
				}
			case strings.HasPrefix(line, "id: "):
				m.id, _ = strconv.ParseUint(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				m.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				m.data = line[6:]
			}
		}
	}()
	t.Cleanup(cancel)
	return c
}

func (c *sseClient) next() sseMessage {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case <-time.After(5 * time.Second):
		c.t.Fatal("no event within 5s")
		return sseMessage{}
	}
}

func (c *sseClient) expect(ids ...uint64) []sseMessage {
	c.t.Helper()
	var out []sseMessage
	for _, id := range ids {
		m := c.next()
		if m.id != id {
			c.t.Fatalf("event id %d (%s), want %d", m.id, m.event, id)
		}
		out = append(out, m)
	}
	return out
}

func (s *server) startTicket(t *testing.T, id, player string) {
	t.Helper()
	s.must(t, "POST", "/v1/tickets", `{"ConfigurationName":"c","TicketId":"`+id+`","Players":[{"PlayerId":"`+player+`"}]}`, 201)
}

// TestSSEResume disconnects a stream, lets events happen, and reconnects
// with Last-Event-ID: every missed event arrives, in order, then live ones.
func TestSSEResume(t *testing.T) {
	s := newServer(t, nil, WithHeartbeat(50*time.Millisecond), WithPollInterval(20*time.Millisecond))
	s.setup(t)
	c := s.stream(t, "/v1/events?configuration=c", "")
	s.startTicket(t, "t1", "p1")
	s.startTicket(t, "t2", "p2")
	s.startTicket(t, "t3", "p3")
	ms := c.expect(1, 2, 3)
	if ms[0].event != matchmaker.EventMatchmakingSearching || !strings.Contains(ms[0].data, `"ticketId":"t1"`) {
		t.Fatalf("first event %+v", ms[0])
	}
	select {
	case <-c.beats:
	case <-time.After(5 * time.Second):
		t.Fatal("no heartbeat")
	}
	c.cancel()

	s.startTicket(t, "t4", "p4")
	s.must(t, "DELETE", "/v1/tickets/t1", "", 204)
	s.startTicket(t, "t5", "p5")

	c2 := s.stream(t, "/v1/events?configuration=c", "3")
	ms = c2.expect(4, 5, 6)
	if ms[1].event != matchmaker.EventMatchmakingCancelled {
		t.Fatalf("event 5 %+v", ms[1])
	}
	s.startTicket(t, "t6", "p6")
	c2.expect(7)

	// ?after= works like Last-Event-ID.
	s.stream(t, "/v1/events?configuration=c&after=6", "").expect(7)

	// Per ticket: only t1's events, with their configuration sequence numbers.
	tc := s.stream(t, "/v1/tickets/t1/events", "")
	ms = tc.expect(1, 5)
	if ms[1].event != matchmaker.EventMatchmakingCancelled {
		t.Fatalf("t1 events %+v", ms)
	}

	// Events appended by another process (another Service on the same
	// store) arrive through the poll.
	other, err := matchmaker.New(matchmaker.Options{Store: s.st, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.StopMatchmaking(t.Context(), &matchmaker.StopMatchmakingInput{TicketId: "t2"}); err != nil {
		t.Fatal(err)
	}
	c2.expect(8)

	for path, want := range map[string]int{
		"/v1/events":                         400,
		"/v1/events?configuration=nope":      404,
		"/v1/events?configuration=c&after=x": 400,
		"/v1/tickets/nope/events":            404,
	} {
		if status, b := s.do(t, "GET", path, ""); status != want {
			t.Fatalf("%s: %d %s, want %d", path, status, b, want)
		}
	}
}

// TestSSETrimmed reports events that left the log before the client came
// back, then streams the rest.
func TestSSETrimmed(t *testing.T) {
	st := store.NewMemory(store.Options{MaxEvents: 2})
	s := newServer(t, st, WithPollInterval(20*time.Millisecond))
	s.setup(t)
	for i := range 4 {
		s.startTicket(t, "t"+strconv.Itoa(i), "p"+strconv.Itoa(i))
	}
	s.stream(t, "/v1/events?configuration=c", "1").expect(3, 4)
}

// TestSSEOutlivesServerTimeouts streams from a server whose read and write
// timeouts are shorter than the stream: heartbeats go on past them and a new
// event still arrives.
func TestSSEOutlivesServerTimeouts(t *testing.T) {
	svc, err := matchmaker.New(matchmaker.Options{Store: store.NewMemory(store.Options{}), Logger: quiet(), Region: "us-east-1", AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	const timeout = 100 * time.Millisecond
	srv := httptest.NewUnstartedServer(New(svc, map[string]string{keyID: keySecret}, quiet(), WithHeartbeat(timeout/4), WithPollInterval(20*time.Millisecond)))
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = timeout, timeout
	srv.Start()
	t.Cleanup(srv.Close)
	s := &server{Server: srv, svc: svc}
	s.setup(t)
	c := s.stream(t, "/v1/events?configuration=c", "")
	// Twelve heartbeats at a quarter of the timeout each: the timeouts have
	// passed three times over.
	for i := range 12 {
		select {
		case <-c.beats:
		case <-time.After(5 * time.Second):
			t.Fatalf("the stream stopped after %d heartbeats", i)
		}
	}
	s.startTicket(t, "t1", "p1")
	c.expect(1)
}
