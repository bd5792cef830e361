package matchmaker

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/relay"
	"github.com/matchpoint-dev/matchpoint/relay/client"
)

func TestParseGameSessionArn(t *testing.T) {
	gs, err := ParseGameSessionArn("arn:aws:gamelift:eu-west-1::gamesession/relay-1/gsess-abc")
	if err != nil {
		t.Fatal(err)
	}
	if gs.Region != "eu-west-1" || gs.RelayID != "relay-1" || gs.GameSessionID != "gsess-abc" {
		t.Fatalf("parsed %+v", gs)
	}
	if _, err := ParseGameSessionArn("arn:aws:gamelift:us-west-2:123456789012:gamesession/fleet-1/gsess-1"); err != nil {
		t.Fatalf("an account id is allowed: %v", err)
	}
	for _, bad := range []string{
		"",
		"gsess-1",
		"arn:aws:gamelift:::gamesession/relay-1/gsess-1",
		"arn:aws:gamelift:eu-west-1::gamesession/relay-1",
		"arn:aws:gamelift:eu-west-1::gamesession//gsess-1",
		"arn:aws:gamelift:eu-west-1::gamesession/relay-1/gsess-1/x",
		"arn:aws:gamelift:eu-west-1::gamesessionqueue/default",
		"arn:aws:s3:eu-west-1::gamesession/relay-1/gsess-1",
	} {
		if _, err := ParseGameSessionArn(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// backfillEnv is a matchmaker (service, memory store, worker, backfill
// server) and a real relay on one embedded NATS server.
type backfillEnv struct {
	*formEnv
	relay  *relay.Server
	url    string
	mmConn *bus.Conn
}

func newBackfillEnv(t *testing.T, backfillMode string) *backfillEnv {
	t.Helper()
	return newBackfillEnvRules(t, backfillMode, duelRules)
}

// newBackfillEnvRules is newBackfillEnv with the rule set body of the
// configuration "duel".
func newBackfillEnvRules(t *testing.T, backfillMode, ruleSet string, props ...store.GameProperty) *backfillEnv {
	t.Helper()
	nats := bustest.RunServer(t)
	mmConn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	relayConn := bustest.Connect(t, nats, bus.Options{Logger: quiet})
	rl, err := relay.New(relayConn, relay.Options{RelayID: "relay-1", Region: "local", ListenAddr: "127.0.0.1:0",
		HeartbeatInterval: 100 * time.Millisecond, EmptySessionTimeout: 200 * time.Millisecond, DrainTimeout: 100 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rctx, rcancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- rl.Run(rctx) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rl.Shutdown(sctx); err != nil {
			t.Errorf("relay shutdown: %v", err)
		}
		if err := <-runErr; err != nil {
			t.Errorf("relay run: %v", err)
		}
		rcancel()
	})
	waitHeartbeat(t, mmConn)

	st := store.NewMemory(store.Options{})
	svc, err := New(Options{Store: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	ctx := context.Background()
	if _, err := svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "duel", RuleSetBody: ruleSet}); err != nil {
		t.Fatal(err)
	}
	timeout, mode, acceptance := 60, ModeWithQueue, false
	if _, err := svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "duel", RuleSetName: "duel",
		RequestTimeoutSeconds: &timeout, AcceptanceRequired: &acceptance, FlexMatchMode: &mode, BackfillMode: &backfillMode,
		GameProperties: props}); err != nil {
		t.Fatal(err)
	}
	w, _ := runWorker(t, formerOptions{Store: st, Service: svc, Placer: &BusPlacer{Conn: mmConn}, Regions: []string{"local"}, PlacementTimeout: 5 * time.Second})
	bs := &backfillServer{Conn: mmConn, Service: svc, Store: st, former: w, Logger: quiet}
	stop, err := bs.Serve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return &backfillEnv{formEnv: &formEnv{t: t, store: st, svc: svc}, relay: rl, url: "ws://" + rl.Addr().String() + "/websocket", mmConn: mmConn}
}

// waitHeartbeat waits for a relay's first heartbeat: it serves placements.
func waitHeartbeat(t *testing.T, c *bus.Conn) {
	t.Helper()
	got := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := c.SubscribeHeartbeats(ctx, "", func(bus.Heartbeat) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the relay sent no heartbeat within 10s")
	}
}

// dial connects the player of a COMPLETED ticket to the relay.
func (e *backfillEnv) dial(tk store.Ticket) *client.Client {
	e.t.Helper()
	ci := tk.GameSessionConnectionInfo
	if ci == nil || len(ci.MatchedPlayerSessions) != 1 || ci.MatchedPlayerSessions[0].PlayerSessionId == "" {
		e.t.Fatalf("ticket %s: connection info %+v", tk.TicketId, ci)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, e.url, ci.MatchedPlayerSessions[0].PlayerSessionId, nil, client.Options{Logger: quiet})
	if err != nil {
		e.t.Fatalf("ticket %s: connect: %v", tk.TicketId, err)
	}
	e.t.Cleanup(func() { c.Close() })
	return c
}

// exchange sends a message from one client to another and waits for it. It
// sends again every 250ms: the relay enqueues a player's LoginResult before
// it adds the player to the routing snapshot, so a message sent to a peer
// that has only just logged in may find no recipient.
func exchange(t *testing.T, from, to *client.Client, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resend := time.NewTicker(250 * time.Millisecond)
	defer resend.Stop()
	for {
		if err := from.Send(ctx, 1, client.ToPlayer(to.PeerID()), []byte(text), true); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-to.Messages():
			if string(m.Payload) == text && m.Sender == from.PeerID() {
				return
			}
		case <-resend.C:
		case <-ctx.Done():
			t.Fatalf("peer %d did not receive %q from peer %d", to.PeerID(), text, from.PeerID())
		}
	}
}

