package matchmaker

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func dest(arns ...string) []GameSessionQueueDestination {
	out := make([]GameSessionQueueDestination, len(arns))
	for i, a := range arns {
		out[i] = GameSessionQueueDestination{DestinationArn: a}
	}
	return out
}

func (e *env) queue(name string, regions ...string) {
	e.t.Helper()
	if _, err := e.svc.CreateGameSessionQueue(e.ctx, &CreateGameSessionQueueInput{Name: name, Destinations: dest(regions...)}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) wantNoQueues() {
	e.t.Helper()
	if all, err := e.st.ListQueues(e.ctx); err != nil || len(all) != 0 {
		e.t.Fatalf("bad requests wrote %d queues (%v)", len(all), err)
	}
}

func TestQueueValidation(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		bad := []struct {
			prefix string
			mut    func(*CreateGameSessionQueueInput)
		}{
			{"Name: is required", func(q *CreateGameSessionQueueInput) { q.Name = "" }},
			{"Name: must match", func(q *CreateGameSessionQueueInput) { q.Name = "a/b" }},
			{"Name: must be at most 128", func(q *CreateGameSessionQueueInput) { q.Name = strings.Repeat("q", 129) }},
			{"TimeoutInSeconds: must be 1 to 43200, got 0", func(q *CreateGameSessionQueueInput) { q.TimeoutInSeconds = ptr(0) }},
			{"TimeoutInSeconds: must be 1 to 43200, got 43201", func(q *CreateGameSessionQueueInput) { q.TimeoutInSeconds = ptr(43201) }},
			{"Destinations: at least one", func(q *CreateGameSessionQueueInput) { q.Destinations = nil }},
			{"Destinations: at most 100", func(q *CreateGameSessionQueueInput) {
				q.Destinations = make([]GameSessionQueueDestination, 101)
			}},
			{"Destinations[0].DestinationArn: a region is required", func(q *CreateGameSessionQueueInput) { q.Destinations = dest("") }},
			{"Destinations[1].DestinationArn: region \"eu west\"", func(q *CreateGameSessionQueueInput) { q.Destinations = dest("eu-west-1", "eu west") }},
			{"Destinations[0].DestinationArn: region \"" + strings.Repeat("r", 65), func(q *CreateGameSessionQueueInput) { q.Destinations = dest(strings.Repeat("r", 65)) }},
			{"Destinations[0].DestinationArn: \"arn:aws:s3", func(q *CreateGameSessionQueueInput) { q.Destinations = dest("arn:aws:s3:eu-west-1::bucket/x") }},
			{"Destinations[0].DestinationArn: \"arn:aws:gamelift:eu-west-1::gamesessionqueue/x\" does not name a fleet", func(q *CreateGameSessionQueueInput) {
				q.Destinations = dest("arn:aws:gamelift:eu-west-1::gamesessionqueue/x")
			}},
			{"Destinations[0].DestinationArn: \"arn:aws:gamelift:eu-west-1::fleet/\" does not name", func(q *CreateGameSessionQueueInput) {
				q.Destinations = dest("arn:aws:gamelift:eu-west-1::fleet/")
			}},
			{"Destinations[0].DestinationArn: a region is required", func(q *CreateGameSessionQueueInput) { q.Destinations = dest("arn:aws:gamelift:::fleet/f") }},
			{"Destinations[1].DestinationArn: region \"eu-west-1\" is also Destinations[0]", func(q *CreateGameSessionQueueInput) {
				q.Destinations = dest("eu-west-1", "arn:aws:gamelift:eu-west-1:123456789012:fleet/fleet-1")
			}},
			{"Tags[0].Key: ", func(q *CreateGameSessionQueueInput) { q.Tags = []Tag{{}} }},
		}
		for _, c := range bad {
			in := &CreateGameSessionQueueInput{Name: "q", Destinations: dest("eu-west-1")}
			c.mut(in)
			_, err := e.svc.CreateGameSessionQueue(e.ctx, in)
			wantErr(t, err, InvalidRequest, c.prefix)
		}
		e.wantNoQueues()

		e.queue("q", "eu-west-1")
		badUpdates := []struct {
			prefix string
			in     UpdateGameSessionQueueInput
		}{
			{"Name: is required", UpdateGameSessionQueueInput{}},
			{"Name: \"arn:aws:gamelift:eu-west-1::fleet/q\" is not a game session queue ARN", UpdateGameSessionQueueInput{Name: "arn:aws:gamelift:eu-west-1::fleet/q"}},
			{"TimeoutInSeconds: must be 1 to 43200", UpdateGameSessionQueueInput{Name: "q", TimeoutInSeconds: ptr(-1)}},
			{"Destinations: at least one", UpdateGameSessionQueueInput{Name: "q", Destinations: []GameSessionQueueDestination{}}},
			{"Destinations[0].DestinationArn: region \"a.b\"", UpdateGameSessionQueueInput{Name: "q", Destinations: dest("a.b")}},
		}
		for _, c := range badUpdates {
			_, err := e.svc.UpdateGameSessionQueue(e.ctx, &c.in)
			wantErr(t, err, InvalidRequest, c.prefix)
		}
		_, err := e.svc.UpdateGameSessionQueue(e.ctx, &UpdateGameSessionQueueInput{Name: "nope", TimeoutInSeconds: ptr(5)})
		wantErr(t, err, NotFound, "Name: game session queue \"nope\" does not exist")
		got, err := e.st.GetQueue(e.ctx, "q")
		if err != nil || got.TimeoutSeconds != DefaultQueueTimeout || len(got.Regions) != 1 || got.Regions[0] != "eu-west-1" {
			t.Fatalf("refused updates changed the queue: %+v %v", got, err)
		}
		_, err = e.svc.DeleteGameSessionQueue(e.ctx, &DeleteGameSessionQueueInput{Name: "a b"})
		wantErr(t, err, InvalidRequest, "Name: must match")
		_, err = e.svc.DescribeGameSessionQueues(e.ctx, &DescribeGameSessionQueuesInput{Limit: 11})
		wantErr(t, err, InvalidRequest, "Limit: ")
		_, err = e.svc.DescribeGameSessionQueues(e.ctx, &DescribeGameSessionQueuesInput{Names: []string{"q", ""}})
		wantErr(t, err, InvalidRequest, "Names[1]: ")
		_, err = e.svc.DescribeGameSessionQueues(e.ctx, &DescribeGameSessionQueuesInput{Names: make([]string, 11)})
		wantErr(t, err, InvalidRequest, "Names: at most 10")
	})
}

func TestQueueLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newEnv(t, open)
		out, err := e.svc.CreateGameSessionQueue(e.ctx, &CreateGameSessionQueueInput{
			Name: "main", TimeoutInSeconds: ptr(45), Tags: []Tag{{Key: "team", Value: "core"}},
			Destinations: dest("arn:aws:gamelift:eu-west-1::fleet/fleet-1", "us-east-1", "arn:aws:gamelift:ap-south-1:123456789012:alias/alias-1"),
		})
		if err != nil {
			t.Fatal(err)
		}
		q := out.GameSessionQueue
		if q.Name != "main" || q.GameSessionQueueArn != "arn:aws:gamelift:eu-west-1:123456789012:gamesessionqueue/main" || q.TimeoutInSeconds != 45 ||
			strings.Join(q.Regions, ",") != "eu-west-1,us-east-1,ap-south-1" || len(q.Destinations) != 3 ||
			q.Destinations[1].DestinationArn != "arn:aws:gamelift:us-east-1:123456789012:fleet/relays" {
			t.Fatalf("created %+v", q)
		}
		_, err = e.svc.CreateGameSessionQueue(e.ctx, &CreateGameSessionQueueInput{Name: "main", Destinations: dest("eu-west-1")})
		if e := wantErr(t, err, InvalidRequest, "Name: game session queue \"main\" already exists"); !e.Conflict {
			t.Fatal("duplicate queue is not a conflict")
		}
		// A queue's own destinations read back are accepted as they are.
		e.queue("b-default", "local")
		back, err := e.svc.CreateGameSessionQueue(e.ctx, &CreateGameSessionQueueInput{Name: "copy", Destinations: q.Destinations})
		if err != nil || strings.Join(back.GameSessionQueue.Regions, ",") != "eu-west-1,us-east-1,ap-south-1" || back.GameSessionQueue.TimeoutInSeconds != DefaultQueueTimeout {
			t.Fatalf("copy: %+v %v", back, err)
		}

		d, err := e.svc.DescribeGameSessionQueues(e.ctx, &DescribeGameSessionQueuesInput{Limit: 2})
		if err != nil || len(d.GameSessionQueues) != 2 || d.GameSessionQueues[0].Name != "b-default" || d.NextToken != "copy" {
			t.Fatalf("describe page 1: %+v %v", d, err)
		}
		d, err = e.svc.DescribeGameSessionQueues(e.ctx, &DescribeGameSessionQueuesInput{Limit: 2, NextToken: d.NextToken})
		if err != nil || len(d.GameSessionQueues) != 1 || d.GameSessionQueues[0].Name != "main" || d.NextToken != "" {
			t.Fatalf("describe page 2: %+v %v", d, err)
		}
		d, err = e.svc.DescribeGameSessionQueues(e.ctx, &DescribeGameSessionQueuesInput{Names: []string{q.GameSessionQueueArn, "copy"}})
		if err != nil || len(d.GameSessionQueues) != 2 || d.GameSessionQueues[0].Name != "main" {
			t.Fatalf("describe by name: %+v %v", d, err)
		}
		_, err = e.svc.DescribeGameSessionQueues(e.ctx, &DescribeGameSessionQueuesInput{Names: []string{"main", "nope"}})
		wantErr(t, err, NotFound, "Names[1]: game session queue \"nope\" does not exist")

		up, err := e.svc.UpdateGameSessionQueue(e.ctx, &UpdateGameSessionQueueInput{Name: q.GameSessionQueueArn, TimeoutInSeconds: ptr(90)})
		if err != nil || up.GameSessionQueue.TimeoutInSeconds != 90 || len(up.GameSessionQueue.Regions) != 3 {
			t.Fatalf("update timeout: %+v %v", up, err)
		}
		up, err = e.svc.UpdateGameSessionQueue(e.ctx, &UpdateGameSessionQueueInput{Name: "main", Destinations: dest("us-west-2")})
		if err != nil || up.GameSessionQueue.TimeoutInSeconds != 90 || strings.Join(up.GameSessionQueue.Regions, ",") != "us-west-2" {
			t.Fatalf("update destinations: %+v %v", up, err)
		}
		if got, err := e.st.GetQueue(e.ctx, "main"); err != nil || got.TimeoutSeconds != 90 || strings.Join(got.Regions, ",") != "us-west-2" {
			t.Fatalf("stored %+v %v", got, err)
		}

		// Configurations name queues by ARN or name; a missing queue is refused.
		e.ruleSet("rs")
		in := &CreateMatchmakingConfigurationInput{Name: "c", RuleSetName: "rs", RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(false),
			GameSessionQueueArns: []string{"arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/main", "nope"}}
		_, err = e.svc.CreateMatchmakingConfiguration(e.ctx, in)
		wantErr(t, err, NotFound, "GameSessionQueueArns[1]: game session queue \"nope\" does not exist")
		if all, err := e.st.ListConfigurations(e.ctx); err != nil || len(all) != 0 {
			t.Fatalf("refused configuration was written: %v %v", all, err)
		}
		in.GameSessionQueueArns = []string{"arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/main"}
		if _, err := e.svc.CreateMatchmakingConfiguration(e.ctx, in); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.DeleteGameSessionQueue(e.ctx, &DeleteGameSessionQueueInput{Name: "main"})
		if e := wantErr(t, err, InvalidRequest, "Name: game session queue \"main\" is named by a matchmaking configuration"); !e.Conflict {
			t.Fatal("deleting a queue in use is not a conflict")
		}
		_, err = e.svc.UpdateMatchmakingConfiguration(e.ctx, &UpdateMatchmakingConfigurationInput{Name: "c", GameSessionQueueArns: []string{"copy", "arn:aws:gamelift:eu-west-1::gamesessionqueue/gone"}})
		wantErr(t, err, NotFound, "GameSessionQueueArns[1]: game session queue \"gone\" does not exist")
		if c, err := e.st.GetConfiguration(e.ctx, "c"); err != nil || len(c.GameSessionQueueArns) != 1 || store.QueueName(c.GameSessionQueueArns[0]) != "main" {
			t.Fatalf("refused update changed the configuration: %+v %v", c, err)
		}
		if _, err := e.svc.UpdateMatchmakingConfiguration(e.ctx, &UpdateMatchmakingConfigurationInput{Name: "c", GameSessionQueueArns: []string{"copy"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.DeleteGameSessionQueue(e.ctx, &DeleteGameSessionQueueInput{Name: q.GameSessionQueueArn}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.DeleteGameSessionQueue(e.ctx, &DeleteGameSessionQueueInput{Name: "main"})
		wantErr(t, err, NotFound, "Name: game session queue \"main\" does not exist")
		if _, err := e.svc.DeleteMatchmakingConfiguration(e.ctx, &DeleteMatchmakingConfigurationInput{Name: "c"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.DeleteGameSessionQueue(e.ctx, &DeleteGameSessionQueueInput{Name: "copy"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestQueueReferenceValidation(t *testing.T) {
	e := newEnv(t, func(*testing.T, func() time.Time) store.Store { return store.NewMemory(store.Options{}) })
	e.ruleSet("rs")
	for _, c := range []struct{ arn, prefix string }{
		{"", "GameSessionQueueArns[0]: is required"},
		{"arn:aws:gamelift:us-east-1::gamesessionqueue/" + strings.Repeat("q", 500), "GameSessionQueueArns[0]: must be 1 to 512"},
		{"arn:aws:gamelift:us-east-1::fleet/f", "GameSessionQueueArns[0]: \"arn:aws:gamelift:us-east-1::fleet/f\" is not a game session queue ARN"},
		{"arn:aws:gamelift:us-east-1::gamesessionqueue/", "GameSessionQueueArns[0]: is required"},
		{"arn:aws:gamelift:us-east-1::gamesessionqueue/a b", "GameSessionQueueArns[0]: must match"},
		{"a b", "GameSessionQueueArns[0]: must match"},
	} {
		_, err := e.svc.CreateMatchmakingConfiguration(e.ctx, &CreateMatchmakingConfigurationInput{Name: "c", RuleSetName: "rs",
			RequestTimeoutSeconds: ptr(60), AcceptanceRequired: ptr(false), GameSessionQueueArns: []string{c.arn}})
		wantErr(t, err, InvalidRequest, c.prefix)
	}
}

func TestDefaultQueue(t *testing.T) {
	st := store.NewMemory(store.Options{})
	opts := Options{Store: st, DefaultQueue: &store.Queue{Name: "default", Regions: []string{"local"}}}
	svc, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	_ = svc.Close()
	q, err := st.GetQueue(t.Context(), "default")
	if err != nil || q.TimeoutSeconds != DefaultQueueTimeout || len(q.Regions) != 1 || q.Regions[0] != "local" {
		t.Fatalf("default queue %+v %v", q, err)
	}
	// An existing queue is left as it is.
	opts.DefaultQueue = &store.Queue{Name: "default", Regions: []string{"elsewhere"}, TimeoutSeconds: 5}
	svc, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	_ = svc.Close()
	if q2, _ := st.GetQueue(t.Context(), "default"); q2.TimeoutSeconds != q.TimeoutSeconds || q2.Regions[0] != "local" {
		t.Fatalf("existing default queue changed: %+v", q2)
	}
	// A bad default queue fails New, naming the field.
	opts.DefaultQueue = &store.Queue{Name: "other"}
	if _, err := New(opts); err == nil || !strings.Contains(err.Error(), "Options.DefaultQueue") || !strings.Contains(err.Error(), "Destinations") {
		t.Fatalf("default queue without regions: %v", err)
	}
	// The queue `matchpoint dev` names in its sample configuration.
	svc, err = New(Options{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	if _, err := svc.CreateMatchmakingRuleSet(t.Context(), &CreateMatchmakingRuleSetInput{Name: "rs", RuleSetBody: testRuleSet}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateMatchmakingConfiguration(t.Context(), &CreateMatchmakingConfigurationInput{Name: "sample", RuleSetName: "rs",
		RequestTimeoutSeconds: ptr(120), AcceptanceRequired: ptr(false), FlexMatchMode: ptr(ModeWithQueue),
		GameSessionQueueArns: []string{"arn:aws:gamelift:us-east-1:000000000000:gamesessionqueue/default"}}); err != nil {
		t.Fatal(err)
	}
	again, err := New(Options{Store: st, Registerer: prometheus.NewRegistry(), DefaultQueue: &store.Queue{Name: "default", Regions: []string{"local"}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = again.Close()
}
