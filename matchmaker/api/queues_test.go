package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
	"github.com/aws/smithy-go"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestRESTQueues runs a queue's lifecycle through /v1/queues, on both stores.
func TestRESTQueues(t *testing.T) {
	for name, open := range map[string]func(testing.TB) store.Store{
		"memory": func(testing.TB) store.Store { return nil },
		"redis":  redisStore,
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, open(t))
			b := s.must(t, "POST", "/v1/queues", `{"Name":"main","Destinations":[{"DestinationArn":"arn:aws:gamelift:eu-west-1::fleet/f-1"},{"DestinationArn":"us-east-1"}]}`, http.StatusCreated)
			var out matchmaker.CreateGameSessionQueueOutput
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatal(err)
			}
			q := out.GameSessionQueue
			if q.GameSessionQueueArn != "arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/main" || q.TimeoutInSeconds != 600 ||
				strings.Join(q.Regions, ",") != "eu-west-1,us-east-1" {
				t.Fatalf("created %s", b)
			}
			s.must(t, "POST", "/v1/queues", `{"Name":"b","Destinations":[{"DestinationArn":"local"}],"TimeoutInSeconds":20}`, http.StatusCreated)
			b = s.must(t, "GET", "/v1/queues/main", "", http.StatusOK)
			if !strings.Contains(string(b), `"GameSessionQueue":{"Name":"main"`) {
				t.Fatalf("get %s", b)
			}
			var list matchmaker.DescribeGameSessionQueuesOutput
			b = s.must(t, "GET", "/v1/queues?limit=1", "", http.StatusOK)
			if err := json.Unmarshal(b, &list); err != nil || len(list.GameSessionQueues) != 1 || list.GameSessionQueues[0].Name != "b" || list.NextToken != "b" {
				t.Fatalf("list %s %v", b, err)
			}
			b = s.must(t, "GET", "/v1/queues?nextToken=b", "", http.StatusOK)
			if err := json.Unmarshal(b, &list); err != nil || len(list.GameSessionQueues) != 1 || list.GameSessionQueues[0].Name != "main" {
				t.Fatalf("list page 2 %s %v", b, err)
			}
			b = s.must(t, "PUT", "/v1/queues/main", `{"TimeoutInSeconds":30}`, http.StatusOK)
			if !strings.Contains(string(b), `"TimeoutInSeconds":30`) || !strings.Contains(string(b), `"Regions":["eu-west-1","us-east-1"]`) {
				t.Fatalf("update %s", b)
			}

			rs, _ := json.Marshal(map[string]string{"Name": "rs", "RuleSetBody": ruleSet})
			s.must(t, "POST", "/v1/rulesets", string(rs), http.StatusCreated)
			s.must(t, "POST", "/v1/configurations", `{"Name":"c","RuleSetName":"rs","RequestTimeoutSeconds":60,"AcceptanceRequired":false,"GameSessionQueueArns":["arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/main"]}`, http.StatusCreated)
			s.must(t, "DELETE", "/v1/queues/main", "", http.StatusConflict)
			s.must(t, "PATCH", "/v1/configurations/c", `{"GameSessionQueueArns":["b"]}`, http.StatusOK)
			s.must(t, "DELETE", "/v1/queues/main", "", http.StatusNoContent)
			s.must(t, "GET", "/v1/queues/main", "", http.StatusNotFound)
			s.must(t, "DELETE", "/v1/configurations/c", "", http.StatusNoContent)
			s.must(t, "DELETE", "/v1/queues/b", "", http.StatusNoContent)
			if qs, err := s.st.ListQueues(t.Context()); err != nil || len(qs) != 0 {
				t.Fatalf("queues left: %v %v", qs, err)
			}
		})
	}
}

