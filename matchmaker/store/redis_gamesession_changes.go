package store

import (
	"context"
	"fmt"
	"strconv"
)

// GameSessionChanges implements GameSessions.
func (r *Redis) GameSessionChanges(ctx context.Context, fleetID string, since int64) (GameSessionChanges, error) {
	if since < 0 {
		return GameSessionChanges{}, fmt.Errorf("game session changes of fleet %s: since %d is negative", fleetID, since)
	}
	reply, err := r.runStrings(ctx, gsScripts.gameSessionChanges, r.fleetKeys(fleetID, 0), since)
	if err != nil {
		return GameSessionChanges{}, fmt.Errorf("game session changes of fleet %s: %w", fleetID, err)
	}
	rev, err := strconv.ParseInt(reply[0], 10, 64)
	if err != nil {
		return GameSessionChanges{}, fmt.Errorf("game session changes of fleet %s: counter %q: %w", fleetID, reply[0], err)
	}
	sessions, err := r.readGameSessions(ctx, reply[2:])
	if err != nil {
		return GameSessionChanges{}, fmt.Errorf("game session changes of fleet %s: %w", fleetID, err)
	}
	return GameSessionChanges{Rev: rev, Reset: reply[1] == "1", Sessions: sessions}, nil
}
