package matchmaker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// fleetEnv is an env whose script store holds script "game" and whose
// relays are what setRelays last set.
type fleetEnv struct {
	*env
	mu     sync.Mutex
	relays []Relay
}

func newFleetEnv(t *testing.T, open opener) *fleetEnv {
	fe := &fleetEnv{}
	fe.env = newEnv(t, open, func(o *Options) {
		o.ScriptExists = func(_ context.Context, name string) (bool, error) { return name == "game", nil }
		o.Relays = func() []Relay {
			fe.mu.Lock()
			defer fe.mu.Unlock()
			return append([]Relay(nil), fe.relays...)
		}
	})
	return fe
}

func (fe *fleetEnv) setRelays(rs ...Relay) {
	fe.mu.Lock()
	defer fe.mu.Unlock()
	fe.relays = rs
}

func (fe *fleetEnv) fleet(mutate func(*CreateFleetInput)) FleetAttributes {
	fe.t.Helper()
	in := &CreateFleetInput{Name: "f", ScriptId: "script-game"}
	if mutate != nil {
		mutate(in)
	}
	out, err := fe.svc.CreateFleet(fe.ctx, in)
	if err != nil {
		fe.t.Fatal(err)
	}
	return out.FleetAttributes
}

func TestCreateFleetValidation(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newFleetEnv(t, open)
		bad := []struct {
			typ    ErrorType
			prefix string
			mut    func(*CreateFleetInput)
		}{
			{InvalidRequest, "BuildId: Matchpoint hosts Realtime scripts", func(in *CreateFleetInput) { in.BuildId = "build-1" }},
			{InvalidRequest, "Name: must be 1 to 1024", func(in *CreateFleetInput) { in.Name = "" }},
			{InvalidRequest, "ScriptId: is required", func(in *CreateFleetInput) { in.ScriptId = "" }},
			{NotFound, `ScriptId: script "nope" does not exist`, func(in *CreateFleetInput) { in.ScriptId = "nope" }},
			{InvalidRequest, "RuntimeConfiguration.ServerProcesses[0].LaunchPath: must be 1 to 1024", func(in *CreateFleetInput) {
				in.RuntimeConfiguration = &RuntimeConfiguration{ServerProcesses: []ServerProcess{{ConcurrentExecutions: 1}}}
			}},
			{InvalidRequest, "RuntimeConfiguration.ServerProcesses[0].ConcurrentExecutions: must be at least 1, got 0", func(in *CreateFleetInput) {
				in.RuntimeConfiguration = &RuntimeConfiguration{ServerProcesses: []ServerProcess{{LaunchPath: "/local/game/x.js"}}}
			}},
			{InvalidRequest, "RuntimeConfiguration.ServerProcesses: at most 50 concurrent executions in all, got 51", func(in *CreateFleetInput) {
				in.RuntimeConfiguration = &RuntimeConfiguration{ServerProcesses: []ServerProcess{{LaunchPath: "a", ConcurrentExecutions: 50}, {LaunchPath: "b", ConcurrentExecutions: 1}}}
			}},
			{InvalidRequest, "RuntimeConfiguration.GameSessionActivationTimeoutSeconds: must be 1 to 600, got 601", func(in *CreateFleetInput) {
				in.RuntimeConfiguration = &RuntimeConfiguration{GameSessionActivationTimeoutSeconds: 601}
			}},
			{InvalidRequest, `NewGameSessionProtectionPolicy: must be NoProtection or FullProtection, got "Full"`, func(in *CreateFleetInput) { in.NewGameSessionProtectionPolicy = "Full" }},
			{InvalidRequest, "ResourceCreationLimitPolicy.NewGameSessionsPerCreator: must be at least 0", func(in *CreateFleetInput) {
				in.ResourceCreationLimitPolicy = &ResourceCreationLimitPolicy{NewGameSessionsPerCreator: -1}
			}},
			{InvalidRequest, "Locations[1].Location: location \"us-east-1\" is given twice", func(in *CreateFleetInput) {
				in.Locations = []LocationConfiguration{{Location: "us-east-1"}, {Location: "us-east-1"}}
			}},
			{InvalidRequest, "Locations[0].Location: \"eu-west-1\" is the fleet's home region", func(in *CreateFleetInput) {
				in.Locations = []LocationConfiguration{{Location: "eu-west-1"}}
			}},
			{InvalidRequest, "Locations[0].Location: region \"eu west\"", func(in *CreateFleetInput) { in.Locations = []LocationConfiguration{{Location: "eu west"}} }},
			{InvalidRequest, "MetricGroups: at most 1 entry, got 2", func(in *CreateFleetInput) { in.MetricGroups = []string{"a", "b"} }},
			{InvalidRequest, "Tags[0].Key: ", func(in *CreateFleetInput) { in.Tags = []Tag{{}} }},
		}
		for _, c := range bad {
			in := &CreateFleetInput{Name: "f", ScriptId: "script-game"}
			c.mut(in)
			_, err := e.svc.CreateFleet(e.ctx, in)
			wantErr(t, err, c.typ, c.prefix)
		}
		fleets, err := e.st.ListFleets(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(fleets) != 0 {
			t.Fatalf("refused creates stored %d fleets", len(fleets))
		}
	})
}

