package matchmaker

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// The game session placement event types (GameLift's queue events).
const (
	EventPlacementFulfilled = "PlacementFulfilled"
	EventPlacementCancelled = "PlacementCancelled"
	EventPlacementTimedOut  = "PlacementTimedOut"
	EventPlacementFailed    = "PlacementFailed"
)

// The PriorityConfiguration.PriorityOrder criteria.
const (
	PriorityLatency     = "LATENCY"
	PriorityCost        = "COST"
	PriorityDestination = "DESTINATION"
	PriorityLocation    = "LOCATION"
)

// defaultPriorityOrder is GameLift's order without a PriorityConfiguration.
var defaultPriorityOrder = []string{PriorityLatency, PriorityCost, PriorityDestination, PriorityLocation}

const (
	// MaxPlacementID bounds a PlacementId (GameLift's).
	MaxPlacementID = 48
	// placementBackoff is the first pause between rounds over a queue's
	// destinations that found no capacity; it doubles up to
	// maxCapacityBackoff, as the FlexMatch placer's does.
	placementBackoff = 250 * time.Millisecond
	// placementOrphanGrace is how long after its deadline a PENDING
	// placement is taken for one whose matchmaker died: reading it then
	// times it out.
	placementOrphanGrace = 30 * time.Second
)

// QueueEventPublisher publishes a game session placement event on the bus;
// *bus.Conn implements it. When Options.Publisher implements it too, the
// queue events go out on the bus.
type QueueEventPublisher interface {
	PublishQueueEvent(ctx context.Context, queue, eventType string, payload []byte) error
}

// DesiredPlayerSession is a player StartGameSessionPlacement makes a player
// session for.
type DesiredPlayerSession = store.DesiredPlayerSession

// PlayerLatency is a player's latency to a location.
type PlayerLatency = store.PlayerLatency

// PlacedPlayerSession is a player session a FULFILLED placement made.
type PlacedPlayerSession = store.PlacedPlayerSession

// StartGameSessionPlacementInput is the StartGameSessionPlacement request.
type StartGameSessionPlacementInput struct {
	PlacementId               string                 `json:"PlacementId"`
	GameSessionQueueName      string                 `json:"GameSessionQueueName"`
	MaximumPlayerSessionCount *int                   `json:"MaximumPlayerSessionCount,omitempty"`
	GameSessionName           string                 `json:"GameSessionName,omitempty"`
	GameProperties            []GameProperty         `json:"GameProperties,omitempty"`
	GameSessionData           string                 `json:"GameSessionData,omitempty"`
	DesiredPlayerSessions     []DesiredPlayerSession `json:"DesiredPlayerSessions,omitempty"`
	PlayerLatencies           []PlayerLatency        `json:"PlayerLatencies,omitempty"`
}

// GameSessionPlacement is a placement as GameLift returns it.
type GameSessionPlacement struct {
	PlacementId               string                `json:"PlacementId"`
	GameSessionQueueName      string                `json:"GameSessionQueueName"`
	Status                    string                `json:"Status"`
	GameProperties            []GameProperty        `json:"GameProperties,omitempty"`
	MaximumPlayerSessionCount int                   `json:"MaximumPlayerSessionCount"`
	GameSessionName           string                `json:"GameSessionName,omitempty"`
	GameSessionId             string                `json:"GameSessionId,omitempty"`
	GameSessionArn            string                `json:"GameSessionArn,omitempty"`
	GameSessionRegion         string                `json:"GameSessionRegion,omitempty"`
	PlayerLatencies           []PlayerLatency       `json:"PlayerLatencies,omitempty"`
	StartTime                 *Timestamp            `json:"StartTime,omitempty"`
	EndTime                   *Timestamp            `json:"EndTime,omitempty"`
	IpAddress                 string                `json:"IpAddress,omitempty"`
	DnsName                   string                `json:"DnsName,omitempty"`
	Port                      int                   `json:"Port,omitempty"`
	PlacedPlayerSessions      []PlacedPlayerSession `json:"PlacedPlayerSessions,omitempty"`
	GameSessionData           string                `json:"GameSessionData,omitempty"`
}

// StartGameSessionPlacementOutput is the StartGameSessionPlacement response.
type StartGameSessionPlacementOutput struct {
	GameSessionPlacement GameSessionPlacement `json:"GameSessionPlacement"`
}

// DescribeGameSessionPlacementInput is the DescribeGameSessionPlacement
// request.
type DescribeGameSessionPlacementInput struct {
	PlacementId string `json:"PlacementId"`
}

