package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// newFleetServer serves a Service whose script store holds script "game"
// and which hears one relay in us-east-1.
func newFleetServer(t *testing.T) *server {
	t.Helper()
	st := store.NewMemory(store.Options{})
	svc, err := matchmaker.New(matchmaker.Options{
		Store: st, Logger: quiet(), Region: "us-east-1", AccountID: "123456789012",
		ScriptExists: func(_ context.Context, name string) (bool, error) { return name == "game", nil },
		Relays: func() []matchmaker.Relay {
			return []matchmaker.Relay{{ID: "r1", Region: "us-east-1", MaxSessions: 8, Sessions: 1, MaxPlayers: 64, Players: 3}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	srv := httptest.NewServer(New(svc, map[string]string{keyID: keySecret}, quiet()))
	t.Cleanup(srv.Close)
	return &server{Server: srv, svc: svc, st: st}
}

func restErrorOf(t *testing.T, b []byte) restErrorBody {
	t.Helper()
	var e restError
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %s: %v", b, err)
	}
	return e.Error
}

func TestRESTFleetsAndAliases(t *testing.T) {
	s := newFleetServer(t)
	status, b := s.do(t, "POST", "/v1/fleets", `{"Name":"f","BuildId":"build-1"}`)
	if e := restErrorOf(t, b); status != http.StatusBadRequest || e.Type != "InvalidRequestException" || !strings.HasPrefix(e.Message, "BuildId: ") {
		t.Fatalf("fleet with a build: %d %s", status, b)
	}
	status, b = s.do(t, "POST", "/v1/fleets", `{"Name":"f","ScriptId":"script-nope"}`)
	if e := restErrorOf(t, b); status != http.StatusNotFound || !strings.HasPrefix(e.Message, `ScriptId: script "nope" does not exist`) {
		t.Fatalf("fleet of an unknown script: %d %s", status, b)
	}
	b = s.must(t, "POST", "/v1/fleets", `{"Name":"f","ScriptId":"game","EC2InstanceType":"c5.large",
		"RuntimeConfiguration":{"ServerProcesses":[{"LaunchPath":"/local/game/game.js","ConcurrentExecutions":2}]}}`, http.StatusCreated)
	var created matchmaker.CreateFleetOutput
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	id := created.FleetAttributes.FleetId
	if created.FleetAttributes.Status != "ACTIVE" || len(created.LocationStates) != 1 || created.LocationStates[0].Location != "us-east-1" {
		t.Fatalf("created %s", b)
	}
	b = s.must(t, "GET", "/v1/fleets/"+id, "", http.StatusOK)
	if !strings.Contains(string(b), `"InstanceType":"c5.large"`) || !strings.Contains(string(b), `"ScriptId":"script-game"`) {
		t.Fatalf("fleet %s", b)
	}
	status, b = s.do(t, "GET", "/v1/fleets/fleet-nope", "")
	if e := restErrorOf(t, b); status != http.StatusNotFound || e.Message != `FleetId: fleet "fleet-nope" does not exist` {
		t.Fatalf("unknown fleet: %d %s", status, b)
	}
	s.must(t, "PATCH", "/v1/fleets/"+id, `{"Description":"new"}`, http.StatusOK)
	s.must(t, "PUT", "/v1/fleets/"+id+"/runtime-configuration", `{"RuntimeConfiguration":{"ServerProcesses":[{"LaunchPath":"/local/game/b.js","ConcurrentExecutions":1}]}}`, http.StatusOK)
	b = s.must(t, "GET", "/v1/fleets/"+id+"/runtime-configuration", "", http.StatusOK)
	if !strings.Contains(string(b), "/local/game/b.js") {
		t.Fatalf("runtime configuration %s", b)
	}
	b = s.must(t, "GET", "/v1/fleets/"+id+"/capacity", "", http.StatusOK)
	if !strings.Contains(string(b), `"ACTIVE":1`) {
		t.Fatalf("capacity %s", b)
	}
	b = s.must(t, "GET", "/v1/fleets/"+id+"/utilization", "", http.StatusOK)
	if !strings.Contains(string(b), `"ActiveGameSessionCount":1`) || !strings.Contains(string(b), `"CurrentPlayerSessionCount":3`) {
		t.Fatalf("utilization %s", b)
	}
	b = s.must(t, "GET", "/v1/fleets", "", http.StatusOK)
	if !strings.Contains(string(b), `"Description":"new"`) {
		t.Fatalf("fleets %s", b)
	}

	b = s.must(t, "POST", "/v1/aliases", `{"Name":"a","RoutingStrategy":{"Type":"SIMPLE","FleetId":"`+id+`"}}`, http.StatusCreated)
	var alias matchmaker.AliasOutput
	if err := json.Unmarshal(b, &alias); err != nil {
		t.Fatal(err)
	}
	aid := alias.Alias.AliasId
	b = s.must(t, "GET", "/v1/aliases/"+aid+"/fleet", "", http.StatusOK)
	if !strings.Contains(string(b), `"FleetId":"`+id+`"`) {
		t.Fatalf("resolved %s", b)
	}
	s.must(t, "PATCH", "/v1/aliases/"+aid, `{"RoutingStrategy":{"Type":"TERMINAL","Message":"closed"}}`, http.StatusOK)
	status, b = s.do(t, "GET", "/v1/aliases/"+aid+"/fleet", "")
	if e := restErrorOf(t, b); status != http.StatusBadRequest || e.Type != "TerminalRoutingStrategyException" || e.Message != "closed" {
		t.Fatalf("resolve a TERMINAL alias: %d %s", status, b)
	}
	b = s.must(t, "GET", "/v1/aliases?routingStrategyType=TERMINAL", "", http.StatusOK)
	if !strings.Contains(string(b), aid) {
		t.Fatalf("TERMINAL aliases %s", b)
	}
	s.must(t, "DELETE", "/v1/aliases/"+aid, "", http.StatusNoContent)
	s.must(t, "GET", "/v1/aliases/"+aid, "", http.StatusNotFound)

	if _, _, err := s.st.CreateGameSession(t.Context(), store.GameSession{
		GameSessionId: "arn:aws:gamelift:us-east-1::gamesession/" + id + "/g", FleetId: id, MaximumPlayerSessionCount: 2,
		Status: store.GameSessionActive, CreationTime: time.Now(),
	}, store.CreatorLimit{}); err != nil {
		t.Fatal(err)
	}
	status, b = s.do(t, "DELETE", "/v1/fleets/"+id, "")
	if e := restErrorOf(t, b); status != http.StatusConflict || !strings.HasPrefix(e.Message, "FleetId: ") {
		t.Fatalf("delete a fleet in use: %d %s", status, b)
	}
}

func TestGameLiftJSONFleets(t *testing.T) {
	s := newFleetServer(t)
	status, _, b := s.signed(t, "CreateFleet", `{"Name":"f","ScriptId":"arn:aws:gamelift:us-east-1:123456789012:script/script-game","EC2InboundPermissions":[{"FromPort":1,"ToPort":2,"IpRange":"0.0.0.0/0","Protocol":"UDP"}]}`, time.Now(), keySecret)
	if status != http.StatusOK {
		t.Fatalf("CreateFleet: %d %s", status, b)
	}
	var created matchmaker.CreateFleetOutput
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	status, _, b = s.signed(t, "DescribeRuntimeConfiguration", `{"FleetId":"fleet-nope"}`, time.Now(), keySecret)
	var ae awsError
	if err := json.Unmarshal(b, &ae); err != nil || status != http.StatusBadRequest || ae.Type != "NotFoundException" || ae.Message != `FleetId: fleet "fleet-nope" does not exist` {
		t.Fatalf("unknown fleet: %d %s", status, b)
	}
	status, _, b = s.signed(t, "CreateAlias", `{"Name":"a","RoutingStrategy":{"Type":"TERMINAL","Message":"gone"}}`, time.Now(), keySecret)
	var alias matchmaker.AliasOutput
	if err := json.Unmarshal(b, &alias); err != nil || status != http.StatusOK {
		t.Fatalf("CreateAlias: %d %s", status, b)
	}
	status, _, b = s.signed(t, "ResolveAlias", `{"AliasId":"`+alias.Alias.AliasArn+`"}`, time.Now(), keySecret)
	if err := json.Unmarshal(b, &ae); err != nil || status != http.StatusBadRequest || ae.Type != "TerminalRoutingStrategyException" || ae.Message != "gone" {
		t.Fatalf("ResolveAlias: %d %s", status, b)
	}
}

// TestAWSSDKFleets drives the fleet and alias actions with the AWS SDK for
// Go v2, and checks that its errors parse as their typed exceptions.
func TestAWSSDKFleets(t *testing.T) {
	s := newFleetServer(t)
	gl := sdkClient(s.URL, keyID, keySecret)
	ctx := t.Context()
	_, err := gl.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String("f"), BuildId: aws.String("build-1")})
	var ire *types.InvalidRequestException
	if !errors.As(err, &ire) || !strings.HasPrefix(ire.ErrorMessage(), "BuildId: ") {
		t.Fatalf("fleet with a build: %v", err)
	}
	created, err := gl.CreateFleet(ctx, &gamelift.CreateFleetInput{
		Name: aws.String("f"), ScriptId: aws.String("script-game"), EC2InstanceType: types.EC2InstanceTypeC5Large,
		RuntimeConfiguration:        &types.RuntimeConfiguration{ServerProcesses: []types.ServerProcess{{LaunchPath: aws.String("/local/game/game.js"), ConcurrentExecutions: aws.Int32(4)}}},
		Locations:                   []types.LocationConfiguration{{Location: aws.String("eu-west-1")}},
		ResourceCreationLimitPolicy: &types.ResourceCreationLimitPolicy{NewGameSessionsPerCreator: aws.Int32(2), PolicyPeriodInMinutes: aws.Int32(10)},
		Tags:                        []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	fa := created.FleetAttributes
	id := aws.ToString(fa.FleetId)
	if fa.Status != types.FleetStatusActive || aws.ToString(fa.ScriptId) != "script-game" || fa.InstanceType != types.EC2InstanceTypeC5Large ||
		fa.CreationTime == nil || len(created.LocationStates) != 2 || aws.ToInt32(fa.ResourceCreationLimitPolicy.NewGameSessionsPerCreator) != 2 {
		t.Fatalf("created fleet %+v %+v", fa, created.LocationStates)
	}
	attrs, err := gl.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{aws.ToString(fa.FleetArn)}})
	if err != nil || len(attrs.FleetAttributes) != 1 || aws.ToString(attrs.FleetAttributes[0].Name) != "f" {
		t.Fatalf("DescribeFleetAttributes: %+v %v", attrs, err)
	}
	list, err := gl.ListFleets(ctx, &gamelift.ListFleetsInput{ScriptId: aws.String("script-game")})
	if err != nil || len(list.FleetIds) != 1 || list.FleetIds[0] != id {
		t.Fatalf("ListFleets: %+v %v", list, err)
	}
	if _, err := gl.UpdateFleetAttributes(ctx, &gamelift.UpdateFleetAttributesInput{FleetId: aws.String(id), Name: aws.String("g"), NewGameSessionProtectionPolicy: types.ProtectionPolicyFullProtection}); err != nil {
		t.Fatal(err)
	}
	if _, err := gl.UpdateRuntimeConfiguration(ctx, &gamelift.UpdateRuntimeConfigurationInput{FleetId: aws.String(id), RuntimeConfiguration: &types.RuntimeConfiguration{
		ServerProcesses: []types.ServerProcess{{LaunchPath: aws.String("/local/game/other.js"), ConcurrentExecutions: aws.Int32(1)}},
	}}); err != nil {
		t.Fatal(err)
	}
	rc, err := gl.DescribeRuntimeConfiguration(ctx, &gamelift.DescribeRuntimeConfigurationInput{FleetId: aws.String(id)})
	if err != nil || aws.ToString(rc.RuntimeConfiguration.ServerProcesses[0].LaunchPath) != "/local/game/other.js" {
		t.Fatalf("DescribeRuntimeConfiguration: %+v %v", rc, err)
	}
	capacity, err := gl.DescribeFleetCapacity(ctx, &gamelift.DescribeFleetCapacityInput{FleetIds: []string{id}})
	if err != nil || aws.ToInt32(capacity.FleetCapacity[0].InstanceCounts.ACTIVE) != 1 {
		t.Fatalf("DescribeFleetCapacity: %+v %v", capacity, err)
	}
	util, err := gl.DescribeFleetUtilization(ctx, &gamelift.DescribeFleetUtilizationInput{FleetIds: []string{id}})
	if err != nil || aws.ToInt32(util.FleetUtilization[0].CurrentPlayerSessionCount) != 3 {
		t.Fatalf("DescribeFleetUtilization: %+v %v", util, err)
	}

	alias, err := gl.CreateAlias(ctx, &gamelift.CreateAliasInput{Name: aws.String("a"), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: aws.String(id)}})
	if err != nil {
		t.Fatal(err)
	}
	aid := alias.Alias.AliasId
	resolved, err := gl.ResolveAlias(ctx, &gamelift.ResolveAliasInput{AliasId: aid})
	if err != nil || aws.ToString(resolved.FleetId) != id {
		t.Fatalf("ResolveAlias: %+v %v", resolved, err)
	}
	if _, err := gl.UpdateAlias(ctx, &gamelift.UpdateAliasInput{AliasId: aid, RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeTerminal, Message: aws.String("closed")}}); err != nil {
		t.Fatal(err)
	}
	described, err := gl.DescribeAlias(ctx, &gamelift.DescribeAliasInput{AliasId: aid})
	if err != nil || described.Alias.RoutingStrategy.Type != types.RoutingStrategyTypeTerminal {
		t.Fatalf("DescribeAlias: %+v %v", described, err)
	}
	_, err = gl.ResolveAlias(ctx, &gamelift.ResolveAliasInput{AliasId: aid})
	var tre *types.TerminalRoutingStrategyException
	if !errors.As(err, &tre) || tre.ErrorMessage() != "closed" {
		t.Fatalf("ResolveAlias of a TERMINAL alias: %v", err)
	}
	aliases, err := gl.ListAliases(ctx, &gamelift.ListAliasesInput{})
	if err != nil || len(aliases.Aliases) != 1 {
		t.Fatalf("ListAliases: %+v %v", aliases, err)
	}
	if _, err := gl.DeleteAlias(ctx, &gamelift.DeleteAliasInput{AliasId: aid}); err != nil {
		t.Fatal(err)
	}
	if _, err := gl.DeleteFleet(ctx, &gamelift.DeleteFleetInput{FleetId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = gl.DescribeRuntimeConfiguration(ctx, &gamelift.DescribeRuntimeConfigurationInput{FleetId: aws.String(id)})
	var nfe *types.NotFoundException
	if !errors.As(err, &nfe) {
		t.Fatalf("a deleted fleet: %v", err)
	}
}
