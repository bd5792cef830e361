package storetest

import (
	"reflect"
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func testRuleSets(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	a := store.RuleSet{Name: "b-rules", Body: `{"name":"b"}`, CreationTime: base()}
	b := store.RuleSet{Name: "a-rules", Body: `{"name":"a"}`, CreationTime: base()}
	must(t, s.CreateRuleSet(ctx, a))
	must(t, s.CreateRuleSet(ctx, b))
	wantErr(t, s.CreateRuleSet(ctx, store.RuleSet{Name: a.Name, Body: "{}"}), store.ErrExists, "create duplicate rule set")

	got, err := s.GetRuleSet(ctx, a.Name)
	must(t, err)
	if got.Name != a.Name || got.Body != a.Body || !got.CreationTime.Equal(a.CreationTime) {
		t.Fatalf("get rule set: got %+v, want %+v", got, a)
	}
	_, err = s.GetRuleSet(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "get missing rule set")

	list, err := s.ListRuleSets(ctx)
	must(t, err)
	if len(list) != 2 || list[0].Name != "a-rules" || list[1].Name != "b-rules" {
		t.Fatalf("list rule sets: got %+v", list)
	}

	must(t, s.CreateConfiguration(ctx, store.Configuration{Name: "uses-a", RuleSetName: a.Name}))
	wantErr(t, s.DeleteRuleSet(ctx, a.Name), store.ErrInUse, "delete rule set in use")
	if _, err := s.GetRuleSet(ctx, a.Name); err != nil {
		t.Fatalf("rule set in use was deleted: %v", err)
	}
	must(t, s.DeleteRuleSet(ctx, b.Name))
	wantErr(t, s.DeleteRuleSet(ctx, b.Name), store.ErrNotFound, "delete missing rule set")
	_, err = s.GetRuleSet(ctx, b.Name)
	wantErr(t, err, store.ErrNotFound, "get deleted rule set")

	must(t, s.DeleteConfiguration(ctx, "uses-a"))
	must(t, s.DeleteRuleSet(ctx, a.Name))
	list, err = s.ListRuleSets(ctx)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("list after deleting all: %+v", list)
	}
}

func fullConfiguration(name, ruleSet string) store.Configuration {
	return store.Configuration{
		Name:                     name,
		Description:              "five versus five",
		RuleSetName:              ruleSet,
		RequestTimeoutSeconds:    120,
		AcceptanceRequired:       true,
		AcceptanceTimeoutSeconds: 30,
		BackfillMode:             "AUTOMATIC",
		FlexMatchMode:            "WITH_QUEUE",
		GameSessionQueueArns:     []string{"arn:aws:gamelift:us-west-2::gamesessionqueue/q"},
		AdditionalPlayerCount:    2,
		CustomEventData:          "custom",
		GameProperties:           []store.GameProperty{{Key: "level", Value: "10"}, {Key: "difficulty", Value: "hard"}},
		GameSessionData:          "data",
		NotificationTarget:       "arn:aws:sns:us-west-2:111122223333:topic",
		Regions:                  []string{"us-west-2", "eu-west-1"},
		CreationTime:             base(),
	}
}

func sameConfiguration(t *testing.T, got, want store.Configuration) {
	t.Helper()
	got.CreationTime, want.CreationTime = got.CreationTime.UTC(), want.CreationTime.UTC()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("configuration:\n got  %+v\n want %+v", got, want)
	}
}

