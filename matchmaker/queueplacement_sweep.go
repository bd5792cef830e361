package matchmaker

import (
	"context"
	"errors"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// A placement's worker runs in the matchmaker that accepted it (its
// Owner). A matchmaker that closes releases the placements it leaves
// PENDING; one that dies leaves them to their deadline. sweepPlacements,
// run by one matchmaker at a time, takes the released ones over and times
// out the ones past their deadline, so that neither depends on a reader
// (getPlacement) to end, and each ends with its event.
const (
	// placementSweepEvery is the time between two sweeps of placements.
	placementSweepEvery = time.Second
	// placementSweepBatch bounds the placements a sweep reads of each list.
	placementSweepBatch = 100
	// releaseTimeout bounds the releases of Close.
	releaseTimeout = 5 * time.Second
)

// errPlacementTaken refuses to take over a placement another matchmaker
// took first, or to release one that is another's.
var errPlacementTaken = errors.New("the placement has another owner")

// owner identifies this process as a placement's Owner.
func (s *Service) owner() string { return s.former.opts.Owner }

// releasePlacements gives up this process's PENDING placements ids, for
// another matchmaker to take over.
func (s *Service) releasePlacements(ctx context.Context, ids []string) {
	for _, id := range ids {
		_, released, err := s.changePendingPlacement(ctx, id, func(x *store.GameSessionPlacement) error {
			if x.Owner != s.owner() {
				return errPlacementTaken
			}
			x.Owner = ""
			return nil
		})
		switch {
		case released:
			s.log.Info("game session placement released for another matchmaker", "placementId", id)
		case err != nil && !errors.Is(err, errPlacementTaken):
			s.log.Warn("release game session placement", "placementId", id, "err", err)
		}
	}
}

// sweepPlacements takes over the released placements (or times out those
// past their deadline) and times out the PENDING placements past their
// deadline by more than placementOrphanGrace, whose matchmaker died; it
// returns how many placements it took over or ended.
func (s *Service) sweepPlacements(ctx context.Context) (int, error) {
	released, err := s.store.ReleasedPlacements(ctx, placementSweepBatch)
	if err = s.unreadableLeftOut("sweep game session placements", err); err != nil {
		return 0, err
	}
	n := 0
	for _, p := range released {
		if s.takeOverPlacement(ctx, p) {
			n++
		}
	}
	due, err := s.store.DuePlacements(ctx, s.now().Add(-placementOrphanGrace), placementSweepBatch)
	if err = s.unreadableLeftOut("sweep game session placements", err); err != nil {
		return n, err
	}
	for _, p := range due {
		if ended, err := s.timeOutOrphanPlacement(ctx, p.PlacementId); err != nil {
			s.log.Warn("time out an orphan game session placement", "placementId", p.PlacementId, "err", err)
		} else if ended.Status == store.PlacementTimedOut {
			n++
		}
	}
	return n, nil
}

// takeOverPlacement makes this process the owner of the released placement
// p and starts its worker for the time it has left, or times it out if it
// has none; a game session an earlier owner recorded on it ends (it was
// given to no caller). false when another matchmaker took it first or it
// has ended.
func (s *Service) takeOverPlacement(ctx context.Context, p store.GameSessionPlacement) bool {
	if !s.now().Before(p.Deadline) {
		ended, err := s.timeOutOrphanPlacement(ctx, p.PlacementId)
		return err == nil && ended.Status == store.PlacementTimedOut
	}
	var recorded string
	taken, changed, err := s.changePendingPlacement(ctx, p.PlacementId, func(x *store.GameSessionPlacement) error {
		if x.Owner != "" {
			return errPlacementTaken
		}
		recorded = x.GameSessionId
		x.Owner, x.GameSessionId, x.GameSessionArn = s.owner(), "", ""
		return nil
	})
	if !changed {
		if err != nil && !errors.Is(err, errPlacementTaken) {
			s.log.Warn("take over game session placement", "placementId", p.PlacementId, "err", err)
		}
		return false
	}
	if recorded != "" {
		s.dropPlacementSession(context.WithoutCancel(ctx), p.PlacementId, recorded)
	}
	if !s.queuePlacements.start(taken.PlacementId, func(ctx context.Context) { s.runPlacement(ctx, taken) }) {
		s.releasePlacements(context.WithoutCancel(ctx), []string{taken.PlacementId})
		return false
	}
	s.log.Info("took over a released game session placement", "placementId", taken.PlacementId, "left", taken.Deadline.Sub(s.now()))
	return true
}

// timeOutOrphanPlacement times out the PENDING placement id, which no
// matchmaker places (its owner died, or released it and nobody took it
// over in time), and ends the game session it recorded.
func (s *Service) timeOutOrphanPlacement(ctx context.Context, id string) (store.GameSessionPlacement, error) {
	ended, err := s.endPlacement(ctx, id, store.PlacementTimedOut, "no matchmaker placed it before the queue's timeout", nil)
	if err == nil && ended.Status == store.PlacementTimedOut && ended.GameSessionId != "" {
		s.dropPlacementSession(context.WithoutCancel(ctx), id, ended.GameSessionId)
	}
	return ended, err
}
