package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestRedisPlacementListsUnreadable: a listed placement whose record cannot
// be read (not the store's JSON; a key of another type) does not stop the
// listings: its entry is dropped, the others are returned, and the error
// wraps ErrUnreadable naming it; the next call finds the list clean.
func TestRedisPlacementListsUnreadable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, c *redis.Client, key string)
	}{
		{"json", func(t *testing.T, c *redis.Client, key string) {
			if err := c.Set(t.Context(), key, "{not json", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}},
		{"type", func(t *testing.T, c *redis.Client, key string) {
			if err := c.Del(t.Context(), key).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.RPush(t.Context(), key, "x").Err(); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newRedisStore(t)
			ctx := t.Context()
			now := time.Now()
			for _, id := range []string{"pl-bad", "pl-good"} {
				p := store.GameSessionPlacement{PlacementId: id, GameSessionQueueName: "q", Status: store.PlacementPending,
					MaximumPlayerSessionCount: 2, StartTime: now, Deadline: now.Add(-time.Second)}
				if err := s.CreatePlacement(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			tc.damage(t, c, "mp:gsp:pl-bad")
			for name, list := range map[string]func() ([]store.GameSessionPlacement, error){
				"due":      func() ([]store.GameSessionPlacement, error) { return s.DuePlacements(ctx, now, 10) },
				"released": func() ([]store.GameSessionPlacement, error) { return s.ReleasedPlacements(ctx, 10) },
			} {
				got, err := list()
				if !errors.Is(err, store.ErrUnreadable) || !strings.Contains(err.Error(), "pl-bad") {
					t.Fatalf("%s: err = %v; want ErrUnreadable naming pl-bad", name, err)
				}
				if len(got) != 1 || got[0].PlacementId != "pl-good" {
					t.Fatalf("%s: %+v beside the error; want pl-good", name, got)
				}
				if got, err = list(); err != nil || len(got) != 1 || got[0].PlacementId != "pl-good" {
					t.Fatalf("%s, the next call: %+v, %v; want pl-good and no error", name, got, err)
				}
			}
		})
	}
}
