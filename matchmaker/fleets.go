package matchmaker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// Fleet and alias limits (GameLift's, where it has one).
const (
	MaxFleetName            = 1024
	MaxServerProcesses      = 50
	MaxConcurrentExecutions = 50
	MaxLaunchPath           = 1024
	MaxLaunchParameters     = 1024
	MaxActivationTimeout    = 600
	MaxMetricGroups         = 1
	MaxMetricGroupName      = 255
	MaxFleetLocations       = 100
	MaxAliasMessage         = 1024
	// MaxFleetIDs bounds the FleetIds of one Describe call.
	MaxFleetIDs = 100
)

// The fleet statuses Matchpoint reports: ACTIVE while at least one relay
// serves the fleet, ACTIVATING otherwise.
const (
	FleetActive     = "ACTIVE"
	FleetActivating = "ACTIVATING"
)

// The NewGameSessionProtectionPolicy values.
const (
	NoProtection   = "NoProtection"
	FullProtection = "FullProtection"
)

const (
	fleetIDPrefix  = "fleet-"
	aliasIDPrefix  = "alias-"
	scriptIDPrefix = "script-"
	// fleetUpdateAttempts bounds the compare-and-swap retries of a fleet or
	// alias update that races another.
	fleetUpdateAttempts = 5
)

// FleetArn returns the ARN of a fleet.
func (s *Service) FleetArn(id string) string {
	return fmt.Sprintf("arn:aws:gamelift:%s:%s:fleet/%s", s.opts.Region, s.opts.AccountID, id)
}

// AliasArn returns the ARN of an alias.
func (s *Service) AliasArn(id string) string {
	return fmt.Sprintf("arn:aws:gamelift:%s:%s:alias/%s", s.opts.Region, s.opts.AccountID, id)
}

// resourceID returns the id an id-or-ARN value names: the part after
// "<kind>/" of an ARN, or the value itself.
func resourceID(v, kind string) string {
	if !strings.HasPrefix(v, "arn:") {
		return v
	}
	if _, id, ok := strings.Cut(v, ":"+kind+"/"); ok {
		return id
	}
	return v
}

// checkResourceID checks an id-or-ARN field and returns the id.
func checkResourceID(field, v, kind, prefix string) (string, *Error) {
	if v == "" {
		return "", invalid(field, "is required")
	}
	id := resourceID(v, kind)
	if err := checkLen(field, id, 1, MaxNameLength); err != nil {
		return "", err
	}
	if !strings.HasPrefix(id, prefix) {
		return "", invalid(field, "%q is not a valid %s id (%s...) or %s ARN", v, kind, prefix, kind)
	}
	return id, nil
}

