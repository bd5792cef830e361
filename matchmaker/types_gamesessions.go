package matchmaker

import (
	"encoding/json"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// Fleet and alias shapes, with GameLift's field names (issue 12).

// RuntimeConfiguration is GameLift's RuntimeConfiguration.
type RuntimeConfiguration = store.RuntimeConfiguration

// ServerProcess is one entry of RuntimeConfiguration.ServerProcesses.
type ServerProcess = store.ServerProcess

// ResourceCreationLimitPolicy is GameLift's ResourceCreationLimitPolicy.
type ResourceCreationLimitPolicy = store.ResourceCreationLimitPolicy

// RoutingStrategy is GameLift's alias RoutingStrategy.
type RoutingStrategy = store.RoutingStrategy

// LocationConfiguration is one entry of CreateFleet's Locations.
type LocationConfiguration struct {
	Location string `json:"Location"`
}

// LocationState is a fleet location's status, as CreateFleet answers it.
type LocationState struct {
	Location string `json:"Location"`
	Status   string `json:"Status"`
}

// FleetAttributes is a fleet as GameLift describes it. The AWS-only fields
// a fleet was created with are answered as they were given.
type FleetAttributes struct {
	FleetId                        string                       `json:"FleetId"`
	FleetArn                       string                       `json:"FleetArn"`
	FleetType                      string                       `json:"FleetType,omitempty"`
	InstanceType                   json.RawMessage              `json:"InstanceType,omitempty"`
	ComputeType                    json.RawMessage              `json:"ComputeType,omitempty"`
	Name                           string                       `json:"Name"`
	Description                    string                       `json:"Description,omitempty"`
	CreationTime                   *Timestamp                   `json:"CreationTime,omitempty"`
	Status                         string                       `json:"Status"`
	ScriptId                       string                       `json:"ScriptId"`
	ScriptArn                      string                       `json:"ScriptArn"`
	ServerLaunchPath               json.RawMessage              `json:"ServerLaunchPath,omitempty"`
	ServerLaunchParameters         json.RawMessage              `json:"ServerLaunchParameters,omitempty"`
	LogPaths                       json.RawMessage              `json:"LogPaths,omitempty"`
	NewGameSessionProtectionPolicy string                       `json:"NewGameSessionProtectionPolicy"`
	OperatingSystem                string                       `json:"OperatingSystem,omitempty"`
	ResourceCreationLimitPolicy    *ResourceCreationLimitPolicy `json:"ResourceCreationLimitPolicy,omitempty"`
	MetricGroups                   []string                     `json:"MetricGroups,omitempty"`
	InstanceRoleArn                json.RawMessage              `json:"InstanceRoleArn,omitempty"`
	CertificateConfiguration       json.RawMessage              `json:"CertificateConfiguration,omitempty"`
	AnywhereConfiguration          json.RawMessage              `json:"AnywhereConfiguration,omitempty"`
}

// CreateFleetInput is the CreateFleet request, for Realtime script fleets.
// The fields from EC2InboundPermissions on mean something on AWS only: they
// are accepted and recorded as given. BuildId is refused.
type CreateFleetInput struct {
	Name                           string                       `json:"Name"`
	Description                    string                       `json:"Description,omitempty"`
	ScriptId                       string                       `json:"ScriptId,omitempty"`
	BuildId                        string                       `json:"BuildId,omitempty"`
	RuntimeConfiguration           *RuntimeConfiguration        `json:"RuntimeConfiguration,omitempty"`
	Locations                      []LocationConfiguration      `json:"Locations,omitempty"`
	NewGameSessionProtectionPolicy string                       `json:"NewGameSessionProtectionPolicy,omitempty"`
	ResourceCreationLimitPolicy    *ResourceCreationLimitPolicy `json:"ResourceCreationLimitPolicy,omitempty"`
	MetricGroups                   []string                     `json:"MetricGroups,omitempty"`
	Tags                           []Tag                        `json:"Tags,omitempty"`

	EC2InboundPermissions           json.RawMessage `json:"EC2InboundPermissions,omitempty"`
	EC2InstanceType                 json.RawMessage `json:"EC2InstanceType,omitempty"`
	FleetType                       json.RawMessage `json:"FleetType,omitempty"`
	ComputeType                     json.RawMessage `json:"ComputeType,omitempty"`
	InstanceRoleArn                 json.RawMessage `json:"InstanceRoleArn,omitempty"`
	InstanceRoleCredentialsProvider json.RawMessage `json:"InstanceRoleCredentialsProvider,omitempty"`
	CertificateConfiguration        json.RawMessage `json:"CertificateConfiguration,omitempty"`
	AnywhereConfiguration           json.RawMessage `json:"AnywhereConfiguration,omitempty"`
	LogPaths                        json.RawMessage `json:"LogPaths,omitempty"`
	PeerVpcAwsAccountId             json.RawMessage `json:"PeerVpcAwsAccountId,omitempty"`
	PeerVpcId                       json.RawMessage `json:"PeerVpcId,omitempty"`
	PlayerGatewayConfiguration      json.RawMessage `json:"PlayerGatewayConfiguration,omitempty"`
	PlayerGatewayMode               json.RawMessage `json:"PlayerGatewayMode,omitempty"`
	ServerLaunchPath                json.RawMessage `json:"ServerLaunchPath,omitempty"`
	ServerLaunchParameters          json.RawMessage `json:"ServerLaunchParameters,omitempty"`
}

// CreateFleetOutput is the CreateFleet response.
type CreateFleetOutput struct {
	FleetAttributes FleetAttributes `json:"FleetAttributes"`
	LocationStates  []LocationState `json:"LocationStates"`
}

// DescribeFleetAttributesInput is the DescribeFleetAttributes request: the
// given fleets (ids or ARNs; unknown ones are left out, as GameLift does),
// or every fleet a page at a time.
type DescribeFleetAttributesInput struct {
	FleetIds  []string `json:"FleetIds,omitempty"`
	Limit     int      `json:"Limit,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

// DescribeFleetAttributesOutput is the DescribeFleetAttributes response.
type DescribeFleetAttributesOutput struct {
	FleetAttributes []FleetAttributes `json:"FleetAttributes"`
	NextToken       string            `json:"NextToken,omitempty"`
}

// ListFleetsInput is the ListFleets request. A BuildId lists nothing
// (Matchpoint has no builds); a ScriptId (id, name or ARN) keeps the fleets
// of that script.
type ListFleetsInput struct {
	BuildId   string `json:"BuildId,omitempty"`
	ScriptId  string `json:"ScriptId,omitempty"`
	Limit     int    `json:"Limit,omitempty"`
	NextToken string `json:"NextToken,omitempty"`
}

// ListFleetsOutput is the ListFleets response.
type ListFleetsOutput struct {
	FleetIds  []string `json:"FleetIds"`
	NextToken string   `json:"NextToken,omitempty"`
}

// UpdateFleetAttributesInput is the UpdateFleetAttributes request: absent
// fields keep their value.
type UpdateFleetAttributesInput struct {
	FleetId                        string                       `json:"FleetId"`
	Name                           *string                      `json:"Name,omitempty"`
	Description                    *string                      `json:"Description,omitempty"`
	NewGameSessionProtectionPolicy string                       `json:"NewGameSessionProtectionPolicy,omitempty"`
	ResourceCreationLimitPolicy    *ResourceCreationLimitPolicy `json:"ResourceCreationLimitPolicy,omitempty"`
	MetricGroups                   []string                     `json:"MetricGroups,omitempty"`
	AnywhereConfiguration          json.RawMessage              `json:"AnywhereConfiguration,omitempty"`
}

// UpdateFleetAttributesOutput is the UpdateFleetAttributes response.
type UpdateFleetAttributesOutput struct {
	FleetId  string `json:"FleetId"`
	FleetArn string `json:"FleetArn"`
}

// UpdateRuntimeConfigurationInput is the UpdateRuntimeConfiguration
// request.
type UpdateRuntimeConfigurationInput struct {
	FleetId              string                `json:"FleetId"`
	RuntimeConfiguration *RuntimeConfiguration `json:"RuntimeConfiguration"`
}

// UpdateRuntimeConfigurationOutput is the UpdateRuntimeConfiguration
// response.
type UpdateRuntimeConfigurationOutput struct {
	RuntimeConfiguration RuntimeConfiguration `json:"RuntimeConfiguration"`
}

// DescribeRuntimeConfigurationInput is the DescribeRuntimeConfiguration
// request.
type DescribeRuntimeConfigurationInput struct {
	FleetId string `json:"FleetId"`
}

// DescribeRuntimeConfigurationOutput is the DescribeRuntimeConfiguration
// response.
type DescribeRuntimeConfigurationOutput struct {
	RuntimeConfiguration RuntimeConfiguration `json:"RuntimeConfiguration"`
}

// DescribeFleetCapacityInput is the DescribeFleetCapacity request (and
// DescribeFleetUtilization's): as DescribeFleetAttributesInput.
type DescribeFleetCapacityInput = DescribeFleetAttributesInput

// DescribeFleetUtilizationInput is the DescribeFleetUtilization request.
type DescribeFleetUtilizationInput = DescribeFleetAttributesInput

// EC2InstanceCounts is GameLift's instance counts; in Matchpoint a relay
// serving the fleet is an instance.
type EC2InstanceCounts struct {
	DESIRED     int `json:"DESIRED"`
	MINIMUM     int `json:"MINIMUM"`
	MAXIMUM     int `json:"MAXIMUM"`
	PENDING     int `json:"PENDING"`
	ACTIVE      int `json:"ACTIVE"`
	IDLE        int `json:"IDLE"`
	TERMINATING int `json:"TERMINATING"`
}

// FleetCapacity is one fleet's capacity.
type FleetCapacity struct {
	FleetId        string            `json:"FleetId"`
	FleetArn       string            `json:"FleetArn"`
	InstanceType   json.RawMessage   `json:"InstanceType,omitempty"`
	InstanceCounts EC2InstanceCounts `json:"InstanceCounts"`
	Location       string            `json:"Location"`
}

// DescribeFleetCapacityOutput is the DescribeFleetCapacity response.
type DescribeFleetCapacityOutput struct {
	FleetCapacity []FleetCapacity `json:"FleetCapacity"`
	NextToken     string          `json:"NextToken,omitempty"`
}

// FleetUtilization is one fleet's use, from its relays' heartbeats.
type FleetUtilization struct {
	FleetId                   string `json:"FleetId"`
	FleetArn                  string `json:"FleetArn"`
	ActiveServerProcessCount  int    `json:"ActiveServerProcessCount"`
	ActiveGameSessionCount    int    `json:"ActiveGameSessionCount"`
	CurrentPlayerSessionCount int    `json:"CurrentPlayerSessionCount"`
	MaximumPlayerSessionCount int    `json:"MaximumPlayerSessionCount"`
	Location                  string `json:"Location"`
}

// DescribeFleetUtilizationOutput is the DescribeFleetUtilization response.
type DescribeFleetUtilizationOutput struct {
	FleetUtilization []FleetUtilization `json:"FleetUtilization"`
	NextToken        string             `json:"NextToken,omitempty"`
}

// DeleteFleetInput is the DeleteFleet request.
type DeleteFleetInput struct {
	FleetId string `json:"FleetId"`
}

// DeleteFleetOutput is the (empty) DeleteFleet response.
type DeleteFleetOutput struct{}

// Alias is a fleet alias as GameLift returns it.
type Alias struct {
	AliasId         string          `json:"AliasId"`
	AliasArn        string          `json:"AliasArn"`
	Name            string          `json:"Name"`
	Description     string          `json:"Description,omitempty"`
	RoutingStrategy RoutingStrategy `json:"RoutingStrategy"`
	CreationTime    *Timestamp      `json:"CreationTime,omitempty"`
	LastUpdatedTime *Timestamp      `json:"LastUpdatedTime,omitempty"`
}

// CreateAliasInput is the CreateAlias request.
type CreateAliasInput struct {
	Name            string           `json:"Name"`
	Description     string           `json:"Description,omitempty"`
	RoutingStrategy *RoutingStrategy `json:"RoutingStrategy"`
	Tags            []Tag            `json:"Tags,omitempty"`
}

// AliasOutput is the response of CreateAlias, DescribeAlias and
// UpdateAlias.
type AliasOutput struct {
	Alias Alias `json:"Alias"`
}

// CreateAliasOutput is the CreateAlias response.
type CreateAliasOutput = AliasOutput

// DescribeAliasInput is the DescribeAlias request (and DeleteAlias's and
// ResolveAlias's): an alias id or ARN.
type DescribeAliasInput struct {
	AliasId string `json:"AliasId"`
}

// DescribeAliasOutput is the DescribeAlias response.
type DescribeAliasOutput = AliasOutput

// ListAliasesInput is the ListAliases request: every alias, or those whose
// Name is exactly Name or whose routing is of RoutingStrategyType.
type ListAliasesInput struct {
	Name                string `json:"Name,omitempty"`
	RoutingStrategyType string `json:"RoutingStrategyType,omitempty"`
	Limit               int    `json:"Limit,omitempty"`
	NextToken           string `json:"NextToken,omitempty"`
}

// ListAliasesOutput is the ListAliases response.
type ListAliasesOutput struct {
	Aliases   []Alias `json:"Aliases"`
	NextToken string  `json:"NextToken,omitempty"`
}

// UpdateAliasInput is the UpdateAlias request: absent fields keep their
// value; RoutingStrategy, when present, replaces it whole.
type UpdateAliasInput struct {
	AliasId         string           `json:"AliasId"`
	Name            *string          `json:"Name,omitempty"`
	Description     *string          `json:"Description,omitempty"`
	RoutingStrategy *RoutingStrategy `json:"RoutingStrategy,omitempty"`
}

// UpdateAliasOutput is the UpdateAlias response.
type UpdateAliasOutput = AliasOutput

// DeleteAliasInput is the DeleteAlias request.
type DeleteAliasInput = DescribeAliasInput

// DeleteAliasOutput is the (empty) DeleteAlias response.
type DeleteAliasOutput struct{}

// ResolveAliasInput is the ResolveAlias request.
type ResolveAliasInput = DescribeAliasInput

// ResolveAliasOutput is the ResolveAlias response.
type ResolveAliasOutput struct {
	FleetId  string `json:"FleetId"`
	FleetArn string `json:"FleetArn"`
}

// Relay is a live relay as its heartbeats describe it, for fleet status,
// capacity and utilisation (see Options.Relays).
type Relay struct {
	ID     string
	Region string
	// Fleets are the fleets the relay serves (its --fleet flags); none
	// means every fleet of its region.
	Fleets                []string
	MaxSessions, Sessions int
	MaxPlayers, Players   int
	Draining              bool
}
