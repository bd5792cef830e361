package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

func testLeases(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	const ttl = time.Minute
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"renew a lease nobody holds", func() error { return s.RenewLease(ctx, "cfg-a", "alice", ttl) }, store.ErrNotFound},
		{"release a lease nobody holds", func() error { return s.ReleaseLease(ctx, "cfg-a", "alice") }, store.ErrNotFound},
		{"alice acquires", func() error { return s.AcquireLease(ctx, "cfg-a", "alice", ttl) }, nil},
		{"alice acquires again", func() error { return s.AcquireLease(ctx, "cfg-a", "alice", ttl) }, nil},
		{"bob cannot acquire", func() error { return s.AcquireLease(ctx, "cfg-a", "bob", ttl) }, store.ErrConflict},
		{"bob cannot renew", func() error { return s.RenewLease(ctx, "cfg-a", "bob", ttl) }, store.ErrConflict},
		{"bob cannot release", func() error { return s.ReleaseLease(ctx, "cfg-a", "bob") }, store.ErrConflict},
		{"bob acquires another lease", func() error { return s.AcquireLease(ctx, "cfg-b", "bob", ttl) }, nil},
		{"alice renews", func() error { return s.RenewLease(ctx, "cfg-a", "alice", ttl) }, nil},
		{"alice releases", func() error { return s.ReleaseLease(ctx, "cfg-a", "alice") }, nil},
		{"alice cannot renew a released lease", func() error { return s.RenewLease(ctx, "cfg-a", "alice", ttl) }, store.ErrNotFound},
		{"bob acquires the released lease", func() error { return s.AcquireLease(ctx, "cfg-a", "bob", ttl) }, nil},
		{"alice cannot acquire", func() error { return s.AcquireLease(ctx, "cfg-a", "alice", ttl) }, store.ErrConflict},
	}
	for _, st := range steps {
		err := st.do()
		if st.want == nil {
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			continue
		}
		wantErr(t, err, st.want, st.name)
	}
}

func testLeaseExpiry(t *testing.T, open Opener) {
	s := open(t)
	ctx := t.Context()
	must(t, s.AcquireLease(ctx, "l", "alice", 200*time.Millisecond))
	must(t, s.RenewLease(ctx, "l", "alice", time.Minute))
	// An absence check: nothing to wait on but the clock.
	time.Sleep(300 * time.Millisecond)
	// Renewed: still alice's after the first ttl has passed.
	wantErr(t, s.AcquireLease(ctx, "l", "bob", time.Minute), store.ErrConflict, "acquire a renewed lease")
	must(t, s.RenewLease(ctx, "l", "alice", 100*time.Millisecond))
	var err error
	Eventually(t, 10*time.Second, func() string { return fmt.Sprintf("bob never took the lapsed lease: %v", err) }, func() bool {
		err = s.AcquireLease(ctx, "l", "bob", time.Minute)
		return err == nil
	})
	wantErr(t, s.RenewLease(ctx, "l", "alice", time.Minute), store.ErrConflict, "renew a lapsed lease now held by bob")
	wantErr(t, s.ReleaseLease(ctx, "l", "alice"), store.ErrConflict, "release a lapsed lease now held by bob")
	must(t, s.RenewLease(ctx, "l", "bob", time.Minute))
}
