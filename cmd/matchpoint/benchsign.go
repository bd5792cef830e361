package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"time"

	"github.com/matchpoint-dev/matchpoint/internal/sigv4"
)

// benchSigner signs bench gamesessions' requests with AWS Signature
// Version 4, as the AWS SDKs sign a GameLift call, for the one shape they
// have: a POST of a JSON 1.1 body to path, with no query, whose signed
// headers are Content-Type, Host, X-Amz-Date and X-Amz-Target. It costs a
// fraction of the SDK's signer, which builds an http.Request and its
// canonical form from maps for each call: the generator shares the machine
// with the matchmaker it measures. It keeps the day's signing key and the
// second's date, and is not safe for concurrent use.
type benchSigner struct {
	keyID, secret, region string
	host, path            string

	mac     hash.Hash // HMAC-SHA256 under the day's signing key
	day     string    // yyyyMMdd of mac's key
	scope   string    // the credential scope of day
	sec     int64     // the Unix second of amzDate
	amzDate string

	canonical, toSign []byte
}

// gameLiftSignedHeaders are the headers benchSigner signs, sorted.
const gameLiftSignedHeaders = "content-type;host;x-amz-date;x-amz-target"

// appendHeaders appends to h the header lines ("Name: value\r\n") of a
// call of action with body, signed at now: X-Amz-Target, X-Amz-Date and
// Authorization.
func (s *benchSigner) appendHeaders(h []byte, action string, body []byte, now time.Time) []byte {
	now = now.UTC()
	if now.Unix() != s.sec || s.amzDate == "" {
		s.sec, s.amzDate = now.Unix(), now.Format("20060102T150405Z")
	}
	if day := s.amzDate[:8]; day != s.day {
		s.mac, s.day = hmac.New(sha256.New, sigv4.SigningKey(s.secret, day, s.region, "gamelift")), day
		s.scope = day + "/" + s.region + "/gamelift/aws4_request"
	}
	c := append(s.canonical[:0], "POST\n"...)
	if s.path == "" {
		c = append(c, '/')
	}
	c = sigv4.AppendURIEncoded(c, s.path, false)
	c = append(c, "\n\ncontent-type:"+gameLiftContentType+"\nhost:"...)
	c = append(c, s.host...)
	c = append(c, "\nx-amz-date:"...)
	c = append(c, s.amzDate...)
	c = append(c, "\nx-amz-target:GameLift."...)
	c = append(c, action...)
	c = append(c, "\n\n"+gameLiftSignedHeaders+"\n"...)
	sum := sha256.Sum256(body)
	c = hex.AppendEncode(c, sum[:])
	s.canonical = c
	sum = sha256.Sum256(c)
	t := append(s.toSign[:0], "AWS4-HMAC-SHA256\n"...)
	t = append(t, s.amzDate...)
	t = append(t, '\n')
	t = append(t, s.scope...)
	t = append(t, '\n')
	t = hex.AppendEncode(t, sum[:])
	s.toSign = t
	s.mac.Reset()
	s.mac.Write(t)
	sig := s.mac.Sum(sum[:0])

	h = append(h, "X-Amz-Target: GameLift."...)
	h = append(h, action...)
	h = append(h, "\r\nX-Amz-Date: "...)
	h = append(h, s.amzDate...)
	h = append(h, "\r\nAuthorization: AWS4-HMAC-SHA256 Credential="...)
	h = append(h, s.keyID...)
	h = append(h, '/')
	h = append(h, s.scope...)
	h = append(h, ", SignedHeaders="+gameLiftSignedHeaders+", Signature="...)
	h = hex.AppendEncode(h, sig)
	return append(h, "\r\n"...)
}