func TestCreateFleetWithoutScriptStore(t *testing.T) {
	e := newEnv(t, func(*testing.T, func() time.Time) store.Store { return store.NewMemory(store.Options{}) })
	_, err := e.svc.CreateFleet(e.ctx, &CreateFleetInput{Name: "f", ScriptId: "game"})
	wantErr(t, err, InvalidRequest, "ScriptId: this matchmaker has no script store")
}

func TestFleetLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newFleetEnv(t, open)
		rc := &RuntimeConfiguration{
			ServerProcesses:                     []ServerProcess{{LaunchPath: "/local/game/game.js", Parameters: "--x", ConcurrentExecutions: 10}},
			MaxConcurrentGameSessionActivations: 2, GameSessionActivationTimeoutSeconds: 300,
		}
		f := e.fleet(func(in *CreateFleetInput) {
			in.Description = "d"
			in.ScriptId = "arn:aws:gamelift:eu-west-1:123456789012:script/script-game"
			in.RuntimeConfiguration = rc
			in.Locations = []LocationConfiguration{{Location: "us-east-1"}}
			in.NewGameSessionProtectionPolicy = FullProtection
			in.ResourceCreationLimitPolicy = &ResourceCreationLimitPolicy{NewGameSessionsPerCreator: 3, PolicyPeriodInMinutes: 15}
			in.EC2InstanceType = json.RawMessage(`"c5.large"`)
			in.FleetType = json.RawMessage(`"SPOT"`)
			in.EC2InboundPermissions = json.RawMessage(`[{"FromPort":1935,"ToPort":1935,"IpRange":"0.0.0.0/0","Protocol":"TCP"}]`)
			in.Tags = []Tag{{Key: "team", Value: "blue"}}
		})
		if !strings.HasPrefix(f.FleetId, "fleet-") || f.FleetArn != "arn:aws:gamelift:eu-west-1:123456789012:fleet/"+f.FleetId {
			t.Fatalf("fleet id %q arn %q", f.FleetId, f.FleetArn)
		}
		if f.ScriptId != "script-game" || f.ScriptArn != "arn:aws:gamelift:eu-west-1:123456789012:script/script-game" ||
			f.Status != FleetActivating || f.NewGameSessionProtectionPolicy != FullProtection ||
			string(f.InstanceType) != `"c5.large"` || f.FleetType != "SPOT" || f.ResourceCreationLimitPolicy.NewGameSessionsPerCreator != 3 {
			t.Fatalf("created fleet %+v", f)
		}
		stored, err := e.st.GetFleet(e.ctx, f.FleetId)
		if err != nil {
			t.Fatal(err)
		}
		if string(stored.AWSOnly["EC2InboundPermissions"]) == "" || len(stored.Tags) != 1 ||
			fmt.Sprint(stored.Locations) != "[eu-west-1 us-east-1]" {
			t.Fatalf("stored fleet %+v", stored)
		}

		// A relay of one of its locations makes it ACTIVE.
		e.setRelays(Relay{ID: "r1", Region: "us-east-1", MaxSessions: 10, Sessions: 2, MaxPlayers: 100, Players: 7},
			Relay{ID: "r2", Region: "us-east-1", MaxSessions: 10},
			Relay{ID: "r3", Region: "us-east-1", MaxSessions: 10, Sessions: 1, Players: 2, Draining: true},
			Relay{ID: "r4", Region: "ap-south-1", MaxSessions: 10, Sessions: 5},
			Relay{ID: "r5", Region: "eu-west-1", Fleets: []string{"fleet-other"}, MaxSessions: 10, Sessions: 5})
		attrs, err := e.svc.DescribeFleetAttributes(e.ctx, &DescribeFleetAttributesInput{FleetIds: []string{f.FleetArn, "fleet-unknown"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(attrs.FleetAttributes) != 1 || attrs.FleetAttributes[0].Status != FleetActive {
			t.Fatalf("described fleets %+v", attrs.FleetAttributes)
		}
		capacity, err := e.svc.DescribeFleetCapacity(e.ctx, &DescribeFleetCapacityInput{FleetIds: []string{f.FleetId}})
		if err != nil {
			t.Fatal(err)
		}
		want := EC2InstanceCounts{DESIRED: 2, MAXIMUM: 3, ACTIVE: 2, IDLE: 1, TERMINATING: 1}
		if len(capacity.FleetCapacity) != 1 || capacity.FleetCapacity[0].InstanceCounts != want || capacity.FleetCapacity[0].Location != "eu-west-1" {
			t.Fatalf("capacity %+v, want counts %+v", capacity.FleetCapacity, want)
		}
		util, err := e.svc.DescribeFleetUtilization(e.ctx, &DescribeFleetUtilizationInput{FleetIds: []string{f.FleetId}})
		if err != nil {
			t.Fatal(err)
		}
		if u := util.FleetUtilization[0]; u.ActiveServerProcessCount != 20 || u.ActiveGameSessionCount != 3 || u.CurrentPlayerSessionCount != 9 || u.MaximumPlayerSessionCount != 100 {
			t.Fatalf("utilization %+v", u)
		}

		if _, err := e.svc.UpdateFleetAttributes(e.ctx, &UpdateFleetAttributesInput{FleetId: f.FleetId, Name: ptr("renamed"), MetricGroups: []string{"g"}}); err != nil {
			t.Fatal(err)
		}
		rc2 := RuntimeConfiguration{ServerProcesses: []ServerProcess{{LaunchPath: "/local/game/other.js", ConcurrentExecutions: 2}}}
		if _, err := e.svc.UpdateRuntimeConfiguration(e.ctx, &UpdateRuntimeConfigurationInput{FleetId: f.FleetId, RuntimeConfiguration: &rc2}); err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.DescribeRuntimeConfiguration(e.ctx, &DescribeRuntimeConfigurationInput{FleetId: f.FleetId})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got.RuntimeConfiguration) != fmt.Sprint(rc2) {
			t.Fatalf("runtime configuration %+v, want %+v", got.RuntimeConfiguration, rc2)
		}
		attrs, _ = e.svc.DescribeFleetAttributes(e.ctx, &DescribeFleetAttributesInput{FleetIds: []string{f.FleetId}})
		if a := attrs.FleetAttributes[0]; a.Name != "renamed" || a.Description != "d" || fmt.Sprint(a.MetricGroups) != "[g]" || a.NewGameSessionProtectionPolicy != FullProtection {
			t.Fatalf("updated fleet %+v", a)
		}

		_, err = e.svc.UpdateFleetAttributes(e.ctx, &UpdateFleetAttributesInput{FleetId: "fleet-nope", Name: ptr("x")})
		wantErr(t, err, NotFound, `FleetId: fleet "fleet-nope" does not exist`)
		_, err = e.svc.UpdateFleetAttributes(e.ctx, &UpdateFleetAttributesInput{FleetId: f.FleetId, Name: ptr("")})
		wantErr(t, err, InvalidRequest, "Name: must be 1 to 1024")
		_, err = e.svc.UpdateRuntimeConfiguration(e.ctx, &UpdateRuntimeConfigurationInput{FleetId: f.FleetId})
		wantErr(t, err, InvalidRequest, "RuntimeConfiguration: is required")
		_, err = e.svc.DescribeRuntimeConfiguration(e.ctx, &DescribeRuntimeConfigurationInput{FleetId: "nope"})
		wantErr(t, err, InvalidRequest, `FleetId: "nope" is not a valid fleet id`)

		// A game session that has not ended keeps the fleet.
		gs := store.GameSession{GameSessionId: "arn:aws:gamelift:eu-west-1::gamesession/" + f.FleetId + "/g", FleetId: f.FleetId,
			MaximumPlayerSessionCount: 2, Status: store.GameSessionActive, CreationTime: e.clk.Now()}
		if _, _, err := e.st.CreateGameSession(e.ctx, gs, store.CreatorLimit{}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.DeleteFleet(e.ctx, &DeleteFleetInput{FleetId: f.FleetId})
		if we := wantErr(t, err, InvalidRequest, "FleetId: fleet \""+f.FleetId+"\" has game sessions that are not TERMINATED"); !we.Conflict {
			t.Fatal("a fleet in use is not a conflict")
		}
		gs.Version, gs.Status = 1, store.GameSessionTerminated
		if _, err := e.st.UpdateGameSession(e.ctx, gs); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.DeleteFleet(e.ctx, &DeleteFleetInput{FleetId: f.FleetArn}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.DeleteFleet(e.ctx, &DeleteFleetInput{FleetId: f.FleetId})
		wantErr(t, err, NotFound, `FleetId: fleet "`+f.FleetId+`" does not exist`)
	})
}

func TestListFleets(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newFleetEnv(t, open)
		var ids []string
		for i := range 5 {
			e.clk.Advance(time.Second)
			ids = append(ids, e.fleet(func(in *CreateFleetInput) { in.Name = fmt.Sprint("f", i) }).FleetId)
		}
		var got []string
		token := ""
		for {
			out, err := e.svc.ListFleets(e.ctx, &ListFleetsInput{Limit: 2, NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, out.FleetIds...)
			if out.NextToken == "" {
				break
			}
			token = out.NextToken
		}
		if fmt.Sprint(got) != fmt.Sprint(ids) {
			t.Fatalf("listed %v, want %v", got, ids)
		}
		out, err := e.svc.ListFleets(e.ctx, &ListFleetsInput{ScriptId: "other"})
		if err != nil || len(out.FleetIds) != 0 {
			t.Fatalf("fleets of another script: %v %v", out, err)
		}
		out, err = e.svc.ListFleets(e.ctx, &ListFleetsInput{BuildId: "build-1"})
		if err != nil || len(out.FleetIds) != 0 {
			t.Fatalf("fleets of a build: %v %v", out, err)
		}
		out, err = e.svc.ListFleets(e.ctx, &ListFleetsInput{ScriptId: "script-game"})
		if err != nil || len(out.FleetIds) != 5 {
			t.Fatalf("fleets of the script: %v %v", out, err)
		}
		_, err = e.svc.ListFleets(e.ctx, &ListFleetsInput{NextToken: "x"})
		wantErr(t, err, InvalidRequest, "NextToken: ")
		_, err = e.svc.DescribeFleetAttributes(e.ctx, &DescribeFleetAttributesInput{Limit: -1})
		wantErr(t, err, InvalidRequest, "Limit: ")
		all, err := e.svc.DescribeFleetAttributes(e.ctx, &DescribeFleetAttributesInput{Limit: 3})
		if err != nil || len(all.FleetAttributes) != 3 || all.NextToken == "" {
			t.Fatalf("first page of fleets: %+v %v", all, err)
		}
	})
}

