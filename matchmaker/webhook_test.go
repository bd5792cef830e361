package matchmaker

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// TestWebhook delivers events to an https target, signed; a 500 is retried.
func TestWebhook(t *testing.T) {
	secret := []byte("s3cret")
	var mu sync.Mutex
	var got []Event
	calls := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		if !VerifySignature(secret, body, r.Header.Get(SignatureHeader)) {
			t.Errorf("bad signature %q", r.Header.Get(SignatureHeader))
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		var ev Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Error(err)
		}
		got = append(got, ev)
	}))
	defer srv.Close()
	e := newEnv(t, func(t *testing.T, now func() time.Time) store.Store { return store.NewMemory(store.Options{Now: now}) }, func(o *Options) {
		o.WebhookSecret = secret
		o.WebhookClient = srv.Client()
		o.WebhookBackoff = 10 * time.Millisecond
	})
	e.ruleSet("rs")
	e.config("c", func(c *CreateMatchmakingConfigurationInput) { c.NotificationTarget = ptr(srv.URL + "/hook") })
	e.start("c", "t1", "p1")
	if _, err := e.svc.StopMatchmaking(e.ctx, &StopMatchmakingInput{TicketId: "t1"}); err != nil {
		t.Fatal(err)
	}
	delivered := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(got)
	}
	if !waitFor(t, 5*time.Second, func() bool { return delivered() == 2 }) {
		t.Fatalf("%d events delivered, want 2", delivered())
	}
	mu.Lock()
	defer mu.Unlock()
	if got[0].Detail.Type != EventMatchmakingSearching || got[1].Detail.Type != EventMatchmakingCancelled || calls != 3 {
		t.Fatalf("delivered %s, %s in %d calls", got[0].Detail.Type, got[1].Detail.Type, calls)
	}
}

// TestWebhookGivesUp stops after WebhookAttempts and Close returns promptly
// while a delivery waits to retry.
func TestWebhookGivesUp(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	opts := Options{WebhookClient: srv.Client(), WebhookAttempts: 3, WebhookBackoff: time.Millisecond}.withDefaults()
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	w := startWebhooks(opts, m)
	w.deliver(delivery{url: srv.URL, payload: []byte(`{}`)})
	if calls != 3 {
		t.Fatalf("%d attempts, want 3", calls)
	}
	if n := counterValue(t, reg, "matchpoint_webhook_deliveries_total", "outcome", "failed"); n != 1 {
		t.Fatalf("failed deliveries counted %v, want 1", n)
	}
	opts.WebhookBackoff = time.Hour
	w2 := startWebhooks(opts, m)
	w2.enqueue(srv.URL, []byte(`{}`))
	attempts := func() int {
		mu.Lock()
		defer mu.Unlock()
		return calls
	}
	if !waitFor(t, 5*time.Second, func() bool { return attempts() == 4 }) {
		t.Fatalf("%d attempts, want w2's first one (4)", attempts())
	}
	done := make(chan struct{})
	go func() { w2.stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("stop did not interrupt the backoff")
	}
	w.stop()
}

func TestSign(t *testing.T) {
	// echo -n '{"a":1}' | openssl dgst -sha256 -hmac key
	sig := Sign([]byte("key"), []byte(`{"a":1}`))
	if sig != "sha256=88a67f24bbcdaed0e6c997404bb79a743baf44c6bab2f4c27328e3009d22e342" {
		t.Fatalf("signature %s", sig)
	}
	if !VerifySignature([]byte("key"), []byte(`{"a":1}`), sig) || VerifySignature([]byte("other"), []byte(`{"a":1}`), sig) {
		t.Fatal("signature does not verify")
	}
}

func TestTimestampJSON(t *testing.T) {
	ts := Timestamp{time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)}
	b, err := json.Marshal(ts)
	if err != nil || string(b) != "1767323045.678" {
		t.Fatalf("marshal: %s %v", b, err)
	}
	var back Timestamp
	if err := json.Unmarshal(b, &back); err != nil || !back.Equal(ts.Time) {
		t.Fatalf("unmarshal: %v %v", back, err)
	}
	if err := json.Unmarshal([]byte(`"x"`), &back); err == nil {
		t.Fatal("string accepted")
	}
}
