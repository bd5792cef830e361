package api

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The signing of the AWS documentation written plainly, as verifySigV4 did
// before it built the canonical request in a buffer: the reference the
// differential tests hold the buffered one to.

func referenceCanonicalRequest(r *http.Request, signed []string, body []byte) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	} else {
		path = referenceURIEncode(path, false)
	}
	b.WriteString(path)
	b.WriteByte('\n')
	b.WriteString(referenceQuery(r))
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(referenceHeaderValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(fmt.Sprintf("%x", sha256.Sum256(body)))
	return b.String()
}

func referenceQuery(r *http.Request) string {
	q := r.URL.Query()
	var parts []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range q {
			if !yield(k) {
				return
			}
		}
	}) {
		vals := slices.Clone(q[k])
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, referenceURIEncode(k, true)+"="+referenceURIEncode(v, true))
		}
	}
	return strings.Join(parts, "&")
}

func referenceHeaderValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(name)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(out, ",")
}

func referenceURIEncode(s string, encodeSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func referenceSignedHeadersValid(signed string) bool {
	names := strings.Split(signed, ";")
	return sort.StringsAreSorted(names) && slices.Contains(names, "host") && slices.Contains(names, "x-amz-date")
}

// checkCanonicalRequest builds a request from a target, a header value and
// the signed header names, and fails unless the buffered canonical request
// and the signed headers' check agree with the reference.
func checkCanonicalRequest(t *testing.T, target, value, signed string, body []byte) {
	t.Helper()
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return
	}
	r := httptest.NewRequest("POST", "/", nil)
	r.URL = u
	r.Header.Set("X-Amz-Date", "20260102T030405Z")
	r.Header.Add("X-Amz-Target", value)
	r.Header.Add("X-Amz-Target", strings.ToUpper(value))
	r.Header["x-lower"] = []string{value}
	got := string(appendCanonicalRequest(nil, r, signed, body))
	if want := referenceCanonicalRequest(r, strings.Split(signed, ";"), body); got != want {
		t.Fatalf("target %q value %q signed %q: canonical request\n%q\nwant\n%q", target, value, signed, got, want)
	}
	if got, want := signedHeadersValid(signed), referenceSignedHeadersValid(signed); got != want {
		t.Fatalf("signed headers %q valid: %v, want %v", signed, got, want)
	}
}

func TestCanonicalRequestIsReference(t *testing.T) {
	for _, c := range []struct{ target, value, signed string }{
		{"/", "GameLift.StartMatchmaking", "content-type;host;x-amz-date;x-amz-target"},
		{"/", "  two  spaces\tand tab ", "host;x-amz-date;x-amz-target"},
		{"/", "non-ascii\u00a0space", "host;x-amz-date;x-amz-target"},
		{"/a%20b/c~d", "v", "content-length;host;x-amz-date"},
		{"/?b=2&a=1&a=0&c=%2F", "v", "host;x-amz-date"},
		{"/", "v", "host;x-amz-date;x-lower;x_under;x-amz-target"},
		{"/", "v", "x-amz-date;host"},
		{"/", "v", "host"},
		{"/", "", "host;;x-amz-date"},
	} {
		checkCanonicalRequest(t, c.target, c.value, c.signed, []byte(`{"a":1}`))
	}
}

// FuzzCanonicalRequest holds the buffered canonical request to the
// reference for any path, query, header value and signed header list.
func FuzzCanonicalRequest(f *testing.F) {
	f.Add("/", "GameLift.StartMatchmaking", "content-type;host;x-amz-date;x-amz-target", []byte("{}"))
	f.Add("/x?q=1&q=0", " a  b ", "host;x-amz-date;x-amz-target", []byte(""))
	f.Fuzz(func(t *testing.T, target, value, signed string, body []byte) {
		checkCanonicalRequest(t, target, value, signed, body)
	})
}
