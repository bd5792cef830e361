// Package sigv4 holds the parts of AWS Signature Version 4 that signing a
// request and verifying one share: the signing key and the canonical URI
// encoding. The GameLift face verifies with them (matchmaker/api) and
// `matchpoint bench gamesessions` signs with them.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
)

// SigningKey derives the signing key of secret for date (yyyyMMdd), region
// and service: four HMAC-SHA256s, which callers keep for the day.
func SigningKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), date)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// AppendURIEncoded appends s percent-encoded: everything but RFC 3986
// unreserved characters (and '/', unless encodeSlash). A path is encoded so
// once more, already escaped, as the AWS signers do for every service but
// S3.
func AppendURIEncoded(b []byte, s string, encodeSlash bool) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == '/' && !encodeSlash:
			b = append(b, c)
		default:
			b = append(b, '%', hexDigits[c>>4], hexDigits[c&15])
		}
	}
	return b
}
