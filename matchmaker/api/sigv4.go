package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxClockSkew is how far a signed request's date may be from now.
const maxClockSkew = 15 * time.Minute

// sigV4Service is the service name in the credential scope.
const sigV4Service = "gamelift"

type authError struct {
	typ, msg string
}

// verifySigV4 checks an AWS Signature Version 4 Authorization header: the
// key id names a configured API key, the scope is <date>/<region>/gamelift/
// aws4_request, X-Amz-Date is within 15 minutes of now, host and x-amz-date
// are signed, and the signature over the canonical request (method, path,
// query, signed headers, SHA-256 of the body) matches.
func (h *Handler) verifySigV4(r *http.Request, body []byte) *authError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return &authError{"MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return &authError{"IncompleteSignatureException", "Authorization: want AWS4-HMAC-SHA256"}
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return &authError{"IncompleteSignatureException", "Authorization: malformed component " + strconv.Quote(part)}
		}
		fields[k] = v
	}
	cred, signed, sig := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	if cred == "" || signed == "" || sig == "" {
		return &authError{"IncompleteSignatureException", "Authorization: Credential, SignedHeaders and Signature are required"}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[3] != sigV4Service || scope[4] != "aws4_request" {
		return &authError{"IncompleteSignatureException", "Authorization: Credential must be <key id>/<date>/<region>/gamelift/aws4_request"}
	}
	secret, ok := h.keys[scope[0]]
	if !ok {
		return &authError{"UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	when, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return &authError{"IncompleteSignatureException", "X-Amz-Date: want yyyyMMddTHHmmssZ"}
	}
	if d := h.now().Sub(when); d > maxClockSkew || d < -maxClockSkew {
		return &authError{"InvalidSignatureException", "Signature expired: X-Amz-Date is more than 15 minutes from the server's time."}
	}
	if scope[1] != amzDate[:8] {
		return &authError{"InvalidSignatureException", "Credential: the scope date does not match X-Amz-Date"}
	}
	names := strings.Split(signed, ";")
	if !sort.StringsAreSorted(names) || !containsAll(names, "host", "x-amz-date") {
		return &authError{"InvalidSignatureException", "SignedHeaders: must be sorted and include host and x-amz-date"}
	}
	canonical := canonicalRequest(r, names, body)
	stringToSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + strings.Join(scope[1:], "/") + "\n" + hexSHA256([]byte(canonical))
	key := h.signing.key(secret, scope[1], scope[2], scope[3])
	want := hex.EncodeToString(hmacSHA256(key, stringToSign))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return &authError{"InvalidSignatureException", "The request signature we calculated does not match the signature you provided."}
	}
	return nil
}

// signingRegion returns the region of a verified request's credential
// scope (<key id>/<date>/<region>/gamelift/aws4_request).
func signingRegion(r *http.Request) string {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	cred, _, _ = strings.Cut(cred, ",")
	if scope := strings.Split(cred, "/"); len(scope) == 5 {
		return scope[2]
	}
	return ""
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, l := range list {
			if l == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func canonicalRequest(r *http.Request, signed []string, body []byte) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(escapePath(r.URL.EscapedPath()))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.Query()))
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(hexSHA256(body))
	return b.String()
}

func headerValue(r *http.Request, name string) string {
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

func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, uriEncode(k, true)+"="+uriEncode(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// escapePath encodes an (already escaped) path once more, as the AWS
// signers do for every service but S3.
func escapePath(p string) string {
	if p == "" {
		return "/"
	}
	return uriEncode(p, false)
}

// uriEncode percent-encodes everything but RFC 3986 unreserved characters
// (and '/', unless encodeSlash).
func uriEncode(s string, encodeSlash bool) string {
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

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// maxSigningKeys bounds the signing keys a Handler keeps: one per API key,
// day, region and service in use, so a handful; past the bound (a client
// cycling through scopes) the cache starts over.
const maxSigningKeys = 64

// signingKeys caches SigV4 signing keys, as the AWS SDKs do on their side:
// a key depends only on the secret, the date, the region and the service,
// and deriving it costs four HMACs per request. The zero value is ready.
type signingKeys struct {
	mu   sync.Mutex
	keys map[string][]byte
}

// key returns the signing key of secret for date (yyyyMMdd), region and
// service.
func (c *signingKeys) key(secret, date, region, service string) []byte {
	id := secret + "\x00" + date + "\x00" + region + "\x00" + service
	c.mu.Lock()
	k, ok := c.keys[id]
	c.mu.Unlock()
	if ok {
		return k
	}
	k = hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "aws4_request")
	c.mu.Lock()
	if c.keys == nil || len(c.keys) >= maxSigningKeys {
		c.keys = make(map[string][]byte)
	}
	c.keys[id] = k
	c.mu.Unlock()
	return k
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// requestID returns a random request id for X-Amzn-RequestId.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
