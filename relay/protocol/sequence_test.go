package protocol

import (
	"math"
	"testing"
)

func TestSeqNewer(t *testing.T) {
	tests := []struct {
		a, b int32
		want bool
	}{
		{2, 1, true},
		{1, 2, false},
		{1, 1, false},
		{math.MinInt32, math.MaxInt32, true}, // the counter wrapped
		{math.MinInt32 + 5, math.MaxInt32 - 5, true},
		{math.MaxInt32 - 5, math.MinInt32 + 5, false},
		{1, math.MaxInt32, false}, // 2^31+1 steps ahead is behind
		{-1, -2, true},
		{0, math.MinInt32, false}, // exactly 2^31 apart: neither is newer
		{math.MinInt32, 0, false},
	}
	for _, tt := range tests {
		if got := SeqNewer(tt.a, tt.b); got != tt.want {
			t.Errorf("SeqNewer(%d, %d) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestSeqFilterNewestWins(t *testing.T) {
	var f SeqFilter
	steps := []struct {
		seq  int32
		want bool
	}{
		{5, true},  // first packet
		{5, false}, // duplicate
		{4, false}, // late
		{0, true},  // unsequenced, does not move the window
		{6, true},
		{9, true}, // 7 and 8 lost
		{8, false},
		{math.MaxInt32, true},
		{math.MinInt32 + 1, true}, // wrapped (0 is skipped by senders)
		{math.MaxInt32 - 1, false},
	}
	for i, s := range steps {
		if got := f.Accept(s.seq); got != s.want {
			t.Fatalf("step %d: Accept(%d) = %v, want %v", i, s.seq, got, s.want)
		}
	}
	if f.Last() != math.MinInt32+1 {
		t.Fatalf("Last = %d", f.Last())
	}
	f.Reset()
	if !f.Accept(1) {
		t.Fatal("after Reset, Accept(1) = false")
	}
}

func TestSeqCounterSkipsZero(t *testing.T) {
	c := SeqCounter{n: math.MaxInt32 - 1}
	var f SeqFilter
	want := []int32{math.MaxInt32, math.MinInt32, math.MinInt32 + 1}
	for _, w := range want {
		got := c.Next()
		if got != w {
			t.Fatalf("Next = %d, want %d", got, w)
		}
		if !f.Accept(got) {
			t.Fatalf("filter refused %d from a counter", got)
		}
	}
	c = SeqCounter{n: -1}
	if got := c.Next(); got != 1 {
		t.Fatalf("Next after -1 = %d, want 1 (0 is skipped)", got)
	}
	if got := (&SeqCounter{}).Next(); got != 1 {
		t.Fatalf("first Next = %d, want 1", got)
	}
}
