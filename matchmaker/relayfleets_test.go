package matchmaker

import (
	"slices"
	"testing"
)

// TestRelaysServeFleets: a relay naming fleets serves those only: a fleet
// served by no relay but one naming other fleets is ACTIVATING and its
// CreateGameSession is FleetCapacityExceeded; a placement is addressed to
// the relays serving the fleet, least loaded first, the next one after a
// FULL refusal, never to a relay of other fleets.
func TestRelaysServeFleets(t *testing.T) {
	eachStore(t, func(t *testing.T, open opener) {
		e := newSessionEnv(t, open)
		id := e.fleet.FleetId
		e.setRelays(Relay{ID: "other", Region: "eu-west-1", Fleets: []string{"fleet-other"}, MaxSessions: 100})
		if got := e.fleetStatus(id); got != FleetActivating {
			t.Fatalf("served by no relay: %s, want ACTIVATING", got)
		}
		_, err := e.svc.CreateGameSession(e.ctx, &CreateGameSessionInput{FleetId: id, MaximumPlayerSessionCount: ptr(2)})
		wantErr(t, err, FleetCapacityExceeded, "FleetId: no relay serves fleet "+id)

		e.setRelays(Relay{ID: "other", Region: "eu-west-1", Fleets: []string{"fleet-other"}, MaxSessions: 100},
			Relay{ID: "busy", Region: "eu-west-1", Fleets: []string{"fleet-other", id}, MaxSessions: 10, Sessions: 9},
			Relay{ID: "any", Region: "eu-west-1", MaxSessions: 10, Sessions: 1})
		if got := e.fleetStatus(id); got != FleetActive {
			t.Fatalf("served: %s, want ACTIVE", got)
		}
		e.relays.fullRelays = map[string]bool{"any": true}
		e.session(2, nil)
		if got := e.relays.placedOn; !slices.Equal(got, []string{"any", "busy"}) {
			t.Fatalf("placements addressed to %v, want any (least loaded, FULL) then busy", got)
		}
	})
}

func (e *sessionEnv) fleetStatus(id string) string {
	e.t.Helper()
	out, err := e.svc.DescribeFleetAttributes(e.ctx, &DescribeFleetAttributesInput{FleetIds: []string{id}})
	if err != nil || len(out.FleetAttributes) != 1 {
		e.t.Fatalf("describe fleet %s: %+v, %v", id, out, err)
	}
	return out.FleetAttributes[0].Status
}
