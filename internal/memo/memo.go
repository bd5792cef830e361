// Package memo keeps values made from their keys (a name's key strings, a
// subject, a day's signing key), each made once, for a bounded number of
// keys.
package memo

import "sync"

// Max is how many keys a Map keeps at most. A Map that keeps Max values and
// is given another starts over: it forgets them all, so that keys that come
// and go (a date in the key) never fill it for good.
const Max = 4096

// Map keeps up to Max values by key. Its zero value is empty and ready to
// use; a Map is safe for concurrent use.
type Map[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

// Load returns the value kept for k, if any.
func (m *Map[K, V]) Load(k K) (V, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.m[k]
	return v, ok
}

// Store keeps v for k, forgetting every value first if m keeps Max others.
func (m *Map[K, V]) Store(k K, v V) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, kept := m.m[k]; m.m == nil || !kept && len(m.m) >= Max {
		m.m = map[K]V{}
	}
	m.m[k] = v
}

// Get returns the value kept for k, made by build and kept the first time.
func (m *Map[K, V]) Get(k K, build func(K) V) V {
	if v, ok := m.Load(k); ok {
		return v
	}
	v := build(k)
	m.Store(k, v)
	return v
}

// Len is how many values m keeps.
func (m *Map[K, V]) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.m)
}
