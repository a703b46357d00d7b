package gateway

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
	"os"
	"path/filepath"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/internal/atomicfile"
)

// checkPrivate refuses a secret file that other users may read.
func checkPrivate(field, path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s: %s is readable by other users (mode %04o): run chmod 600 %s", field, path, fi.Mode().Perm(), path)
	}
	return nil
}

// serverTLS returns the listener's TLS configuration and its certificate's
// fingerprint, as the configuration asks: nil with mode off.
func (g *Gateway) serverTLS() (*tls.Config, string, error) {
	var cert tls.Certificate
	var err error
	switch g.Config.TLS.Mode {
	case "off":
		return nil, "", nil
	case "files":
		if err := checkPrivate("tls.key_file", g.Config.TLS.KeyFile); err != nil {
			return nil, "", fmt.Errorf("config: %w", err)
		}
		cert, err = tls.LoadX509KeyPair(g.Config.TLS.CertFile, g.Config.TLS.KeyFile)
		if err != nil {
			return nil, "", fmt.Errorf("config: tls: %w", err)
		}
	default:
		cert, err = selfSigned(filepath.Join(g.Config.StateDir, "tls"), g.Clock.Now())
		if err != nil {
			return nil, "", err
		}
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, floorgate.Fingerprint(cert.Certificate[0]), nil
}

// selfSigned loads the gateway's own certificate from dir, making one on
// first start: ECDSA P-256, valid ten years, for this machine's names and
// addresses. PDAs trust it by its fingerprint, shown on the status page
// and in the pairing QR code.
func selfSigned(dir string, now time.Time) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if cert, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
		return cert, checkPrivate("tls", keyPath)
	} else if !errors.Is(err, os.ErrNotExist) {
		return tls.Certificate{}, fmt.Errorf("tls: %s: %w", dir, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: new key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: serial: %w", err)
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "floorgate " + host, Organization: []string{"floorgate"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	for _, a := range lanAddrs() {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(a))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: self-sign: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, fmt.Errorf("tls: %w", err)
	}
	if err := atomicfile.Write(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return tls.Certificate{}, err
	}
	if err := atomicfile.Write(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return tls.Certificate{}, err
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}
