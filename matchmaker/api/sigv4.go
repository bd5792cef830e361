package api

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/sigv4"
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
// query, signed headers, SHA-256 of the body) matches. Every GameLift call
// pays it, so the canonical request and the string to sign are built in
// buffers on the stack (BenchmarkVerifySigV4).
func (h *Handler) verifySigV4(r *http.Request, body []byte) *authError {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return &authError{"MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return &authError{"IncompleteSignatureException", "Authorization: want AWS4-HMAC-SHA256"}
	}
	var cred, signed, sig string
	for part := range strings.SplitSeq(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return &authError{"IncompleteSignatureException", "Authorization: malformed component " + strconv.Quote(part)}
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	if cred == "" || signed == "" || sig == "" {
		return &authError{"IncompleteSignatureException", "Authorization: Credential, SignedHeaders and Signature are required"}
	}
	scope, ok := splitScope(cred)
	if !ok || scope[3] != sigV4Service || scope[4] != "aws4_request" {
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
	if !signedHeadersValid(signed) {
		return &authError{"InvalidSignatureException", "SignedHeaders: must be sorted and include host and x-amz-date"}
	}
	var canonical [1024]byte
	sum := sha256.Sum256(appendCanonicalRequest(canonical[:0], r, signed, body))
	var sts [256]byte
	toSign := append(sts[:0], "AWS4-HMAC-SHA256\n"...)
	toSign = append(toSign, amzDate...)
	toSign = append(toSign, '\n')
	toSign = append(toSign, cred[len(scope[0])+1:]...)
	toSign = append(toSign, '\n')
	toSign = hex.AppendEncode(toSign, sum[:])
	m := hmac.New(sha256.New, h.signing.Get(signingScope{secret, scope[1], scope[2], scope[3]}, signingKey))
	m.Write(toSign)
	var mac [sha256.Size]byte
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], m.Sum(mac[:0]))
	if !hmac.Equal(want[:], []byte(sig)) {
		return &authError{"InvalidSignatureException", "The request signature we calculated does not match the signature you provided."}
	}
	return nil
}

// splitScope splits a credential (<key id>/<date>/<region>/<service>/
// <terminator>) in its five parts; false when it has another number.
func splitScope(cred string) (scope [5]string, ok bool) {
	for i := range 4 {
		if scope[i], cred, ok = strings.Cut(cred, "/"); !ok {
			return scope, false
		}
	}
	scope[4] = cred
	return scope, !strings.Contains(cred, "/")
}

// signingRegion returns the region of a verified request's credential
// scope (<key id>/<date>/<region>/gamelift/aws4_request).
func signingRegion(r *http.Request) string {
	_, cred, _ := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	cred, _, _ = strings.Cut(cred, ",")
	if scope, ok := splitScope(cred); ok {
		return scope[2]
	}
	return ""
}

// signedHeadersValid reports whether SignedHeaders (names separated by
// ';') is sorted and names host and x-amz-date.
func signedHeadersValid(signed string) bool {
	var prev string
	var host, date, later bool
	for name := range strings.SplitSeq(signed, ";") {
		if later && name < prev {
			return false
		}
		prev, later = name, true
		host = host || name == "host"
		date = date || name == "x-amz-date"
	}
	return host && date
}

// appendCanonicalRequest appends the canonical request of r to b: method,
// path, query, the signed headers (names separated by ';') with their
// values, the names, and the body's SHA-256.
func appendCanonicalRequest(b []byte, r *http.Request, signed string, body []byte) []byte {
	b = append(b, r.Method...)
	b = append(b, '\n')
	if p := r.URL.EscapedPath(); p == "" {
		b = append(b, '/')
	} else {
		b = sigv4.AppendURIEncoded(b, p, false)
	}
	b = append(b, '\n')
	if r.URL.RawQuery != "" {
		b = append(b, canonicalQuery(r.URL.Query())...)
	}
	b = append(b, '\n')
	for name := range strings.SplitSeq(signed, ";") {
		b = append(b, name...)
		b = append(b, ':')
		b = appendHeaderValue(b, r, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, signed...)
	b = append(b, '\n')
	sum := sha256.Sum256(body)
	return hex.AppendEncode(b, sum[:])
}

// appendHeaderValue appends the canonical value of the header name
// (lower case): its values joined by ',', each with its runs of spaces made
// one and trimmed.
func appendHeaderValue(b []byte, r *http.Request, name string) []byte {
	switch name {
	case "host":
		return append(b, r.Host...)
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return append(b, v...)
		}
		return strconv.AppendInt(b, r.ContentLength, 10)
	}
	for i, v := range headerValues(r.Header, name) {
		if i > 0 {
			b = append(b, ',')
		}
		if spacesCanonical(v) {
			b = append(b, v...)
		} else {
			b = append(b, strings.Join(strings.Fields(v), " ")...)
		}
	}
	return b
}

// headerValues is h.Values(name) for a lower-case name, without the
// allocation of canonicalizing it (textproto.CanonicalMIMEHeaderKey) when it
// is made of letters, digits and '-'.
func headerValues(h http.Header, name string) []string {
	var key [64]byte
	if len(name) > len(key) {
		return h.Values(name)
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z':
			if upper {
				c -= 'a' - 'A'
			}
		case 'A' <= c && c <= 'Z':
			if !upper {
				c += 'a' - 'A'
			}
		case '0' <= c && c <= '9', c == '-':
		default:
			return h.Values(name)
		}
		key[i] = c
		upper = c == '-'
	}
	return h[string(key[:len(name)])]
}

// spacesCanonical reports whether v is ASCII with no leading, trailing or
// repeated space and no other white space: strings.Fields would leave it as
// it is.
func spacesCanonical(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 0x80, c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			return false
		case c == ' ' && (i == 0 || i == len(v)-1 || v[i-1] == ' '):
			return false
		}
	}
	return true
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
			parts = append(parts, string(sigv4.AppendURIEncoded(nil, k, true))+"="+string(sigv4.AppendURIEncoded(nil, v, true)))
		}
	}
	return strings.Join(parts, "&")
}

// signingScope is what a SigV4 signing key depends on: the secret, the date
// (yyyyMMdd), the region and the service. A Handler keeps the keys of the
// scopes in use, as the AWS SDKs do on their side: deriving one costs four
// HMACs.
type signingScope struct{ secret, date, region, service string }

// signingKey derives the signing key of s.
func signingKey(s signingScope) []byte {
	return sigv4.SigningKey(s.secret, s.date, s.region, s.service)
}

// requestID returns a random request id for X-Amzn-RequestId.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
