package matchmaker

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

// recordingPlacer records each placement and the time its context allowed.
type recordingPlacer struct {
	mu     sync.Mutex
	placed []Placement
	budget []time.Duration
	fail   bool
}

func (r *recordingPlacer) Place(ctx context.Context, p Placement) (map[string]store.GameSessionConnectionInfo, error) {
	deadline, _ := ctx.Deadline()
	r.mu.Lock()
	r.placed = append(r.placed, p)
	r.budget = append(r.budget, time.Until(deadline))
	fail := r.fail
	r.mu.Unlock()
	if fail {
		return nil, errors.New("no relay")
	}
	conns := map[string]store.GameSessionConnectionInfo{}
	for _, t := range p.Tickets {
		info := store.GameSessionConnectionInfo{GameSessionArn: "arn:aws:gamelift:" + p.Regions[0] + "::gamesession/relay-1/gs-" + p.MatchID, IpAddress: "127.0.0.1", Port: 7000}
		for _, pl := range t.Players {
			info.MatchedPlayerSessions = append(info.MatchedPlayerSessions, store.MatchedPlayerSession{PlayerId: pl.PlayerId, PlayerSessionId: "psess-" + pl.PlayerId})
		}
		conns[t.TicketId] = info
	}
	return conns, nil
}

func (r *recordingPlacer) last(t *testing.T) (Placement, time.Duration) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.placed) == 0 {
		t.Fatal("nothing was placed")
	}
	return r.placed[len(r.placed)-1], r.budget[len(r.budget)-1]
}

func latencyTicket(id string, ms map[string]int) store.Ticket {
	return store.Ticket{TicketId: id, ConfigurationName: "duel", Players: []store.Player{{PlayerId: "player-" + id, Team: "a", LatencyInMs: ms}}}
}