// leave closes c and waits until the relay has taken its player out of the
// session, so that a backfill asked for next finds the seat free (the relay
// refuses a backfill placement into a session it still counts full).
func (e *backfillEnv) leave(c *client.Client) {
	e.t.Helper()
	before := e.relay.Stats().Players
	c.Close()
	if !waitFor(e.t, 10*time.Second, func() bool { return e.relay.Stats().Players < before }) {
		e.t.Fatalf("the relay still counts %d players 10s after one left", before)
	}
}

// startMatch matches t1 and t2 and connects both players.
func (e *backfillEnv) startMatch() (a, b store.Ticket, ca, cb *client.Client) {
	e.t.Helper()
	e.start("t1", 1000)
	e.start("t2", 1000)
	a, b = e.waitStatus("t1", store.StatusCompleted), e.waitStatus("t2", store.StatusCompleted)
	ca, cb = e.dial(a), e.dial(b)
	exchange(e.t, ca, cb, "hello")
	return a, b, ca, cb
}

// joinBackfill starts t3, waits for it to be placed in the session of a, and
// checks that its player talks with a's on the same relay.
func (e *backfillEnv) joinBackfill(a store.Ticket, ca *client.Client) store.Ticket {
	e.t.Helper()
	e.start("t3", 1020)
	c := e.waitStatus("t3", store.StatusCompleted)
	ci := c.GameSessionConnectionInfo
	if ci.GameSessionArn != a.GameSessionConnectionInfo.GameSessionArn || ci.Port != a.GameSessionConnectionInfo.Port {
		e.t.Fatalf("t3 is in %s port %d, want the running session %s port %d", ci.GameSessionArn, ci.Port,
			a.GameSessionConnectionInfo.GameSessionArn, a.GameSessionConnectionInfo.Port)
	}
	if c.Players[0].Team == a.Players[0].Team {
		e.t.Fatalf("t3 joined team %q, the team that still has its player", c.Players[0].Team)
	}
	cc := e.dial(c)
	exchange(e.t, cc, ca, "hi from the backfill")
	exchange(e.t, ca, cc, "welcome")
	return c
}