func testConfigurations(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	must(t, s.CreateRuleSet(ctx, store.RuleSet{Name: "r1", Body: "{}"}))
	must(t, s.CreateRuleSet(ctx, store.RuleSet{Name: "r2", Body: "{}"}))
	must(t, s.CreateQueue(ctx, store.Queue{Name: "q", Regions: []string{"us-west-2"}, TimeoutSeconds: 600}))

	c := fullConfiguration("mm-5v5", "r1")
	must(t, s.CreateConfiguration(ctx, c))
	got, err := s.GetConfiguration(ctx, c.Name)
	must(t, err)
	sameConfiguration(t, got, c)
	wantErr(t, s.CreateConfiguration(ctx, store.Configuration{Name: c.Name, RuleSetName: "r1"}), store.ErrExists, "create duplicate configuration")
	_, err = s.GetConfiguration(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "get missing configuration")

	must(t, s.CreateConfiguration(ctx, store.Configuration{Name: "mm-1v1", RuleSetName: "r2"}))
	list, err := s.ListConfigurations(ctx)
	must(t, err)
	if len(list) != 2 || list[0].Name != "mm-1v1" || list[1].Name != "mm-5v5" {
		t.Fatalf("list configurations: got %+v", list)
	}

	updated := c
	updated.RuleSetName = "r2"
	updated.Description = "moved to r2"
	updated.GameProperties = nil
	must(t, s.UpdateConfiguration(ctx, updated))
	got, err = s.GetConfiguration(ctx, c.Name)
	must(t, err)
	sameConfiguration(t, got, updated)
	must(t, s.DeleteRuleSet(ctx, "r1"))

	wantErr(t, s.UpdateConfiguration(ctx, store.Configuration{Name: "nope", RuleSetName: "r2"}), store.ErrNotFound, "update missing configuration")
	if _, err := s.GetConfiguration(ctx, "nope"); err == nil {
		t.Fatal("update of a missing configuration created it")
	}
	bad := updated
	bad.RuleSetName = "missing-rules"
	wantErr(t, s.UpdateConfiguration(ctx, bad), store.ErrNotFound, "update configuration to a missing rule set")
	got, err = s.GetConfiguration(ctx, c.Name)
	must(t, err)
	sameConfiguration(t, got, updated)

	must(t, s.DeleteConfiguration(ctx, c.Name))
	wantErr(t, s.DeleteConfiguration(ctx, c.Name), store.ErrNotFound, "delete missing configuration")
	_, err = s.GetConfiguration(ctx, c.Name)
	wantErr(t, err, store.ErrNotFound, "get deleted configuration")
	must(t, s.DeleteConfiguration(ctx, "mm-1v1"))
	must(t, s.DeleteRuleSet(ctx, "r2"))
	must(t, s.DeleteQueue(ctx, "q"))
}

// testConfigurationNoPartialWrite: a configuration with a missing rule set
// writes nothing, and does not pin the rule set name for later deletes.
func testConfigurationNoPartialWrite(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	wantErr(t, s.CreateConfiguration(ctx, fullConfiguration("orphan", "missing")), store.ErrNotFound, "create configuration with a missing rule set")
	_, err := s.GetConfiguration(ctx, "orphan")
	wantErr(t, err, store.ErrNotFound, "get configuration whose create failed")
	list, err := s.ListConfigurations(ctx)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("failed create left configurations: %+v", list)
	}
	must(t, s.CreateRuleSet(ctx, store.RuleSet{Name: "missing", Body: "{}"}))
	must(t, s.DeleteRuleSet(ctx, "missing"))
	_, err = s.CreateTicket(ctx, ticket("t-orphan", "orphan", store.StatusQueued, 0, "p1"))
	wantErr(t, err, store.ErrNotFound, "create ticket of a missing configuration")
	gone(t, s, "t-orphan")
}

