package matchmaker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/bus"
	"github.com/matchpoint-dev/matchpoint/bus/bustest"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

const duelRules = `{"name":"duel","ruleLanguageVersion":"1.0",
 "playerAttributes":[{"name":"skill","type":"number","default":1000}],
 "teams":[{"name":"a","minPlayers":1,"maxPlayers":1},{"name":"b","minPlayers":1,"maxPlayers":1}],
 "rules":[{"name":"Close","type":"batchDistance","batchAttribute":"skill","maxDistance":100}]}`

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type formEnv struct {
	t     *testing.T
	store store.Store
	svc   *Service
}

func newFormEnv(t *testing.T, st store.Store, mode string, acceptance bool) *formEnv {
	t.Helper()
	return newFormEnvWith(t, Options{Store: st, Logger: quiet}, mode, acceptance)
}

// newFormEnvWith is newFormEnv with the service's options.
func newFormEnvWith(t *testing.T, opts Options, mode string, acceptance bool) *formEnv {
	t.Helper()
	st := opts.Store
	svc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	ctx := context.Background()
	if _, err := svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "duel", RuleSetBody: duelRules}); err != nil {
		t.Fatal(err)
	}
	timeout := 60
	in := &CreateMatchmakingConfigurationInput{Name: "duel", RuleSetName: "duel", RequestTimeoutSeconds: &timeout, AcceptanceRequired: &acceptance, FlexMatchMode: &mode}
	if acceptance {
		at := 30
		in.AcceptanceTimeoutSeconds = &at
	}
	if _, err := svc.CreateMatchmakingConfiguration(ctx, in); err != nil {
		t.Fatal(err)
	}
	return &formEnv{t: t, store: st, svc: svc}
}

func (e *formEnv) start(id string, skill float64) {
	e.t.Helper()
	_, err := e.svc.StartMatchmaking(context.Background(), &StartMatchmakingInput{
		TicketId: id, ConfigurationName: "duel",
		Players: []store.Player{{PlayerId: "player-" + id, PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &skill}}}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// accept accepts the proposed match for the ticket's player. A ticket is
// REQUIRES_ACCEPTANCE from the claim on, but AcceptMatch takes answers only
// once the match is proposed (its PotentialMatchCreated event), so a
// "not ready" answer is tried again.
func (e *formEnv) accept(id string) {
	e.t.Helper()
	var err error
	waitFor(e.t, 10*time.Second, func() bool {
		_, err = e.svc.AcceptMatch(context.Background(), &AcceptMatchInput{TicketId: id, PlayerIds: []string{"player-" + id}, AcceptanceType: "ACCEPT"})
		return err == nil || !strings.Contains(err.Error(), "not ready for acceptance")
	})
	if err != nil {
		e.t.Fatalf("accept %s: %v", id, err)
	}
}

func (e *formEnv) waitStatus(id string, want store.Status) store.Ticket {
	e.t.Helper()
	var tk store.Ticket
	var err error
	if !waitFor(e.t, 10*time.Second, func() bool {
		tk, err = e.store.GetTicket(context.Background(), id)
		return err == nil && tk.Status == want
	}) {
		e.t.Fatalf("ticket %s: want %s, have %s (%s) err=%v", id, want, tk.Status, tk.StatusMessage, err)
	}
	return tk
}

// formingOptions are o with quick forming passes, discovery and leases for
// the tests.
func formingOptions(o Options) Options {
	if o.Logger == nil {
		o.Logger = quiet
	}
	o.Interval, o.Discover, o.LeaseTTL = 20*time.Millisecond, 50*time.Millisecond, time.Second
	return o
}

// runService runs svc until the test ends; stop ends it sooner, waiting for
// Run to return.
func runService(t *testing.T, svc *Service) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		if err := svc.Run(ctx); err != nil {
			t.Errorf("run: %v", err)
		}
		close(done)
	}()
	stop = func() { cancel(); <-done }
	t.Cleanup(stop)
	return stop
}

