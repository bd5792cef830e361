package relay

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestLedgerPrunesReserveRecordsByDeadline: prune drops the reserve
// records past their deadline, in deadline order, up to the first one past
// it that is still being settled (it and those after it wait for the next
// prune); a record dropped by its placement's failure, or replaced by a
// retry of the same id, is not dropped twice. Checked against a sorted list
// of the same records, over random (distinct) deadlines.
func TestLedgerPrunesReserveRecordsByDeadline(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	base := time.Unix(1_000_000, 0)
	for round := range 50 {
		l := newLedger()
		type rec struct {
			id string
			pl *placed
		}
		var all []rec
		for i, ms := range r.Perm(200) {
			pl := &placed{done: make(chan struct{}), until: base.Add(time.Duration(ms) * time.Millisecond)}
			if r.IntN(10) > 0 {
				close(pl.done)
			}
			id := reservePrefix + strconv.Itoa(i)
			l.mu.Lock()
			l.addLocked(id, pl)
			l.mu.Unlock()
			all = append(all, rec{id, pl})
		}
		// A failed placement forgets its record; a retry records it again.
		failed := all[r.IntN(len(all))]
		l.mu.Lock()
		l.dropLocked(failed.id, failed.pl)
		retry := &placed{done: make(chan struct{}), until: base.Add(time.Hour)}
		close(retry.done)
		l.addLocked(failed.id, retry)
		l.mu.Unlock()

		now := base.Add(time.Duration(r.IntN(200)) * time.Millisecond)
		l.prune(now, time.Minute)

		slices.SortStableFunc(all, func(a, b rec) int { return a.pl.until.Compare(b.pl.until) })
		want := map[string]bool{failed.id: true}
		blocked := false
		for _, e := range all {
			if e.pl == failed.pl {
				continue
			}
			if blocked || !now.After(e.pl.until) || !settled(e.pl) {
				blocked = blocked || now.After(e.pl.until)
				want[e.id] = true
			}
		}
		got := map[string]bool{}
		for id := range l.reserves {
			got[id] = true
		}
		if len(got) != len(want) {
			t.Fatalf("round %d: %d records kept, want %d", round, len(got), len(want))
		}
		for id := range want {
			if !got[id] {
				t.Fatalf("round %d: record %s dropped, want it kept", round, id)
			}
		}
		if l.reserves[failed.id] != retry {
			t.Fatalf("round %d: the retry's record of %s was dropped with the failed one", round, failed.id)
		}
		if len(l.placements) != 0 {
			t.Fatalf("round %d: reserve records among the placements: %d", round, len(l.placements))
		}
	}
}

// BenchmarkLedgerPrune: one prune of a ledger holding 15,000 reserve records
// (3,000 CreatePlayerSessions a second with a 5 s deadline) of which 3,000
// are past their deadline, in steps of pruneStep.
func BenchmarkLedgerPrune(b *testing.B) {
	base := time.Unix(1_000_000, 0)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		l := newLedger()
		for i := range 15_000 {
			pl := &placed{done: make(chan struct{}), until: base.Add(time.Duration(i) * time.Millisecond / 3)}
			close(pl.done)
			l.addLocked(reservePrefix+strconv.Itoa(i), pl)
		}
		b.StartTimer()
		l.prune(base.Add(time.Second), time.Minute)
	}
}

// TestLedgerPrunesInSteps: pruneReserves drops at most its step of records
// past their deadline and says when more are left; prune takes them all.
func TestLedgerPrunesInSteps(t *testing.T) {
	base := time.Unix(1_000_000, 0)
	l := newLedger()
	for i := range 600 {
		pl := &placed{done: make(chan struct{}), until: base.Add(time.Duration(i) * time.Millisecond)}
		close(pl.done)
		l.mu.Lock()
		l.addLocked(reservePrefix+strconv.Itoa(i), pl)
		l.mu.Unlock()
	}
	now := base.Add(500 * time.Millisecond) // 500 past their deadline
	if more := l.pruneReserves(now, 256); !more || len(l.reserves) != 344 {
		t.Fatalf("one step: more %v, %d records left; want more and 344", more, len(l.reserves))
	}
	if more := l.pruneReserves(now, 256); more || len(l.reserves) != 100 {
		t.Fatalf("second step: more %v, %d records left; want no more and 100", more, len(l.reserves))
	}
	l.prune(base.Add(time.Second), time.Minute)
	if len(l.reserves) != 0 || len(l.byDeadline) != 0 {
		t.Fatalf("after prune: %d records, %d in the heap; want none", len(l.reserves), len(l.byDeadline))
	}
}
