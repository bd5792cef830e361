package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// restError is the REST error body.
type restError struct {
	Error restErrorBody `json:"error"`
}

type restErrorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	writeAnswer(w, v)
}

func restFail(w http.ResponseWriter, status int, typ, msg string) {
	writeJSON(w, status, restError{Error: restErrorBody{Type: typ, Message: msg}})
}

// restCall is one REST route: it decodes what it needs from the request
// (body already read) and calls the service.
type restCall func(ctx context.Context, r *http.Request, body []byte) (status int, out any, err error)

// rest wraps a route with authentication, the body limit and error mapping.
func (h *Handler) rest(call restCall) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if status, msg := h.bearer(r); status != 0 {
			typ := "UnauthorizedException"
			if status == http.StatusForbidden {
				typ = "AccessDeniedException"
			}
			restFail(w, status, typ, msg)
			return
		}
		body, tooLarge, err := readBody(w, r)
		if tooLarge {
			restFail(w, http.StatusRequestEntityTooLarge, string(matchmaker.InvalidRequest), "body: larger than 1048576 bytes")
			return
		}
		if err != nil {
			restFail(w, http.StatusBadRequest, string(matchmaker.InvalidRequest), "body: "+err.Error())
			return
		}
		status, out, err := call(r.Context(), r, body)
		if err != nil {
			e := matchmaker.AsError(err)
			h.logError(r, e)
			restFail(w, statusOf(e), string(e.Type), e.Message)
			return
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, out)
	}
}

// withBody decodes the body into a new I and calls f.
func withBody[I, O any](status int, f func(context.Context, *I) (*O, error), prepare func(*http.Request, *I)) restCall {
	return func(ctx context.Context, r *http.Request, body []byte) (int, any, error) {
		var in I
		if err := decode(body, &in); err != nil {
			return 0, nil, err
		}
		if prepare != nil {
			prepare(r, &in)
		}
		out, err := f(ctx, &in)
		return status, out, err
	}
}

// noBody builds the input from the URL and calls f.
func noBody[I, O any](status int, f func(context.Context, *I) (*O, error), build func(*http.Request) (*I, error)) restCall {
	return func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		in, err := build(r)
		if err != nil {
			return 0, nil, err
		}
		out, err := f(ctx, in)
		return status, out, err
	}
}

func queryLimit(r *http.Request) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, bad("limit: want an integer")
	}
	return n, nil
}

