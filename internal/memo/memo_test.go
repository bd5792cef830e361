package memo

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// TestMapMakesEachValueOnce: concurrent callers get the value made from
// their key, and a key kept is made at most once per concurrent first use.
func TestMapMakesEachValueOnce(t *testing.T) {
	var m Map[int, string]
	var made atomic.Int64
	build := func(k int) string { made.Add(1); return strconv.Itoa(k) }
	const workers, keys = 8, 100
	var wg sync.WaitGroup
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
	if n := m.Len(); n != keys {
		t.Fatalf("Len() = %d, want %d", n, keys)
	}
	// Every key was asked for 8 times: made once, or a few times when
	// callers raced on its first use.
	if n := made.Load(); n < keys || n >= workers*keys {
		t.Fatalf("made %d values for %d uses of %d keys", n, workers*keys, keys)
	}
	before := made.Load()
	for k := range keys {
		m.Get(k, build)
	}
	if n := made.Load() - before; n != 0 {
		t.Fatalf("a pass over the kept keys made %d values, want 0", n)
	}
	if _, ok := m.Load(-1); ok {
		t.Fatal("Load of a key never stored found a value")
	}
}

// TestMapStartsOverPastMax: a full Map given a new key forgets the others;
// a key it keeps is replaced in place.
func TestMapStartsOverPastMax(t *testing.T) {
	var m Map[int, int]
	for k := range Max {
		m.Store(k, k)
	}
	m.Store(0, -1)
	if v, _ := m.Load(0); m.Len() != Max || v != -1 {
		t.Fatalf("storing a kept key in a full Map: Len() = %d, value %d; want %d, -1", m.Len(), v, Max)
	}
	m.Store(Max, Max)
	if n := m.Len(); n != 1 {
		t.Fatalf("Len() after a new key in a full Map = %d, want 1", n)
	}
	if _, ok := m.Load(1); ok {
		t.Fatal("a full Map given a new key still keeps an old one")
	}
	if v, ok := m.Load(Max); !ok || v != Max {
		t.Fatalf("Load(%d) = %d, %v; want the new value", Max, v, ok)
	}
}
