package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
)

// benchHandler returns a handler over st with rule set rs and configuration c.
func benchHandler(b *testing.B, st store.Store) *Handler {
	s := newServer(b, st)
	s.setup(b)
	return New(s.svc, map[string]string{keyID: keySecret}, quiet())
}

func startBody(n int64) []byte {
	id := strconv.FormatInt(n, 10)
	return []byte(`{"ConfigurationName":"c","TicketId":"t-` + id + `","Players":[{"PlayerId":"p-` + id + `","PlayerAttributes":{"skill":{"N":25}},"LatencyInMs":{"us-east-1":30}}]}`)
}

// latencies collects request durations from parallel callers.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// p99 is the 99th percentile in milliseconds.
func (l *latencies) p99() float64 {
	if len(l.all) == 0 {
		return 0
	}
	slices.Sort(l.all)
	return float64(l.all[len(l.all)*99/100]) / float64(time.Millisecond)
}

// benchREST runs StartMatchmaking through the REST handler (in process, no
// network), from parallel callers, and reports tickets/s and the p99
// latency at that (saturating) load.
func benchREST(b *testing.B, st store.Store) {
	h := benchHandler(b, st)
	var n atomic.Int64
	var lat latencies
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			start := time.Now()
			req := httptest.NewRequest("POST", "/v1/tickets", bytes.NewReader(startBody(n.Add(1))))
			req.Header.Set("Authorization", "Bearer "+keySecret)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
			mine = append(mine, time.Since(start))
		}
		lat.add(mine)
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
	b.ReportMetric(lat.p99(), "p99-ms")
}

// BenchmarkRESTStartMatchmakingRedis: REST handler into a real Redis.
func BenchmarkRESTStartMatchmakingRedis(b *testing.B) {
	b.SetParallelism(16)
	benchREST(b, redisStore(b))
}

// BenchmarkRESTStartMatchmakingMemory: REST handler into the memory store.
func BenchmarkRESTStartMatchmakingMemory(b *testing.B) {
	benchREST(b, store.NewMemory(store.Options{}))
}

// BenchmarkGameLiftStartMatchmakingRedis: the GameLift JSON 1.1 face (SigV4
// verified on every request; signing is in the loop too) into a real Redis.
func BenchmarkGameLiftStartMatchmakingRedis(b *testing.B) {
	b.SetParallelism(16)
	h := benchHandler(b, redisStore(b))
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: keySecret}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := startBody(n.Add(1))
			req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			req.Header.Set("Content-Type", gameliftContentType)
			req.Header.Set("X-Amz-Target", "GameLift.StartMatchmaking")
			sum := sha256.Sum256(body)
			if err := signer.SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gamelift", "us-east-1", time.Now()); err != nil {
				b.Fatal(err)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tickets/s")
}
