package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// placementKey is the STRING holding a placement's JSON.
func (r *Redis) placementKey(id string) string { return r.opts.Prefix + "gsp:" + id }

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
	return p.Version, nil
}