// runWorker runs a former of its own over opts.Service, apart from the one
// the service runs, until the test ends.
func runWorker(t *testing.T, opts formerOptions) (*former, context.CancelFunc) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	if opts.Interval == 0 {
		opts.Interval = 20 * time.Millisecond
	}
	opts.Discover = 50 * time.Millisecond
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = time.Second
	}
	w, err := newFormer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return w, func() { cancel(); <-done }
}

func TestStandaloneMatchCompletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newFormEnv(t, store.NewMemory(store.Options{}), ModeStandalone, false)
		reg := prometheus.NewRegistry()
		runWorker(t, formerOptions{Store: e.store, Service: e.svc, Registerer: reg})
		e.start("t1", 1000)
		e.start("t2", 1050)
		e.start("t3", 5000) // too far from everyone
		a, b := e.waitStatus("t1", store.StatusCompleted), e.waitStatus("t2", store.StatusCompleted)
		if a.MatchId == "" || a.MatchId != b.MatchId {
			t.Fatalf("match ids %q and %q", a.MatchId, b.MatchId)
		}
		if a.Players[0].Team == b.Players[0].Team {
			t.Fatalf("both players on team %q", a.Players[0].Team)
		}
		// Fake time: several forming passes go by, then every goroutine idles.
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		if tk, _ := e.store.GetTicket(context.Background(), "t3"); tk.Status != store.StatusSearching {
			t.Fatalf("t3 = %s, want SEARCHING", tk.Status)
		}
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				switch {
				case m.GetCounter() != nil:
					got[mf.GetName()] += m.GetCounter().GetValue()
				case m.GetHistogram() != nil:
					got[mf.GetName()] += float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
		if got["matchpoint_matches_total"] != 1 || got["matchpoint_time_to_match_seconds"] != 2 {
			t.Fatalf("metrics: matches %v, time-to-match samples %v; want 1 and 2", got["matchpoint_matches_total"], got["matchpoint_time_to_match_seconds"])
		}
	})
}

// TestArrivalWakesTheLoop: with passes an hour apart, a new ticket's
// MatchmakingSearching event on NATS brings the next pass forward, each time.
func TestArrivalWakesTheLoop(t *testing.T) {
	conn := bustest.Connect(t, bustest.RunServer(t), bus.Options{})
	st := store.NewMemory(store.Options{})
	e := newFormEnvWith(t, Options{Store: st, Logger: quiet, Publisher: conn}, ModeStandalone, false)
	w, _ := runWorker(t, formerOptions{Store: st, Service: e.svc, Arrivals: conn, Interval: time.Hour, MinInterval: time.Millisecond})
	waitOwned(t, w, "duel")
	e.start("t1", 1000)
	e.start("t2", 1050)
	a := e.waitStatus("t1", store.StatusCompleted)
	if b := e.waitStatus("t2", store.StatusCompleted); a.MatchId != b.MatchId {
		t.Fatalf("match ids %q and %q", a.MatchId, b.MatchId)
	}
	e.start("t3", 3000)
	e.start("t4", 3010)
	e.waitStatus("t3", store.StatusCompleted)
}

// waitOwned waits until w owns configuration.
func waitOwned(t *testing.T, w *former, configuration string) {
	t.Helper()
	if !waitFor(t, 10*time.Second, func() bool { return slices.Contains(w.ownedConfigs(), configuration) }) {
		t.Fatalf("former owns %v, not %q", w.ownedConfigs(), configuration)
	}
}

// TestNoFormingOwnsNothing: a worker with NoForming leaves a configuration
// to the formers: its tickets stay SEARCHING until a forming worker runs.
func TestNoFormingOwnsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newFormEnv(t, store.NewMemory(store.Options{}), ModeStandalone, false)
		api, _ := runWorker(t, formerOptions{Store: e.store, Service: e.svc, NoForming: true})
		e.start("t1", 1000)
		e.start("t2", 1050)
		// Fake time: several discover and forming intervals go by, then every
		// goroutine idles.
		time.Sleep(300 * time.Millisecond)
		synctest.Wait()
		if owned := api.ownedConfigs(); len(owned) != 0 {
			t.Fatalf("a NoForming worker owns %v", owned)
		}
		if tk, _ := e.store.GetTicket(context.Background(), "t1"); tk.Status != store.StatusSearching {
			t.Fatalf("t1 = %s with no former, want SEARCHING", tk.Status)
		}
		runWorker(t, formerOptions{Store: e.store, Service: e.svc})
		e.waitStatus("t1", store.StatusCompleted)
		e.waitStatus("t2", store.StatusCompleted)
	})
}

