package store

import (
	"strconv"
	"strings"
	"testing"
)

// TestParseReservationEntry: the entry of the index of reservations in
// today's form names the game session (and so its fleet), in the form
// written until 2026-12-06 only the fleet; anything else is refused.
func TestParseReservationEntry(t *testing.T) {
	const gs = "arn:aws:gamelift:local::gamesession/fleet-1/gs 1"
	for _, tc := range []struct {
		entry           string
		ms              int64
		gs, fleet, psid string
		ok              bool
	}{
		{"1000 " + gs + " psess-1", 1000, gs, "fleet-1", "psess-1", true},
		{"-62135596800000 " + gs + " psess-1", -62135596800000, gs, "fleet-1", "psess-1", true},
		{"1000 fleet-1 psess-1", 1000, "", "fleet-1", "psess-1", true},
		{"1000 fleet 1 psess-1", 0, "", "", "", false},
		{"1000 fleet-1", 0, "", "", "", false},
		{"1000 fleet-1 ", 0, "", "", "", false},
		{"x fleet-1 psess-1", 0, "", "", "", false},
		{"garbage", 0, "", "", "", false},
		{"", 0, "", "", "", false},
	} {
		ms, gotGS, fleet, psid, ok := parseReservationEntry(tc.entry)
		if ok != tc.ok || ok && (ms != tc.ms || gotGS != tc.gs || fleet != tc.fleet || psid != tc.psid) {
			t.Errorf("parseReservationEntry(%q) = %d, %q, %q, %q, %v; want %d, %q, %q, %q, %v",
				tc.entry, ms, gotGS, fleet, psid, ok, tc.ms, tc.gs, tc.fleet, tc.psid, tc.ok)
		}
	}
}

// FuzzParseReservationEntry: any string is read without a panic, and what
// reservationEntry writes of a game session id and a player session id
// without spaces is read back as written.
func FuzzParseReservationEntry(f *testing.F) {
	f.Add(int64(1000), "fleet-1", "gs-1", "psess-1", "1000 fleet-1 psess-1")
	f.Add(int64(-1), "f", "a b", "p", "1 arn:aws:gamelift:x::gamesession/f/g p")
	f.Fuzz(func(t *testing.T, ms int64, fleet, id, psid, raw string) {
		parseReservationEntry(raw)
		if fleet == "" || psid == "" || strings.ContainsAny(fleet, " /") || strings.Contains(psid, " ") || strings.Contains(id, ":gamesession/") {
			return
		}
		gs := "arn:aws:gamelift:local::gamesession/" + fleet + "/" + id
		gotMS, gotGS, gotFleet, gotPSID, ok := parseReservationEntry(reservationEntry(ms, gs, psid))
		if !ok || gotMS != ms || gotGS != gs || gotFleet != fleet || gotPSID != psid {
			t.Fatalf("entry %q read back as %d, %q, %q, %q, %v", strconv.FormatInt(ms, 10)+" "+gs+" "+psid, gotMS, gotGS, gotFleet, gotPSID, ok)
		}
	})
}
