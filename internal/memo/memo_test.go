package memo

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// TestMapMakesEachValueOnceUpToMax: concurrent callers get the value made
// from their key; a key kept is made at most once per concurrent first
// use, and past Max keys values are made for each use and not kept.
func TestMapMakesEachValueOnceUpToMax(t *testing.T) {
	var m Map[int, string]
	var made atomic.Int64
	build := func(k int) string { made.Add(1); return strconv.Itoa(k) }
	var wg sync.WaitGroup
	const workers, keys = 8, Max + 100
	for w := range workers {
		wg.Go(func() {
			for i := range keys {
				k := (i*7 + w) % keys
				if got := m.Get(k, build); got != strconv.Itoa(k) {
					t.Errorf("Get(%d) = %q", k, got)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := m.Len(); n != Max {
		t.Fatalf("Len() = %d, want %d", n, Max)
	}
	// Every key was asked for 8 times: a kept one is made once, or a few
	// times when callers race on its first use; one not kept each time.
	if n := made.Load(); n < Max+100*workers || n >= workers*keys {
		t.Fatalf("made %d values for %d uses of %d keys, %d of them kept", n, workers*keys, keys, Max)
	}
	before := made.Load()
	for k := range keys {
		m.Get(k, build)
	}
	if n := made.Load() - before; n != 100 {
		t.Fatalf("a pass over every key made %d values, want 100 (the keys past Max)", n)
	}
	if _, ok := m.Load(-1); ok {
		t.Fatal("Load of a key never stored found a value")
	}
}
