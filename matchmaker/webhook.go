package matchmaker

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// SignatureHeader carries the webhook signature: "sha256=" and the hex
// HMAC-SHA256 of the request body, keyed by Options.WebhookSecret.
const SignatureHeader = "X-Matchpoint-Signature"

// Sign returns the SignatureHeader value for body under secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports whether header is the signature of body under
// secret, in constant time.
func VerifySignature(secret, body []byte, header string) bool {
	return hmac.Equal([]byte(header), []byte(Sign(secret, body)))
}

type delivery struct {
	url     string
	payload []byte
}

// webhooks delivers events to notification targets, in order, from one
// goroutine that the Service owns.
type webhooks struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	queue   chan delivery
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

func startWebhooks(opts Options, m *metrics) *webhooks {
	ctx, cancel := context.WithCancel(context.Background())
	w := &webhooks{
		opts:    opts,
		log:     opts.Logger,
		metrics: m,
		queue:   make(chan delivery, opts.WebhookQueue),
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
	}
	go w.run()
	return w
}

func (w *webhooks) enqueue(url string, payload []byte) {
	select {
	case <-w.ctx.Done():
	case w.queue <- delivery{url: url, payload: payload}:
	default:
		w.metrics.webhooks.WithLabelValues(webhookDropped).Inc()
		w.log.Warn("webhook queue full: event dropped", "target", url)
	}
}

func (w *webhooks) stop() {
	w.once.Do(func() {
		w.cancel()
		<-w.done
	})
}

func (w *webhooks) run() {
	defer close(w.done)
	for {
		select {
		case <-w.ctx.Done():
			return
		case d := <-w.queue:
			w.deliver(d)
		}
	}
}

// deliver posts one event, retrying failures (network errors and non-2xx
// answers) up to WebhookAttempts times with exponential backoff.
func (w *webhooks) deliver(d delivery) {
	backoff := w.opts.WebhookBackoff
	for attempt := 1; ; attempt++ {
		err := w.post(d)
		if err == nil {
			w.metrics.webhooks.WithLabelValues(webhookDelivered).Inc()
			return
		}
		if attempt >= w.opts.WebhookAttempts {
			w.metrics.webhooks.WithLabelValues(webhookFailed).Inc()
			w.log.Warn("webhook delivery failed: event dropped", "target", d.url, "attempts", attempt, "err", err)
			return
		}
		w.log.Debug("webhook delivery failed: retrying", "target", d.url, "attempt", attempt, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-w.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (w *webhooks) post(d delivery) error {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, d.url, bytes.NewReader(d.payload))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, Sign(w.opts.WebhookSecret, d.payload))
	resp, err := w.opts.WebhookClient.Do(req)
	if err != nil {
		return fmt.Errorf("post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post: status %s", resp.Status)
	}
	return nil
}