// fakeRelay answers placements for a region on the bus, as a relay would.
func fakeRelay(t *testing.T, conn *bus.Conn, region string, placed *atomic.Int32) {
	t.Helper()
	stop, err := conn.ServePlacements(context.Background(), region, "", func(_ context.Context, req bus.PlacementRequest) bus.PlacementReply {
		placed.Add(1)
		r := bus.PlacementReply{MatchID: req.MatchID, RelayID: "relay-1", GameSessionID: "gs-" + req.MatchID,
			GameSessionARN: "arn:aws:gamelift:" + region + "::gamesession/relay-1/gs-" + req.MatchID,
			Endpoint:       &bus.Endpoint{IPAddress: "127.0.0.1", DNSName: "localhost", TCPPort: 7777, UDPPort: 7778}}
		for _, p := range req.Players {
			r.PlayerSessions = append(r.PlayerSessions, bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: "psess-" + p.PlayerID})
		}
		return r
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
}

func TestWithQueuePlacesOnARelay(t *testing.T) {
	nats := bustest.RunServer(t)
	conn := bustest.Connect(t, nats, bus.Options{})
	var placed atomic.Int32
	fakeRelay(t, conn, "local", &placed)
	e := newFormEnv(t, store.NewMemory(store.Options{}), ModeWithQueue, false)
	runWorker(t, formerOptions{Store: e.store, Service: e.svc, Placer: &BusPlacer{Conn: conn}, Regions: []string{"local"}})
	e.start("t1", 1000)
	e.start("t2", 1000)
	a := e.waitStatus("t1", store.StatusCompleted)
	b := e.waitStatus("t2", store.StatusCompleted)
	ci := a.GameSessionConnectionInfo
	if ci == nil || ci.Port != 7777 || ci.IpAddress != "127.0.0.1" || len(ci.MatchedPlayerSessions) != 1 || ci.MatchedPlayerSessions[0].PlayerSessionId != "psess-player-t1" {
		t.Fatalf("connection info %+v", ci)
	}
	if b.GameSessionConnectionInfo.GameSessionArn != ci.GameSessionArn {
		t.Fatal("the two tickets of one match must carry one game session ARN")
	}
	if placed.Load() != 1 {
		t.Fatalf("placed %d times", placed.Load())
	}
}

func TestPlacementFailsWithoutRelays(t *testing.T) {
	nats := bustest.RunServer(t)
	conn := bustest.Connect(t, nats, bus.Options{})
	e := newFormEnv(t, store.NewMemory(store.Options{}), ModeWithQueue, false)
	runWorker(t, formerOptions{Store: e.store, Service: e.svc, Placer: &BusPlacer{Conn: conn, Backoff: 10 * time.Millisecond}, Regions: []string{"nowhere"}, PlacementTimeout: 300 * time.Millisecond})
	e.start("t1", 1000)
	e.start("t2", 1000)
	tk := e.waitStatus("t1", store.StatusFailed)
	if tk.StatusMessage == "" {
		t.Fatal("a failed placement must say why")
	}
}

func TestAcceptedMatchIsPlaced(t *testing.T) {
	nats := bustest.RunServer(t)
	conn := bustest.Connect(t, nats, bus.Options{})
	var placed atomic.Int32
	fakeRelay(t, conn, "local", &placed)
	st := store.NewMemory(store.Options{})
	svc, err := New(formingOptions(Options{Store: st, Placer: &BusPlacer{Conn: conn}, Regions: []string{"local"}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	e := &formEnv{t: t, store: st, svc: svc}
	ctx := context.Background()
	svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "duel", RuleSetBody: duelRules})
	timeout, at, yes, mode := 60, 30, true, ModeWithQueue
	if _, err := svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "duel", RuleSetName: "duel", RequestTimeoutSeconds: &timeout, AcceptanceRequired: &yes, AcceptanceTimeoutSeconds: &at, FlexMatchMode: &mode}); err != nil {
		t.Fatal(err)
	}
	runService(t, svc)
	e.start("t1", 1000)
	e.start("t2", 1000)
	e.waitStatus("t1", store.StatusRequiresAcceptance)
	e.waitStatus("t2", store.StatusRequiresAcceptance)
	for _, id := range []string{"t1", "t2"} {
		e.accept(id)
	}
	e.waitStatus("t1", store.StatusCompleted)
	e.waitStatus("t2", store.StatusCompleted)
}

