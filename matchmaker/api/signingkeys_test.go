package api

import (
	"encoding/hex"
	"fmt"
	"testing"
)

// TestSigningKeys checks a cached signing key against the derivation example
// of AWS's Signature Version 4 documentation, that a second call answers the
// same key from the cache, that scopes do not share keys, and that the cache
// stays bounded.
func TestSigningKeys(t *testing.T) {
	var c signingKeys
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	for i := range 2 {
		if got := hex.EncodeToString(c.key(secret, "20150830", "us-east-1", "iam")); got != want {
			t.Fatalf("call %d: signing key %s, want %s", i, got, want)
		}
	}
	if got := hex.EncodeToString(c.key(secret, "20150831", "us-east-1", "iam")); got == want {
		t.Fatal("another date got the same signing key")
	}
	for i := range 3 * maxSigningKeys {
		c.key(secret, fmt.Sprintf("2015%04d", i), "us-east-1", "gamelift")
		if n := len(c.keys); n > maxSigningKeys {
			t.Fatalf("%d signing keys kept, at most %d", n, maxSigningKeys)
		}
	}
	if got := hex.EncodeToString(c.key(secret, "20150830", "us-east-1", "iam")); got != want {
		t.Fatalf("after the cache started over: signing key %s, want %s", got, want)
	}
}
