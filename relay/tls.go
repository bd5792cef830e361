package relay

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"
)

// devCertValidity is how long DevCertificate's certificates are valid.
const devCertValidity = 90 * 24 * time.Hour

// DevCertificate generates, for development, a self-signed CA and a server
// certificate it signs for hosts (DNS names or IP addresses; default "localhost"
// and 127.0.0.1). It returns a TLS configuration serving that certificate (set it
// as Options.TLS: wss and DTLS) and the CA certificate in PEM, which clients trust
// (the relay hands it in the login result). Keys are ECDSA P-256, valid 90 days.
func DevCertificate(hosts ...string) (*tls.Config, []byte, error) {
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1"}
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("relay: dev certificate: CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Matchpoint development CA", Organization: []string{"Matchpoint dev"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(devCertValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("relay: dev certificate: CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, fmt.Errorf("relay: dev certificate: CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("relay: dev certificate: server key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"Matchpoint dev"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(devCertValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("relay: dev certificate: server: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der, caDER}, PrivateKey: key}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, caPEM, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

// caCertOf returns the PEM CA certificate the login result carries: Options.CACertPEM,
// or with TLS the last certificate of a chain of more than one.
func caCertOf(o Options) ([]byte, error) {
	if len(o.CACertPEM) > 0 {
		if block, _ := pem.Decode(o.CACertPEM); block == nil || block.Type != "CERTIFICATE" {
			return nil, errors.New("relay: CACertPEM is not a PEM certificate")
		}
		return o.CACertPEM, nil
	}
	if o.TLS == nil {
		return nil, nil
	}
	if len(o.TLS.Certificates) == 0 {
		return nil, errors.New("relay: Options.TLS has no certificate")
	}
	chain := o.TLS.Certificates[0].Certificate
	if len(chain) < 2 {
		return nil, nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chain[len(chain)-1]}), nil
}