// TestAcceptedPlacementSurvivesStop: a matchmaker stopped while it places
// an accepted match finishes the placement before Run returns; the tickets
// end COMPLETED, not FAILED with a cancelled context.
func TestAcceptedPlacementSurvivesStop(t *testing.T) {
	conn := bustest.Connect(t, bustest.RunServer(t), bus.Options{})
	asked := make(chan struct{}, 1)
	stopRelay, err := conn.ServePlacements(context.Background(), "local", "", func(_ context.Context, req bus.PlacementRequest) bus.PlacementReply {
		asked <- struct{}{}
		// A slow relay (pacing, not a wait): the placement is still in
		// flight when the matchmaker stops.
		time.Sleep(300 * time.Millisecond)
		r := bus.PlacementReply{MatchID: req.MatchID, RelayID: "relay-1", GameSessionID: "gs-" + req.MatchID,
			GameSessionARN: "arn:aws:gamelift:local::gamesession/relay-1/gs-" + req.MatchID,
			Endpoint:       &bus.Endpoint{IPAddress: "127.0.0.1", TCPPort: 7777}}
		for _, p := range req.Players {
			r.PlayerSessions = append(r.PlayerSessions, bus.PlayerSession{PlayerID: p.PlayerID, PlayerSessionID: "psess-" + p.PlayerID})
		}
		return r
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stopRelay)
	st := store.NewMemory(store.Options{})
	svc, err := New(formingOptions(Options{Store: st, Placer: &BusPlacer{Conn: conn}, Regions: []string{"local"}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	e := &formEnv{t: t, store: st, svc: svc}
	ctx := context.Background()
	if _, err := svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "duel", RuleSetBody: duelRules}); err != nil {
		t.Fatal(err)
	}
	timeout, at, yes, mode := 60, 30, true, ModeWithQueue
	if _, err := svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "duel", RuleSetName: "duel", RequestTimeoutSeconds: &timeout, AcceptanceRequired: &yes, AcceptanceTimeoutSeconds: &at, FlexMatchMode: &mode}); err != nil {
		t.Fatal(err)
	}
	stop := runService(t, svc)
	e.start("t1", 1000)
	e.start("t2", 1000)
	e.waitStatus("t1", store.StatusRequiresAcceptance)
	e.waitStatus("t2", store.StatusRequiresAcceptance)
	for _, id := range []string{"t1", "t2"} {
		e.accept(id)
	}
	<-asked
	stop()
	for _, id := range []string{"t1", "t2"} {
		if tk, err := st.GetTicket(ctx, id); err != nil || tk.Status != store.StatusCompleted {
			t.Fatalf("%s after the matchmaker stopped: %s (%s), %v; want COMPLETED", id, tk.Status, tk.StatusMessage, err)
		}
	}
}