// DescribeGameSessionPlacementOutput is the DescribeGameSessionPlacement
// response.
type DescribeGameSessionPlacementOutput struct {
	GameSessionPlacement GameSessionPlacement `json:"GameSessionPlacement"`
}

// StopGameSessionPlacementInput is the StopGameSessionPlacement request.
type StopGameSessionPlacementInput struct {
	PlacementId string `json:"PlacementId"`
}

// StopGameSessionPlacementOutput is the StopGameSessionPlacement response.
type StopGameSessionPlacementOutput struct {
	GameSessionPlacement GameSessionPlacement `json:"GameSessionPlacement"`
}

// queuePlacements tracks this process's placement workers, so that Stop
// ends one at once and Close ends them all. The zero value is ready.
type queuePlacements struct {
	mu      sync.Mutex
	cancels map[string]context.CancelFunc
	wg      sync.WaitGroup
	closed  bool
}

// start runs fn in a goroutine under a context cancelled by cancel(id) or
// stop; false after stop.
func (q *queuePlacements) start(id string, fn func(ctx context.Context)) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false
	}
	if q.cancels == nil {
		q.cancels = map[string]context.CancelFunc{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	q.cancels[id] = cancel
	q.wg.Go(func() {
		defer func() {
			q.mu.Lock()
			delete(q.cancels, id)
			q.mu.Unlock()
			cancel()
		}()
		fn(ctx)
	})
	return true
}

func (q *queuePlacements) cancel(id string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if c, ok := q.cancels[id]; ok {
		c()
	}
}

// stop cancels every worker, waits for them and returns the ids of the
// placements whose workers it cancelled.
func (q *queuePlacements) stop() []string {
	q.mu.Lock()
	q.closed = true
	ids := make([]string, 0, len(q.cancels))
	for id, c := range q.cancels {
		ids = append(ids, id)
		c()
	}
	q.mu.Unlock()
	q.wg.Wait()
	return ids
}

func placementOut(p store.GameSessionPlacement) GameSessionPlacement {
	out := GameSessionPlacement{
		PlacementId: p.PlacementId, GameSessionQueueName: p.GameSessionQueueName, Status: string(p.Status),
		GameProperties: p.GameProperties, MaximumPlayerSessionCount: p.MaximumPlayerSessionCount,
		GameSessionName: p.GameSessionName, PlayerLatencies: p.PlayerLatencies, StartTime: ts(p.StartTime),
		EndTime: ts(p.EndTime), GameSessionData: p.GameSessionData,
	}
	// GameLift's connection fields are final only once FULFILLED.
	if p.Status == store.PlacementFulfilled {
		out.GameSessionId, out.GameSessionArn, out.GameSessionRegion = p.GameSessionId, p.GameSessionArn, p.GameSessionRegion
		out.IpAddress, out.DnsName, out.Port = p.IpAddress, p.DnsName, p.Port
		out.PlacedPlayerSessions = p.PlacedPlayerSessions
	}
	return out
}

// destinationArns keeps the destinations as given.
func destinationArns(ds []GameSessionQueueDestination) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.DestinationArn
	}
	return out
}

// apply checks the placement settings present and writes them to q.
func (in *queuePlacementSettings) apply(q *store.Queue) *Error {
	if in.PlayerLatencyPolicies != nil {
		final := 0
		for i, p := range in.PlayerLatencyPolicies {
			field := fmt.Sprintf("PlayerLatencyPolicies[%d]", i)
			if p.MaximumIndividualPlayerLatencyMilliseconds < 0 {
				return invalid(field+".MaximumIndividualPlayerLatencyMilliseconds", "must be at least 0, got %d", p.MaximumIndividualPlayerLatencyMilliseconds)
			}
			if p.PolicyDurationSeconds < 0 {
				return invalid(field+".PolicyDurationSeconds", "must be at least 0, got %d", p.PolicyDurationSeconds)
			}
			if p.PolicyDurationSeconds == 0 {
				final++
			}
		}
		if final > 1 {
			return invalid("PlayerLatencyPolicies", "at most one policy without PolicyDurationSeconds (the final one), got %d", final)
		}
		q.PlayerLatencyPolicies = slices.Clone(in.PlayerLatencyPolicies)
	}
	if f := in.FilterConfiguration; f != nil {
		for i, l := range f.AllowedLocations {
			if err := checkRegion(fmt.Sprintf("FilterConfiguration.AllowedLocations[%d]", i), l); err != nil {
				return err
			}
		}
		q.AllowedLocations = slices.Clone(f.AllowedLocations)
	}
	if p := in.PriorityConfiguration; p != nil {
		for i, c := range p.PriorityOrder {
			if !slices.Contains(defaultPriorityOrder, c) {
				return invalid(fmt.Sprintf("PriorityConfiguration.PriorityOrder[%d]", i), "must be one of %v, got %q", defaultPriorityOrder, c)
			}
			if slices.Index(p.PriorityOrder, c) != i {
				return invalid(fmt.Sprintf("PriorityConfiguration.PriorityOrder[%d]", i), "%q is given twice", c)
			}
		}
		for i, l := range p.LocationOrder {
			if err := checkRegion(fmt.Sprintf("PriorityConfiguration.LocationOrder[%d]", i), l); err != nil {
				return err
			}
		}
		q.PriorityOrder, q.LocationOrder = slices.Clone(p.PriorityOrder), slices.Clone(p.LocationOrder)
	}
	if in.NotificationTarget != nil {
		if err := checkNotificationTarget(*in.NotificationTarget); err != nil {
			return err
		}
		q.NotificationTarget = *in.NotificationTarget
	}
	if in.CustomEventData != nil {
		if err := checkLen("CustomEventData", *in.CustomEventData, 0, MaxCustomEventData); err != nil {
			return err
		}
		q.CustomEventData = *in.CustomEventData
	}
	return nil
}

