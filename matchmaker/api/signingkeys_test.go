package api

import (
	"encoding/hex"
	"testing"
)

// TestSigningKeys checks a signing key kept by a Handler against the
// derivation example of AWS's Signature Version 4 documentation, that a
// second request answers the kept key without deriving it again, and that
// scopes do not share keys.
func TestSigningKeys(t *testing.T) {
	var h Handler
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	derived := 0
	derive := func(s signingScope) []byte { derived++; return signingKey(s) }
	scope := signingScope{secret, "20150830", "us-east-1", "iam"}
	for i := range 2 {
		if got := hex.EncodeToString(h.signing.Get(scope, derive)); got != want {
			t.Fatalf("request %d: signing key %s, want %s", i, got, want)
		}
	}
	if derived != 1 {
		t.Fatalf("two requests of one scope derived %d keys, want 1", derived)
	}
	next := scope
	next.date = "20150831"
	if got := hex.EncodeToString(h.signing.Get(next, derive)); got == want || derived != 2 {
		t.Fatalf("another date: key %s after %d derivations; want another key, derived once more", got, derived)
	}
}