// TestTimedOutAndCancelledCarryRuleMetrics: the MatchmakingTimedOut and
// MatchmakingCancelled events of tickets that never matched carry the rule
// outcomes of the searches they anchored (FlexMatch's ruleEvaluationMetrics),
// as the service's forming loop keeps them.
func TestTimedOutAndCancelledCarryRuleMetrics(t *testing.T) {
	st := store.NewMemory(store.Options{})
	e := newFormEnvWith(t, formingOptions(Options{Store: st}), ModeStandalone, false)
	ctx := context.Background()
	short, no := 1, false
	if _, err := e.svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "short", RuleSetName: "duel", RequestTimeoutSeconds: &short, AcceptanceRequired: &no}); err != nil {
		t.Fatal(err)
	}
	runService(t, e.svc)
	for id, skill := range map[string]float64{"lone": 1000, "far": 5000} {
		if _, err := e.svc.StartMatchmaking(ctx, &StartMatchmakingInput{TicketId: id, ConfigurationName: "short",
			Players: []store.Player{{PlayerId: "player-" + id, PlayerAttributes: map[string]store.AttributeValue{"skill": {N: &skill}}}}}); err != nil {
			t.Fatal(err)
		}
	}
	// A pass that ran before lone arrived saw far alone, failing for want
	// of players: wait for one that held both.
	if !waitFor(t, 10*time.Second, func() bool {
		ex := e.svc.former.explain("short", "far")
		return ex != nil && ex.KeptOutBy == "Close"
	}) {
		t.Fatalf("no forming pass kept far out by Close: %+v", e.svc.former.explain("short", "far"))
	}
	ex, err := e.svc.ExplainMatchmaking(ctx, &ExplainMatchmakingInput{TicketId: "far"})
	if err != nil || ex.KeptOutBy != "Close" || len(ex.RuleEvaluationMetrics) != 1 || ex.Message != "" {
		t.Fatalf("explain far: %+v, %v; want kept out by Close", ex, err)
	}
	if _, err := e.svc.StopMatchmaking(ctx, &StopMatchmakingInput{TicketId: "far"}); err != nil {
		t.Fatal(err)
	}
	e.waitStatus("lone", store.StatusTimedOut)
	raw, err := st.EventsAfter(ctx, "short", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range raw {
		ev, err := DecodeEvent(r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		d := ev.Detail
		if d.Type != EventMatchmakingTimedOut && d.Type != EventMatchmakingCancelled {
			continue
		}
		m := d.RuleEvaluationMetrics
		if len(m) != 1 || m[0].RuleName != "Close" || m[0].FailedCount == 0 || d.KeptOutBy != "Close" {
			t.Fatalf("%s of %s: ruleEvaluationMetrics %+v, kept out by %q; want Close failing", d.Type, d.Tickets[0].TicketID, m, d.KeptOutBy)
		}
		seen[d.Type+" "+d.Tickets[0].TicketID] = true
	}
	if !seen["MatchmakingCancelled far"] || !seen["MatchmakingTimedOut lone"] {
		t.Fatalf("events seen: %v", seen)
	}
}

// TestStoppedWorkerHandsItsLeaseBack: a worker that stops releases its
// configuration's lease, so another takes over at once rather than after the
// lease lapses (an hour here).
func TestStoppedWorkerHandsItsLeaseBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := store.NewMemory(store.Options{})
		e := newFormEnv(t, st, ModeStandalone, false)
		w1, stop1 := runWorker(t, formerOptions{Store: st, Service: e.svc, Owner: "w1", LeaseTTL: time.Hour})
		waitOwned(t, w1, "duel")
		w2, _ := runWorker(t, formerOptions{Store: st, Service: e.svc, Owner: "w2", LeaseTTL: time.Hour})
		// Fake time: several discover intervals go by, then every goroutine
		// idles.
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if owned := w2.ownedConfigs(); len(owned) != 0 {
			t.Fatalf("w2 owns %v while w1 holds the lease", owned)
		}
		stop1()
		waitOwned(t, w2, "duel")
		e.start("t1", 1000)
		e.start("t2", 1000)
		e.waitStatus("t1", store.StatusCompleted)
	})
}

