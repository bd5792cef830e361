package matchmaker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// Game session queue limits and defaults. GameLift's TimeoutInSeconds
// defaults to 600; Matchpoint takes 1 to 43200 (the longest request
// timeout), since a zero timeout could never place. The placement caps the
// timeout by Options.PlacementTimeout.
const (
	DefaultQueueTimeout = 600
	MaxQueueTimeout     = 43200
	MaxDestinations     = 100
	MaxRegionLength     = 64
)

// GameSessionQueueDestination is a place a queue puts game sessions. In
// GameLift it is a fleet or alias ARN; in Matchpoint it names a relay region:
// a fleet or alias ARN in that region (arn:aws:gamelift:<region>::fleet/<any>,
// the account may be given) or the bare region name.
type GameSessionQueueDestination struct {
	DestinationArn string `json:"DestinationArn"`
}

// GameSessionQueue is a queue as GameLift returns it. Destinations are the
// relay regions in order of preference, as fleet ARNs; Regions (a Matchpoint
// addition that AWS SDKs ignore) lists the same regions by name.
type GameSessionQueue struct {
	Name                  string                        `json:"Name"`
	GameSessionQueueArn   string                        `json:"GameSessionQueueArn"`
	TimeoutInSeconds      int                           `json:"TimeoutInSeconds"`
	Destinations          []GameSessionQueueDestination `json:"Destinations"`
	Regions               []string                      `json:"Regions"`
	PlayerLatencyPolicies []PlayerLatencyPolicy         `json:"PlayerLatencyPolicies,omitempty"`
	FilterConfiguration   *FilterConfiguration          `json:"FilterConfiguration,omitempty"`
	PriorityConfiguration *PriorityConfiguration        `json:"PriorityConfiguration,omitempty"`
	NotificationTarget    string                        `json:"NotificationTarget,omitempty"`
	CustomEventData       string                        `json:"CustomEventData,omitempty"`
}

// PlayerLatencyPolicy is GameLift's queue PlayerLatencyPolicy.
type PlayerLatencyPolicy = store.PlayerLatencyPolicy

// FilterConfiguration is GameLift's queue FilterConfiguration: the only
// locations a placement may use.
type FilterConfiguration struct {
	AllowedLocations []string `json:"AllowedLocations,omitempty"`
}

// PriorityConfiguration is GameLift's queue PriorityConfiguration: the
// order of the criteria (LATENCY, COST, DESTINATION, LOCATION) by which a
// placement chooses, and LocationOrder for LOCATION.
type PriorityConfiguration struct {
	PriorityOrder []string `json:"PriorityOrder,omitempty"`
	LocationOrder []string `json:"LocationOrder,omitempty"`
}

// queuePlacementSettings are the placement fields of a queue request.
type queuePlacementSettings struct {
	PlayerLatencyPolicies []PlayerLatencyPolicy  `json:"PlayerLatencyPolicies,omitempty"`
	FilterConfiguration   *FilterConfiguration   `json:"FilterConfiguration,omitempty"`
	PriorityConfiguration *PriorityConfiguration `json:"PriorityConfiguration,omitempty"`
	NotificationTarget    *string                `json:"NotificationTarget,omitempty"`
	CustomEventData       *string                `json:"CustomEventData,omitempty"`
}

// CreateGameSessionQueueInput is the CreateGameSessionQueue request.
type CreateGameSessionQueueInput struct {
	Name             string                        `json:"Name"`
	TimeoutInSeconds *int                          `json:"TimeoutInSeconds,omitempty"`
	Destinations     []GameSessionQueueDestination `json:"Destinations"`
	Tags             []Tag                         `json:"Tags,omitempty"`
	queuePlacementSettings
}

// CreateGameSessionQueueOutput is the CreateGameSessionQueue response.
type CreateGameSessionQueueOutput struct {
	GameSessionQueue GameSessionQueue `json:"GameSessionQueue"`
}

