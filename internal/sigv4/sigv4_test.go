package sigv4

import (
	"encoding/hex"
	"testing"
)

// TestSigningKey: the example of AWS's Signature Version 4 documentation
// ("Examples of how to derive a signing key").
func TestSigningKey(t *testing.T) {
	got := hex.EncodeToString(SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam"))
	if want := "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"; got != want {
		t.Errorf("signing key %s, want %s", got, want)
	}
}

// TestAppendURIEncoded: unreserved characters stay, the rest (and '/' when
// asked) is percent-encoded in upper-case hex, an escape once more.
func TestAppendURIEncoded(t *testing.T) {
	for _, tc := range []struct {
		in          string
		encodeSlash bool
		want        string
	}{
		{"/a-b_c.d~e/", false, "/a-b_c.d~e/"},
		{"/a%20b/", false, "/a%2520b/"},
		{"a/b c", true, "a%2Fb%20c"},
		{"ü", true, "%C3%BC"},
		{"", false, ""},
	} {
		if got := string(AppendURIEncoded([]byte("x"), tc.in, tc.encodeSlash)); got != "x"+tc.want {
			t.Errorf("%q (encodeSlash %v): %q, want %q", tc.in, tc.encodeSlash, got, "x"+tc.want)
		}
	}
}
