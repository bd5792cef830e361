package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// sdkSignedHeaders signs the request benchSigner describes with the AWS
// SDK's signer and returns its X-Amz-Target, X-Amz-Date and Authorization.
func sdkSignedHeaders(t *testing.T, s *benchSigner, action string, body []byte, now time.Time) (target, date, auth string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+s.host+s.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", gameLiftContentType)
	req.Header.Set("X-Amz-Target", "GameLift."+action)
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: s.keyID, SecretAccessKey: s.secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gamelift", s.region, now); err != nil {
		t.Fatal(err)
	}
	return req.Header.Get("X-Amz-Target"), req.Header.Get("X-Amz-Date"), req.Header.Get("Authorization")
}

// TestBenchSignerMatchesTheSDK: the bench's signer writes the headers the
// AWS SDK's signer writes for the same call, from one signer across calls
// of other actions, bodies, seconds and days (its key and date are kept
// between calls and must follow them).
func TestBenchSignerMatchesTheSDK(t *testing.T) {
	day := time.Date(2026, 12, 6, 23, 59, 58, 0, time.UTC)
	for _, host := range []string{"127.0.0.1:18412", "gamelift.example.com"} {
		for _, path := range []string{"/", "/prefix/a b/"} {
			s := &benchSigner{keyID: "dev", secret: "dev-secret", region: "us-west-2", host: host, path: strings.ReplaceAll(path, " ", "%20")}
			for i, c := range []struct {
				action string
				body   string
				now    time.Time
			}{
				{"CreatePlayerSessions", `{"GameSessionId":"x","PlayerIds":["a","b"]}`, day},
				{"CreatePlayerSessions", `{"GameSessionId":"x","PlayerIds":["c"]}`, day},
				{"SearchGameSessions", `{}`, day.Add(500 * time.Millisecond)},
				{"DescribeGameSessions", "", day.Add(time.Second)},
				{"CreatePlayerSessions", `{"GameSessionId":"ü"}`, day.Add(2 * time.Second)},
				{"CreatePlayerSessions", `{"GameSessionId":"ü"}`, day.Add(25 * time.Hour).In(time.FixedZone("UTC+5", 5*3600))},
			} {
				t.Run(fmt.Sprintf("%s%s/%d", host, path, i), func(t *testing.T) {
					got := string(s.appendHeaders(nil, c.action, []byte(c.body), c.now))
					target, date, auth := sdkSignedHeaders(t, s, c.action, []byte(c.body), c.now)
					want := "X-Amz-Target: " + target + "\r\nX-Amz-Date: " + date + "\r\nAuthorization: " + auth + "\r\n"
					if got != want {
						t.Errorf("headers:\n got %q\nwant %q", got, want)
					}
				})
			}
		}
	}
}

// TestBenchSignerAppends: the header lines go after what h holds.
func TestBenchSignerAppends(t *testing.T) {
	s := &benchSigner{keyID: "dev", secret: "dev-secret", region: "local", host: "h", path: "/"}
	h := s.appendHeaders([]byte("X-Before: 1\r\n"), "SearchGameSessions", nil, time.Now())
	if !bytes.HasPrefix(h, []byte("X-Before: 1\r\nX-Amz-Target: GameLift.SearchGameSessions\r\n")) || !bytes.HasSuffix(h, []byte("\r\n")) {
		t.Errorf("headers: %q", h)
	}
}

// BenchmarkBenchSigner is the generator's cost to sign one
// CreatePlayerSessions, with the AWS SDK's signer beside it.
func BenchmarkBenchSigner(b *testing.B) {
	body := []byte(`{"GameSessionId":"arn:aws:gamelift:local::gamesession/fleet-1/gsess-1","PlayerIds":["bench-a-1-0","bench-a-1-1","bench-a-1-2","bench-a-1-3"]}`)
	b.Run("bench", func(b *testing.B) {
		s := &benchSigner{keyID: "dev", secret: "dev-secret", region: "local", host: "127.0.0.1:18412", path: "/"}
		var h []byte
		b.ReportAllocs()
		for b.Loop() {
			h = s.appendHeaders(h[:0], "CreatePlayerSessions", body, time.Now())
		}
	})
	b.Run("sdk", func(b *testing.B) {
		signer := v4.NewSigner()
		creds := aws.Credentials{AccessKeyID: "dev", SecretAccessKey: "dev-secret"}
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:18412/", nil)
			req.Header.Set("Content-Type", gameLiftContentType)
			req.Header.Set("X-Amz-Target", "GameLift.CreatePlayerSessions")
			sum := sha256.Sum256(body)
			if err := signer.SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gamelift", "local", time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
