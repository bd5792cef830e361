package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// gameSessionRoutes registers the REST routes of fleets, aliases, game
// sessions and player sessions (issue 12; docs/gamesessions.md). Bodies and
// answers are the GameLift shapes; the id in the path fills the request's
// FleetId, AliasId, GameSessionId or PlayerSessionId (a game session id is
// an ARN: escape its '/' as %2F in a path).
func (h *Handler) gameSessionRoutes() {
	s := h.svc
	m := h.mux
	m.Handle("POST /v1/fleets", h.rest(withBody(http.StatusCreated, s.CreateFleet, nil)))
	m.Handle("GET /v1/fleets", h.rest(noBody(http.StatusOK, s.DescribeFleetAttributes, func(r *http.Request) (*matchmaker.DescribeFleetAttributesInput, error) {
		limit, err := queryLimit(r)
		return &matchmaker.DescribeFleetAttributesInput{FleetIds: r.URL.Query()["id"], Limit: limit, NextToken: r.URL.Query().Get("nextToken")}, err
	})))
	m.Handle("GET /v1/fleets/{id}", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		id := r.PathValue("id")
		out, err := s.DescribeFleetAttributes(ctx, &matchmaker.DescribeFleetAttributesInput{FleetIds: []string{id}})
		if err != nil {
			return 0, nil, err
		}
		if len(out.FleetAttributes) == 0 {
			return 0, nil, missingFleet(id)
		}
		return http.StatusOK, map[string]matchmaker.FleetAttributes{"FleetAttributes": out.FleetAttributes[0]}, nil
	}))
	m.Handle("PATCH /v1/fleets/{id}", h.rest(withBody(http.StatusOK, s.UpdateFleetAttributes, func(r *http.Request, in *matchmaker.UpdateFleetAttributesInput) {
		in.FleetId = r.PathValue("id")
	})))
	m.Handle("DELETE /v1/fleets/{id}", h.rest(noBody(http.StatusNoContent, s.DeleteFleet, func(r *http.Request) (*matchmaker.DeleteFleetInput, error) {
		return &matchmaker.DeleteFleetInput{FleetId: r.PathValue("id")}, nil
	})))
	m.Handle("GET /v1/fleets/{id}/runtime-configuration", h.rest(noBody(http.StatusOK, s.DescribeRuntimeConfiguration, func(r *http.Request) (*matchmaker.DescribeRuntimeConfigurationInput, error) {
		return &matchmaker.DescribeRuntimeConfigurationInput{FleetId: r.PathValue("id")}, nil
	})))
	m.Handle("PUT /v1/fleets/{id}/runtime-configuration", h.rest(withBody(http.StatusOK, s.UpdateRuntimeConfiguration, func(r *http.Request, in *matchmaker.UpdateRuntimeConfigurationInput) {
		in.FleetId = r.PathValue("id")
	})))
	m.Handle("GET /v1/fleets/{id}/capacity", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		id := r.PathValue("id")
		out, err := s.DescribeFleetCapacity(ctx, &matchmaker.DescribeFleetCapacityInput{FleetIds: []string{id}})
		if err != nil {
			return 0, nil, err
		}
		if len(out.FleetCapacity) == 0 {
			return 0, nil, missingFleet(id)
		}
		return http.StatusOK, map[string]matchmaker.FleetCapacity{"FleetCapacity": out.FleetCapacity[0]}, nil
	}))
	m.Handle("GET /v1/fleets/{id}/utilization", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		id := r.PathValue("id")
		out, err := s.DescribeFleetUtilization(ctx, &matchmaker.DescribeFleetUtilizationInput{FleetIds: []string{id}})
		if err != nil {
			return 0, nil, err
		}
		if len(out.FleetUtilization) == 0 {
			return 0, nil, missingFleet(id)
		}
		return http.StatusOK, map[string]matchmaker.FleetUtilization{"FleetUtilization": out.FleetUtilization[0]}, nil
	}))

	m.Handle("POST /v1/aliases", h.rest(withBody(http.StatusCreated, s.CreateAlias, nil)))
	m.Handle("GET /v1/aliases", h.rest(noBody(http.StatusOK, s.ListAliases, func(r *http.Request) (*matchmaker.ListAliasesInput, error) {
		q := r.URL.Query()
		limit, err := queryLimit(r)
		return &matchmaker.ListAliasesInput{Name: q.Get("name"), RoutingStrategyType: q.Get("routingStrategyType"), Limit: limit, NextToken: q.Get("nextToken")}, err
	})))
	m.Handle("GET /v1/aliases/{id}", h.rest(noBody(http.StatusOK, s.DescribeAlias, aliasInput)))
	m.Handle("PATCH /v1/aliases/{id}", h.rest(withBody(http.StatusOK, s.UpdateAlias, func(r *http.Request, in *matchmaker.UpdateAliasInput) {
		in.AliasId = r.PathValue("id")
	})))
	m.Handle("DELETE /v1/aliases/{id}", h.rest(noBody(http.StatusNoContent, s.DeleteAlias, aliasInput)))
	m.Handle("GET /v1/aliases/{id}/fleet", h.rest(noBody(http.StatusOK, s.ResolveAlias, aliasInput)))

	m.Handle("POST /v1/gamesessions", h.rest(withBody(http.StatusCreated, s.CreateGameSession, nil)))
	m.Handle("GET /v1/gamesessions", h.rest(noBody(http.StatusOK, s.DescribeGameSessions, func(r *http.Request) (*matchmaker.DescribeGameSessionsInput, error) {
		q := r.URL.Query()
		limit, err := queryLimit(r)
		return &matchmaker.DescribeGameSessionsInput{FleetId: q.Get("fleetId"), AliasId: q.Get("aliasId"), Location: q.Get("location"),
			StatusFilter: q.Get("status"), Limit: limit, NextToken: q.Get("nextToken")}, err
	})))
	m.Handle("GET /v1/gamesessions/{id}", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		out, err := s.DescribeGameSessions(ctx, &matchmaker.DescribeGameSessionsInput{GameSessionId: r.PathValue("id")})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]matchmaker.GameSession{"GameSession": out.GameSessions[0]}, nil
	}))
	m.Handle("POST /v1/gamesessions/search", h.rest(withBody(http.StatusOK, s.SearchGameSessions, nil)))
	m.Handle("POST /v1/gamesessions/{id}/playersessions", h.rest(withBody(http.StatusCreated, s.CreatePlayerSessions, func(r *http.Request, in *matchmaker.CreatePlayerSessionsInput) {
		in.GameSessionId = r.PathValue("id")
	})))
	m.Handle("GET /v1/playersessions", h.rest(noBody(http.StatusOK, s.DescribePlayerSessions, func(r *http.Request) (*matchmaker.DescribePlayerSessionsInput, error) {
		q := r.URL.Query()
		limit, err := queryLimit(r)
		return &matchmaker.DescribePlayerSessionsInput{GameSessionId: q.Get("gameSessionId"), PlayerId: q.Get("playerId"),
			PlayerSessionStatusFilter: q.Get("status"), Limit: limit, NextToken: q.Get("nextToken")}, err
	})))
	h.gameSessionUpdateRoutes()
	m.Handle("GET /v1/playersessions/{id}", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		out, err := s.DescribePlayerSessions(ctx, &matchmaker.DescribePlayerSessionsInput{PlayerSessionId: r.PathValue("id")})
		if err != nil {
			return 0, nil, err
		}
		if len(out.PlayerSessions) == 0 {
			return 0, nil, &matchmaker.Error{Type: matchmaker.NotFound, Message: fmt.Sprintf("PlayerSessionId: player session %q does not exist", r.PathValue("id"))}
		}
		return http.StatusOK, map[string]matchmaker.PlayerSession{"PlayerSession": out.PlayerSessions[0]}, nil
	}))
}