// TestTwoWorkersOneOwnerAndTakeover runs two matchmakers on one Redis: one
// owns the configuration; when it stops, the other takes over; every ticket
// ends in exactly one match.
func TestTwoWorkersOneOwnerAndTakeover(t *testing.T) {
	srv := redistest.Start(t)
	open := func() store.Store {
		c := srv.Client(t)
		return store.NewRedis(c, store.Options{})
	}
	e1 := newFormEnv(t, open(), ModeStandalone, false)
	st2 := open()
	svc2, err := New(Options{Store: st2, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc2.Close() })
	w1, stop1 := runWorker(t, formerOptions{Store: e1.store, Service: e1.svc, Owner: "one", LeaseTTL: 600 * time.Millisecond})
	w2, _ := runWorker(t, formerOptions{Store: st2, Service: svc2, Owner: "two", LeaseTTL: 600 * time.Millisecond})
	waitFor(t, 10*time.Second, func() bool { return len(w1.ownedConfigs())+len(w2.ownedConfigs()) > 0 })
	if n1, n2 := len(w1.ownedConfigs()), len(w2.ownedConfigs()); n1+n2 != 1 {
		t.Fatalf("owners: one=%d two=%d, want exactly one", n1, n2)
	}
	for i := 0; i < 20; i++ {
		e1.start(fmt.Sprintf("a%d", i), 1000)
	}
	if len(w1.ownedConfigs()) == 1 {
		stop1()
	}
	for i := 0; i < 20; i++ {
		e1.start(fmt.Sprintf("b%d", i), 1000)
	}
	matchOf := map[string][]string{}
	for _, p := range []string{"a", "b"} {
		for i := 0; i < 20; i++ {
			tk := e1.waitStatus(fmt.Sprintf("%s%d", p, i), store.StatusCompleted)
			matchOf[tk.MatchId] = append(matchOf[tk.MatchId], tk.TicketId)
		}
	}
	for id, tickets := range matchOf {
		if len(tickets) != 2 {
			t.Fatalf("match %s has tickets %v, want 2", id, tickets)
		}
	}
	if len(w2.ownedConfigs()) != 1 && len(w1.ownedConfigs()) != 1 {
		t.Fatal("nobody owns the configuration after the takeover")
	}
}

