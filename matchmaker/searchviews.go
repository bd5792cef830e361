package matchmaker

import (
	"slices"

	"github.com/matchpoint-dev/matchpoint/matchmaker/sessionsearch"
)

// maxSearchViews is how many searches (location, filter, sort) a fleet's
// copy keeps up to date; the least recently used one goes first.
const maxSearchViews = 8

// searchQuery is what a SearchGameSessions call asks of a fleet's ACTIVE
// sessions. The expressions' texts name it; Filter and Order are their
// compiled forms (nil when absent).
type searchQuery struct {
	Location, FilterText, SortText string
	Filter                         *sessionsearch.Filter
	Order                          *sessionsearch.Sort
}

type searchKey struct{ location, filter, sort string }

func (q searchQuery) key() searchKey { return searchKey{q.Location, q.FilterText, q.SortText} }

// resultView is a search kept up to date with the fleet's copy: the ACTIVE
// sessions that match, in the search's order. A backend that repeats one
// search (the usual case: "sessions with room, newest first") then pays
// for the sessions that changed since its last call, not for the fleet.
type resultView struct {
	q       searchQuery
	entries []*snapshotEntry // matching, in compare order
	used    uint64           // the fleet's search count at the last use
}

// newResultView evaluates q over entries (in creation order, which is
// compare's order without a sort).
func newResultView(q searchQuery, entries []*snapshotEntry) *resultView {
	v := &resultView{q: q}
	for _, e := range entries {
		if v.matches(e) {
			v.entries = append(v.entries, e)
		}
	}
	if q.Order != nil {
		slices.SortFunc(v.entries, v.compare)
	}
	return v
}

func (v *resultView) matches(e *snapshotEntry) bool {
	return (v.q.Location == "" || e.gs.Location == v.q.Location) && v.q.Filter.Match(e.view)
}

// compare is the view's total order: the sort's, then creation time and id
// (the order a stable sort of the copy keeps for equal keys).
func (v *resultView) compare(a, b *snapshotEntry) int {
	if c := v.q.Order.Compare(a.view, b.view); c != 0 {
		return c
	}
	return compareEntries(a, b)
}

// replace applies one change of the copy: old (nil for a new session) is
// gone, now (nil for a session no longer ACTIVE) is in.
func (v *resultView) replace(old, now *snapshotEntry) {
	if old != nil {
		if i, found := slices.BinarySearchFunc(v.entries, old, v.compare); found && v.entries[i] == old {
			v.entries = slices.Delete(v.entries, i, i+1)
		}
	}
	if now != nil && v.matches(now) {
		i, _ := slices.BinarySearchFunc(v.entries, now, v.compare)
		v.entries = slices.Insert(v.entries, i, now)
	}
}

// view returns the fleet's up-to-date view of q, made from the copy when it
// has none, keeping at most maxSearchViews. f.mu is held.
func (f *fleetSnapshot) view(q searchQuery) *resultView {
	f.searches++
	k := q.key()
	for _, v := range f.views {
		if v.q.key() == k {
			v.used = f.searches
			return v
		}
	}
	v := newResultView(q, f.entries)
	v.used = f.searches
	if len(f.views) == maxSearchViews {
		oldest := 0
		for i, w := range f.views {
			if w.used < f.views[oldest].used {
				oldest = i
			}
		}
		f.views = slices.Delete(f.views, oldest, oldest+1)
	}
	f.views = append(f.views, v)
	return v
}

// changed passes one change of the copy to every view.
func (f *fleetSnapshot) changed(old, now *snapshotEntry) {
	for _, v := range f.views {
		v.replace(old, now)
	}
}