// TestRESTQueueBadInput: every bad queue request is a 4xx naming the field,
// and writes nothing.
func TestRESTQueueBadInput(t *testing.T) {
	s := newServer(t, nil)
	s.setup(t)
	s.must(t, "POST", "/v1/queues", `{"Name":"q","Destinations":[{"DestinationArn":"eu-west-1"}]}`, http.StatusCreated)
	cases := []struct {
		name, method, path, body string
		status                   int
		message                  string
	}{
		{"unknown field", "POST", "/v1/queues", `{"Name":"x","Destinations":[{"DestinationArn":"a"}],"Regions":["a"]}`, 400, "field Regions: unknown field"},
		{"wrong type", "POST", "/v1/queues", `{"Name":"x","Destinations":[{"DestinationArn":"a"}],"TimeoutInSeconds":"60"}`, 400, "field TimeoutInSeconds: expected integer, got string"},
		{"no name", "POST", "/v1/queues", `{"Destinations":[{"DestinationArn":"a"}]}`, 400, "Name: is required"},
		{"bad name", "POST", "/v1/queues", `{"Name":"a_b","Destinations":[{"DestinationArn":"a"}]}`, 400, "Name: must match"},
		{"no destinations", "POST", "/v1/queues", `{"Name":"x"}`, 400, "Destinations: at least one destination is required"},
		{"bad destination", "POST", "/v1/queues", `{"Name":"x","Destinations":[{"DestinationArn":"arn:aws:gamelift:eu-west-1::script/s"}]}`, 400, "Destinations[0].DestinationArn: "},
		{"repeated region", "POST", "/v1/queues", `{"Name":"x","Destinations":[{"DestinationArn":"a"},{"DestinationArn":"a"}]}`, 400, "Destinations[1].DestinationArn: region \"a\" is also Destinations[0]"},
		{"timeout 0", "POST", "/v1/queues", `{"Name":"x","Destinations":[{"DestinationArn":"a"}],"TimeoutInSeconds":0}`, 400, "TimeoutInSeconds: must be 1 to 43200, got 0"},
		{"timeout too long", "POST", "/v1/queues", `{"Name":"x","Destinations":[{"DestinationArn":"a"}],"TimeoutInSeconds":43201}`, 400, "TimeoutInSeconds: must be 1 to 43200, got 43201"},
		{"duplicate", "POST", "/v1/queues", `{"Name":"q","Destinations":[{"DestinationArn":"a"}]}`, 409, "Name: game session queue \"q\" already exists"},
		{"update timeout", "PUT", "/v1/queues/q", `{"TimeoutInSeconds":-5}`, 400, "TimeoutInSeconds: must be 1 to 43200, got -5"},
		{"update destinations", "PUT", "/v1/queues/q", `{"Destinations":[]}`, 400, "Destinations: at least one destination is required"},
		{"update missing", "PUT", "/v1/queues/nope", `{"TimeoutInSeconds":5}`, 404, "Name: game session queue \"nope\" does not exist"},
		{"get missing", "GET", "/v1/queues/nope", ``, 404, "Names[0]: game session queue \"nope\" does not exist"},
		{"delete missing", "DELETE", "/v1/queues/nope", ``, 404, "Name: game session queue \"nope\" does not exist"},
		{"bad limit", "GET", "/v1/queues?limit=0x", ``, 400, "limit: want an integer"},
		{"limit too large", "GET", "/v1/queues?limit=11", ``, 400, "Limit: must be 1 to 10"},
		{"configuration names a missing queue", "POST", "/v1/configurations", `{"Name":"d","RuleSetName":"rs","RequestTimeoutSeconds":60,"AcceptanceRequired":false,"GameSessionQueueArns":["arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/nope"]}`, 404, "GameSessionQueueArns[0]: game session queue \"nope\" does not exist"},
		{"configuration names a fleet", "POST", "/v1/configurations", `{"Name":"d","RuleSetName":"rs","RequestTimeoutSeconds":60,"AcceptanceRequired":false,"GameSessionQueueArns":["arn:aws:gamelift:us-east-1::fleet/f"]}`, 400, "GameSessionQueueArns[0]: \"arn:aws:gamelift:us-east-1::fleet/f\" is not a game session queue ARN"},
		{"update names a missing queue", "PATCH", "/v1/configurations/c", `{"GameSessionQueueArns":["q","nope"]}`, 404, "GameSessionQueueArns[1]: game session queue \"nope\" does not exist"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, b := s.do(t, c.method, c.path, c.body)
			var e restError
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if status != c.status || !strings.HasPrefix(e.Error.Message, c.message) || e.Error.Type == "" {
				t.Fatalf("%d %+v, want %d %q", status, e.Error, c.status, c.message)
			}
		})
	}
	qs, err := s.st.ListQueues(t.Context())
	if err != nil || len(qs) != 1 || qs[0].TimeoutSeconds != 600 || strings.Join(qs[0].Regions, ",") != "eu-west-1" {
		t.Fatalf("bad requests wrote queues: %+v %v", qs, err)
	}
	cfgs, err := s.st.ListConfigurations(t.Context())
	if err != nil || len(cfgs) != 1 || len(cfgs[0].GameSessionQueueArns) != 0 {
		t.Fatalf("bad requests wrote configurations: %+v %v", cfgs, err)
	}
}