func checkPlacementID(id string) *Error {
	if err := checkLen("PlacementId", id, 1, MaxPlacementID); err != nil {
		return err
	}
	if !idSuffix.MatchString(id) {
		return invalid("PlacementId", "%q: only letters, digits and '-'", id)
	}
	return nil
}

func checkStartPlacement(in *StartGameSessionPlacementInput) *Error {
	if err := checkPlacementID(in.PlacementId); err != nil {
		return err
	}
	if err := checkQueueRef("GameSessionQueueName", in.GameSessionQueueName); err != nil {
		return err
	}
	if in.MaximumPlayerSessionCount == nil {
		return invalid("MaximumPlayerSessionCount", "is required")
	}
	if n := *in.MaximumPlayerSessionCount; n < 1 {
		return invalid("MaximumPlayerSessionCount", "must be at least 1, got %d", n)
	}
	if in.GameSessionName != "" {
		if err := checkLen("GameSessionName", in.GameSessionName, 1, MaxGameSessionName); err != nil {
			return err
		}
	}
	if err := checkGameProperties(in.GameProperties); err != nil {
		return err
	}
	if err := checkLen("GameSessionData", in.GameSessionData, 0, MaxCreateGameSessionData); err != nil {
		return err
	}
	if n := len(in.DesiredPlayerSessions); n > MaxPlayerSessionsPerCall {
		return invalid("DesiredPlayerSessions", "at most %d players, got %d", MaxPlayerSessionsPerCall, n)
	}
	if n := len(in.DesiredPlayerSessions); n > *in.MaximumPlayerSessionCount {
		return invalid("DesiredPlayerSessions", "%d players do not fit in MaximumPlayerSessionCount %d", n, *in.MaximumPlayerSessionCount)
	}
	seen := map[string]int{}
	for i, d := range in.DesiredPlayerSessions {
		field := fmt.Sprintf("DesiredPlayerSessions[%d]", i)
		if err := checkLen(field+".PlayerId", d.PlayerId, 1, MaxPlayerID); err != nil {
			return err
		}
		if j, ok := seen[d.PlayerId]; ok {
			return invalid(field+".PlayerId", "%q is also DesiredPlayerSessions[%d]", d.PlayerId, j)
		}
		seen[d.PlayerId] = i
		if err := checkLen(field+".PlayerData", d.PlayerData, 0, MaxPlayerData); err != nil {
			return err
		}
	}
	for i, l := range in.PlayerLatencies {
		field := fmt.Sprintf("PlayerLatencies[%d]", i)
		if err := checkLen(field+".PlayerId", l.PlayerId, 1, MaxPlayerID); err != nil {
			return err
		}
		if err := checkRegion(field+".RegionIdentifier", l.RegionIdentifier); err != nil {
			return err
		}
		if l.LatencyInMilliseconds < 0 || math.IsNaN(float64(l.LatencyInMilliseconds)) || math.IsInf(float64(l.LatencyInMilliseconds), 0) {
			return invalid(field+".LatencyInMilliseconds", "must be a number at least 0, got %v", l.LatencyInMilliseconds)
		}
	}
	return nil
}

