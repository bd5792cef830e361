package storetest

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func appendEvents(t *testing.T, s store.Store, cfg string, n int) {
	t.Helper()
	for i := range n {
		payload := fmt.Appendf(nil, `{"cfg":%q,"n":%d}`, cfg, i)
		tickets := []string{fmt.Sprintf("%s-t%d", cfg, i), "shared"}
		seq, err := s.AppendEvent(t.Context(), cfg, tickets, payload)
		must(t, err)
		if seq == 0 {
			t.Fatalf("append event %d to %s: sequence 0", i, cfg)
		}
	}
}

func seqs(es []store.Event) []uint64 {
	out := make([]uint64, len(es))
	for i, e := range es {
		out[i] = e.Seq
	}
	return out
}

func testEvents(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	none, err := s.EventsAfter(ctx, "cfg-a", 0, 0)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("events of an empty log: %+v", none)
	}
	seq, err := s.AppendEvent(ctx, "cfg-a", nil, []byte("first"))
	must(t, err)
	if seq != 1 {
		t.Fatalf("first sequence: got %d, want 1", seq)
	}
	appendEvents(t, s, "cfg-b", 3)
	appendEvents(t, s, "cfg-a", 4)

	all, err := s.EventsAfter(ctx, "cfg-a", 0, 0)
	must(t, err)
	if got, want := seqs(all), []uint64{1, 2, 3, 4, 5}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sequences: got %v, want %v", got, want)
	}
	if string(all[0].Payload) != "first" || len(all[0].TicketIds) != 0 {
		t.Fatalf("first event: %+v", all[0])
	}
	if string(all[2].Payload) != `{"cfg":"cfg-a","n":1}` || !reflect.DeepEqual(all[2].TicketIds, []string{"cfg-a-t1", "shared"}) {
		t.Fatalf("third event: %+v", all[2])
	}
	for _, tc := range []struct {
		after uint64
		limit int
		want  []uint64
	}{
		{0, 2, []uint64{1, 2}},
		{2, 0, []uint64{3, 4, 5}},
		{2, 2, []uint64{3, 4}},
		{5, 0, nil},
		{99, 0, nil},
	} {
		got, err := s.EventsAfter(ctx, "cfg-a", tc.after, tc.limit)
		must(t, err)
		if len(got) != 0 || len(tc.want) != 0 {
			if !reflect.DeepEqual(seqs(got), tc.want) {
				t.Fatalf("events after %d limit %d: got %v, want %v", tc.after, tc.limit, seqs(got), tc.want)
			}
		}
	}
	b, err := s.EventsAfter(ctx, "cfg-b", 0, 0)
	must(t, err)
	if !reflect.DeepEqual(seqs(b), []uint64{1, 2, 3}) {
		t.Fatalf("sequences of cfg-b: %v", seqs(b))
	}
}

// testEventsTrimmed: the log keeps the newest MaxEvents; a reader resuming
// from before them sees a gap in the (otherwise dense) sequence.
func testEventsTrimmed(t *testing.T, open Opener) {
	s := open(t)
	appendEvents(t, s, "cfg-a", MaxEvents+5)
	got, err := s.EventsAfter(t.Context(), "cfg-a", 2, 0)
	must(t, err)
	if len(got) != MaxEvents || got[0].Seq != 6 || got[len(got)-1].Seq != MaxEvents+5 {
		t.Fatalf("trimmed log: %d events, sequences %v", len(got), seqs(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq != got[i-1].Seq+1 {
			t.Fatalf("sequences not dense: %v", seqs(got))
		}
	}
}