// DescribeGameSessionQueuesInput is the DescribeGameSessionQueues request:
// the named queues (names or ARNs), or every queue a page at a time.
type DescribeGameSessionQueuesInput struct {
	Names     []string `json:"Names,omitempty"`
	Limit     int      `json:"Limit,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

// DescribeGameSessionQueuesOutput is the DescribeGameSessionQueues response.
type DescribeGameSessionQueuesOutput struct {
	GameSessionQueues []GameSessionQueue `json:"GameSessionQueues"`
	NextToken         string             `json:"NextToken,omitempty"`
}

// UpdateGameSessionQueueInput is the UpdateGameSessionQueue request: absent
// fields keep their value; Destinations, when present, replaces the list.
type UpdateGameSessionQueueInput struct {
	Name             string                        `json:"Name"`
	TimeoutInSeconds *int                          `json:"TimeoutInSeconds,omitempty"`
	Destinations     []GameSessionQueueDestination `json:"Destinations,omitempty"`
	queuePlacementSettings
}

// UpdateGameSessionQueueOutput is the UpdateGameSessionQueue response.
type UpdateGameSessionQueueOutput struct {
	GameSessionQueue GameSessionQueue `json:"GameSessionQueue"`
}

// DeleteGameSessionQueueInput is the DeleteGameSessionQueue request.
type DeleteGameSessionQueueInput struct {
	Name string `json:"Name"`
}

// DeleteGameSessionQueueOutput is the (empty) DeleteGameSessionQueue response.
type DeleteGameSessionQueueOutput struct{}

// QueueArn returns the ARN of a game session queue.
func (s *Service) QueueArn(name string) string {
	return fmt.Sprintf("arn:aws:gamelift:%s:%s:gamesessionqueue/%s", s.opts.Region, s.opts.AccountID, name)
}

func (s *Service) queueOut(q store.Queue) GameSessionQueue {
	out := GameSessionQueue{
		Name:                q.Name,
		GameSessionQueueArn: s.QueueArn(q.Name),
		TimeoutInSeconds:    q.TimeoutSeconds,
		Destinations:        make([]GameSessionQueueDestination, len(q.Regions)),
		Regions:             append([]string{}, q.Regions...),
	}
	for i, r := range q.Regions {
		out.Destinations[i] = GameSessionQueueDestination{DestinationArn: fmt.Sprintf("arn:aws:gamelift:%s:%s:fleet/relays", r, s.opts.AccountID)}
		if i < len(q.Destinations) && strings.HasPrefix(q.Destinations[i], "arn:") {
			out.Destinations[i].DestinationArn = q.Destinations[i]
		}
	}
	out.PlayerLatencyPolicies = q.PlayerLatencyPolicies
	if len(q.AllowedLocations) > 0 {
		out.FilterConfiguration = &FilterConfiguration{AllowedLocations: q.AllowedLocations}
	}
	if len(q.PriorityOrder) > 0 || len(q.LocationOrder) > 0 {
		out.PriorityConfiguration = &PriorityConfiguration{PriorityOrder: q.PriorityOrder, LocationOrder: q.LocationOrder}
	}
	out.NotificationTarget, out.CustomEventData = q.NotificationTarget, q.CustomEventData
	return out
}

// checkRegion checks a relay region name: 1-64 characters of
// [a-zA-Z0-9-_].
func checkRegion(field, r string) *Error {
	if r == "" {
		return invalid(field, "a region is required")
	}
	if len(r) > MaxRegionLength {
		return invalid(field, "region %q: must be at most %d characters", r, MaxRegionLength)
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return invalid(field, "region %q: must match [a-zA-Z0-9-_]*", r)
		}
	}
	return nil
}

// destinationRegion returns the region a destination names: the region of
// a GameLift fleet or alias ARN, or a bare region name.
func destinationRegion(field, v string) (string, *Error) {
	if !strings.HasPrefix(v, "arn:") {
		return v, checkRegion(field, v)
	}
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[1] != "aws" || parts[2] != "gamelift" {
		return "", invalid(field, "%q is neither a region name nor arn:aws:gamelift:<region>::fleet/<id>", v)
	}
	kind, id, ok := strings.Cut(parts[5], "/")
	if !ok || (kind != "fleet" && kind != "alias") || id == "" {
		return "", invalid(field, "%q does not name a fleet or an alias (arn:aws:gamelift:<region>::fleet/<id>)", v)
	}
	return parts[3], checkRegion(field, parts[3])
}

// queueRegions reads a queue's destinations as regions, refusing repeats.
func queueRegions(ds []GameSessionQueueDestination) ([]string, *Error) {
	if len(ds) == 0 {
		return nil, invalid("Destinations", "at least one destination is required")
	}
	if len(ds) > MaxDestinations {
		return nil, invalid("Destinations", "at most %d destinations, got %d", MaxDestinations, len(ds))
	}
	out := make([]string, 0, len(ds))
	for i, d := range ds {
		field := fmt.Sprintf("Destinations[%d].DestinationArn", i)
		r, err := destinationRegion(field, d.DestinationArn)
		if err != nil {
			return nil, err
		}
		for j, prev := range out {
			if prev == r {
				return nil, invalid(field, "region %q is also Destinations[%d]", r, j)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func checkQueueTimeout(t int) *Error {
	if t < 1 || t > MaxQueueTimeout {
		return invalid("TimeoutInSeconds", "must be 1 to %d, got %d", MaxQueueTimeout, t)
	}
	return nil
}

// checkQueueRef checks an entry of GameSessionQueueArns: a queue name or a
// game session queue ARN (the queue is the name after "gamesessionqueue/").
func checkQueueRef(field, v string) *Error {
	if v == "" {
		return invalid(field, "is required")
	}
	if err := checkLen(field, v, 1, MaxQueueArnLength); err != nil {
		return err
	}
	if strings.HasPrefix(v, "arn:") && !strings.Contains(v, ":gamesessionqueue/") {
		return invalid(field, "%q is not a game session queue ARN (arn:aws:gamelift:<region>:<account>:gamesessionqueue/<name>)", v)
	}
	return checkName(field, store.QueueName(v))
}

// CreateGameSessionQueue validates and stores a queue. TimeoutInSeconds
// defaults to 600; a taken name is an InvalidRequestException (Conflict).
func (s *Service) CreateGameSessionQueue(ctx context.Context, in *CreateGameSessionQueueInput) (*CreateGameSessionQueueOutput, error) {
	q, err := newQueue(in)
	if err != nil {
		return nil, err
	}
	q.CreationTime = s.now().UTC()
	if err := s.store.CreateQueue(ctx, q); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, conflict(err, "Name: game session queue %q already exists", q.Name)
		}
		return nil, internal(err, "create queue %s", q.Name)
	}
	return &CreateGameSessionQueueOutput{GameSessionQueue: s.queueOut(q)}, nil
}

func newQueue(in *CreateGameSessionQueueInput) (store.Queue, *Error) {
	if err := checkName("Name", in.Name); err != nil {
		return store.Queue{}, err
	}
	if err := checkTags(in.Tags); err != nil {
		return store.Queue{}, err
	}
	q := store.Queue{Name: in.Name, TimeoutSeconds: derefOr(in.TimeoutInSeconds, DefaultQueueTimeout)}
	if err := checkQueueTimeout(q.TimeoutSeconds); err != nil {
		return store.Queue{}, err
	}
	regions, err := queueRegions(in.Destinations)
	if err != nil {
		return store.Queue{}, err
	}
	q.Regions = regions
	q.Destinations = destinationArns(in.Destinations)
	if err := in.queuePlacementSettings.apply(&q); err != nil {
		return store.Queue{}, err
	}
	return q, nil
}

// DescribeGameSessionQueues returns the named queues (NotFoundException if
// one is missing), or all of them ordered by name, Limit (1-10, default 10)
// at a time; NextToken continues a listing.
func (s *Service) DescribeGameSessionQueues(ctx context.Context, in *DescribeGameSessionQueuesInput) (*DescribeGameSessionQueuesOutput, error) {
	limit, lerr := checkLimit(in.Limit)
	if lerr != nil {
		return nil, lerr
	}
	out := &DescribeGameSessionQueuesOutput{GameSessionQueues: []GameSessionQueue{}}
	if len(in.Names) > 0 {
		if len(in.Names) > MaxDescribeLimit {
			return nil, invalid("Names", "at most %d names, got %d", MaxDescribeLimit, len(in.Names))
		}
		for i, n := range in.Names {
			field := fmt.Sprintf("Names[%d]", i)
			if err := checkQueueRef(field, n); err != nil {
				return nil, err
			}
			name := store.QueueName(n)
			q, err := s.store.GetQueue(ctx, name)
			if errors.Is(err, store.ErrNotFound) {
				return nil, notFound(err, "%s: game session queue %q does not exist", field, name)
			}
			if err != nil {
				return nil, internal(err, "get queue %s", name)
			}
			out.GameSessionQueues = append(out.GameSessionQueues, s.queueOut(q))
		}
		return out, nil
	}
	all, err := s.store.ListQueues(ctx)
	if err != nil {
		return nil, internal(err, "list queues")
	}
	page, next := paginate(len(all), func(i int) string { return all[i].Name }, in.NextToken, limit)
	for _, i := range page {
		out.GameSessionQueues = append(out.GameSessionQueues, s.queueOut(all[i]))
	}
	out.NextToken = next
	return out, nil
}

// UpdateGameSessionQueue changes the fields present in the request. The
// configurations that name the queue place their next matches with it.
func (s *Service) UpdateGameSessionQueue(ctx context.Context, in *UpdateGameSessionQueueInput) (*UpdateGameSessionQueueOutput, error) {
	if err := checkQueueRef("Name", in.Name); err != nil {
		return nil, err
	}
	name := store.QueueName(in.Name)
	if in.TimeoutInSeconds != nil {
		if err := checkQueueTimeout(*in.TimeoutInSeconds); err != nil {
			return nil, err
		}
	}
	var regions []string
	if in.Destinations != nil {
		var err *Error
		if regions, err = queueRegions(in.Destinations); err != nil {
			return nil, err
		}
	}
	q, err := s.store.GetQueue(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(err, "Name: game session queue %q does not exist", name)
	}
	if err != nil {
		return nil, internal(err, "get queue %s", name)
	}
	if in.TimeoutInSeconds != nil {
		q.TimeoutSeconds = *in.TimeoutInSeconds
	}
	if regions != nil {
		q.Regions = regions
		q.Destinations = destinationArns(in.Destinations)
	}
	if err := in.queuePlacementSettings.apply(&q); err != nil {
		return nil, err
	}
	if err := s.store.UpdateQueue(ctx, q); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound(err, "Name: game session queue %q does not exist", name)
		}
		return nil, internal(err, "update queue %s", name)
	}
	return &UpdateGameSessionQueueOutput{GameSessionQueue: s.queueOut(q)}, nil
}

// DeleteGameSessionQueue deletes a queue; InvalidRequestException
// (Conflict) while a configuration names it.
func (s *Service) DeleteGameSessionQueue(ctx context.Context, in *DeleteGameSessionQueueInput) (*DeleteGameSessionQueueOutput, error) {
	if err := checkQueueRef("Name", in.Name); err != nil {
		return nil, err
	}
	name := store.QueueName(in.Name)
	err := s.store.DeleteQueue(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound(err, "Name: game session queue %q does not exist", name)
	case errors.Is(err, store.ErrInUse):
		return nil, conflict(err, "Name: game session queue %q is named by a matchmaking configuration", name)
	case err != nil:
		return nil, internal(err, "delete queue %s", name)
	}
	return &DeleteGameSessionQueueOutput{}, nil
}

// checkQueuesExist reports the first entry of c.GameSessionQueueArns whose
// queue does not exist.
func (s *Service) checkQueuesExist(ctx context.Context, c *store.Configuration) error {
	for i, a := range c.GameSessionQueueArns {
		name := store.QueueName(a)
		_, err := s.store.GetQueue(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return notFound(err, "GameSessionQueueArns[%d]: game session queue %q does not exist", i, name)
		}
		if err != nil {
			return internal(err, "get queue %s", name)
		}
	}
	return nil
}

// missingReference explains a store ErrNotFound on a configuration write:
// its rule set or one of its queues is missing (deleted since the checks).
func (s *Service) missingReference(ctx context.Context, c *store.Configuration, cause error) error {
	if _, err := s.store.GetRuleSet(ctx, c.RuleSetName); errors.Is(err, store.ErrNotFound) {
		return notFound(cause, "RuleSetName: matchmaking rule set %q does not exist", c.RuleSetName)
	}
	if err := s.checkQueuesExist(ctx, c); err != nil {
		return err
	}
	return internal(cause, "write configuration %s", c.Name)
}

// ensureDefaultQueue creates the queue of Options.DefaultQueue unless a
// queue of that name exists.
func (s *Service) ensureDefaultQueue(ctx context.Context, q *store.Queue) error {
	in := &CreateGameSessionQueueInput{Name: q.Name}
	if q.TimeoutSeconds != 0 {
		in.TimeoutInSeconds = &q.TimeoutSeconds
	}
	for _, r := range q.Regions {
		in.Destinations = append(in.Destinations, GameSessionQueueDestination{DestinationArn: r})
	}
	if _, err := s.CreateGameSessionQueue(ctx, in); err != nil && !AsError(err).Conflict {
		return fmt.Errorf("matchmaker: Options.DefaultQueue: %w", err)
	}
	return nil
}