// TestAWSSDKQueues drives the queue operations with the official AWS SDK
// (RPC v2 CBOR) and JSON 1.1.
func TestAWSSDKQueues(t *testing.T) {
	s := newServer(t, nil)
	gl := sdkClient(s.URL, keyID, keySecret)
	ctx := context.Background()
	out, err := gl.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{
		Name: aws.String("default"), TimeoutInSeconds: aws.Int32(120),
		Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String("arn:aws:gamelift:eu-west-1::fleet/fleet-1234")}, {DestinationArn: aws.String("us-east-1")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	q := out.GameSessionQueue
	if aws.ToString(q.GameSessionQueueArn) != "arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/default" || aws.ToInt32(q.TimeoutInSeconds) != 120 ||
		len(q.Destinations) != 2 || !strings.HasPrefix(aws.ToString(q.Destinations[0].DestinationArn), "arn:aws:gamelift:eu-west-1:") {
		t.Fatalf("queue %+v", q)
	}
	up, err := gl.UpdateGameSessionQueue(ctx, &gamelift.UpdateGameSessionQueueInput{Name: q.GameSessionQueueArn,
		Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String("ap-south-1")}}})
	if err != nil || len(up.GameSessionQueue.Destinations) != 1 || aws.ToInt32(up.GameSessionQueue.TimeoutInSeconds) != 120 {
		t.Fatalf("update: %+v %v", up, err)
	}
	d, err := gl.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{Names: []string{"default"}})
	if err != nil || len(d.GameSessionQueues) != 1 || aws.ToString(d.GameSessionQueues[0].Name) != "default" {
		t.Fatalf("describe: %+v %v", d, err)
	}
	if _, err := gl.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String("rs"), RuleSetBody: aws.String(ruleSet)}); err != nil {
		t.Fatal(err)
	}
	_, err = gl.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("c"), RuleSetName: aws.String("rs"), RequestTimeoutSeconds: aws.Int32(60), AcceptanceRequired: aws.Bool(false),
		FlexMatchMode: types.FlexMatchModeWithQueue, GameSessionQueueArns: []string{"arn:aws:gamelift:us-east-1:123456789012:gamesessionqueue/other"},
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "NotFoundException" || !strings.HasPrefix(ae.ErrorMessage(), "GameSessionQueueArns[0]: ") {
		t.Fatalf("configuration naming a missing queue: %v", err)
	}
	_, err = gl.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{Name: aws.String("bad"), TimeoutInSeconds: aws.Int32(0),
		Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String("eu-west-1")}}})
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidRequestException" || !strings.HasPrefix(ae.ErrorMessage(), "TimeoutInSeconds: ") {
		t.Fatalf("bad timeout: %v", err)
	}
	if _, err := gl.DeleteGameSessionQueue(ctx, &gamelift.DeleteGameSessionQueueInput{Name: aws.String("default")}); err != nil {
		t.Fatal(err)
	}

	// JSON 1.1.
	status, _, b := s.signed(t, "CreateGameSessionQueue", `{"Name":"j","Destinations":[{"DestinationArn":"local"}]}`, time.Now(), keySecret)
	if status != 200 || !strings.Contains(string(b), `"TimeoutInSeconds":600`) {
		t.Fatalf("JSON 1.1 create: %d %s", status, b)
	}
	status, _, b = s.signed(t, "DescribeGameSessionQueues", `{}`, time.Now(), keySecret)
	if status != 200 || !strings.Contains(string(b), `"Name":"j"`) {
		t.Fatalf("JSON 1.1 describe: %d %s", status, b)
	}
	status, _, b = s.signed(t, "DeleteGameSessionQueue", `{"Name":"nope"}`, time.Now(), keySecret)
	if status != 400 || !strings.Contains(string(b), `"__type":"NotFoundException"`) || !strings.Contains(string(b), `Name: game session queue \"nope\" does not exist`) {
		t.Fatalf("JSON 1.1 delete missing: %d %s", status, b)
	}
}
