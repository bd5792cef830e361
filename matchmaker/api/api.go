// Package api is the HTTP face of the matchmaker service: a REST API under
// /v1/ with Server-Sent Event streams, and the GameLift protocols, JSON 1.1
// (POST / with X-Amz-Target) and Smithy RPC v2 CBOR (POST
// /service/GameLift/operation/<Action>, used by current AWS SDKs), so that
// AWS SDKs work against Matchpoint by changing only their endpoint.
// docs/api.md describes them.
package api

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/memo"
	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// MaxBody is the largest request body accepted (1 MiB); larger ones get 413.
const MaxBody = 1 << 20

// Service is what the HTTP faces need of the matchmaker; *matchmaker.Service
// implements it.
type Service interface {
	CreateMatchmakingRuleSet(ctx context.Context, in *matchmaker.CreateMatchmakingRuleSetInput) (*matchmaker.CreateMatchmakingRuleSetOutput, error)
	DescribeMatchmakingRuleSets(ctx context.Context, in *matchmaker.DescribeMatchmakingRuleSetsInput) (*matchmaker.DescribeMatchmakingRuleSetsOutput, error)
	DeleteMatchmakingRuleSet(ctx context.Context, in *matchmaker.DeleteMatchmakingRuleSetInput) (*matchmaker.DeleteMatchmakingRuleSetOutput, error)
	ValidateMatchmakingRuleSet(ctx context.Context, in *matchmaker.ValidateMatchmakingRuleSetInput) (*matchmaker.ValidateMatchmakingRuleSetOutput, error)
	CreateMatchmakingConfiguration(ctx context.Context, in *matchmaker.CreateMatchmakingConfigurationInput) (*matchmaker.CreateMatchmakingConfigurationOutput, error)
	DescribeMatchmakingConfigurations(ctx context.Context, in *matchmaker.DescribeMatchmakingConfigurationsInput) (*matchmaker.DescribeMatchmakingConfigurationsOutput, error)
	UpdateMatchmakingConfiguration(ctx context.Context, in *matchmaker.UpdateMatchmakingConfigurationInput) (*matchmaker.UpdateMatchmakingConfigurationOutput, error)
	DeleteMatchmakingConfiguration(ctx context.Context, in *matchmaker.DeleteMatchmakingConfigurationInput) (*matchmaker.DeleteMatchmakingConfigurationOutput, error)
	CreateGameSessionQueue(ctx context.Context, in *matchmaker.CreateGameSessionQueueInput) (*matchmaker.CreateGameSessionQueueOutput, error)
	DescribeGameSessionQueues(ctx context.Context, in *matchmaker.DescribeGameSessionQueuesInput) (*matchmaker.DescribeGameSessionQueuesOutput, error)
	UpdateGameSessionQueue(ctx context.Context, in *matchmaker.UpdateGameSessionQueueInput) (*matchmaker.UpdateGameSessionQueueOutput, error)
	DeleteGameSessionQueue(ctx context.Context, in *matchmaker.DeleteGameSessionQueueInput) (*matchmaker.DeleteGameSessionQueueOutput, error)
	StartMatchmaking(ctx context.Context, in *matchmaker.StartMatchmakingInput) (*matchmaker.StartMatchmakingOutput, error)
	DescribeMatchmaking(ctx context.Context, in *matchmaker.DescribeMatchmakingInput) (*matchmaker.DescribeMatchmakingOutput, error)
	StopMatchmaking(ctx context.Context, in *matchmaker.StopMatchmakingInput) (*matchmaker.StopMatchmakingOutput, error)
	ExplainMatchmaking(ctx context.Context, in *matchmaker.ExplainMatchmakingInput) (*matchmaker.ExplainMatchmakingOutput, error)
	AcceptMatch(ctx context.Context, in *matchmaker.AcceptMatchInput) (*matchmaker.AcceptMatchOutput, error)
	StartMatchBackfill(ctx context.Context, in *matchmaker.StartMatchBackfillInput) (*matchmaker.StartMatchBackfillOutput, error)

	// Fleets and aliases (issue 12).
	CreateFleet(ctx context.Context, in *matchmaker.CreateFleetInput) (*matchmaker.CreateFleetOutput, error)
	DescribeFleetAttributes(ctx context.Context, in *matchmaker.DescribeFleetAttributesInput) (*matchmaker.DescribeFleetAttributesOutput, error)
	ListFleets(ctx context.Context, in *matchmaker.ListFleetsInput) (*matchmaker.ListFleetsOutput, error)
	UpdateFleetAttributes(ctx context.Context, in *matchmaker.UpdateFleetAttributesInput) (*matchmaker.UpdateFleetAttributesOutput, error)
	UpdateRuntimeConfiguration(ctx context.Context, in *matchmaker.UpdateRuntimeConfigurationInput) (*matchmaker.UpdateRuntimeConfigurationOutput, error)
	DescribeRuntimeConfiguration(ctx context.Context, in *matchmaker.DescribeRuntimeConfigurationInput) (*matchmaker.DescribeRuntimeConfigurationOutput, error)
	DescribeFleetCapacity(ctx context.Context, in *matchmaker.DescribeFleetCapacityInput) (*matchmaker.DescribeFleetCapacityOutput, error)
	DescribeFleetUtilization(ctx context.Context, in *matchmaker.DescribeFleetUtilizationInput) (*matchmaker.DescribeFleetUtilizationOutput, error)
	DeleteFleet(ctx context.Context, in *matchmaker.DeleteFleetInput) (*matchmaker.DeleteFleetOutput, error)
	CreateAlias(ctx context.Context, in *matchmaker.CreateAliasInput) (*matchmaker.CreateAliasOutput, error)
	DescribeAlias(ctx context.Context, in *matchmaker.DescribeAliasInput) (*matchmaker.DescribeAliasOutput, error)
	ListAliases(ctx context.Context, in *matchmaker.ListAliasesInput) (*matchmaker.ListAliasesOutput, error)
	UpdateAlias(ctx context.Context, in *matchmaker.UpdateAliasInput) (*matchmaker.UpdateAliasOutput, error)
	DeleteAlias(ctx context.Context, in *matchmaker.DeleteAliasInput) (*matchmaker.DeleteAliasOutput, error)
	ResolveAlias(ctx context.Context, in *matchmaker.ResolveAliasInput) (*matchmaker.ResolveAliasOutput, error)

	// Game sessions and player sessions (issue 12).
	CreateGameSession(ctx context.Context, in *matchmaker.CreateGameSessionInput) (*matchmaker.CreateGameSessionOutput, error)
	DescribeGameSessions(ctx context.Context, in *matchmaker.DescribeGameSessionsInput) (*matchmaker.DescribeGameSessionsOutput, error)
	SearchGameSessions(ctx context.Context, in *matchmaker.SearchGameSessionsInput) (*matchmaker.SearchGameSessionsOutput, error)
	CreatePlayerSession(ctx context.Context, in *matchmaker.CreatePlayerSessionInput) (*matchmaker.CreatePlayerSessionOutput, error)
	CreatePlayerSessions(ctx context.Context, in *matchmaker.CreatePlayerSessionsInput) (*matchmaker.CreatePlayerSessionsOutput, error)
	DescribePlayerSessions(ctx context.Context, in *matchmaker.DescribePlayerSessionsInput) (*matchmaker.DescribePlayerSessionsOutput, error)

	StartGameSessionPlacement(ctx context.Context, in *matchmaker.StartGameSessionPlacementInput) (*matchmaker.StartGameSessionPlacementOutput, error)
	DescribeGameSessionPlacement(ctx context.Context, in *matchmaker.DescribeGameSessionPlacementInput) (*matchmaker.DescribeGameSessionPlacementOutput, error)
	StopGameSessionPlacement(ctx context.Context, in *matchmaker.StopGameSessionPlacementInput) (*matchmaker.StopGameSessionPlacementOutput, error)
	// Game session updates and terminations (issue 12).
	UpdateGameSession(ctx context.Context, in *matchmaker.UpdateGameSessionInput) (*matchmaker.UpdateGameSessionOutput, error)
	DescribeGameSessionDetails(ctx context.Context, in *matchmaker.DescribeGameSessionDetailsInput) (*matchmaker.DescribeGameSessionDetailsOutput, error)
	TerminateGameSession(ctx context.Context, in *matchmaker.TerminateGameSessionInput) (*matchmaker.TerminateGameSessionOutput, error)

	// EventsAfter, TicketConfiguration and Subscribe feed the event streams.
	EventsAfter(ctx context.Context, configuration string, after uint64, limit int) ([]store.Event, error)
	TicketConfiguration(ctx context.Context, ticketID string) (string, error)
	Subscribe(configuration string) (<-chan struct{}, func())

	// ScriptArn is the ARN of a script, in the request's region
	// (matchmaker.WithRequestRegion); ScriptUsers lists the configurations
	// and fleets that use a script, which DeleteScript refuses to delete.
	ScriptArn(ctx context.Context, name string) string
	ScriptUsers(ctx context.Context, name string) ([]string, error)
}

