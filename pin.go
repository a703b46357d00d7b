package floorgate

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// PINIterations is the PBKDF2-HMAC-SHA256 work factor for new PIN hashes.
// PINs are short, so the hash only slows an attacker holding a copy of the
// database; online guessing is stopped by the login lockout.
const PINIterations = 100_000

// HashPIN returns a salted PBKDF2-HMAC-SHA256 hash of pin in the form
// pbkdf2-sha256$iterations$salt$hash (base64, no padding).
func HashPIN(pin string) (string, error) {
	return hashPIN(pin, PINIterations)
}

func hashPIN(pin string, iter int) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash pin: %w", err)
	}
	key, err := pbkdf2.Key(sha256.New, pin, salt, iter, 32)
	if err != nil {
		return "", fmt.Errorf("hash pin: %w", err)
	}
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", iter, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPIN reports whether pin matches hash. A malformed hash never matches.
func CheckPIN(hash, pin string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1000 || iter > 10_000_000 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[2])
	want, err2 := b64.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pin, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// ValidPINHash reports whether h has the form HashPIN produces.
func ValidPINHash(h string) bool {
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	return err == nil && iter >= 1000 && parts[2] != "" && parts[3] != ""
}
