package poll

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestUntilHoldsOnceTheConditionDoes(t *testing.T) {
	calls := 0
	start := time.Now()
	if !Until(time.Minute, func() bool { calls++; return calls == 3 }) {
		t.Fatal("Until reports false for a condition that holds on its third call")
	}
	if calls != 3 {
		t.Fatalf("cond called %d times, want 3", calls)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("Until took %v for three calls", took)
	}
}

func TestUntilGivesUpAfterTimeout(t *testing.T) {
	const timeout = 30 * time.Millisecond
	calls := 0
	start := time.Now()
	if Until(timeout, func() bool { calls++; return false }) {
		t.Fatal("Until reports true for a condition that never holds")
	}
	if took := time.Since(start); took < timeout {
		t.Fatalf("Until gave up after %v, before its timeout %v", took, timeout)
	}
	if calls < 2 {
		t.Fatalf("cond called %d times, want at least 2 (first call and at the deadline)", calls)
	}
}

// recorder is a testing.TB that records Fatalf instead of ending the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestMustFailsWithWhat(t *testing.T) {
	r := &recorder{TB: t}
	Must(r, 20*time.Millisecond, func() string { return "the answer" }, func() bool { return false })
	if !strings.Contains(r.failed, "the answer") || !strings.Contains(r.failed, "20ms") {
		t.Fatalf("Must failed with %q, want the timeout and what it waited for", r.failed)
	}
}

func TestMustPassesWhenTheConditionHolds(t *testing.T) {
	r := &recorder{TB: t}
	calls := 0
	Must(r, time.Minute, func() string { return "the answer" }, func() bool { calls++; return calls == 2 })
	if r.failed != "" {
		t.Fatalf("Must failed with %q for a condition that holds", r.failed)
	}
}