// Option tunes a Handler.
type Option func(*Handler)

// WithClock sets the clock used to check request signature dates (default
// time.Now).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// WithHeartbeat sets how often an idle event stream sends a comment line
// (default 15s).
func WithHeartbeat(d time.Duration) Option { return func(h *Handler) { h.heartbeat = d } }

// WithMetrics counts and times the API's requests in m (NewMetrics).
func WithMetrics(m *Metrics) Option { return func(h *Handler) { h.metrics = m } }

// WithPollInterval sets how often an event stream rereads the store's log
// for events appended by other processes (default 1s); events of this
// process wake it at once.
func WithPollInterval(d time.Duration) Option { return func(h *Handler) { h.poll = d } }

// Handler serves both faces and the health check.
type Handler struct {
	svc       Service
	keys      map[string]string // key id -> secret
	log       *slog.Logger
	now       func() time.Time
	heartbeat time.Duration
	poll      time.Duration
	mux       *http.ServeMux
	gamelift  map[string]operation
	scripts   Scripts
	// signing holds the SigV4 signing keys derived lately (sigv4.go).
	signing memo.Map[signingScope, []byte]
	// metrics, when set, counts and times the requests (metrics.go).
	metrics *Metrics
}

// New returns the HTTP handler of the matchmaker: REST under /v1/ (bearer
// secret), GameLift JSON 1.1 on POST / and RPC v2 CBOR on POST
// /service/GameLift/operation/<Action> (AWS Signature Version 4 with key id
// and secret), and GET /healthz (no authentication). keys maps API key ids to
// their secrets. Server scripts (/v1/scripts and the GameLift script actions)
// need WithScripts.
func New(svc Service, keys map[string]string, logger *slog.Logger, opts ...Option) *Handler {
	if logger == nil {
		logger = slog.Default()
	}
	h := &Handler{svc: svc, keys: keys, log: logger, now: time.Now, heartbeat: 15 * time.Second, poll: time.Second}
	for _, o := range opts {
		o(h)
	}
	h.gamelift = gameliftOperations(svc)
	maps.Copy(h.gamelift, h.scriptOperations())
	h.mux = http.NewServeMux()
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	h.mux.HandleFunc(gameliftPattern, h.serveGameLift)
	h.mux.HandleFunc(cborPattern, h.serveCBOR)
	h.routes()
	h.gameSessionRoutes()
	h.placementRoutes()
	h.scriptRoutes()
	return h
}