// TestManualBackfillJoinsRunningSession: StartMatchBackfill with the session's
// ARN and its remaining player places the new player in that session, on
// the relay that hosts it, and completes the backfill ticket.
func TestManualBackfillJoinsRunningSession(t *testing.T) {
	e := newBackfillEnv(t, BackfillManual)
	a, _, ca, cb := e.startMatch()
	e.leave(cb)
	_, err := e.svc.StartMatchBackfill(context.Background(), &StartMatchBackfillInput{TicketId: "bf-1", ConfigurationName: "duel",
		GameSessionArn: a.GameSessionConnectionInfo.GameSessionArn, Players: []store.Player{a.Players[0]}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.joinBackfill(a, ca)
	bf := e.waitStatus("bf-1", store.StatusCompleted)
	if bf.MatchId != c.MatchId {
		t.Fatalf("backfill ticket in match %q, new ticket in %q", bf.MatchId, c.MatchId)
	}
	if ci := bf.GameSessionConnectionInfo; ci == nil || ci.GameSessionArn != a.GameSessionConnectionInfo.GameSessionArn || len(ci.MatchedPlayerSessions) != 0 {
		t.Fatalf("backfill ticket connection info %+v", ci)
	}
}

// TestAutomaticBackfillFromRelayRequest: a backfill request on the bus, as a
// relay sends it when a player leaves an AUTOMATIC session, becomes a
// backfill ticket, and the next matching player joins the session.
func TestAutomaticBackfillFromRelayRequest(t *testing.T) {
	e := newBackfillEnv(t, BackfillAuto)
	a, _, ca, cb := e.startMatch()
	e.leave(cb)
	gs, err := ParseGameSessionArn(a.GameSessionConnectionInfo.GameSessionArn)
	if err != nil {
		t.Fatal(err)
	}
	skill := a.Players[0].PlayerAttributes["skill"]
	req := bus.BackfillRequest{RequestID: "bf-auto-1", Configuration: "duel", GameSessionID: gs.GameSessionID, GameSessionARN: gs.Arn,
		Region: gs.Region, RelayID: gs.RelayID, Players: []bus.Player{{PlayerID: a.Players[0].PlayerId, Team: a.Players[0].Team,
			Attributes: []byte(`{"skill":{"N":` + strconv.FormatFloat(*skill.N, 'g', -1, 64) + `}}`), LatencyInMs: map[string]int{"local": 5}}}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := e.mmConn.RequestBackfill(ctx, req)
	if err != nil || reply.TicketID != "bf-auto-1" {
		t.Fatalf("backfill request: %+v %v", reply, err)
	}
	again, err := e.mmConn.RequestBackfill(ctx, req)
	if err != nil || again.TicketID != "bf-auto-1" {
		t.Fatalf("a repeated backfill request must answer the same ticket: %+v %v", again, err)
	}
	bf, err := e.store.GetTicket(ctx, "bf-auto-1")
	if err != nil || !bf.Backfill || bf.BackfillGameSessionArn != gs.Arn || bf.Players[0].LatencyInMs["local"] != 5 {
		t.Fatalf("backfill ticket %+v %v", bf, err)
	}
	e.joinBackfill(a, ca)
	// The relay itself may also have asked for this backfill (a player left
	// an AUTOMATIC session): then its ticket replaced this one.
	if !waitFor(t, 10*time.Second, func() bool {
		bf, err = e.store.GetTicket(ctx, "bf-auto-1")
		return err == nil && (bf.Status == store.StatusCompleted || bf.Status == store.StatusCancelled)
	}) {
		t.Fatalf("backfill ticket is %s, want COMPLETED (or CANCELLED, replaced by the relay's own request)", bf.Status)
	}
}

// TestBackfillServerRefusals: unknown configurations, MANUAL ones and
// invalid players are refused with a code the relay can act on.
func TestBackfillServerRefusals(t *testing.T) {
	e := newBackfillEnv(t, BackfillManual)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	arn := "arn:aws:gamelift:local::gamesession/relay-1/gsess-x"
	base := bus.BackfillRequest{RequestID: "bf-1", Configuration: "duel", GameSessionID: "gsess-x", GameSessionARN: arn,
		Region: "local", RelayID: "relay-1", Players: []bus.Player{{PlayerID: "p", Team: "a"}}}
	for name, tc := range map[string]struct {
		mod  func(*bus.BackfillRequest)
		code bus.ErrorCode
	}{
		"manual configuration":  {func(*bus.BackfillRequest) {}, bus.CodeInvalid},
		"unknown configuration": {func(r *bus.BackfillRequest) { r.Configuration = "nope" }, bus.CodeInvalid},
	} {
		req := base
		tc.mod(&req)
		_, err := e.mmConn.RequestBackfill(ctx, req)
		var re *bus.ReplyError
		if !errors.As(err, &re) || re.Code != tc.code {
			t.Errorf("%s: want %s, got %v", name, tc.code, err)
		}
	}
	auto := BackfillAuto
	if _, err := e.svc.UpdateMatchmakingConfiguration(ctx, &UpdateMatchmakingConfigurationInput{Name: "duel", BackfillMode: &auto}); err != nil {
		t.Fatal(err)
	}
	bad := base
	bad.Players = []bus.Player{{PlayerID: "p", Team: "nobody"}}
	var re *bus.ReplyError
	if _, err := e.mmConn.RequestBackfill(ctx, bad); !errors.As(err, &re) || re.Code != bus.CodeInvalid || !strings.Contains(re.Message, "Team") {
		t.Errorf("unknown team: want INVALID naming the team, got %v", err)
	}
	e.start("bf-2", 1000)
	taken := base
	taken.RequestID = "bf-2"
	if _, err := e.mmConn.RequestBackfill(ctx, taken); !errors.As(err, &re) || re.Code != bus.CodeConflict {
		t.Errorf("a request id that is another ticket's: want CONFLICT, got %v", err)
	}
	if reply, err := e.mmConn.RequestBackfill(ctx, base); err != nil || reply.TicketID != "bf-1" {
		t.Errorf("valid request: %+v %v", reply, err)
	}
}

// TestBackfillIntoGoneRelayFails: a backfill whose session's relay is gone
// fails its tickets with a reason instead of leaving them PLACING.
func TestBackfillIntoGoneRelayFails(t *testing.T) {
	e := newBackfillEnv(t, BackfillManual)
	_, err := e.svc.StartMatchBackfill(context.Background(), &StartMatchBackfillInput{TicketId: "bf-1", ConfigurationName: "duel",
		GameSessionArn: "arn:aws:gamelift:local::gamesession/relay-gone/gsess-1", Players: []store.Player{{PlayerId: "p", Team: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	e.start("t3", 1000)
	tk := e.waitStatus("t3", store.StatusFailed)
	if tk.StatusMessage != messageFailed {
		t.Fatalf("status message %q, want FlexMatch's", tk.StatusMessage)
	}
	e.waitStatus("bf-1", store.StatusFailed)
	raw, err := e.store.EventsAfter(context.Background(), "duel", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	named := false
	for _, r := range raw {
		ev, err := DecodeEvent(r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		named = named || ev.Detail.Type == EventMatchmakingFailed && strings.Contains(ev.Detail.PlacementError, "relay-gone")
	}
	if !named {
		t.Fatal("no MatchmakingFailed names the gone relay in placementError")
	}
}

// TestBackfillOfEndedSessionIsCancelled: a backfill ticket for a session the
// relay reported ended is cancelled by the forming loop, not filled.
func TestBackfillOfEndedSessionIsCancelled(t *testing.T) {
	e := newBackfillEnv(t, BackfillManual)
	ended := make(chan string, 1)
	stop, err := e.mmConn.SubscribeSessionEvents(context.Background(), "", "", bus.SessionHandlers{Ended: func(s bus.SessionEnded) { ended <- s.GameSessionARN }})
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	a, _, ca, cb := e.startMatch()
	ca.Close()
	cb.Close()
	arn := a.GameSessionConnectionInfo.GameSessionArn
	select {
	case got := <-ended:
		if got != arn {
			t.Fatalf("session %s ended, want %s", got, arn)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the empty session did not end within 10s")
	}
	if _, err := e.svc.StartMatchBackfill(context.Background(), &StartMatchBackfillInput{TicketId: "bf-1", ConfigurationName: "duel",
		GameSessionArn: arn, Players: []store.Player{a.Players[0]}}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("bf-1", store.StatusCancelled)
}

// squadRules: two teams of 2 to 4 players.
const squadRules = `{"name":"squads","ruleLanguageVersion":"1.0",
 "playerAttributes":[{"name":"skill","type":"number","default":1000}],
 "teams":[{"name":"red","minPlayers":2,"maxPlayers":4},{"name":"blue","minPlayers":2,"maxPlayers":4}],
 "rules":[{"name":"Close","type":"batchDistance","batchAttribute":"skill","maxDistance":100}]}`

// TestBackfillFillsTheRuleSetsCapacity: a 2v2 match formed under rules of
// up to 4 players a team gets a session of 8 players (the rule set's
// capacity, as in GameLift), so that a backfill into a team that is not
// full is admitted by the relay.
func TestBackfillFillsTheRuleSetsCapacity(t *testing.T) {
	e := newBackfillEnvRules(t, BackfillManual, squadRules)
	ids := []string{"t1", "t2", "t3", "t4"}
	for _, id := range ids {
		e.start(id, 1000)
	}
	var players []store.Player
	var arn string
	for _, id := range ids {
		tk := e.waitStatus(id, store.StatusCompleted)
		players = append(players, tk.Players...)
		arn = tk.GameSessionConnectionInfo.GameSessionArn
	}
	if _, err := e.svc.StartMatchBackfill(context.Background(), &StartMatchBackfillInput{TicketId: "bf-1", ConfigurationName: "duel",
		GameSessionArn: arn, Players: players}); err != nil {
		t.Fatal(err)
	}
	e.start("t5", 1000)
	tk := e.waitStatus("t5", store.StatusCompleted)
	if got := tk.GameSessionConnectionInfo.GameSessionArn; got != arn {
		t.Fatalf("t5 is in game session %s, want the running session %s", got, arn)
	}
	e.waitStatus("bf-1", store.StatusCompleted)
	e.dial(tk).Close()
}

// latencyRules: a duel whose players must all have a latency under 150 ms
// to the match's region.
const latencyRules = `{"name":"duel","ruleLanguageVersion":"1.0",
 "playerAttributes":[{"name":"skill","type":"number","default":1000}],
 "teams":[{"name":"a","minPlayers":1,"maxPlayers":1},{"name":"b","minPlayers":1,"maxPlayers":1}],
 "rules":[{"name":"Fast","type":"latency","maxLatency":150}]}`

// startWithLatency starts a ticket of one player with a latency to region local.
func (e *backfillEnv) startWithLatency(id string, ms int) {
	e.t.Helper()
	skill := 1000.0
	if _, err := e.svc.StartMatchmaking(context.Background(), &StartMatchmakingInput{TicketId: id, ConfigurationName: "duel",
		Players: []store.Player{{PlayerId: "player-" + id, PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &skill}},
			LatencyInMs: map[string]int{"local": ms}}}}); err != nil {
		e.t.Fatal(err)
	}
}

// TestAutomaticBackfillWithLatencyRule: the relay's automatic backfill
// request carries the latencies its players reported (the placement gave
// them to the relay), so a rule set with a latency rule matches the
// backfill ticket with a new player, who joins the running session.
func TestAutomaticBackfillWithLatencyRule(t *testing.T) {
	e := newBackfillEnvRules(t, BackfillAuto, latencyRules, replaceLeavers)
	e.startWithLatency("t1", 20)
	e.startWithLatency("t2", 30)
	a, b := e.waitStatus("t1", store.StatusCompleted), e.waitStatus("t2", store.StatusCompleted)
	ca, cb := e.dial(a), e.dial(b)
	exchange(t, ca, cb, "hello")
	cb.Close()
	var bf *store.Ticket
	if !waitFor(t, 10*time.Second, func() bool {
		tickets, err := e.store.SearchingTickets(context.Background(), "duel")
		if err != nil {
			t.Fatal(err)
		}
		for i := range tickets {
			if tickets[i].Backfill {
				bf = &tickets[i]
			}
		}
		return bf != nil
	}) {
		t.Fatal("the relay asked for no backfill within 10s of a player leaving")
	}
	if len(bf.Players) != 1 || bf.Players[0].LatencyInMs["local"] != 20 {
		t.Fatalf("backfill ticket players %+v, want %s with latency 20 ms to local", bf.Players, a.Players[0].PlayerId)
	}
	e.startWithLatency("t3", 40)
	c := e.waitStatus("t3", store.StatusCompleted)
	if c.GameSessionConnectionInfo.GameSessionArn != a.GameSessionConnectionInfo.GameSessionArn {
		t.Fatalf("t3 is in %s, want the running session %s", c.GameSessionConnectionInfo.GameSessionArn, a.GameSessionConnectionInfo.GameSessionArn)
	}
	exchange(t, e.dial(c), ca, "hi from the backfill")
}

// replaceLeavers is the game property that turns on the replacement of
// players who leave (relay.BackfillLeaversProperty). A test gives it when it
// creates the configuration: the forming loop rereads a configuration
// updated afterwards only within configRefresh, so a match formed sooner
// would be placed without it.
var replaceLeavers = store.GameProperty{Key: relay.BackfillLeaversProperty, Value: "true"}

// shortSquadRules: two teams of 1 to 2 players, so that two players form a
// 1v1 that starts with two open slots.
const shortSquadRules = `{"name":"short","ruleLanguageVersion":"1.0",
 "playerAttributes":[{"name":"skill","type":"number","default":1000}],
 "teams":[{"name":"red","minPlayers":1,"maxPlayers":2},{"name":"blue","minPlayers":1,"maxPlayers":2}],
 "rules":[{"name":"Close","type":"batchDistance","batchAttribute":"skill","maxDistance":100}]}`

// TestAutomaticBackfillFillsSessionThatStartsShort: as in FlexMatch, a
// session of an AUTOMATIC configuration that starts with open slots gets a
// backfill ticket at once, with the session's players; the next player
// joins that session instead of starting another, and the session asks
// again until it is full.
func TestAutomaticBackfillFillsSessionThatStartsShort(t *testing.T) {
	e := newBackfillEnvRules(t, BackfillAuto, shortSquadRules)
	ctx := context.Background()
	e.start("t1", 1000)
	e.start("t2", 1000)
	a, b := e.waitStatus("t1", store.StatusCompleted), e.waitStatus("t2", store.StatusCompleted)
	arn := a.GameSessionConnectionInfo.GameSessionArn
	first := e.waitStatus(autoBackfillID(a.MatchId), store.StatusSearching)
	if !first.Backfill || first.BackfillGameSessionArn != arn || len(first.Players) != 2 {
		t.Fatalf("automatic backfill ticket %+v, want a backfill of %s with its 2 players", first, arn)
	}
	for _, p := range first.Players {
		if p.Team == "" || (p.PlayerId != a.Players[0].PlayerId && p.PlayerId != b.Players[0].PlayerId) {
			t.Fatalf("backfill player %+v is not one of the session's players on their team", p)
		}
	}
	e.start("t3", 1000)
	c := e.waitStatus("t3", store.StatusCompleted)
	if got := c.GameSessionConnectionInfo.GameSessionArn; got != arn {
		t.Fatalf("t3 is in game session %s, want the session that started short %s", got, arn)
	}
	e.waitStatus(first.TicketId, store.StatusCompleted)
	// 3 of 4 players: the session asks for its last player.
	second := e.waitStatus(autoBackfillID(c.MatchId), store.StatusSearching)
	if len(second.Players) != 3 || second.BackfillGameSessionArn != arn {
		t.Fatalf("second automatic backfill ticket %+v, want the session's 3 players", second)
	}
	// Stopping it stops the backfill: the next player waits for another.
	if _, err := e.svc.StopMatchmaking(ctx, &StopMatchmakingInput{TicketId: second.TicketId}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(second.TicketId, store.StatusCancelled)
	e.start("t4", 1000)
	e.start("t5", 1000)
	d := e.waitStatus("t4", store.StatusCompleted)
	if d.GameSessionConnectionInfo.GameSessionArn == arn {
		t.Fatalf("t4 joined %s after its backfill was stopped", arn)
	}
}
