package floorgate

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Fingerprint is a certificate's SHA-256 over its DER bytes, as colon-
// separated upper-case hex: what a person compares on a PDA's screen, and
// what a client pins to trust a gateway's self-signed certificate.
func Fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return colonHex(sum[:])
}

// NormalFingerprint is a fingerprint as a person may type it (lower case,
// spaces, with or without colons) in the form Fingerprint returns, or ""
// when it is not 32 bytes of hex.
func NormalFingerprint(s string) string {
	h := strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s))
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != sha256.Size {
		return ""
	}
	return colonHex(b)
}

// colonHex is b as upper-case hex, its bytes separated by colons.
func colonHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var out strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			out.WriteByte(':')
		}
		out.WriteString(h[i : i+2])
	}
	return out.String()
}