func TestAliases(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newFleetEnv(t, open)
		f := e.fleet(nil)
		bad := []struct {
			typ    ErrorType
			prefix string
			in     CreateAliasInput
		}{
			{InvalidRequest, "Name: is required", CreateAliasInput{Name: " ", RoutingStrategy: &RoutingStrategy{Type: "TERMINAL"}}},
			{InvalidRequest, "RoutingStrategy: is required", CreateAliasInput{Name: "a"}},
			{InvalidRequest, `RoutingStrategy.Type: must be SIMPLE or TERMINAL, got "WEIRD"`, CreateAliasInput{Name: "a", RoutingStrategy: &RoutingStrategy{Type: "WEIRD"}}},
			{InvalidRequest, "RoutingStrategy.FleetId: is required", CreateAliasInput{Name: "a", RoutingStrategy: &RoutingStrategy{Type: "SIMPLE"}}},
			{NotFound, `RoutingStrategy.FleetId: fleet "fleet-nope" does not exist`, CreateAliasInput{Name: "a", RoutingStrategy: &RoutingStrategy{Type: "SIMPLE", FleetId: "fleet-nope"}}},
			{InvalidRequest, "RoutingStrategy.FleetId: a TERMINAL routing strategy names no fleet", CreateAliasInput{Name: "a", RoutingStrategy: &RoutingStrategy{Type: "TERMINAL", FleetId: f.FleetId}}},
			{InvalidRequest, "RoutingStrategy.Message: must be at most 1024", CreateAliasInput{Name: "a", RoutingStrategy: &RoutingStrategy{Type: "TERMINAL", Message: strings.Repeat("m", 1025)}}},
		}
		for _, c := range bad {
			_, err := e.svc.CreateAlias(e.ctx, &c.in)
			wantErr(t, err, c.typ, c.prefix)
		}
		if all, _ := e.st.ListAliases(e.ctx); len(all) != 0 {
			t.Fatalf("refused creates stored %d aliases", len(all))
		}

		simple, err := e.svc.CreateAlias(e.ctx, &CreateAliasInput{Name: "live", Description: "d", RoutingStrategy: &RoutingStrategy{Type: "SIMPLE", FleetId: f.FleetArn}})
		if err != nil {
			t.Fatal(err)
		}
		a := simple.Alias
		if !strings.HasPrefix(a.AliasId, "alias-") || a.AliasArn != "arn:aws:gamelift:eu-west-1:123456789012:alias/"+a.AliasId ||
			a.RoutingStrategy.FleetId != f.FleetId || a.CreationTime == nil || a.LastUpdatedTime == nil {
			t.Fatalf("alias %+v", a)
		}
		res, err := e.svc.ResolveAlias(e.ctx, &ResolveAliasInput{AliasId: a.AliasArn})
		if err != nil || res.FleetId != f.FleetId || res.FleetArn != f.FleetArn {
			t.Fatalf("resolve %+v %v", res, err)
		}

		e.clk.Advance(time.Minute)
		up, err := e.svc.UpdateAlias(e.ctx, &UpdateAliasInput{AliasId: a.AliasId, RoutingStrategy: &RoutingStrategy{Type: "TERMINAL", Message: "the game is over"}})
		if err != nil {
			t.Fatal(err)
		}
		if up.Alias.Name != "live" || up.Alias.Description != "d" || !up.Alias.LastUpdatedTime.After(up.Alias.CreationTime.Time) {
			t.Fatalf("updated alias %+v", up.Alias)
		}
		_, err = e.svc.ResolveAlias(e.ctx, &ResolveAliasInput{AliasId: a.AliasId})
		wantErr(t, err, TerminalRoutingStrategy, "the game is over")

		if _, err := e.svc.CreateAlias(e.ctx, &CreateAliasInput{Name: "other", RoutingStrategy: &RoutingStrategy{Type: "SIMPLE", FleetId: f.FleetId}}); err != nil {
			t.Fatal(err)
		}
		list, err := e.svc.ListAliases(e.ctx, &ListAliasesInput{RoutingStrategyType: "SIMPLE"})
		if err != nil || len(list.Aliases) != 1 || list.Aliases[0].Name != "other" {
			t.Fatalf("SIMPLE aliases %+v %v", list, err)
		}
		list, err = e.svc.ListAliases(e.ctx, &ListAliasesInput{Name: "live"})
		if err != nil || len(list.Aliases) != 1 || list.Aliases[0].AliasId != a.AliasId {
			t.Fatalf("aliases named live %+v %v", list, err)
		}
		list, err = e.svc.ListAliases(e.ctx, &ListAliasesInput{Limit: 1})
		if err != nil || len(list.Aliases) != 1 || list.NextToken == "" {
			t.Fatalf("first page of aliases %+v %v", list, err)
		}
		_, err = e.svc.ListAliases(e.ctx, &ListAliasesInput{RoutingStrategyType: "x"})
		wantErr(t, err, InvalidRequest, "RoutingStrategyType: ")

		_, err = e.svc.UpdateAlias(e.ctx, &UpdateAliasInput{AliasId: "alias-nope", Name: ptr("x")})
		wantErr(t, err, NotFound, `AliasId: alias "alias-nope" does not exist`)
		_, err = e.svc.UpdateAlias(e.ctx, &UpdateAliasInput{AliasId: a.AliasId, RoutingStrategy: &RoutingStrategy{Type: "SIMPLE", FleetId: "fleet-nope"}})
		wantErr(t, err, NotFound, `RoutingStrategy.FleetId: fleet "fleet-nope" does not exist`)
		if d, _ := e.svc.DescribeAlias(e.ctx, &DescribeAliasInput{AliasId: a.AliasId}); d.Alias.RoutingStrategy.Type != "TERMINAL" {
			t.Fatalf("a refused update changed the alias: %+v", d.Alias)
		}
		if _, err := e.svc.DeleteAlias(e.ctx, &DeleteAliasInput{AliasId: a.AliasId}); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.DescribeAlias(e.ctx, &DescribeAliasInput{AliasId: a.AliasId})
		wantErr(t, err, NotFound, `AliasId: alias "`+a.AliasId+`" does not exist`)
		_, err = e.svc.DeleteAlias(e.ctx, &DeleteAliasInput{AliasId: "fleet-1"})
		wantErr(t, err, InvalidRequest, `AliasId: "fleet-1" is not a valid alias id`)
	})
}

// TestConcurrentFleetUpdates runs updates of one fleet's attributes at once
// and checks that none is lost to another's compare-and-swap.
func TestConcurrentFleetUpdates(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newFleetEnv(t, open)
		f := e.fleet(nil)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 4 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, err := e.svc.UpdateFleetAttributes(e.ctx, &UpdateFleetAttributesInput{FleetId: f.FleetId, Description: ptr(fmt.Sprint("d", i))})
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := e.svc.UpdateFleetAttributes(e.ctx, &UpdateFleetAttributesInput{FleetId: f.FleetId, MetricGroups: []string{fmt.Sprint("g", i)}})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		failed := 0
		for err := range errs {
			var me *Error
			switch {
			case err == nil:
			case errors.As(err, &me) && me.Conflict:
				failed++
			default:
				t.Fatal(err)
			}
		}
		stored, err := e.st.GetFleet(e.ctx, f.FleetId)
		if err != nil {
			t.Fatal(err)
		}
		if int(stored.Version) != 1+8-failed {
			t.Fatalf("fleet at version %d after %d successful updates", stored.Version, 8-failed)
		}
	})
}
