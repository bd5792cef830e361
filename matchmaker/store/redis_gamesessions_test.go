package store_test

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/storetest"
)

// TestRedisGameSessionKeys checks the layout docs/store.md documents for
// game sessions: a fleet's keys carry its hash tag, and an ended session,
// its player sessions and their global index entry get the retention as
// TTL while a live session's keys have none.
func TestRedisGameSessionKeys(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	f := newRedisFleet(t, s, "fleet-1")
	f.start("live", 2, "p")
	f.start("ends", 2, "p")
	f.end("ends")
	arn := f.arn
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if strings.HasPrefix(k, "mp:{_meta}:") || strings.HasPrefix(k, "mp:{cfg-") ||
			strings.HasPrefix(k, "mp:psf:") || strings.HasPrefix(k, "mp:pl:") {
			continue
		}
		if !strings.HasPrefix(k, "mp:{f:fleet-1}:") {
			t.Errorf("key %s has no fleet hash tag", k)
		}
	}
	for key, ended := range map[string]bool{
		"mp:{f:fleet-1}:gs:" + arn("live"): false, "mp:{f:fleet-1}:ps:psess-live-p": false, "mp:psf:psess-live-p": false,
		"mp:{f:fleet-1}:gs:" + arn("ends"): true, "mp:{f:fleet-1}:ps:psess-ends-p": true, "mp:psf:psess-ends-p": true,
		"mp:{f:fleet-1}:gsps:" + arn("ends"): true, "mp:{f:fleet-1}:fleet": false,
	} {
		ttl, err := c.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case ended && (ttl <= 0 || ttl > 24*time.Hour):
			t.Errorf("ended key %s has TTL %v, want at most the retention", key, ttl)
		case !ended && ttl != -1:
			t.Errorf("live key %s has TTL %v, want none", key, ttl)
		}
	}
}