// awsOnlyFields collects the non-empty AWS-only fields of a CreateFleet.
func awsOnlyFields(in *CreateFleetInput) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for name, v := range map[string]json.RawMessage{
		"EC2InboundPermissions": in.EC2InboundPermissions, "EC2InstanceType": in.EC2InstanceType,
		"FleetType": in.FleetType, "ComputeType": in.ComputeType, "InstanceRoleArn": in.InstanceRoleArn,
		"InstanceRoleCredentialsProvider": in.InstanceRoleCredentialsProvider,
		"CertificateConfiguration":        in.CertificateConfiguration, "AnywhereConfiguration": in.AnywhereConfiguration,
		"LogPaths": in.LogPaths, "PeerVpcAwsAccountId": in.PeerVpcAwsAccountId, "PeerVpcId": in.PeerVpcId,
		"PlayerGatewayConfiguration": in.PlayerGatewayConfiguration, "PlayerGatewayMode": in.PlayerGatewayMode,
		"ServerLaunchPath": in.ServerLaunchPath, "ServerLaunchParameters": in.ServerLaunchParameters,
	} {
		if len(v) > 0 && !bytes.Equal(v, []byte("null")) {
			out[name] = slices.Clone(v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func checkRuntimeConfiguration(rc *RuntimeConfiguration) *Error {
	if len(rc.ServerProcesses) > MaxServerProcesses {
		return invalid("RuntimeConfiguration.ServerProcesses", "at most %d entries, got %d", MaxServerProcesses, len(rc.ServerProcesses))
	}
	total := 0
	for i, p := range rc.ServerProcesses {
		field := fmt.Sprintf("RuntimeConfiguration.ServerProcesses[%d]", i)
		if err := checkLen(field+".LaunchPath", p.LaunchPath, 1, MaxLaunchPath); err != nil {
			return err
		}
		if err := checkLen(field+".Parameters", p.Parameters, 0, MaxLaunchParameters); err != nil {
			return err
		}
		if p.ConcurrentExecutions < 1 {
			return invalid(field+".ConcurrentExecutions", "must be at least 1, got %d", p.ConcurrentExecutions)
		}
		total += p.ConcurrentExecutions
	}
	if total > MaxConcurrentExecutions {
		return invalid("RuntimeConfiguration.ServerProcesses", "at most %d concurrent executions in all, got %d", MaxConcurrentExecutions, total)
	}
	if rc.MaxConcurrentGameSessionActivations < 0 {
		return invalid("RuntimeConfiguration.MaxConcurrentGameSessionActivations", "must be at least 1, got %d", rc.MaxConcurrentGameSessionActivations)
	}
	if t := rc.GameSessionActivationTimeoutSeconds; t < 0 || t > MaxActivationTimeout {
		return invalid("RuntimeConfiguration.GameSessionActivationTimeoutSeconds", "must be 1 to %d, got %d", MaxActivationTimeout, t)
	}
	return nil
}

func checkProtectionPolicy(field, v string) *Error {
	if v != NoProtection && v != FullProtection {
		return invalid(field, "must be %s or %s, got %q", NoProtection, FullProtection, v)
	}
	return nil
}

func checkCreationLimit(p *ResourceCreationLimitPolicy) *Error {
	if p.NewGameSessionsPerCreator < 0 {
		return invalid("ResourceCreationLimitPolicy.NewGameSessionsPerCreator", "must be at least 0, got %d", p.NewGameSessionsPerCreator)
	}
	if p.PolicyPeriodInMinutes < 0 {
		return invalid("ResourceCreationLimitPolicy.PolicyPeriodInMinutes", "must be at least 0, got %d", p.PolicyPeriodInMinutes)
	}
	return nil
}

func checkMetricGroups(groups []string) *Error {
	if len(groups) > MaxMetricGroups {
		return invalid("MetricGroups", "at most %d entry, got %d", MaxMetricGroups, len(groups))
	}
	for i, g := range groups {
		if err := checkLen(fmt.Sprintf("MetricGroups[%d]", i), g, 1, MaxMetricGroupName); err != nil {
			return err
		}
	}
	return nil
}

// fleetLocations returns the fleet's locations: the home region first,
// then the others given, each once.
func (s *Service) fleetLocations(in []LocationConfiguration) ([]string, *Error) {
	if len(in) > MaxFleetLocations {
		return nil, invalid("Locations", "at most %d locations, got %d", MaxFleetLocations, len(in))
	}
	out := []string{s.opts.Region}
	for i, l := range in {
		field := fmt.Sprintf("Locations[%d].Location", i)
		if err := checkRegion(field, l.Location); err != nil {
			return nil, err
		}
		if slices.Contains(out, l.Location) {
			if l.Location == s.opts.Region {
				return nil, invalid(field, "%q is the fleet's home region, a location already", l.Location)
			}
			return nil, invalid(field, "location %q is given twice", l.Location)
		}
		out = append(out, l.Location)
	}
	return out, nil
}

// CreateFleet validates and stores a Realtime script fleet. Its script
// must exist (Options.ScriptExists); BuildId is refused. The fleet is ACTIVE
// at once if a relay of one of its locations is up, ACTIVATING otherwise.
func (s *Service) CreateFleet(ctx context.Context, in *CreateFleetInput) (*CreateFleetOutput, error) {
	if in.BuildId != "" {
		return nil, invalid("BuildId", "Matchpoint hosts Realtime scripts, not game server builds: create the fleet with a ScriptId")
	}
	if err := checkLen("Name", in.Name, 1, MaxFleetName); err != nil {
		return nil, err
	}
	if err := checkLen("Description", in.Description, 0, MaxDescription); err != nil {
		return nil, err
	}
	if in.ScriptId == "" {
		return nil, invalid("ScriptId", "is required (Matchpoint fleets run Realtime scripts)")
	}
	script, err := ScriptName("ScriptId", in.ScriptId)
	if err != nil {
		return nil, err
	}
	f := store.Fleet{
		Name: in.Name, Description: in.Description, ScriptId: ScriptID(script), ScriptArn: s.ScriptArn(ctx, script),
		NewGameSessionProtectionPolicy: NoProtection, MetricGroups: in.MetricGroups, AWSOnly: awsOnlyFields(in),
	}
	if in.RuntimeConfiguration != nil {
		if err := checkRuntimeConfiguration(in.RuntimeConfiguration); err != nil {
			return nil, err
		}
		f.RuntimeConfiguration = *in.RuntimeConfiguration
	}
	if in.NewGameSessionProtectionPolicy != "" {
		if err := checkProtectionPolicy("NewGameSessionProtectionPolicy", in.NewGameSessionProtectionPolicy); err != nil {
			return nil, err
		}
		f.NewGameSessionProtectionPolicy = in.NewGameSessionProtectionPolicy
	}
	if in.ResourceCreationLimitPolicy != nil {
		if err := checkCreationLimit(in.ResourceCreationLimitPolicy); err != nil {
			return nil, err
		}
		f.ResourceCreationLimitPolicy = *in.ResourceCreationLimitPolicy
	}
	if err := checkMetricGroups(in.MetricGroups); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	for _, t := range in.Tags {
		f.Tags = append(f.Tags, store.Tag(t))
	}
	var verr *Error
	if f.Locations, verr = s.fleetLocations(in.Locations); verr != nil {
		return nil, verr
	}
	if err := s.checkScriptExists(ctx, "ScriptId", script); err != nil {
		return nil, err
	}
	f.FleetId = fleetIDPrefix + newUUID()
	f.FleetArn = s.FleetArn(f.FleetId)
	f.CreationTime = s.now().UTC()
	if err := s.store.CreateFleet(ctx, f); err != nil {
		return nil, internal(err, "create fleet %s", f.FleetId)
	}
	f.Version = 1
	attrs := s.fleetOut(f, s.relays())
	out := &CreateFleetOutput{FleetAttributes: attrs}
	for _, l := range f.Locations {
		out.LocationStates = append(out.LocationStates, LocationState{Location: l, Status: attrs.Status})
	}
	return out, nil
}

// relays returns the live relays (Options.Relays).
func (s *Service) relays() []Relay {
	if s.opts.Relays == nil {
		return nil
	}
	return s.opts.Relays()
}

// servedBy returns the relays that serve f: those of one of its locations
// that name it, or name no fleet.
func servedBy(f *store.Fleet, relays []Relay) []Relay {
	var out []Relay
	for _, r := range relays {
		if slices.Contains(f.Locations, r.Region) && (len(r.Fleets) == 0 || slices.Contains(r.Fleets, f.FleetId)) {
			out = append(out, r)
		}
	}
	return out
}

func fleetStatus(served []Relay) string {
	for _, r := range served {
		if !r.Draining {
			return FleetActive
		}
	}
	return FleetActivating
}

func (s *Service) fleetOut(f store.Fleet, relays []Relay) FleetAttributes {
	out := FleetAttributes{
		FleetId: f.FleetId, FleetArn: f.FleetArn, Name: f.Name, Description: f.Description,
		CreationTime: ts(f.CreationTime), Status: fleetStatus(servedBy(&f, relays)),
		ScriptId: f.ScriptId, ScriptArn: f.ScriptArn,
		NewGameSessionProtectionPolicy: f.NewGameSessionProtectionPolicy, MetricGroups: f.MetricGroups,
		InstanceType: f.AWSOnly["EC2InstanceType"], ComputeType: f.AWSOnly["ComputeType"],
		ServerLaunchPath: f.AWSOnly["ServerLaunchPath"], ServerLaunchParameters: f.AWSOnly["ServerLaunchParameters"],
		LogPaths: f.AWSOnly["LogPaths"], InstanceRoleArn: f.AWSOnly["InstanceRoleArn"],
		CertificateConfiguration: f.AWSOnly["CertificateConfiguration"], AnywhereConfiguration: f.AWSOnly["AnywhereConfiguration"],
	}
	var fleetType string
	if json.Unmarshal(f.AWSOnly["FleetType"], &fleetType) == nil {
		out.FleetType = fleetType
	}
	if p := f.ResourceCreationLimitPolicy; p != (ResourceCreationLimitPolicy{}) {
		out.ResourceCreationLimitPolicy = &p
	}
	return out
}

// getFleet reads the fleet an id-or-ARN field names.
func (s *Service) getFleet(ctx context.Context, field, v string) (store.Fleet, error) {
	id, verr := checkResourceID(field, v, "fleet", fleetIDPrefix)
	if verr != nil {
		return store.Fleet{}, verr
	}
	f, err := s.store.GetFleet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Fleet{}, notFound(err, "%s: fleet %q does not exist", field, id)
	}
	if err != nil {
		return store.Fleet{}, internal(err, "get fleet %s", id)
	}
	return f, nil
}

// pageToken reads a NextToken of the fleet and alias lists: the offset of
// the page's first item.
func pageToken(token string) (int, *Error) {
	if token == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n <= 0 {
		return 0, invalid("NextToken", "%q is not a token this list answered", token)
	}
	return n, nil
}

// pageLimit checks a Limit: 0 is no limit.
func pageLimit(limit int) *Error {
	if limit < 0 {
		return invalid("Limit", "must be at least 1, got %d", limit)
	}
	return nil
}

// page cuts items at the offset token names, at most limit (0: all), and
// returns the next token.
func page[T any](items []T, token string, limit int) ([]T, string, *Error) {
	if err := pageLimit(limit); err != nil {
		return nil, "", err
	}
	start, err := pageToken(token)
	if err != nil {
		return nil, "", err
	}
	if start >= len(items) {
		return []T{}, "", nil
	}
	items = items[start:]
	if limit == 0 || limit >= len(items) {
		return items, "", nil
	}
	return items[:limit], strconv.Itoa(start + limit), nil
}

// describedFleets returns the fleets of a Describe call: the given ones
// that exist, or a page of all.
func (s *Service) describedFleets(ctx context.Context, in *DescribeFleetAttributesInput) ([]store.Fleet, string, error) {
	if len(in.FleetIds) == 0 {
		all, err := s.store.ListFleets(ctx)
		if err != nil {
			return nil, "", internal(err, "list fleets")
		}
		fleets, next, perr := page(all, in.NextToken, in.Limit)
		if perr != nil {
			return nil, "", perr
		}
		return fleets, next, nil
	}
	if len(in.FleetIds) > MaxFleetIDs {
		return nil, "", invalid("FleetIds", "at most %d fleets, got %d", MaxFleetIDs, len(in.FleetIds))
	}
	var out []store.Fleet
	for i, v := range in.FleetIds {
		field := fmt.Sprintf("FleetIds[%d]", i)
		id, verr := checkResourceID(field, v, "fleet", fleetIDPrefix)
		if verr != nil {
			return nil, "", verr
		}
		f, err := s.store.GetFleet(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", internal(err, "get fleet %s", id)
		}
		out = append(out, f)
	}
	return out, "", nil
}

// DescribeFleetAttributes describes the given fleets (those that exist, as
// GameLift does), or every fleet a page at a time.
func (s *Service) DescribeFleetAttributes(ctx context.Context, in *DescribeFleetAttributesInput) (*DescribeFleetAttributesOutput, error) {
	fleets, next, err := s.describedFleets(ctx, in)
	if err != nil {
		return nil, err
	}
	relays := s.relays()
	out := &DescribeFleetAttributesOutput{FleetAttributes: []FleetAttributes{}, NextToken: next}
	for _, f := range fleets {
		out.FleetAttributes = append(out.FleetAttributes, s.fleetOut(f, relays))
	}
	return out, nil
}

// ListFleets lists fleet ids, oldest first, a page at a time; a BuildId
// lists none, a ScriptId only the fleets of that script.
func (s *Service) ListFleets(ctx context.Context, in *ListFleetsInput) (*ListFleetsOutput, error) {
	all, err := s.store.ListFleets(ctx)
	if err != nil {
		return nil, internal(err, "list fleets")
	}
	var script string
	if in.ScriptId != "" {
		name, err := ScriptName("ScriptId", in.ScriptId)
		if err != nil {
			return nil, err
		}
		script = ScriptID(name)
	}
	ids := []string{}
	for _, f := range all {
		if in.BuildId == "" && (script == "" || f.ScriptId == script) {
			ids = append(ids, f.FleetId)
		}
	}
	ids, next, perr := page(ids, in.NextToken, in.Limit)
	if perr != nil {
		return nil, perr
	}
	return &ListFleetsOutput{FleetIds: ids, NextToken: next}, nil
}

// updateFleet applies change to the fleet the field names, retrying when a
// concurrent update wins the compare-and-swap.
func (s *Service) updateFleet(ctx context.Context, field, v string, change func(*store.Fleet)) (store.Fleet, error) {
	for range fleetUpdateAttempts {
		f, err := s.getFleet(ctx, field, v)
		if err != nil {
			return store.Fleet{}, err
		}
		change(&f)
		version, err := s.store.UpdateFleet(ctx, f)
		switch {
		case err == nil:
			f.Version = version
			return f, nil
		case errors.Is(err, store.ErrNotFound):
			return store.Fleet{}, notFound(err, "%s: fleet %q does not exist", field, f.FleetId)
		case !errors.Is(err, store.ErrConflict):
			return store.Fleet{}, internal(err, "update fleet %s", f.FleetId)
		}
	}
	return store.Fleet{}, conflict(store.ErrConflict, "%s: fleet %q is being updated concurrently; retry", field, v)
}

// UpdateFleetAttributes changes the fields present in the request.
func (s *Service) UpdateFleetAttributes(ctx context.Context, in *UpdateFleetAttributesInput) (*UpdateFleetAttributesOutput, error) {
	if in.Name != nil {
		if err := checkLen("Name", *in.Name, 1, MaxFleetName); err != nil {
			return nil, err
		}
	}
	if in.Description != nil {
		if err := checkLen("Description", *in.Description, 0, MaxDescription); err != nil {
			return nil, err
		}
	}
	if in.NewGameSessionProtectionPolicy != "" {
		if err := checkProtectionPolicy("NewGameSessionProtectionPolicy", in.NewGameSessionProtectionPolicy); err != nil {
			return nil, err
		}
	}
	if in.ResourceCreationLimitPolicy != nil {
		if err := checkCreationLimit(in.ResourceCreationLimitPolicy); err != nil {
			return nil, err
		}
	}
	if err := checkMetricGroups(in.MetricGroups); err != nil {
		return nil, err
	}
	f, err := s.updateFleet(ctx, "FleetId", in.FleetId, func(f *store.Fleet) {
		if in.Name != nil {
			f.Name = *in.Name
		}
		if in.Description != nil {
			f.Description = *in.Description
		}
		if in.NewGameSessionProtectionPolicy != "" {
			f.NewGameSessionProtectionPolicy = in.NewGameSessionProtectionPolicy
		}
		if in.ResourceCreationLimitPolicy != nil {
			f.ResourceCreationLimitPolicy = *in.ResourceCreationLimitPolicy
		}
		if in.MetricGroups != nil {
			f.MetricGroups = in.MetricGroups
		}
		if len(in.AnywhereConfiguration) > 0 && !bytes.Equal(in.AnywhereConfiguration, []byte("null")) {
			if f.AWSOnly == nil {
				f.AWSOnly = map[string]json.RawMessage{}
			}
			f.AWSOnly["AnywhereConfiguration"] = in.AnywhereConfiguration
		}
	})
	if err != nil {
		return nil, err
	}
	return &UpdateFleetAttributesOutput{FleetId: f.FleetId, FleetArn: f.FleetArn}, nil
}

// UpdateRuntimeConfiguration replaces a fleet's runtime configuration.
func (s *Service) UpdateRuntimeConfiguration(ctx context.Context, in *UpdateRuntimeConfigurationInput) (*UpdateRuntimeConfigurationOutput, error) {
	if in.RuntimeConfiguration == nil {
		return nil, invalid("RuntimeConfiguration", "is required")
	}
	if err := checkRuntimeConfiguration(in.RuntimeConfiguration); err != nil {
		return nil, err
	}
	f, err := s.updateFleet(ctx, "FleetId", in.FleetId, func(f *store.Fleet) { f.RuntimeConfiguration = *in.RuntimeConfiguration })
	if err != nil {
		return nil, err
	}
	return &UpdateRuntimeConfigurationOutput{RuntimeConfiguration: f.RuntimeConfiguration}, nil
}

// DescribeRuntimeConfiguration returns a fleet's runtime configuration.
func (s *Service) DescribeRuntimeConfiguration(ctx context.Context, in *DescribeRuntimeConfigurationInput) (*DescribeRuntimeConfigurationOutput, error) {
	f, err := s.getFleet(ctx, "FleetId", in.FleetId)
	if err != nil {
		return nil, err
	}
	return &DescribeRuntimeConfigurationOutput{RuntimeConfiguration: f.RuntimeConfiguration}, nil
}

// DescribeFleetCapacity reports each fleet's relays as its instances:
// ACTIVE (and DESIRED) the relays serving it, IDLE those of them hosting
// no session, TERMINATING the draining ones.
func (s *Service) DescribeFleetCapacity(ctx context.Context, in *DescribeFleetCapacityInput) (*DescribeFleetCapacityOutput, error) {
	fleets, next, err := s.describedFleets(ctx, in)
	if err != nil {
		return nil, err
	}
	relays := s.relays()
	out := &DescribeFleetCapacityOutput{FleetCapacity: []FleetCapacity{}, NextToken: next}
	for _, f := range fleets {
		c := FleetCapacity{FleetId: f.FleetId, FleetArn: f.FleetArn, InstanceType: f.AWSOnly["EC2InstanceType"], Location: f.Locations[0]}
		for _, r := range servedBy(&f, relays) {
			c.InstanceCounts.MAXIMUM++
			switch {
			case r.Draining:
				c.InstanceCounts.TERMINATING++
			case r.Sessions == 0:
				c.InstanceCounts.IDLE++
				c.InstanceCounts.ACTIVE++
			default:
				c.InstanceCounts.ACTIVE++
			}
		}
		c.InstanceCounts.DESIRED = c.InstanceCounts.ACTIVE
		out.FleetCapacity = append(out.FleetCapacity, c)
	}
	return out, nil
}

// DescribeFleetUtilization reports each fleet's use from the heartbeats of
// the relays serving it: their session slots as server processes, their
// sessions and their players. A relay that serves several fleets counts
// for each.
func (s *Service) DescribeFleetUtilization(ctx context.Context, in *DescribeFleetUtilizationInput) (*DescribeFleetUtilizationOutput, error) {
	fleets, next, err := s.describedFleets(ctx, in)
	if err != nil {
		return nil, err
	}
	relays := s.relays()
	out := &DescribeFleetUtilizationOutput{FleetUtilization: []FleetUtilization{}, NextToken: next}
	for _, f := range fleets {
		u := FleetUtilization{FleetId: f.FleetId, FleetArn: f.FleetArn, Location: f.Locations[0]}
		for _, r := range servedBy(&f, relays) {
			if !r.Draining {
				u.ActiveServerProcessCount += r.MaxSessions
			}
			u.ActiveGameSessionCount += r.Sessions
			u.CurrentPlayerSessionCount += r.Players
			u.MaximumPlayerSessionCount += r.MaxPlayers
		}
		out.FleetUtilization = append(out.FleetUtilization, u)
	}
	return out, nil
}

// DeleteFleet deletes a fleet; InvalidRequestException (Conflict) while it
// has game sessions that have not ended.
func (s *Service) DeleteFleet(ctx context.Context, in *DeleteFleetInput) (*DeleteFleetOutput, error) {
	id, verr := checkResourceID("FleetId", in.FleetId, "fleet", fleetIDPrefix)
	if verr != nil {
		return nil, verr
	}
	err := s.store.DeleteFleet(ctx, id)
	if errors.Is(err, store.ErrInUse) && s.endOrphanActivations(ctx, id) > 0 {
		err = s.store.DeleteFleet(ctx, id)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound(err, "FleetId: fleet %q does not exist", id)
	case errors.Is(err, store.ErrInUse):
		return nil, conflict(err, "FleetId: fleet %q has game sessions that are not TERMINATED; terminate them first", id)
	case err != nil:
		return nil, internal(err, "delete fleet %s", id)
	}
	return &DeleteFleetOutput{}, nil
}

// endOrphanActivations ends the fleet's orphan activations
// (endOrphanActivation), which would keep it from being deleted, and returns
// how many it ended.
func (s *Service) endOrphanActivations(ctx context.Context, fleetID string) int {
	ended := 0
	next := ""
	for {
		page, token, err := s.store.ListGameSessions(ctx, store.GameSessionFilter{FleetID: fleetID, Status: store.GameSessionActivating}, store.Page{NextToken: next})
		if err != nil {
			s.log.Warn("list a fleet's activating game sessions", "fleetId", fleetID, "err", err)
			return ended
		}
		for _, gs := range page {
			if s.endOrphanActivation(ctx, gs).Status != store.GameSessionActivating {
				ended++
			}
		}
		if token == "" {
			return ended
		}
		next = token
	}
}

// sweepActivations ends the orphan activations of every fleet, which no
// reader may come to end (a fleet nobody lists or deletes), and returns how
// many it ended.
func (s *Service) sweepActivations(ctx context.Context) (int, error) {
	fleets, err := s.store.ListFleets(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep activations: list fleets: %w", err)
	}
	n := 0
	for _, f := range fleets {
		n += s.endOrphanActivations(ctx, f.FleetId)
	}
	return n, nil
}

func (s *Service) aliasOut(a store.Alias) Alias {
	return Alias{
		AliasId: a.AliasId, AliasArn: a.AliasArn, Name: a.Name, Description: a.Description,
		RoutingStrategy: a.RoutingStrategy, CreationTime: ts(a.CreationTime), LastUpdatedTime: ts(a.LastUpdatedTime),
	}
}

func checkAliasName(name string) *Error {
	if strings.TrimSpace(name) == "" {
		return invalid("Name", "is required and must not be blank")
	}
	return checkLen("Name", name, 1, MaxNameLength)
}

// routing checks a routing strategy and returns it with its fleet as an id.
func (s *Service) routing(ctx context.Context, rs *RoutingStrategy) (RoutingStrategy, error) {
	if rs == nil {
		return RoutingStrategy{}, invalid("RoutingStrategy", "is required")
	}
	out := RoutingStrategy{Type: rs.Type, Message: rs.Message}
	if err := checkLen("RoutingStrategy.Message", rs.Message, 0, MaxAliasMessage); err != nil {
		return RoutingStrategy{}, err
	}
	switch rs.Type {
	case store.RoutingSimple:
		f, err := s.getFleet(ctx, "RoutingStrategy.FleetId", rs.FleetId)
		if err != nil {
			return RoutingStrategy{}, err
		}
		out.FleetId = f.FleetId
	case store.RoutingTerminal:
		if rs.FleetId != "" {
			return RoutingStrategy{}, invalid("RoutingStrategy.FleetId", "a TERMINAL routing strategy names no fleet")
		}
	default:
		return RoutingStrategy{}, invalid("RoutingStrategy.Type", "must be %s or %s, got %q", store.RoutingSimple, store.RoutingTerminal, rs.Type)
	}
	return out, nil
}

// CreateAlias validates and stores an alias; a SIMPLE one must name an
// existing fleet.
func (s *Service) CreateAlias(ctx context.Context, in *CreateAliasInput) (*CreateAliasOutput, error) {
	if err := checkAliasName(in.Name); err != nil {
		return nil, err
	}
	if err := checkLen("Description", in.Description, 0, MaxDescription); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	rs, err := s.routing(ctx, in.RoutingStrategy)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a := store.Alias{Name: in.Name, Description: in.Description, RoutingStrategy: rs, CreationTime: now, LastUpdatedTime: now}
	for _, t := range in.Tags {
		a.Tags = append(a.Tags, store.Tag(t))
	}
	a.AliasId = aliasIDPrefix + newUUID()
	a.AliasArn = s.AliasArn(a.AliasId)
	if err := s.store.CreateAlias(ctx, a); err != nil {
		return nil, internal(err, "create alias %s", a.AliasId)
	}
	return &CreateAliasOutput{Alias: s.aliasOut(a)}, nil
}

func (s *Service) getAlias(ctx context.Context, v string) (store.Alias, error) {
	id, verr := checkResourceID("AliasId", v, "alias", aliasIDPrefix)
	if verr != nil {
		return store.Alias{}, verr
	}
	a, err := s.store.GetAlias(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Alias{}, notFound(err, "AliasId: alias %q does not exist", id)
	}
	if err != nil {
		return store.Alias{}, internal(err, "get alias %s", id)
	}
	return a, nil
}

// DescribeAlias returns an alias.
func (s *Service) DescribeAlias(ctx context.Context, in *DescribeAliasInput) (*DescribeAliasOutput, error) {
	a, err := s.getAlias(ctx, in.AliasId)
	if err != nil {
		return nil, err
	}
	return &DescribeAliasOutput{Alias: s.aliasOut(a)}, nil
}

// ListAliases lists aliases, oldest first, a page at a time, filtered by
// exact Name and by RoutingStrategyType.
func (s *Service) ListAliases(ctx context.Context, in *ListAliasesInput) (*ListAliasesOutput, error) {
	if t := in.RoutingStrategyType; t != "" && t != store.RoutingSimple && t != store.RoutingTerminal {
		return nil, invalid("RoutingStrategyType", "must be %s or %s, got %q", store.RoutingSimple, store.RoutingTerminal, t)
	}
	all, err := s.store.ListAliases(ctx)
	if err != nil {
		return nil, internal(err, "list aliases")
	}
	var kept []Alias
	for _, a := range all {
		if (in.Name == "" || a.Name == in.Name) && (in.RoutingStrategyType == "" || a.RoutingStrategy.Type == in.RoutingStrategyType) {
			kept = append(kept, s.aliasOut(a))
		}
	}
	aliases, next, perr := page(kept, in.NextToken, in.Limit)
	if perr != nil {
		return nil, perr
	}
	if aliases == nil {
		aliases = []Alias{}
	}
	return &ListAliasesOutput{Aliases: aliases, NextToken: next}, nil
}

// UpdateAlias changes the fields present in the request.
func (s *Service) UpdateAlias(ctx context.Context, in *UpdateAliasInput) (*UpdateAliasOutput, error) {
	if in.Name != nil {
		if err := checkAliasName(*in.Name); err != nil {
			return nil, err
		}
	}
	if in.Description != nil {
		if err := checkLen("Description", *in.Description, 0, MaxDescription); err != nil {
			return nil, err
		}
	}
	var rs RoutingStrategy
	if in.RoutingStrategy != nil {
		var err error
		if rs, err = s.routing(ctx, in.RoutingStrategy); err != nil {
			return nil, err
		}
	}
	for range fleetUpdateAttempts {
		a, err := s.getAlias(ctx, in.AliasId)
		if err != nil {
			return nil, err
		}
		if in.Name != nil {
			a.Name = *in.Name
		}
		if in.Description != nil {
			a.Description = *in.Description
		}
		if in.RoutingStrategy != nil {
			a.RoutingStrategy = rs
		}
		a.LastUpdatedTime = s.now().UTC()
		_, err = s.store.UpdateAlias(ctx, a)
		switch {
		case err == nil:
			return &UpdateAliasOutput{Alias: s.aliasOut(a)}, nil
		case errors.Is(err, store.ErrNotFound):
			return nil, notFound(err, "AliasId: alias %q does not exist", a.AliasId)
		case !errors.Is(err, store.ErrConflict):
			return nil, internal(err, "update alias %s", a.AliasId)
		}
	}
	return nil, conflict(store.ErrConflict, "AliasId: alias %q is being updated concurrently; retry", in.AliasId)
}

// DeleteAlias deletes an alias.
func (s *Service) DeleteAlias(ctx context.Context, in *DeleteAliasInput) (*DeleteAliasOutput, error) {
	id, verr := checkResourceID("AliasId", in.AliasId, "alias", aliasIDPrefix)
	if verr != nil {
		return nil, verr
	}
	err := s.store.DeleteAlias(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(err, "AliasId: alias %q does not exist", id)
	}
	if err != nil {
		return nil, internal(err, "delete alias %s", id)
	}
	return &DeleteAliasOutput{}, nil
}

// ResolveAlias returns the fleet a SIMPLE alias routes to; a TERMINAL one
// answers TerminalRoutingStrategyException with its message.
func (s *Service) ResolveAlias(ctx context.Context, in *ResolveAliasInput) (*ResolveAliasOutput, error) {
	a, err := s.getAlias(ctx, in.AliasId)
	if err != nil {
		return nil, err
	}
	if a.RoutingStrategy.Type == store.RoutingTerminal {
		msg := a.RoutingStrategy.Message
		if msg == "" {
			msg = fmt.Sprintf("alias %s has a TERMINAL routing strategy", a.AliasId)
		}
		return nil, &Error{Type: TerminalRoutingStrategy, Message: msg}
	}
	return &ResolveAliasOutput{FleetId: a.RoutingStrategy.FleetId, FleetArn: s.FleetArn(a.RoutingStrategy.FleetId)}, nil
}