// gameSessionUpdateRoutes registers UpdateGameSession (PATCH
// /v1/gamesessions/{id}), DescribeGameSessionDetails (GET
// /v1/gamesessions/{id}/details) and TerminateGameSession (POST
// /v1/gamesessions/{id}/terminate, body {"TerminationMode": ...}).
func (h *Handler) gameSessionUpdateRoutes() {
	s := h.svc
	m := h.mux
	m.Handle("PATCH /v1/gamesessions/{id}", h.rest(withBody(http.StatusOK, s.UpdateGameSession, func(r *http.Request, in *matchmaker.UpdateGameSessionInput) {
		in.GameSessionId = r.PathValue("id")
	})))
	m.Handle("GET /v1/gamesessions/{id}/details", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		out, err := s.DescribeGameSessionDetails(ctx, &matchmaker.DescribeGameSessionDetailsInput{GameSessionId: r.PathValue("id")})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, map[string]matchmaker.GameSessionDetail{"GameSessionDetail": out.GameSessionDetails[0]}, nil
	}))
	m.Handle("POST /v1/gamesessions/{id}/terminate", h.rest(withBody(http.StatusOK, s.TerminateGameSession, func(r *http.Request, in *matchmaker.TerminateGameSessionInput) {
		in.GameSessionId = r.PathValue("id")
	})))
}

func aliasInput(r *http.Request) (*matchmaker.DescribeAliasInput, error) {
	return &matchmaker.DescribeAliasInput{AliasId: r.PathValue("id")}, nil
}

// missingFleet is the NotFoundException of a fleet named in a path: the
// Describe actions leave unknown fleets out of their answer.
func missingFleet(id string) error {
	return &matchmaker.Error{Type: matchmaker.NotFound, Message: fmt.Sprintf("FleetId: fleet %q does not exist", id)}
}