// TestRedisPlayerIndexExpires checks that a player's index (mp:pl:<player>)
// lives as long as the player has a live game session and then expires with
// its last entry's retention: before, it never expired, one key per player
// ever seen. An ended entry whose retention is over is dropped when another
// of the player's game sessions ends.
func TestRedisPlayerIndexExpires(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	f := newRedisFleet(t, s, "fleet-1")
	ttl := func(player string) time.Duration {
		t.Helper()
		d, err := c.PTTL(ctx, "mp:pl:"+player).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	described := func(player string) int {
		t.Helper()
		ps, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{PlayerID: player}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		return len(ps)
	}
	retained := func(d time.Duration) bool { return d > 0 && d <= 24*time.Hour }

	f.start("a", 4, "p", "q")
	f.start("b", 4, "p")
	f.end("a")
	if d := ttl("q"); !retained(d) {
		t.Errorf("index of q, whose only game session ended, has TTL %v; want the retention", d)
	}
	if d := ttl("p"); d != -1 {
		t.Errorf("index of p, live in b, has TTL %v; want none", d)
	}
	if n := described("p"); n != 2 {
		t.Errorf("p has %d player sessions described, want 2 (the ended one is retained)", n)
	}
	// An entry whose retention is over, as one ended long ago leaves it.
	if err := c.ZAdd(ctx, "mp:pl:p", redis.Z{Score: 1, Member: "fleet-1 psess-old"}).Err(); err != nil {
		t.Fatal(err)
	}
	f.end("b")
	if d := ttl("p"); !retained(d) {
		t.Errorf("index of p, with no live game session, has TTL %v; want the retention", d)
	}
	members, err := c.ZRange(ctx, "mp:pl:p", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 || slices.Contains(members, "fleet-1 psess-old") {
		t.Errorf("index of p holds %q; want the two retained entries, not the one whose retention is over", members)
	}
	f.start("c", 4, "p")
	if d := ttl("p"); d != -1 {
		t.Errorf("index of p, live again in c, has TTL %v; want none", d)
	}
	if n := described("p"); n != 3 {
		t.Errorf("p has %d player sessions described, want 3", n)
	}
}

// TestRedisPlayerIndexEntries checks a player's index entries: one is the
// bare player session id, so that with GameLift's ids (fleet-<uuid>,
// psess-<uuid>) the index stays a listpack (as "<fleet> <id>" each index was
// a skiplist: about 1 KB of Redis memory per player); an entry of the form
// written before 2026-12-06 is still read and ends with its game session;
// a bare entry whose id's fleet key is gone is dropped when listed.
func TestRedisPlayerIndexEntries(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	f := newRedisFleet(t, s, "fleet-2f0c3b1e-8f3a-4d6b-9c1e-7a5b4c3d2e1f")
	const gs = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
	f.start(gs, 4, "new", "legacy")
	if enc, err := c.ObjectEncoding(ctx, "mp:pl:new").Result(); err != nil || enc != "listpack" {
		t.Errorf("index of a player holds a %q (%v); want a listpack", enc, err)
	}
	// The legacy player's entry as written before: "<fleet> <id>".
	legacy := f.id + " " + f.psid(gs, "legacy")
	if err := c.ZRem(ctx, "mp:pl:legacy", f.psid(gs, "legacy")).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ZAdd(ctx, "mp:pl:legacy", redis.Z{Score: math.Inf(1), Member: legacy}).Err(); err != nil {
		t.Fatal(err)
	}
	// A bare entry whose player session never was (its fleet key is gone).
	if err := c.ZAdd(ctx, "mp:pl:new", redis.Z{Score: math.Inf(1), Member: f.psid(gs, "gone")}).Err(); err != nil {
		t.Fatal(err)
	}
	for _, player := range []string{"new", "legacy"} {
		got, _, err := s.ListPlayerSessions(ctx, store.PlayerSessionFilter{PlayerID: player}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if want := f.psid(gs, player); len(got) != 1 || got[0].PlayerSessionId != want {
			t.Errorf("player %s: described %+v; want only %s", player, got, want)
		}
	}
	if members, err := c.ZRange(ctx, "mp:pl:new", 0, -1).Result(); err != nil || !slices.Equal(members, []string{f.psid(gs, "new")}) {
		t.Errorf("index of new holds %q (%v) after listing; want the stale entry dropped", members, err)
	}
	f.end(gs)
	for player, member := range map[string]string{"new": f.psid(gs, "new"), "legacy": legacy} {
		score, err := c.ZScore(ctx, "mp:pl:"+player, member).Result()
		if err != nil || math.IsInf(score, 1) {
			t.Errorf("entry %q of %s scores %v (%v) after its game session ended; want its end plus the retention", member, player, score, err)
		}
		if d, err := c.PTTL(ctx, "mp:pl:"+player).Result(); err != nil || d <= 0 || d > 24*time.Hour {
			t.Errorf("index of %s has TTL %v (%v) with no live entry; want the retention", player, d, err)
		}
	}
}

// TestRedisOldReservationsMoved: the index of reservations written before
// 2026-12-06 (a ZSET of "<fleet> <id>" by creation ms) is moved to the head
// of today's LIST, oldest first, in steps, by the first DueReservations,
// which then returns its due reservations first and drops the entries of
// player sessions that are gone; the old key is gone, and the reservations
// timed out leave the index.
func TestRedisOldReservationsMoved(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	f := newRedisFleet(t, s, "fleet-1")
	f.start("gs", 10)
	var ps []store.PlayerSession
	for i, p := range []string{"a", "b", "c"} {
		ps = append(ps, store.PlayerSession{PlayerSessionId: "psess-" + p, PlayerId: p, GameSessionId: f.arn("gs"),
			Status: store.PlayerSessionReserved, CreationTime: time.UnixMilli(int64(1000 * (i + 1)))})
	}
	ps[2].CreationTime = time.UnixMilli(5000)
	if _, err := s.CreatePlayerSessions(ctx, f.arn("gs"), ps); err != nil {
		t.Fatal(err)
	}
	// As an older Matchpoint left it: a and b in the old index only, with
	// 2,500 later entries of player sessions that are gone; c in the new;
	// a's record as written before 2026-12-07 (no field g, the game session
	// in the body).
	const list, old = "mp:{_meta}:reservations", "mp:{_meta}:reserved"
	oldBody, err := json.Marshal(ps[0])
	if err != nil {
		t.Fatal(err)
	}
	entries := []redis.Z{{Score: 2000, Member: "fleet-1 psess-b"}, {Score: 1000, Member: "fleet-1 psess-a"}}
	for i := range 2500 {
		entries = append(entries, redis.Z{Score: float64(2100 + i), Member: "fleet-1 psess-gone-" + strconv.Itoa(i)})
	}
	for _, err := range []error{
		c.HDel(ctx, "mp:{f:fleet-1}:ps:psess-a", "g").Err(),
		c.HSet(ctx, "mp:{f:fleet-1}:ps:psess-a", "b", oldBody).Err(),
		c.Del(ctx, list).Err(),
		c.ZAdd(ctx, old, entries...).Err(),
		c.RPush(ctx, list, "5000 fleet-1 psess-c").Err(),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	due, more, err := s.DueReservations(ctx, time.UnixMilli(60_000), 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := storetest.ReservationIDs(due); !slices.Equal(got, []string{"psess-a", "psess-b"}) || !more {
		t.Fatalf("due = %v (more %v), want psess-a, psess-b and more", got, more)
	}
	for _, d := range due {
		// Entries in the old forms do not name the game session: its
		// record does.
		if d.GameSessionId != f.arn("gs") || d.Version != 1 {
			t.Fatalf("due %+v: want game session %s at version 1", d, f.arn("gs"))
		}
	}
	if n, err := c.Exists(ctx, old).Result(); err != nil || n != 0 {
		t.Fatalf("old index: exists %d, %v; want it gone", n, err)
	}
	head, err := c.LRange(ctx, list, 0, 2).Result()
	if err != nil || !slices.Equal(head, []string{"1000 fleet-1 psess-a", "2000 fleet-1 psess-b", "2108 fleet-1 psess-gone-8"}) {
		t.Fatalf("index head = %q, %v; want a, b, then the first entry not looked at", head, err)
	}
	if last, err := c.LIndex(ctx, list, -1).Result(); err != nil || last != "5000 fleet-1 psess-c" {
		t.Fatalf("index tail = %q, %v; want c", last, err)
	}
	for i := range due {
		due[i].TerminationTime = time.UnixMilli(70_000)
	}
	if moved, err := s.TimeOutReservations(ctx, due); err != nil || len(moved) != 2 {
		t.Fatalf("time out: %d moved, %v; want 2", len(moved), err)
	}
	if n, err := c.LLen(ctx, list).Result(); err != nil || n != 2493 {
		t.Fatalf("index after the time out holds %d, %v; want 2,493 (2,503 less 8 dropped and 2 timed out)", n, err)
	}
}

// TestRedisDueReservationsMalformedEntries: an entry of the index that is
// not "<ms> <fleet> <id>" is dropped and counts among the entries looked at,
// so a page of them still reports that more may follow.
func TestRedisDueReservationsMalformedEntries(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	const list = "mp:{_meta}:reservations"
	if err := c.RPush(ctx, list, "garbage", "12 fleet-1", "1000 fleet-1 psess-gone", "2000 fleet-1 psess-gone-2").Err(); err != nil {
		t.Fatal(err)
	}
	due, more, err := s.DueReservations(ctx, time.UnixMilli(5000), 3)
	if err != nil || len(due) != 0 || !more {
		t.Fatalf("due %v, more %v, %v; want none and more", storetest.ReservationIDs(due), more, err)
	}
	if left, err := c.LRange(ctx, list, 0, -1).Result(); err != nil || !slices.Equal(left, []string{"2000 fleet-1 psess-gone-2"}) {
		t.Fatalf("index left %q, %v; want the entry not looked at", left, err)
	}
}

// TestRedisReservationEntries: testReservationEntries on one server.
func TestRedisReservationEntries(t *testing.T) {
	s, c := newRedisStore(t)
	testReservationEntries(t, s, c, "mp:{_meta}:reservations")
}

// testReservationEntries: each entry of the index of reservations names
// its game session ("<ms> <game session id> <player session id>"), so that
// the sweep need not read the player session's record, and a create the
// fleet's script refuses leaves no entry (on a cluster the entries are
// written before the script runs).
func testReservationEntries(t *testing.T, s *store.Redis, c redis.UniversalClient, list string) {
	f := newRedisFleet(t, s, "fleet-1")
	f.start("a", 1, "p")
	if err := f.join("a", "q"); !errors.Is(err, store.ErrGameSessionFull) {
		t.Fatalf("joining a full game session: %v, want ErrGameSessionFull", err)
	}
	want := []string{strconv.FormatInt(time.Time{}.UnixMilli(), 10) + " " + f.arn("a") + " " + f.psid("a", "p")}
	if got, err := c.LRange(t.Context(), list, 0, -1).Result(); err != nil || !slices.Equal(got, want) {
		t.Fatalf("index of reservations = %q, %v; want %q", got, err, want)
	}
}

// TestRedisReservationEntriesDropped: DueReservations drops the entry of a
// player session no longer RESERVED from the middle of the index, and
// TimeOutReservations the entries of those it moved (the index's head):
// what is left is exactly the entries of reservations still to time out.
func TestRedisReservationEntriesDropped(t *testing.T) {
	s, c := newRedisStore(t)
	ctx := t.Context()
	const list = "mp:{_meta}:reservations"
	f := newRedisFleet(t, s, "fleet-1")
	f.start("a", 10, "p1", "p2", "p3")
	f.start("b", 10, "p4")
	entry := func(gs, p string) string {
		return strconv.FormatInt(time.Time{}.UnixMilli(), 10) + " " + f.arn(gs) + " " + f.psid(gs, p)
	}
	index := func(want ...string) {
		t.Helper()
		if got, err := c.LRange(ctx, list, 0, -1).Result(); err != nil || !slices.Equal(got, want) {
			t.Fatalf("index = %q, %v; want %q", got, err, want)
		}
	}
	index(entry("a", "p1"), entry("a", "p2"), entry("a", "p3"), entry("b", "p4"))
	p2, err := s.GetPlayerSession(ctx, f.psid("a", "p2"))
	if err != nil {
		t.Fatal(err)
	}
	p2.Status = store.PlayerSessionActive
	if _, err := s.UpdatePlayerSession(ctx, p2); err != nil {
		t.Fatal(err)
	}
	due, _, err := s.DueReservations(ctx, time.Now(), 3)
	if err != nil || !slices.Equal(storetest.ReservationIDs(due), []string{f.psid("a", "p1"), f.psid("a", "p3")}) {
		t.Fatalf("due %v, %v; want p1 and p3 of a", storetest.ReservationIDs(due), err)
	}
	index(entry("a", "p1"), entry("a", "p3"), entry("b", "p4"))
	if moved, err := s.TimeOutReservations(ctx, due); err != nil || len(moved) != 2 {
		t.Fatalf("time out: %d moved, %v; want 2", len(moved), err)
	}
	index(entry("b", "p4"))
}

// TestRedisDueReservationsUnreadable: a player session record that cannot
// be read (a version that is not a number; an entry in the form written
// before 2026-12-06 whose record names no game session) does not stop
// DueReservations: its entry is dropped from the index, the others are
// returned, and the error wraps ErrUnreadable naming the player session;
// the next call finds the index clean.
func TestRedisDueReservationsUnreadable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, c *redis.Client, key, oldEntry string)
		want   string
	}{
		{"version", func(t *testing.T, c *redis.Client, key, _ string) {
			if err := c.HSet(t.Context(), key, "v", "x").Err(); err != nil {
				t.Fatal(err)
			}
		}, `version "x"`},
		{"old entry without a game session", func(t *testing.T, c *redis.Client, key, oldEntry string) {
			if err := c.LSet(t.Context(), "mp:{_meta}:reservations", 0, oldEntry).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.HDel(t.Context(), key, "g").Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.HSet(t.Context(), key, "b", "{}").Err(); err != nil {
				t.Fatal(err)
			}
		}, "no game session id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newRedisStore(t)
			ctx := t.Context()
			f := newRedisFleet(t, s, "fleet-1")
			f.start("a", 10, "p1", "p2")
			f.start("b", 10, "p3")
			bad := f.psid("a", "p1")
			keys, err := c.Keys(ctx, "*ps:"+bad).Result()
			if err != nil || len(keys) != 1 {
				t.Fatalf("the key of %s: %q, %v", bad, keys, err)
			}
			tc.damage(t, c, keys[0], "0 fleet-1 "+bad)
			want := []string{f.psid("a", "p2"), f.psid("b", "p3")}
			due, more, err := s.DueReservations(ctx, time.Now(), 10)
			if !errors.Is(err, store.ErrUnreadable) || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want ErrUnreadable naming %s and %q", err, bad, tc.want)
			}
			if more || !slices.Equal(storetest.ReservationIDs(due), want) {
				t.Fatalf("due %v (more %v) beside the error; want %v", storetest.ReservationIDs(due), more, want)
			}
			if n, err := c.LLen(ctx, "mp:{_meta}:reservations").Result(); err != nil || n != 2 {
				t.Fatalf("index holds %d entries, %v; want 2 (the unreadable one dropped)", n, err)
			}
			due, _, err = s.DueReservations(ctx, time.Now(), 10)
			if err != nil || !slices.Equal(storetest.ReservationIDs(due), want) {
				t.Fatalf("the next call: due %v, %v; want %v and no error", storetest.ReservationIDs(due), err, want)
			}
		})
	}
}