func sameQueue(t *testing.T, what string, got, want store.Queue) {
	t.Helper()
	got.CreationTime, want.CreationTime = got.CreationTime.UTC(), want.CreationTime.UTC()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func testQueues(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	a := store.Queue{Name: "b-queue", Regions: []string{"eu-west-1", "us-east-1"}, TimeoutSeconds: 600, CreationTime: base()}
	b := store.Queue{Name: "a-queue", Regions: []string{"ap-south-1"}, TimeoutSeconds: 30, CreationTime: base()}
	must(t, s.CreateQueue(ctx, a))
	must(t, s.CreateQueue(ctx, b))
	wantErr(t, s.CreateQueue(ctx, store.Queue{Name: a.Name, Regions: []string{"x"}, TimeoutSeconds: 1}), store.ErrExists, "create duplicate queue")
	got, err := s.GetQueue(ctx, a.Name)
	must(t, err)
	sameQueue(t, "get queue", got, a)
	got.Regions[0] = "mutated"
	got, err = s.GetQueue(ctx, a.Name)
	must(t, err)
	sameQueue(t, "get queue after mutating a copy", got, a)
	_, err = s.GetQueue(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "get missing queue")

	list, err := s.ListQueues(ctx)
	must(t, err)
	if len(list) != 2 || list[0].Name != "a-queue" || list[1].Name != "b-queue" {
		t.Fatalf("list queues: got %+v", list)
	}

	updated := a
	updated.Regions = []string{"us-east-1"}
	updated.TimeoutSeconds = 90
	must(t, s.UpdateQueue(ctx, updated))
	got, err = s.GetQueue(ctx, a.Name)
	must(t, err)
	sameQueue(t, "get updated queue", got, updated)
	wantErr(t, s.UpdateQueue(ctx, store.Queue{Name: "nope", Regions: []string{"x"}, TimeoutSeconds: 1}), store.ErrNotFound, "update missing queue")
	_, err = s.GetQueue(ctx, "nope")
	wantErr(t, err, store.ErrNotFound, "get queue whose update failed")

	must(t, s.DeleteQueue(ctx, b.Name))
	wantErr(t, s.DeleteQueue(ctx, b.Name), store.ErrNotFound, "delete missing queue")
	_, err = s.GetQueue(ctx, b.Name)
	wantErr(t, err, store.ErrNotFound, "get deleted queue")
	must(t, s.DeleteQueue(ctx, a.Name))
	list, err = s.ListQueues(ctx)
	must(t, err)
	if len(list) != 0 {
		t.Fatalf("list after deleting all queues: %+v", list)
	}
}

// testQueueReferences: a configuration may only name existing queues, and a
// queue a configuration names cannot be deleted until no configuration
// names it (after an update that drops it, or the configuration's delete).
func testQueueReferences(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	must(t, s.CreateRuleSet(ctx, store.RuleSet{Name: "rs", Body: "{}"}))
	must(t, s.CreateQueue(ctx, store.Queue{Name: "q1", Regions: []string{"eu-west-1"}, TimeoutSeconds: 600}))
	must(t, s.CreateQueue(ctx, store.Queue{Name: "q2", Regions: []string{"us-east-1"}, TimeoutSeconds: 600}))

	c := store.Configuration{Name: "cfg", RuleSetName: "rs", FlexMatchMode: "WITH_QUEUE",
		GameSessionQueueArns: []string{"arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/q1", "missing"}}
	wantErr(t, s.CreateConfiguration(ctx, c), store.ErrNotFound, "create configuration naming a missing queue")
	_, err := s.GetConfiguration(ctx, c.Name)
	wantErr(t, err, store.ErrNotFound, "get configuration whose create failed")
	// The failed create pinned nothing.
	must(t, s.CreateQueue(ctx, store.Queue{Name: "missing", Regions: []string{"x"}, TimeoutSeconds: 1}))
	must(t, s.DeleteQueue(ctx, "missing"))

	c.GameSessionQueueArns = []string{"arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/q1", "q2"}
	must(t, s.CreateConfiguration(ctx, c))
	wantErr(t, s.DeleteQueue(ctx, "q1"), store.ErrInUse, "delete queue named by an ARN")
	wantErr(t, s.DeleteQueue(ctx, "q2"), store.ErrInUse, "delete queue named by its name")
	if _, err := s.GetQueue(ctx, "q1"); err != nil {
		t.Fatalf("queue in use was deleted: %v", err)
	}

	bad := c
	bad.GameSessionQueueArns = []string{"arn:aws:gamelift:eu-west-1::gamesessionqueue/nope"}
	wantErr(t, s.UpdateConfiguration(ctx, bad), store.ErrNotFound, "update configuration to a missing queue")
	got, err := s.GetConfiguration(ctx, c.Name)
	must(t, err)
	sameConfiguration(t, got, c)

	c.GameSessionQueueArns = []string{"q2"}
	must(t, s.UpdateConfiguration(ctx, c))
	must(t, s.DeleteQueue(ctx, "q1"))
	wantErr(t, s.DeleteQueue(ctx, "q2"), store.ErrInUse, "delete queue still named")

	c.GameSessionQueueArns = nil
	must(t, s.UpdateConfiguration(ctx, c))
	must(t, s.CreateQueue(ctx, store.Queue{Name: "q1", Regions: []string{"eu-west-1"}, TimeoutSeconds: 600}))
	c.GameSessionQueueArns = []string{"q1"}
	must(t, s.UpdateConfiguration(ctx, c))
	must(t, s.DeleteQueue(ctx, "q2"))
	must(t, s.DeleteConfiguration(ctx, c.Name))
	must(t, s.DeleteQueue(ctx, "q1"))
}
