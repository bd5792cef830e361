package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkVerifySigV4 verifies the signature of a StartMatchmaking as the
// AWS SDK for Go v2 signs it: every GameLift call pays it.
func BenchmarkVerifySigV4(b *testing.B) {
	body := startBody(1)
	req, err := http.NewRequest("POST", "http://127.0.0.1:8080/", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "GameLift.StartMatchmaking")
	req.Header.Set("Amz-Sdk-Invocation-Id", "6f9f1c2e-4b1a-4c55-9d0e-3f2a1b0c9d8e")
	req.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: keySecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gamelift", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	h := &Handler{keys: map[string]string{keyID: keySecret}, now: time.Now}
	b.ReportAllocs()
	for b.Loop() {
		if ae := h.verifySigV4(req, body); ae != nil {
			b.Fatal(ae.msg)
		}
	}
}