func (h *Handler) routes() {
	s := h.svc
	m := h.mux
	m.Handle("POST /v1/rulesets", h.rest(withBody(http.StatusCreated, s.CreateMatchmakingRuleSet, nil)))
	m.Handle("POST /v1/rulesets/validate", h.rest(withBody(http.StatusOK, s.ValidateMatchmakingRuleSet, nil)))
	m.Handle("GET /v1/rulesets", h.rest(noBody(http.StatusOK, s.DescribeMatchmakingRuleSets, func(r *http.Request) (*matchmaker.DescribeMatchmakingRuleSetsInput, error) {
		limit, err := queryLimit(r)
		return &matchmaker.DescribeMatchmakingRuleSetsInput{Names: r.URL.Query()["name"], Limit: limit, NextToken: r.URL.Query().Get("nextToken")}, err
	})))
	m.Handle("GET /v1/rulesets/{name}", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		out, err := s.DescribeMatchmakingRuleSets(ctx, &matchmaker.DescribeMatchmakingRuleSetsInput{Names: []string{r.PathValue("name")}})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, matchmaker.CreateMatchmakingRuleSetOutput{RuleSet: out.RuleSets[0]}, nil
	}))
	m.Handle("DELETE /v1/rulesets/{name}", h.rest(noBody(http.StatusNoContent, s.DeleteMatchmakingRuleSet, func(r *http.Request) (*matchmaker.DeleteMatchmakingRuleSetInput, error) {
		return &matchmaker.DeleteMatchmakingRuleSetInput{Name: r.PathValue("name")}, nil
	})))

	m.Handle("POST /v1/configurations", h.rest(withBody(http.StatusCreated, s.CreateMatchmakingConfiguration, nil)))
	m.Handle("GET /v1/configurations", h.rest(noBody(http.StatusOK, s.DescribeMatchmakingConfigurations, func(r *http.Request) (*matchmaker.DescribeMatchmakingConfigurationsInput, error) {
		q := r.URL.Query()
		limit, err := queryLimit(r)
		return &matchmaker.DescribeMatchmakingConfigurationsInput{Names: q["name"], RuleSetName: q.Get("ruleSetName"), Limit: limit, NextToken: q.Get("nextToken")}, err
	})))
	m.Handle("GET /v1/configurations/{name}", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		out, err := s.DescribeMatchmakingConfigurations(ctx, &matchmaker.DescribeMatchmakingConfigurationsInput{Names: []string{r.PathValue("name")}})
		if err != nil {
			return 0, nil, err
		}
		if len(out.Configurations) == 0 {
			return 0, nil, missingConfiguration(r.PathValue("name"))
		}
		return http.StatusOK, matchmaker.CreateMatchmakingConfigurationOutput{Configuration: out.Configurations[0]}, nil
	}))
	m.Handle("PATCH /v1/configurations/{name}", h.rest(withBody(http.StatusOK, s.UpdateMatchmakingConfiguration, func(r *http.Request, in *matchmaker.UpdateMatchmakingConfigurationInput) {
		in.Name = r.PathValue("name")
	})))
	m.Handle("DELETE /v1/configurations/{name}", h.rest(noBody(http.StatusNoContent, s.DeleteMatchmakingConfiguration, func(r *http.Request) (*matchmaker.DeleteMatchmakingConfigurationInput, error) {
		return &matchmaker.DeleteMatchmakingConfigurationInput{Name: r.PathValue("name")}, nil
	})))

	m.Handle("POST /v1/queues", h.rest(withBody(http.StatusCreated, s.CreateGameSessionQueue, nil)))
	m.Handle("GET /v1/queues", h.rest(noBody(http.StatusOK, s.DescribeGameSessionQueues, func(r *http.Request) (*matchmaker.DescribeGameSessionQueuesInput, error) {
		limit, err := queryLimit(r)
		return &matchmaker.DescribeGameSessionQueuesInput{Names: r.URL.Query()["name"], Limit: limit, NextToken: r.URL.Query().Get("nextToken")}, err
	})))
	m.Handle("GET /v1/queues/{name}", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		out, err := s.DescribeGameSessionQueues(ctx, &matchmaker.DescribeGameSessionQueuesInput{Names: []string{r.PathValue("name")}})
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, matchmaker.CreateGameSessionQueueOutput{GameSessionQueue: out.GameSessionQueues[0]}, nil
	}))
	m.Handle("PUT /v1/queues/{name}", h.rest(withBody(http.StatusOK, s.UpdateGameSessionQueue, func(r *http.Request, in *matchmaker.UpdateGameSessionQueueInput) {
		in.Name = r.PathValue("name")
	})))
	m.Handle("DELETE /v1/queues/{name}", h.rest(noBody(http.StatusNoContent, s.DeleteGameSessionQueue, func(r *http.Request) (*matchmaker.DeleteGameSessionQueueInput, error) {
		return &matchmaker.DeleteGameSessionQueueInput{Name: r.PathValue("name")}, nil
	})))

	m.Handle("POST /v1/tickets", h.rest(withBody(http.StatusCreated, s.StartMatchmaking, nil)))
	m.Handle("GET /v1/tickets", h.rest(noBody(http.StatusOK, s.DescribeMatchmaking, func(r *http.Request) (*matchmaker.DescribeMatchmakingInput, error) {
		return &matchmaker.DescribeMatchmakingInput{TicketIds: r.URL.Query()["id"]}, nil
	})))
	m.Handle("GET /v1/tickets/{id}", h.rest(func(ctx context.Context, r *http.Request, _ []byte) (int, any, error) {
		id := r.PathValue("id")
		out, err := s.DescribeMatchmaking(ctx, &matchmaker.DescribeMatchmakingInput{TicketIds: []string{id}})
		if err != nil {
			return 0, nil, err
		}
		if len(out.TicketList) == 0 {
			return 0, nil, &matchmaker.Error{Type: matchmaker.NotFound, Message: "TicketId: ticket \"" + id + "\" does not exist"}
		}
		return http.StatusOK, &matchmaker.StartMatchmakingOutput{MatchmakingTicket: out.TicketList[0]}, nil
	}))
	m.Handle("GET /v1/tickets/{id}/explanation", h.rest(noBody(http.StatusOK, s.ExplainMatchmaking, func(r *http.Request) (*matchmaker.ExplainMatchmakingInput, error) {
		return &matchmaker.ExplainMatchmakingInput{TicketId: r.PathValue("id")}, nil
	})))
	m.Handle("DELETE /v1/tickets/{id}", h.rest(noBody(http.StatusNoContent, s.StopMatchmaking, func(r *http.Request) (*matchmaker.StopMatchmakingInput, error) {
		return &matchmaker.StopMatchmakingInput{TicketId: r.PathValue("id")}, nil
	})))
	m.Handle("POST /v1/tickets/{id}/accept", h.rest(withBody(http.StatusNoContent, s.AcceptMatch, func(r *http.Request, in *matchmaker.AcceptMatchInput) {
		in.TicketId = r.PathValue("id")
	})))
	m.Handle("POST /v1/backfills", h.rest(withBody(http.StatusCreated, s.StartMatchBackfill, nil)))

	m.Handle(eventsPattern, h.stream(false))
	m.Handle(ticketEventsPattern, h.stream(true))
	m.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		restFail(w, http.StatusNotFound, string(matchmaker.NotFound), "path: no such resource: "+r.Method+" "+r.URL.Path)
	})
}
