package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/floorgate/floorgate/gateway"
)

// certWarnWithin is how soon a certificate's expiry is worth a warning.
const certWarnWithin = 14 * 24 * time.Hour

// credentialsCheck checks every configured certificate and key file: it
// reads, keys are private to their owner, certificates are current and
// match their keys.
type credentialsCheck struct{}

var _ Check = credentialsCheck{}

func (credentialsCheck) Name() string { return "credentials" }

func (c credentialsCheck) Run(_ context.Context, s *Site) []Finding {
	creds := credentials(s.Config)
	if len(creds) == 0 {
		return []Finding{passed(c.Name(), "no certificate or key files configured (tls.mode %s)", s.Config.TLS.Mode)}
	}
	var out []Finding
	for _, cr := range creds {
		out = append(out, checkCredential(s, cr))
	}
	return out
}

// credential is one configured certificate or key file.
type credential struct {
	field, path string
	key         bool
	pair        string // the field of the matching cert or key, if any
	pairPath    string
}

// credentials lists the configured certificate and key files.
func credentials(c gateway.Config) []credential {
	var out []credential
	add := func(field, path string, key bool, pair, pairPath string) {
		if path != "" {
			out = append(out, credential{field, path, key, pair, pairPath})
		}
	}
	add("mqtt.ca_file", c.MQTT.CAFile, false, "", "")
	add("mqtt.cert_file", c.MQTT.CertFile, false, "mqtt.key_file", c.MQTT.KeyFile)
	add("mqtt.key_file", c.MQTT.KeyFile, true, "", "")
	if c.TLS.Mode == "files" {
		add("tls.cert_file", c.TLS.CertFile, false, "tls.key_file", c.TLS.KeyFile)
		add("tls.key_file", c.TLS.KeyFile, true, "", "")
	}
	return out
}

// checkCredential checks one file: a key's mode, or a certificate's
// validity and its match with its key.
func checkCredential(s *Site, c credential) Finding {
	check := "credentials " + c.field
	raw, err := os.ReadFile(c.path)
	if err != nil {
		return failed(check, fmt.Sprintf("put the file in place and make it readable by the daemon's user, or edit %s", s.configName()),
			"cannot read %s: %v", c.path, err)
	}
	if c.key {
		st, err := os.Stat(c.path)
		if err != nil {
			return failed(check, "check the file", "stat %s: %v", c.path, err)
		}
		if mode := st.Mode().Perm(); mode&0o077 != 0 {
			return failed(check, "chmod 600 "+c.path, "private key %s is readable by group or others (mode %04o)", c.path, mode)
		}
		return passed(check, "%s: private key, mode %04o", c.path, st.Mode().Perm())
	}
	certs, err := parseCerts(raw)
	if err != nil {
		return failed(check, "give a PEM certificate file", "%s: %v", c.path, err)
	}
	if f, bad := certValidity(s.Now(), check, c.path, certs); bad {
		return f
	}
	what := fmt.Sprintf("%s: %s, valid until %s", c.path, certs[0].Subject, certs[0].NotAfter.UTC().Format(time.DateOnly))
	if c.pair != "" {
		keyPEM, err := os.ReadFile(c.pairPath)
		if err == nil {
			if _, err = tls.X509KeyPair(raw, keyPEM); err != nil {
				return failed(check, fmt.Sprintf("give the key %s was issued for, or edit %s", c.path, s.configName()),
					"%s does not match %s %s: %v", c.path, c.pair, c.pairPath, err)
			}
			what += ", matches " + c.pair
		}
	}
	return passed(check, "%s", what)
}

// certValidity FAILs a certificate that is expired or not yet valid at
// now and WARNs one that expires within certWarnWithin; bad reports a
// FAIL or WARN.
func certValidity(now time.Time, check, path string, certs []*x509.Certificate) (f Finding, bad bool) {
	for _, c := range certs {
		switch {
		case now.After(c.NotAfter):
			return failed(check, "renew the certificate and replace "+path,
				"%s: %s expired on %s", path, c.Subject, c.NotAfter.UTC().Format(time.DateOnly)), true
		case now.Before(c.NotBefore):
			return failed(check, "check the clock (see the clock check) or the certificate",
				"%s: %s is not valid before %s", path, c.Subject, c.NotBefore.UTC().Format(time.DateOnly)), true
		case c.NotAfter.Sub(now) < certWarnWithin:
			return warned(check, "renew the certificate and replace "+path,
				"%s: %s expires on %s, within %d days", path, c.Subject, c.NotAfter.UTC().Format(time.DateOnly), int(certWarnWithin.Hours()/24)), true
		}
	}
	return Finding{}, false
}

// parseCerts reads every certificate of a PEM file.
func parseCerts(raw []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, raw = pem.Decode(raw)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate in it")
	}
	return out, nil
}
