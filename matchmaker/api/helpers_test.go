package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/redis/go-redis/v9"

	"github.com/matchpoint-dev/matchpoint/matchmaker"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store"
	"github.com/matchpoint-dev/matchpoint/matchmaker/store/redistest"
)

var _ Service = (*matchmaker.Service)(nil)

const (
	keyID     = "AKIDMATCHPOINT"
	keySecret = "s3cr3t-key"
	ruleSet   = `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":10}],"teams":[{"name":"red","minPlayers":1,"maxPlayers":4},{"name":"blue","minPlayers":1,"maxPlayers":4}]}`
)

type server struct {
	*httptest.Server
	svc *matchmaker.Service
	st  store.Store
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newServer serves a Service on st (memory when nil).
func newServer(t testing.TB, st store.Store, opts ...Option) *server {
	t.Helper()
	if st == nil {
		st = store.NewMemory(store.Options{})
	}
	svc, err := matchmaker.New(matchmaker.Options{Store: st, Logger: quiet(), Region: "us-east-1", AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	h := New(svc, map[string]string{keyID: keySecret}, quiet(), opts...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &server{Server: srv, svc: svc, st: st}
}

func redisStore(t testing.TB) store.Store {
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 64})
	t.Cleanup(func() { _ = c.Close() })
	return store.NewRedis(c, store.Options{})
}

// do sends a REST request with the bearer secret and returns the status
// and body.
func (s *server) do(t testing.TB, method, path, body string) (int, []byte) {
	t.Helper()
	return s.doType(t, method, path, "application/json", []byte(body))
}

// doType is do with a body of contentType.
func (s *server) doType(t testing.TB, method, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+keySecret)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (s *server) must(t testing.TB, method, path, body string, want int) []byte {
	t.Helper()
	status, b := s.do(t, method, path, body)
	if status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, status, b, want)
	}
	return b
}

// setup creates rule set rs and configuration c.
func (s *server) setup(t testing.TB) {
	t.Helper()
	rs, _ := json.Marshal(map[string]string{"Name": "rs", "RuleSetBody": ruleSet})
	s.must(t, "POST", "/v1/rulesets", string(rs), http.StatusCreated)
	s.must(t, "POST", "/v1/configurations", `{"Name":"c","RuleSetName":"rs","RequestTimeoutSeconds":60,"AcceptanceRequired":false}`, http.StatusCreated)
}

// signed sends a GameLift JSON 1.1 request signed with SigV4.
func (s *server) signed(t testing.TB, action, body string, at time.Time, secret string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", s.URL+"/", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "GameLift."+action)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gamelift", "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}