// TestPlacementQueue: a configuration's matches go to the regions of the
// game session queue it names (latency-best first, then the queue's order;
// never outside the queue) with the queue's timeout;
// without a queue, to its own Regions, then to the worker's default regions.
func TestPlacementQueue(t *testing.T) {
	ctx := context.Background()
	st := store.NewMemory(store.Options{})
	e := newFormEnv(t, st, ModeWithQueue, false)
	for _, q := range []*CreateGameSessionQueueInput{
		{Name: "main", TimeoutInSeconds: new(7), Destinations: []GameSessionQueueDestination{
			{DestinationArn: "arn:aws:gamelift:eu-west-1::fleet/f-1"}, {DestinationArn: "us-east-1"}, {DestinationArn: "ap-south-1"}}},
		{Name: "slow", Destinations: []GameSessionQueueDestination{{DestinationArn: "us-east-1"}, {DestinationArn: "sa-east-1"}}},
	} {
		if _, err := e.svc.CreateGameSessionQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	placer := &recordingPlacer{fail: true}
	w, err := newFormer(formerOptions{Store: st, Service: e.svc, Placer: placer, Logger: quiet, PlacementTimeout: 20 * time.Second, Regions: []string{"local"}})
	if err != nil {
		t.Fatal(err)
	}
	tickets := []store.Ticket{
		latencyTicket("t1", map[string]int{"us-east-1": 50, "ap-south-1": 20, "eu-west-1": 10, "local": 1}),
		latencyTicket("t2", map[string]int{"us-east-1": 40, "ap-south-1": 30, "local": 1}),
	}
	setQueues := func(arns ...string) store.Configuration {
		t.Helper()
		if _, err := e.svc.UpdateMatchmakingConfiguration(ctx, &UpdateMatchmakingConfigurationInput{Name: "duel", GameSessionQueueArns: arns}); err != nil {
			t.Fatal(err)
		}
		cfg, err := st.GetConfiguration(ctx, "duel")
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	place := func(cfg store.Configuration, passed []string, wantRegions []string, wantBudget time.Duration) {
		t.Helper()
		w.place(ctx, cfg, "m", tickets, passed)
		p, budget := placer.last(t)
		if !reflect.DeepEqual(p.Regions, wantRegions) {
			t.Errorf("regions %v, want %v", p.Regions, wantRegions)
		}
		if budget > wantBudget || budget < wantBudget-2*time.Second {
			t.Errorf("placement budget %v, want about %v", budget, wantBudget)
		}
	}

	cfg := setQueues("arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/main")
	// Without latency rules: regions every player reported, lowest worst
	// latency first, then the queue's others in order; "local" is not in
	// the queue.
	place(cfg, nil, []string{"ap-south-1", "us-east-1", "eu-west-1"}, 7*time.Second)
	// Regions that passed the latency rules come first.
	place(cfg, []string{"us-east-1", "local"}, []string{"us-east-1", "eu-west-1", "ap-south-1"}, 7*time.Second)

	// The queue's 600 s default bounds the placement (it waits for
	// capacity that long); a second queue adds its regions after the first's.
	cfg = setQueues("slow")
	place(cfg, nil, []string{"us-east-1", "sa-east-1"}, 600*time.Second)
	cfg = setQueues("main", "slow")
	place(cfg, nil, []string{"ap-south-1", "us-east-1", "eu-west-1", "sa-east-1"}, 7*time.Second)

	// An updated queue applies to the next placement.
	if _, err := e.svc.UpdateGameSessionQueue(ctx, &UpdateGameSessionQueueInput{Name: "main", TimeoutInSeconds: new(3),
		Destinations: []GameSessionQueueDestination{{DestinationArn: "eu-west-1"}}}); err != nil {
		t.Fatal(err)
	}
	cfg = setQueues("main")
	place(cfg, nil, []string{"eu-west-1"}, 3*time.Second)

	// No queue: the configuration's own regions, else the worker's.
	cfg = setQueues()
	cfg.GameSessionQueueArns = nil
	cfg.Regions = []string{"us-east-1", "eu-west-1"}
	place(cfg, nil, []string{"us-east-1", "eu-west-1"}, 20*time.Second)
	cfg.Regions = nil
	place(cfg, nil, []string{"local"}, 20*time.Second)

	// A queue that cannot be read fails the placement without placing.
	n := len(placer.placed)
	cfg.GameSessionQueueArns = []string{"gone"}
	w.place(ctx, cfg, "m", tickets, nil)
	if len(placer.placed) != n {
		t.Fatal("a match whose queue is missing was placed")
	}
}

// TestQueueMatchCompletes runs the forming loop: a WITH_QUEUE match of a
// configuration that names a queue is placed in the queue's region and its
// tickets complete.
func TestQueueMatchCompletes(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) store.Store{
		"memory": func(*testing.T) store.Store { return store.NewMemory(store.Options{}) },
		"redis": func(t *testing.T) store.Store {
			c := redistest.Start(t).Client(t)
			return store.NewRedis(c, store.Options{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			e := newFormEnv(t, st, ModeWithQueue, false)
			if _, err := e.svc.CreateGameSessionQueue(ctx, &CreateGameSessionQueueInput{Name: "default",
				Destinations: []GameSessionQueueDestination{{DestinationArn: "eu-central-1"}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.UpdateMatchmakingConfiguration(ctx, &UpdateMatchmakingConfigurationInput{Name: "duel",
				GameSessionQueueArns: []string{"arn:aws:gamelift:us-east-1:000000000000:gamesessionqueue/default"}}); err != nil {
				t.Fatal(err)
			}
			placer := &recordingPlacer{}
			runWorker(t, formerOptions{Store: st, Service: e.svc, Placer: placer, Regions: []string{"local"}})
			e.start("t1", 1000)
			e.start("t2", 1010)
			tk := e.waitStatus("t1", store.StatusCompleted)
			if tk.GameSessionConnectionInfo == nil || tk.GameSessionConnectionInfo.GameSessionArn != "arn:aws:gamelift:eu-central-1::gamesession/relay-1/gs-"+tk.MatchId {
				t.Fatalf("connection %+v", tk.GameSessionConnectionInfo)
			}
			e.waitStatus("t2", store.StatusCompleted)
			p, _ := placer.last(t)
			if !reflect.DeepEqual(p.Regions, []string{"eu-central-1"}) {
				t.Fatalf("regions %v", p.Regions)
			}
		})
	}
}
