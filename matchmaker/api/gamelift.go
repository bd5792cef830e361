package api

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strings"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// gameliftContentType is the content type of the GameLift JSON protocol.
const gameliftContentType = "application/x-amz-json-1.1"

// operation decodes a GameLift request body and calls the service.
type operation func(ctx context.Context, body []byte) (any, error)

func op[I, O any](f func(context.Context, *I) (*O, error)) operation {
	return func(ctx context.Context, body []byte) (any, error) {
		var in I
		if err := decode(body, &in); err != nil {
			return nil, err
		}
		return f(ctx, &in)
	}
}

// gameliftOperations maps X-Amz-Target actions to the service.
func gameliftOperations(s Service) map[string]operation {
	return map[string]operation{
		"CreateMatchmakingRuleSet":          op(s.CreateMatchmakingRuleSet),
		"DescribeMatchmakingRuleSets":       op(s.DescribeMatchmakingRuleSets),
		"DeleteMatchmakingRuleSet":          op(s.DeleteMatchmakingRuleSet),
		"ValidateMatchmakingRuleSet":        op(s.ValidateMatchmakingRuleSet),
		"CreateMatchmakingConfiguration":    op(s.CreateMatchmakingConfiguration),
		"DescribeMatchmakingConfigurations": op(s.DescribeMatchmakingConfigurations),
		"UpdateMatchmakingConfiguration":    op(s.UpdateMatchmakingConfiguration),
		"DeleteMatchmakingConfiguration":    op(s.DeleteMatchmakingConfiguration),
		"CreateGameSessionQueue":            op(s.CreateGameSessionQueue),
		"DescribeGameSessionQueues":         op(s.DescribeGameSessionQueues),
		"UpdateGameSessionQueue":            op(s.UpdateGameSessionQueue),
		"DeleteGameSessionQueue":            op(s.DeleteGameSessionQueue),
		"StartMatchmaking":                  op(s.StartMatchmaking),
		"DescribeMatchmaking":               op(s.DescribeMatchmaking),
		"StopMatchmaking":                   op(s.StopMatchmaking),
		"AcceptMatch":                       op(s.AcceptMatch),
		"StartMatchBackfill":                op(s.StartMatchBackfill),
		"CreateFleet":                       op(s.CreateFleet),
		"DescribeFleetAttributes":           op(s.DescribeFleetAttributes),
		"ListFleets":                        op(s.ListFleets),
		"UpdateFleetAttributes":             op(s.UpdateFleetAttributes),
		"UpdateRuntimeConfiguration":        op(s.UpdateRuntimeConfiguration),
		"DescribeRuntimeConfiguration":      op(s.DescribeRuntimeConfiguration),
		"DescribeFleetCapacity":             op(s.DescribeFleetCapacity),
		"DescribeFleetUtilization":          op(s.DescribeFleetUtilization),
		"DeleteFleet":                       op(s.DeleteFleet),
		"CreateAlias":                       op(s.CreateAlias),
		"DescribeAlias":                     op(s.DescribeAlias),
		"ListAliases":                       op(s.ListAliases),
		"UpdateAlias":                       op(s.UpdateAlias),
		"DeleteAlias":                       op(s.DeleteAlias),
		"ResolveAlias":                      op(s.ResolveAlias),
		"CreateGameSession":                 op(s.CreateGameSession),
		"DescribeGameSessions":              op(s.DescribeGameSessions),
		"SearchGameSessions":                op(s.SearchGameSessions),
		"CreatePlayerSession":               op(s.CreatePlayerSession),
		"CreatePlayerSessions":              op(s.CreatePlayerSessions),
		"DescribePlayerSessions":            op(s.DescribePlayerSessions),

		"StartGameSessionPlacement":    op(s.StartGameSessionPlacement),
		"DescribeGameSessionPlacement": op(s.DescribeGameSessionPlacement),
		"StopGameSessionPlacement":     op(s.StopGameSessionPlacement),
		// Game session updates and terminations.
		"UpdateGameSession":          op(s.UpdateGameSession),
		"DescribeGameSessionDetails": op(s.DescribeGameSessionDetails),
		"TerminateGameSession":       op(s.TerminateGameSession),
	}
}

// awsError is the AWS JSON protocol error body.
type awsError struct {
	Type    string `json:"__type"`
	Message string `json:"message"`
}

func awsFail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", gameliftContentType)
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(awsError{Type: typ, Message: msg})
}

// readSigned starts a request of a GameLift face: it sets the request id,
// reads the body and checks its AWS Signature Version 4, answering a failure
// with fail (the face's error encoding). ok is false when it has answered.
func (h *Handler) readSigned(w http.ResponseWriter, r *http.Request, fail func(w http.ResponseWriter, status int, typ, msg string)) (body []byte, ok bool) {
	w.Header().Set("X-Amzn-RequestId", requestID())
	body, tooLarge, err := readBody(w, r)
	if tooLarge {
		fail(w, http.StatusRequestEntityTooLarge, string(matchmaker.InvalidRequest), "body: larger than 1048576 bytes")
		return nil, false
	}
	if err != nil {
		fail(w, http.StatusBadRequest, string(matchmaker.InvalidRequest), "body: "+err.Error())
		return nil, false
	}
	if ae := h.verifySigV4(r, body); ae != nil {
		fail(w, http.StatusForbidden, ae.typ, ae.msg)
		return nil, false
	}
	return body, true
}

// serveGameLift serves POST / as the GameLift JSON 1.1 protocol.
func (h *Handler) serveGameLift(w http.ResponseWriter, r *http.Request) {
	body, ok := h.readSigned(w, r, awsFail)
	if !ok {
		return
	}
	action, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), gameliftTargetPrefix)
	fn := h.gamelift[action]
	if !ok || fn == nil {
		awsFail(w, http.StatusBadRequest, "UnknownOperationException", "X-Amz-Target: unknown operation "+r.Header.Get("X-Amz-Target"))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != gameliftContentType {
		awsFail(w, http.StatusBadRequest, string(matchmaker.InvalidRequest), "Content-Type: want "+gameliftContentType)
		return
	}
	out, err := fn(matchmaker.WithRequestRegion(r.Context(), signingRegion(r)), body)
	if err != nil {
		e := matchmaker.AsError(err)
		h.logError(r, e)
		status := http.StatusBadRequest
		if e.Type == matchmaker.InternalService {
			status = http.StatusInternalServerError
		}
		awsFail(w, status, string(e.Type), e.Message)
		return
	}
	w.Header().Set("Content-Type", gameliftContentType)
	writeAnswer(w, out)
}