// Routes the request metrics tell apart.
const (
	gameliftPattern      = "POST /{$}"
	gameliftTargetPrefix = "GameLift."
	cborPattern          = "POST /service/GameLift/operation/{action}"
	eventsPattern        = "GET /v1/events"
	ticketEventsPattern  = "GET /v1/tickets/{id}/events"
)

// ServeHTTP dispatches a request, and records it when the handler has
// metrics (WithMetrics).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.metrics != nil {
		h.serveMeasured(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// bearer checks the REST face's Authorization header: 401 when it is
// missing or malformed, 403 when the secret is not a configured key's.
func (h *Handler) bearer(r *http.Request) (int, string) {
	auth := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(auth, "Bearer ")
	if auth == "" || !ok || secret == "" {
		return http.StatusUnauthorized, "Authorization: want \"Bearer <API key secret>\""
	}
	match := 0
	for _, s := range h.keys {
		match |= subtle.ConstantTimeCompare([]byte(secret), []byte(s))
	}
	if match != 1 {
		return http.StatusForbidden, "Authorization: the API key is not valid"
	}
	return 0, ""
}

// readBody reads at most MaxBody bytes; tooLarge reports a larger body.
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, true, err
	}
	return body, false, err
}

// statusOf is the REST status of a service error.
func statusOf(e *matchmaker.Error) int {
	switch e.Type {
	case matchmaker.InvalidRequest:
		if e.Conflict {
			return http.StatusConflict
		}
		return http.StatusBadRequest
	case matchmaker.NotFound:
		return http.StatusNotFound
	case matchmaker.LimitExceeded, matchmaker.UnsupportedRegion, matchmaker.TerminalRoutingStrategy:
		return http.StatusBadRequest
	case matchmaker.GameSessionFull, matchmaker.InvalidGameSessionStatus:
		return http.StatusConflict
	case matchmaker.FleetCapacityExceeded:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

func (h *Handler) logError(r *http.Request, e *matchmaker.Error) {
	if e.Type == matchmaker.InternalService {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "target", r.Header.Get("X-Amz-Target"), "err", e.Err)
		return
	}
	h.log.Debug("request refused", "method", r.Method, "path", r.URL.Path, "target", r.Header.Get("X-Amz-Target"), "type", e.Type, "message", e.Message)
}
