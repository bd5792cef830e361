package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// placementKey is the STRING holding a placement's JSON.
func (r *Redis) placementKey(id string) string { return r.opts.Prefix + "gsp:" + id }

// duePlacementsKey is the ZSET of PENDING placement ids by deadline (unix
// ms), releasedPlacementsKey that of those without an Owner by the time
// they were released. Each is a list to read from, not the truth: an entry
// is written before its placement where a failed write could otherwise
// leave a placement unlisted, and DuePlacements and ReleasedPlacements drop
// the entries their placements no longer justify.
func (r *Redis) duePlacementsKey() string      { return r.metaKey("placements-due") }
func (r *Redis) releasedPlacementsKey() string { return r.metaKey("placements-released") }

// luaUpdatePlacement replaces a placement on a version match: KEYS[1] the
// placement; ARGV: 1 expected version, 2 new JSON, 3 retention in ms when
// the new placement has ended (0 otherwise). Returns 1, 0 (not found), -1
// (another version) or -2 (the stored placement has ended).
const luaUpdatePlacement = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local p = cjson.decode(cur)
if tostring(p.Version) ~= ARGV[1] then return -1 end
if p.Status ~= 'PENDING' then return -2 end
if ARGV[3] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
`

var updatePlacementScript = redis.NewScript(luaUpdatePlacement)

// CreatePlacement implements GameSessionPlacements.
func (r *Redis) CreatePlacement(ctx context.Context, p GameSessionPlacement) error {
	p.Version = 1
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("create placement %s: %w", p.PlacementId, err)
	}
	args := redis.SetArgs{Mode: "NX"}
	if p.Status.Ended() {
		args.TTL = r.opts.SessionRetention
	} else {
		// Listed first (NX: a taken id keeps its entries), so that a
		// failed SET leaves an entry the listing drops, never a PENDING
		// placement unlisted.
		pipe := r.c.Pipeline()
		pipe.ZAddNX(ctx, r.duePlacementsKey(), redis.Z{Score: float64(p.Deadline.UnixMilli()), Member: p.PlacementId})
		if p.Owner == "" {
			pipe.ZAddNX(ctx, r.releasedPlacementsKey(), redis.Z{Score: float64(r.opts.Now().UnixMilli()), Member: p.PlacementId})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("create placement %s: list it: %w", p.PlacementId, err)
		}
	}
	if err := r.setWrite(ctx, r.placementKey(p.PlacementId), b, args); err != nil {
		if isNil(err) {
			return fmt.Errorf("create placement %s: %w", p.PlacementId, ErrExists)
		}
		return fmt.Errorf("create placement %s: %w", p.PlacementId, err)
	}
	return nil
}

// GetPlacement implements GameSessionPlacements.
func (r *Redis) GetPlacement(ctx context.Context, id string) (GameSessionPlacement, error) {
	b, err := r.c.Get(ctx, r.placementKey(id)).Bytes()
	if isNil(err) {
		return GameSessionPlacement{}, fmt.Errorf("get placement %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return GameSessionPlacement{}, fmt.Errorf("get placement %s: %w", id, err)
	}
	var p GameSessionPlacement
	if err := json.Unmarshal(b, &p); err != nil {
		return GameSessionPlacement{}, fmt.Errorf("get placement %s: decode: %w", id, err)
	}
	return p, nil
}

// UpdatePlacement implements GameSessionPlacements.
func (r *Redis) UpdatePlacement(ctx context.Context, p GameSessionPlacement) (int64, error) {
	want := p.Version
	p.Version++
	b, err := json.Marshal(p)
	if err != nil {
		return 0, fmt.Errorf("update placement %s: %w", p.PlacementId, err)
	}
	var ttl int64
	if p.Status.Ended() {
		ttl = max(r.opts.SessionRetention.Milliseconds(), 1)
	}
	n, err := r.runWrite(ctx, r.c, updatePlacementScript, []string{r.placementKey(p.PlacementId)}, want, b, ttl).Int()
	switch {
	case err != nil:
		return 0, fmt.Errorf("update placement %s: %w", p.PlacementId, err)
	case n == 0:
		return 0, fmt.Errorf("update placement %s: %w", p.PlacementId, ErrNotFound)
	case n == -1:
		return 0, fmt.Errorf("update placement %s: not at version %d: %w", p.PlacementId, want, ErrConflict)
	case n == -2:
		return 0, fmt.Errorf("update placement %s: it has ended: %w", p.PlacementId, ErrConflict)
	}
	r.relistPlacement(ctx, p)
	return p.Version, nil
}

// relistPlacement brings the lists of placements in line with p, just
// stored: an ended placement leaves both, a PENDING one without an Owner
// joins the released ones (after the write that released it, so that a
// listing never finds it still owned and drops it), one with an Owner
// leaves them. The write of p stands whether or not the lists follow: an
// entry left behind is dropped by the next listing, and a released
// placement left unlisted is timed out at its deadline (DuePlacements)
// instead of being taken over.
func (r *Redis) relistPlacement(ctx context.Context, p GameSessionPlacement) {
	pipe := r.c.Pipeline()
	switch {
	case p.Status.Ended():
		pipe.ZRem(ctx, r.duePlacementsKey(), p.PlacementId)
		pipe.ZRem(ctx, r.releasedPlacementsKey(), p.PlacementId)
	case p.Owner == "":
		pipe.ZAddNX(ctx, r.releasedPlacementsKey(), redis.Z{Score: float64(r.opts.Now().UnixMilli()), Member: p.PlacementId})
	default:
		pipe.ZRem(ctx, r.releasedPlacementsKey(), p.PlacementId)
	}
	_, _ = pipe.Exec(ctx)
}

// DuePlacements implements GameSessionPlacements.
func (r *Redis) DuePlacements(ctx context.Context, before time.Time, limit int) ([]GameSessionPlacement, error) {
	return r.listedPlacements(ctx, r.duePlacementsKey(), strconv.FormatInt(before.UnixMilli(), 10), limit,
		func(GameSessionPlacement) bool { return true })
}

// ReleasedPlacements implements GameSessionPlacements.
func (r *Redis) ReleasedPlacements(ctx context.Context, limit int) ([]GameSessionPlacement, error) {
	return r.listedPlacements(ctx, r.releasedPlacementsKey(), "+inf", limit,
		func(p GameSessionPlacement) bool { return p.Owner == "" })
}

// listedPlacements reads up to limit placements of the list key scored at
// most upTo, lowest first, and returns those PENDING that keep holds; the
// entries of the others (ended, expired or, for keep, no longer listed)
// are dropped. So are those of records that cannot be read (not the JSON
// the store writes, or a key of another type), which a listing would
// otherwise meet first every time: they are reported by an error wrapping
// ErrUnreadable, returned with the others. The reads are one pipeline, of
// keys that a Cluster spreads over its nodes.
func (r *Redis) listedPlacements(ctx context.Context, key, upTo string, limit int, keep func(GameSessionPlacement) bool) ([]GameSessionPlacement, error) {
	ids, err := r.c.ZRangeByScore(ctx, key, &redis.ZRangeBy{Min: "-inf", Max: upTo, Count: int64(limit)}).Result()
	if err != nil {
		return nil, fmt.Errorf("list placements: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	pipe := r.c.Pipeline()
	gets := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		gets[i] = pipe.Get(ctx, r.placementKey(id))
	}
	// Each read's error is looked at below.
	_, _ = pipe.Exec(ctx)
	var out []GameSessionPlacement
	var drop []any
	var unreadable []error
	for i, g := range gets {
		var p GameSessionPlacement
		b, err := g.Bytes()
		var reply redis.Error
		switch {
		case isNil(err):
			drop = append(drop, ids[i])
			continue
		case errors.As(err, &reply):
		case err != nil:
			return nil, fmt.Errorf("list placements: read %s: %w", ids[i], err)
		default:
			err = json.Unmarshal(b, &p)
		}
		switch {
		case err != nil:
			drop = append(drop, ids[i])
			unreadable = append(unreadable, fmt.Errorf("placement %s: %w", ids[i], err))
		case p.Status == PlacementPending && keep(p):
			out = append(out, p)
		default:
			drop = append(drop, ids[i])
		}
	}
	if len(drop) > 0 {
		if err := r.c.ZRem(ctx, key, drop...).Err(); err != nil {
			return nil, fmt.Errorf("list placements: drop %d entries: %w", len(drop), err)
		}
	}
	if len(unreadable) > 0 {
		return out, fmt.Errorf("list placements: %d entries dropped: %w: %w", len(unreadable), ErrUnreadable, errors.Join(unreadable...))
	}
	return out, nil
}