// StartGameSessionPlacement stores a PENDING placement and places it in
// the background: on the queue's destinations, in the order its
// PriorityConfiguration, PlayerLatencyPolicies and FilterConfiguration
// give, retrying while no relay has room, until the queue's
// TimeoutInSeconds (TIMED_OUT).
func (s *Service) StartGameSessionPlacement(ctx context.Context, in *StartGameSessionPlacementInput) (*StartGameSessionPlacementOutput, error) {
	if err := checkStartPlacement(in); err != nil {
		return nil, err
	}
	name := store.QueueName(in.GameSessionQueueName)
	q, err := s.store.GetQueue(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound(err, "GameSessionQueueName: game session queue %q does not exist", name)
	}
	if err != nil {
		return nil, internal(err, "get queue %s", name)
	}
	now := s.now().UTC()
	p := store.GameSessionPlacement{
		PlacementId: in.PlacementId, GameSessionQueueName: name, Status: store.PlacementPending,
		GameProperties: in.GameProperties, MaximumPlayerSessionCount: *in.MaximumPlayerSessionCount,
		GameSessionName: in.GameSessionName, GameSessionData: in.GameSessionData,
		DesiredPlayerSessions: in.DesiredPlayerSessions, PlayerLatencies: in.PlayerLatencies,
		StartTime: now, Deadline: now.Add(time.Duration(q.TimeoutSeconds) * time.Second), Owner: s.owner(),
	}
	if err := s.store.CreatePlacement(ctx, p); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, conflict(err, "PlacementId: placement %q exists", in.PlacementId)
		}
		return nil, internal(err, "create placement %s", in.PlacementId)
	}
	p.Version = 1
	if !s.queuePlacements.start(p.PlacementId, func(ctx context.Context) { s.runPlacement(ctx, p) }) {
		// Closing: another matchmaker takes it over (sweepPlacements).
		s.releasePlacements(context.WithoutCancel(ctx), []string{p.PlacementId})
	}
	return &StartGameSessionPlacementOutput{GameSessionPlacement: placementOut(p)}, nil
}

// getPlacement reads a placement; a PENDING one well past its deadline
// (its matchmaker died) is timed out first.
func (s *Service) getPlacement(ctx context.Context, id string) (store.GameSessionPlacement, error) {
	if err := checkPlacementID(id); err != nil {
		return store.GameSessionPlacement{}, err
	}
	p, err := s.store.GetPlacement(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.GameSessionPlacement{}, notFound(err, "PlacementId: placement %q does not exist", id)
	}
	if err != nil {
		return store.GameSessionPlacement{}, internal(err, "get placement %s", id)
	}
	if p.Status == store.PlacementPending && s.now().After(p.Deadline.Add(placementOrphanGrace)) {
		return s.timeOutOrphanPlacement(ctx, id)
	}
	return p, nil
}

// DescribeGameSessionPlacement returns a placement.
func (s *Service) DescribeGameSessionPlacement(ctx context.Context, in *DescribeGameSessionPlacementInput) (*DescribeGameSessionPlacementOutput, error) {
	p, err := s.getPlacement(ctx, in.PlacementId)
	if err != nil {
		return nil, err
	}
	return &DescribeGameSessionPlacementOutput{GameSessionPlacement: placementOut(p)}, nil
}

