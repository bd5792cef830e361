package storetest

import (
	"testing"
	"time"
)

func testWaitEstimate(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	if _, ok, err := s.WaitEstimate(ctx, "cfg-a"); err != nil || ok {
		t.Fatalf("no estimate yet: ok %v, err %v", ok, err)
	}
	must(t, s.SetWaitEstimate(ctx, "cfg-a", 42, time.Minute))
	must(t, s.SetWaitEstimate(ctx, "cfg-b", 7, time.Minute))
	must(t, s.SetWaitEstimate(ctx, "cfg-a", 12, time.Minute))
	for cfg, want := range map[string]int{"cfg-a": 12, "cfg-b": 7} {
		if got, ok, err := s.WaitEstimate(ctx, cfg); err != nil || !ok || got != want {
			t.Fatalf("%s: %d, %v, %v; want %d", cfg, got, ok, err, want)
		}
	}
	if err := s.SetWaitEstimate(ctx, "cfg-a", 1, 0); err == nil {
		t.Fatal("a zero ttl was accepted")
	}
}

func testWaitEstimateExpiry(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	must(t, s.SetWaitEstimate(ctx, "cfg-a", 42, 200*time.Millisecond))
	// The estimate goes once its ttl has passed (polled: no timing asserted).
	Eventually(t, 10*time.Second, func() string { return "the estimate outlived its ttl by 10s" }, func() bool {
		_, ok, err := s.WaitEstimate(ctx, "cfg-a")
		must(t, err)
		return !ok
	})
}
