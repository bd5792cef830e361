package api

import (
	"net/http"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
)

// placementRoutes registers the REST routes of game session placements
// (issue 12; docs/gamesessions.md, "Queue placement"): the bodies and
// answers are GameLift's shapes; the id in the path is the PlacementId.
func (h *Handler) placementRoutes() {
	s := h.svc
	m := h.mux
	m.Handle("POST /v1/gamesessionplacements", h.rest(withBody(http.StatusCreated, s.StartGameSessionPlacement, nil)))
	m.Handle("GET /v1/gamesessionplacements/{id}", h.rest(noBody(http.StatusOK, s.DescribeGameSessionPlacement, func(r *http.Request) (*matchmaker.DescribeGameSessionPlacementInput, error) {
		return &matchmaker.DescribeGameSessionPlacementInput{PlacementId: r.PathValue("id")}, nil
	})))
	m.Handle("DELETE /v1/gamesessionplacements/{id}", h.rest(noBody(http.StatusOK, s.StopGameSessionPlacement, func(r *http.Request) (*matchmaker.StopGameSessionPlacementInput, error) {
		return &matchmaker.StopGameSessionPlacementInput{PlacementId: r.PathValue("id")}, nil
	})))
}