// StopGameSessionPlacement cancels a PENDING placement (CANCELLED, with its
// PlacementCancelled event). As in GameLift, a placement that has created
// its game session (FULFILLED, or PENDING while its player sessions are
// made) is refused with InvalidRequestException, TerminateGameSession
// ending that session; a placement that ended otherwise is returned as it
// is.
func (s *Service) StopGameSessionPlacement(ctx context.Context, in *StopGameSessionPlacementInput) (*StopGameSessionPlacementOutput, error) {
	p, err := s.getPlacement(ctx, in.PlacementId)
	if err != nil {
		return nil, err
	}
	if p.Status == store.PlacementPending {
		p, err = s.endPlacement(ctx, in.PlacementId, store.PlacementCancelled, "", func(x *store.GameSessionPlacement) error {
			if x.GameSessionId != "" {
				return sessionCreated(x)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if p.Status == store.PlacementFulfilled {
		return nil, sessionCreated(&p)
	}
	s.queuePlacements.cancel(in.PlacementId)
	return &StopGameSessionPlacementOutput{GameSessionPlacement: placementOut(p)}, nil
}

// sessionCreated is StopGameSessionPlacement's refusal of a placement that
// has created its game session.
func sessionCreated(p *store.GameSessionPlacement) *Error {
	return invalid("PlacementId", "placement %q has created game session %s and cannot be stopped; TerminateGameSession ends the session", p.PlacementId, p.GameSessionId)
}

// endPlacement moves a PENDING placement to status (fill, when given, sets
// the fields of a FULFILLED one, or refuses the change with an error) and
// emits its event. A placement that has ended already is returned as it
// is, without an event.
func (s *Service) endPlacement(ctx context.Context, id string, status store.PlacementStatus, reason string, fill func(*store.GameSessionPlacement) error) (store.GameSessionPlacement, error) {
	p, changed, err := s.changePendingPlacement(ctx, id, func(x *store.GameSessionPlacement) error {
		x.Status, x.StatusReason, x.EndTime = status, reason, s.now().UTC()
		if fill != nil {
			return fill(x)
		}
		return nil
	})
	if err == nil && changed {
		s.emitQueueEvent(ctx, p)
	}
	return p, err
}

// changePendingPlacement applies change to a PENDING placement and stores
// it (compare-and-swap, retried on a conflict); changed is false, and the
// placement returned as it is, when it has ended. An error from change is
// returned as it is, nothing written.
func (s *Service) changePendingPlacement(ctx context.Context, id string, change func(*store.GameSessionPlacement) error) (store.GameSessionPlacement, bool, error) {
	for range gameSessionUpdateAttempts {
		p, err := s.store.GetPlacement(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return store.GameSessionPlacement{}, false, notFound(err, "PlacementId: placement %q does not exist", id)
		}
		if err != nil {
			return store.GameSessionPlacement{}, false, internal(err, "get placement %s", id)
		}
		if p.Status != store.PlacementPending {
			return p, false, nil
		}
		if err := change(&p); err != nil {
			return store.GameSessionPlacement{}, false, err
		}
		v, err := s.store.UpdatePlacement(ctx, p)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return store.GameSessionPlacement{}, false, internal(err, "update placement %s", id)
		}
		p.Version = v
		return p, true, nil
	}
	return store.GameSessionPlacement{}, false, conflict(store.ErrConflict, "PlacementId: placement %q changed %d times during the update; try again", id, gameSessionUpdateAttempts)
}

// dropPlacementSession ends a game session a placement created but did not
// take (stopped or timed out meanwhile, or its player sessions refused):
// no caller was given it, and it would hold its relay's capacity.
func (s *Service) dropPlacementSession(ctx context.Context, placementID, gameSessionID string) {
	_, err := s.TerminateGameSession(ctx, &TerminateGameSessionInput{GameSessionId: gameSessionID, TerminationMode: TerminationNormal})
	if err != nil {
		s.log.Warn("end the game session of an ended placement", "placementId", placementID, "gameSessionId", gameSessionID, "err", err)
	}
}

// placementCandidate is one place a placement may go: a fleet in a
// location, from the queue's destination dest.
type placementCandidate struct {
	fleet    store.Fleet
	location string
	dest     int
}

// placementCandidates lists where a placement may go now, best first.
// A destination naming a fleet (or an alias of one) offers that fleet's
// locations; one naming a region (or Matchpoint's fleet/relays ARN)
// offers every fleet with that location. The queue's AllowedLocations and
// the latency policy in force at elapsed filter them; its priority order
// sorts them.
func (s *Service) placementCandidates(ctx context.Context, q store.Queue, p *store.GameSessionPlacement, elapsed time.Duration) ([]placementCandidate, error) {
	dests := q.Destinations
	if len(dests) != len(q.Regions) {
		dests = q.Regions
	}
	var fleets []store.Fleet
	var out []placementCandidate
	for i, d := range dests {
		if f, ok := s.destinationFleet(ctx, d); ok {
			for _, l := range f.Locations {
				out = append(out, placementCandidate{fleet: f, location: l, dest: i})
			}
			continue
		}
		if fleets == nil {
			all, err := s.store.ListFleets(ctx)
			if err != nil {
				return nil, fmt.Errorf("list fleets: %w", err)
			}
			fleets = all
		}
		for _, f := range fleets {
			if slices.Contains(f.Locations, q.Regions[i]) {
				out = append(out, placementCandidate{fleet: f, location: q.Regions[i], dest: i})
			}
		}
	}
	limit, limited := latencyLimit(q.PlayerLatencyPolicies, elapsed)
	latency := playerLatencies(p.PlayerLatencies)
	out = slices.DeleteFunc(out, func(c placementCandidate) bool {
		if len(q.AllowedLocations) > 0 && !slices.Contains(q.AllowedLocations, c.location) {
			return true
		}
		return limited && len(latency) > 0 && !latency.within(c.location, float64(limit))
	})
	order := q.PriorityOrder
	if len(order) == 0 {
		order = defaultPriorityOrder
	}
	slices.SortStableFunc(out, func(a, b placementCandidate) int {
		for _, c := range order {
			var d int
			switch c {
			case PriorityLatency:
				d = cmp.Compare(latency.average(a.location), latency.average(b.location))
			case PriorityDestination:
				d = cmp.Compare(a.dest, b.dest)
			case PriorityLocation:
				d = cmp.Compare(locationRank(q.LocationOrder, a.location), locationRank(q.LocationOrder, b.location))
			}
			if d != 0 {
				return d
			}
		}
		return 0
	})
	return out, nil
}

// destinationFleet returns the fleet a destination ARN names, directly or
// through a SIMPLE alias; false for a region.
func (s *Service) destinationFleet(ctx context.Context, arn string) (store.Fleet, bool) {
	if !strings.HasPrefix(arn, "arn:") {
		return store.Fleet{}, false
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return store.Fleet{}, false
	}
	kind, id, _ := strings.Cut(parts[5], "/")
	switch kind {
	case "fleet":
		f, err := s.store.GetFleet(ctx, id)
		return f, err == nil
	case "alias":
		out, err := s.ResolveAlias(ctx, &ResolveAliasInput{AliasId: id})
		if err != nil {
			return store.Fleet{}, false
		}
		f, err := s.store.GetFleet(ctx, out.FleetId)
		return f, err == nil
	}
	return store.Fleet{}, false
}

// latencyLimit returns the maximum player latency the queue's policies
// allow at elapsed: the policies apply strictest first, each for its
// PolicyDurationSeconds, then the final one (without a duration); false
// when none applies.
func latencyLimit(policies []store.PlayerLatencyPolicy, elapsed time.Duration) (int, bool) {
	ps := slices.Clone(policies)
	slices.SortStableFunc(ps, func(a, b store.PlayerLatencyPolicy) int {
		if (a.PolicyDurationSeconds == 0) != (b.PolicyDurationSeconds == 0) {
			if a.PolicyDurationSeconds == 0 {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.MaximumIndividualPlayerLatencyMilliseconds, b.MaximumIndividualPlayerLatencyMilliseconds)
	})
	var until time.Duration
	for _, p := range ps {
		if p.PolicyDurationSeconds == 0 {
			return p.MaximumIndividualPlayerLatencyMilliseconds, true
		}
		until += time.Duration(p.PolicyDurationSeconds) * time.Second
		if elapsed < until {
			return p.MaximumIndividualPlayerLatencyMilliseconds, true
		}
	}
	return 0, false
}

// latencies maps each player to their latency by location.
type latencies map[string]map[string]float64

func playerLatencies(ls []store.PlayerLatency) latencies {
	out := latencies{}
	for _, l := range ls {
		if out[l.PlayerId] == nil {
			out[l.PlayerId] = map[string]float64{}
		}
		out[l.PlayerId][l.RegionIdentifier] = l.LatencyInMilliseconds
	}
	return out
}

// within reports whether every player reported a latency to location of
// at most limit.
func (ls latencies) within(location string, limit float64) bool {
	for _, byLoc := range ls {
		ms, ok := byLoc[location]
		if !ok || ms > limit {
			return false
		}
	}
	return true
}

// average is the players' mean latency to location; +Inf when a player
// did not report it (and 0 without latencies: every location ties).
func (ls latencies) average(location string) float64 {
	if len(ls) == 0 {
		return 0
	}
	var sum float64
	for _, byLoc := range ls {
		ms, ok := byLoc[location]
		if !ok {
			return math.Inf(1)
		}
		sum += ms
	}
	return sum / float64(len(ls))
}

func locationRank(order []string, location string) int {
	if i := slices.Index(order, location); i >= 0 {
		return i
	}
	return len(order)
}

// runPlacement places p until it is FULFILLED, its deadline passes
// (TIMED_OUT), it is stopped or its matchmaker closes (ctx cancelled) or it
// fails (FAILED). Each round tries the candidates in order with
// CreateGameSession; a round that found no capacity waits
// (placementBackoff, doubling) and starts again.
func (s *Service) runPlacement(ctx context.Context, p store.GameSessionPlacement) {
	bg := context.WithoutCancel(ctx)
	fail := func(status store.PlacementStatus, reason string) {
		if _, err := s.endPlacement(bg, p.PlacementId, status, reason, nil); err != nil {
			s.log.Warn("end game session placement", "placementId", p.PlacementId, "status", status, "err", err)
		}
	}
	// The timeout runs on the process's clock from now: Service.now may be
	// another clock (tests).
	ctx, cancel := context.WithTimeout(ctx, p.Deadline.Sub(s.now()))
	defer cancel()
	delay := placementBackoff
	var problems []string
	for {
		q, err := s.store.GetQueue(ctx, p.GameSessionQueueName)
		if err != nil && ctx.Err() == nil {
			fail(store.PlacementFailed, fmt.Sprintf("game session queue %s: %v", p.GameSessionQueueName, err))
			return
		}
		var cands []placementCandidate
		if err == nil {
			cands, err = s.placementCandidates(ctx, q, &p, s.now().Sub(p.StartTime))
		}
		if err != nil && ctx.Err() == nil {
			fail(store.PlacementFailed, err.Error())
			return
		}
		problems = problems[:0]
		for _, c := range cands {
			if ctx.Err() != nil {
				break
			}
			done, problem := s.tryPlacement(ctx, p, c)
			if done {
				return
			}
			problems = append(problems, problem)
		}
		if len(cands) == 0 {
			problems = append(problems, "no destination of the queue has a fleet in an allowed location within the latency policy")
		}
		timer := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			timer.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				fail(store.PlacementTimedOut, strings.Join(problems, "; "))
			}
			return
		case <-timer.C:
		}
		delay = min(2*delay, maxCapacityBackoff)
	}
}

// tryPlacement creates the game session on candidate c and the desired
// player sessions in it; done when the placement has ended (FULFILLED, or
// FAILED for player sessions refused), else why c did not take it.
func (s *Service) tryPlacement(ctx context.Context, p store.GameSessionPlacement, c placementCandidate) (done bool, problem string) {
	bg := context.WithoutCancel(ctx)
	out, err := s.CreateGameSession(ctx, &CreateGameSessionInput{
		FleetId: c.fleet.FleetId, Location: c.location, MaximumPlayerSessionCount: &p.MaximumPlayerSessionCount,
		Name: p.GameSessionName, GameProperties: p.GameProperties, GameSessionData: p.GameSessionData,
	})
	if err != nil {
		return false, fmt.Sprintf("%s in %s: %v", c.fleet.FleetId, c.location, err)
	}
	gs := out.GameSession
	if gs.Status != string(store.GameSessionActive) {
		return false, fmt.Sprintf("%s in %s: game session %s is %s", c.fleet.FleetId, c.location, gs.GameSessionId, gs.Status)
	}
	// Recorded on the placement, the session is its own: Stop refuses it
	// from now on, as GameLift refuses a placement with a game session.
	_, marked, err := s.changePendingPlacement(bg, p.PlacementId, func(x *store.GameSessionPlacement) error {
		x.GameSessionId, x.GameSessionArn = gs.GameSessionId, gs.GameSessionId
		return nil
	})
	if err != nil || !marked {
		s.dropPlacementSession(bg, p.PlacementId, gs.GameSessionId)
		if err != nil {
			return false, fmt.Sprintf("record game session %s: %v", gs.GameSessionId, err)
		}
		return true, ""
	}
	var placed []store.PlacedPlayerSession
	if len(p.DesiredPlayerSessions) > 0 {
		in := &CreatePlayerSessionsInput{GameSessionId: gs.GameSessionId, PlayerDataMap: map[string]string{}}
		for _, d := range p.DesiredPlayerSessions {
			in.PlayerIds = append(in.PlayerIds, d.PlayerId)
			if d.PlayerData != "" {
				in.PlayerDataMap[d.PlayerId] = d.PlayerData
			}
		}
		ps, err := s.CreatePlayerSessions(bg, in)
		if err != nil {
			s.log.Warn("game session placement: player sessions refused", "placementId", p.PlacementId, "gameSessionId", gs.GameSessionId, "err", err)
			if _, err := s.endPlacement(bg, p.PlacementId, store.PlacementFailed, fmt.Sprintf("player sessions in %s: %v", gs.GameSessionId, err), nil); err != nil {
				s.log.Warn("end game session placement", "placementId", p.PlacementId, "err", err)
			}
			s.dropPlacementSession(bg, p.PlacementId, gs.GameSessionId)
			return true, ""
		}
		for _, x := range ps.PlayerSessions {
			placed = append(placed, store.PlacedPlayerSession{PlayerId: x.PlayerId, PlayerSessionId: x.PlayerSessionId})
		}
	}
	ended, err := s.endPlacement(bg, p.PlacementId, store.PlacementFulfilled, "", func(x *store.GameSessionPlacement) error {
		x.GameSessionId, x.GameSessionArn, x.GameSessionRegion = gs.GameSessionId, gs.GameSessionId, gs.Location
		x.IpAddress, x.DnsName, x.Port, x.PlacedPlayerSessions = gs.IpAddress, gs.DnsName, gs.Port, placed
		return nil
	})
	switch {
	case err != nil:
		s.log.Warn("fulfil game session placement", "placementId", p.PlacementId, "err", err)
	case ended.Status != store.PlacementFulfilled:
		// Timed out by a reader that took this matchmaker for dead.
		s.log.Warn("game session placement ended while its player sessions were made; its game session ends",
			"placementId", p.PlacementId, "status", ended.Status, "gameSessionId", gs.GameSessionId)
		s.dropPlacementSession(bg, p.PlacementId, gs.GameSessionId)
	}
	return true, ""
}

// QueueEvent is a game session placement event: the EventBridge envelope
// with GameLift's queue placement detail.
type QueueEvent struct {
	Version    string           `json:"version"`
	ID         string           `json:"id"`
	DetailType string           `json:"detail-type"`
	Source     string           `json:"source"`
	Account    string           `json:"account"`
	Time       string           `json:"time"`
	Region     string           `json:"region"`
	Resources  []string         `json:"resources"`
	Detail     QueueEventDetail `json:"detail"`
}

// QueueEventDetail is GameLift's queue placement event detail; the
// connection fields are set on PlacementFulfilled only.
type QueueEventDetail struct {
	Type                 string             `json:"type"`
	PlacementID          string             `json:"placementId"`
	Port                 string             `json:"port,omitempty"`
	GameSessionArn       string             `json:"gameSessionArn,omitempty"`
	IPAddress            string             `json:"ipAddress,omitempty"`
	DNSName              string             `json:"dnsName,omitempty"`
	StartTime            string             `json:"startTime"`
	EndTime              string             `json:"endTime"`
	GameSessionRegion    string             `json:"gameSessionRegion,omitempty"`
	PlacedPlayerSessions []QueueEventPlayer `json:"placedPlayerSessions,omitempty"`
	CustomEventData      string             `json:"customEventData,omitempty"`
	// StatusReason is Matchpoint's own: why a placement timed out or
	// failed, for operators.
	StatusReason string `json:"matchpointReason,omitempty"`
}

// QueueEventPlayer is a placed player session in PlacementFulfilled.
type QueueEventPlayer struct {
	PlayerID        string `json:"playerId"`
	PlayerSessionID string `json:"playerSessionId"`
}

var placementEventTypes = map[store.PlacementStatus]string{
	store.PlacementFulfilled: EventPlacementFulfilled,
	store.PlacementCancelled: EventPlacementCancelled,
	store.PlacementTimedOut:  EventPlacementTimedOut,
	store.PlacementFailed:    EventPlacementFailed,
}

// emitQueueEvent publishes the event of an ended placement on the bus
// (QueueEventPublisher) and POSTs it to the queue's NotificationTarget.
// Like matchmaking events, it is at most once: the placement is the truth.
func (s *Service) emitQueueEvent(ctx context.Context, p store.GameSessionPlacement) {
	typ := placementEventTypes[p.Status]
	q, err := s.store.GetQueue(ctx, p.GameSessionQueueName)
	if err != nil {
		q = store.Queue{Name: p.GameSessionQueueName}
	}
	d := QueueEventDetail{
		Type: typ, PlacementID: p.PlacementId, StartTime: eventTime(p.StartTime),
		EndTime: eventTime(p.EndTime), CustomEventData: q.CustomEventData, StatusReason: p.StatusReason,
	}
	if p.Status == store.PlacementFulfilled {
		d.Port = fmt.Sprint(p.Port)
		d.GameSessionArn, d.IPAddress, d.DNSName, d.GameSessionRegion = p.GameSessionArn, p.IpAddress, p.DnsName, p.GameSessionRegion
		for _, ps := range p.PlacedPlayerSessions {
			d.PlacedPlayerSessions = append(d.PlacedPlayerSessions, QueueEventPlayer{PlayerID: ps.PlayerId, PlayerSessionID: ps.PlayerSessionId})
		}
	}
	payload, err := json.Marshal(QueueEvent{
		Version: "0", ID: newUUID(), DetailType: "GameLift Queue Placement Event", Source: "aws.gamelift",
		Account: s.opts.AccountID, Time: eventTime(s.now()), Region: s.opts.Region,
		Resources: []string{s.QueueArn(q.Name)}, Detail: d,
	})
	if err != nil {
		s.log.Error("encode queue event", "queue", q.Name, "type", typ, "err", err)
		return
	}
	s.metrics.events.WithLabelValues("queue:"+q.Name, typ).Inc()
	if pub, ok := s.opts.Publisher.(QueueEventPublisher); ok {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		if err := pub.PublishQueueEvent(pctx, q.Name, typ, payload); err != nil {
			s.log.Warn("publish queue event", "queue", q.Name, "type", typ, "err", err)
		}
		cancel()
	}
	if q.NotificationTarget != "" {
		s.hooks.enqueue(q.NotificationTarget, payload)
	}
}