// TestUnchangedPoolSkipsPassesUntilAnExpansion checks that a pool that cannot
// match is not formed again every interval, and that the pass that reaches an
// expansion step forms the match.
func TestUnchangedPoolSkipsPassesUntilAnExpansion(t *testing.T) {
	st := store.NewMemory(store.Options{})
	svc, err := New(Options{Store: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	ctx := context.Background()
	body := `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number"}],
	 "teams":[{"name":"a","minPlayers":1,"maxPlayers":1},{"name":"b","minPlayers":1,"maxPlayers":1}],
	 "rules":[{"name":"Close","type":"batchDistance","batchAttribute":"skill","maxDistance":100}],
	 "expansions":[{"target":"rules[Close].maxDistance","steps":[{"waitTimeSeconds":1,"value":1000}]}]}`
	if _, err := svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "duel", RuleSetBody: body}); err != nil {
		t.Fatal(err)
	}
	timeout, no, mode := 60, false, ModeStandalone
	if _, err := svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "duel", RuleSetName: "duel", RequestTimeoutSeconds: &timeout, AcceptanceRequired: &no, FlexMatchMode: &mode}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	runWorker(t, formerOptions{Store: st, Service: svc, Registerer: reg})
	e := &formEnv{t: t, store: st, svc: svc}
	e.start("low", 1000)
	e.start("high", 1500)
	a, b := e.waitStatus("low", store.StatusCompleted), e.waitStatus("high", store.StatusCompleted)
	if a.MatchId != b.MatchId || a.EndTime.Sub(a.StartTime) < time.Second {
		t.Fatalf("the two tickets must match each other once the 1 s expansion is reached: %v after %v", a.MatchId, a.EndTime.Sub(a.StartTime))
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "matchpoint_forming_passes_skipped_total" {
			skipped = mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	if skipped < 5 {
		t.Fatalf("%v passes skipped while the pool waited for its expansion; want most of the 50 intervals", skipped)
	}
}

// TestUnmatchableTicketsAreExplained: a ticket that can never match (a party
// larger than any team, no latency data for the latency rule, a mistyped
// attribute) is explained as such from the first pass, and its
// MatchmakingTimedOut event says so, instead of blaming a rule.
func TestUnmatchableTicketsAreExplained(t *testing.T) {
	st := store.NewMemory(store.Options{})
	e := newFormEnvWith(t, formingOptions(Options{Store: st}), ModeStandalone, false)
	ctx := context.Background()
	if _, err := e.svc.CreateMatchmakingRuleSet(ctx, &CreateMatchmakingRuleSetInput{Name: "ping", RuleSetBody: `{"ruleLanguageVersion":"1.0",
 "playerAttributes":[{"name":"skill","type":"number","default":1000}],
 "teams":[{"name":"a","minPlayers":1,"maxPlayers":2},{"name":"b","minPlayers":1,"maxPlayers":2}],
 "rules":[{"name":"FastConnection","type":"latency","maxLatency":100}]}`}); err != nil {
		t.Fatal(err)
	}
	short, no := 1, false
	if _, err := e.svc.CreateMatchmakingConfiguration(ctx, &CreateMatchmakingConfigurationInput{Name: "short", RuleSetName: "ping", RequestTimeoutSeconds: &short, AcceptanceRequired: &no}); err != nil {
		t.Fatal(err)
	}
	runService(t, e.svc)
	eu := map[string]int{"eu-west-1": 30}
	pro := "pro"
	want := map[string]string{
		"trio":      "can never match: the party of 3 players is larger than any team (at most 2)",
		"nolatency": "can never match: no latency data, which the latency rule FastConnection needs",
		"typo":      `can never match: players[0] (typo-1): attribute "skill" is a string value; the rule set declares number`,
	}
	tickets := map[string][]store.Player{
		"trio":      {{PlayerId: "trio-1", LatencyInMs: eu}, {PlayerId: "trio-2", LatencyInMs: eu}, {PlayerId: "trio-3", LatencyInMs: eu}},
		"nolatency": {{PlayerId: "nolatency-1"}},
		"typo":      {{PlayerId: "typo-1", LatencyInMs: eu, PlayerAttributes: map[string]store.AttributeValue{"skill": {S: &pro}}}},
	}
	for id, players := range tickets {
		if _, err := e.svc.StartMatchmaking(ctx, &StartMatchmakingInput{TicketId: id, ConfigurationName: "short", Players: players}); err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
	}
	for id := range want {
		if !waitFor(t, 10*time.Second, func() bool { return e.svc.former.explain("short", id) != nil }) {
			t.Fatalf("no forming pass explained %s", id)
		}
	}
	for id, reason := range want {
		ex, err := e.svc.ExplainMatchmaking(ctx, &ExplainMatchmakingInput{TicketId: id})
		if err != nil || ex.Unmatchable != reason || ex.KeptOutBy != "" || ex.RuleEvaluationMetrics != nil || ex.Message != "" {
			t.Fatalf("explain %s: %+v, %v; want Unmatchable %q", id, ex, err, reason)
		}
	}
	for id := range want {
		e.waitStatus(id, store.StatusTimedOut)
	}
	raw, err := st.EventsAfter(ctx, "short", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, r := range raw {
		ev, err := DecodeEvent(r.Payload)
		if err != nil {
			t.Fatal(err)
		}
		d := ev.Detail
		if d.Type != EventMatchmakingTimedOut {
			continue
		}
		id := d.Tickets[0].TicketID
		if d.Unmatchable != want[id] || d.KeptOutBy != "" {
			t.Fatalf("MatchmakingTimedOut of %s: unmatchable %q, keptOutBy %q; want %q", id, d.Unmatchable, d.KeptOutBy, want[id])
		}
		seen++
	}
	if seen != len(want) {
		t.Fatalf("%d MatchmakingTimedOut events, want %d", seen, len(want))
	}
}
