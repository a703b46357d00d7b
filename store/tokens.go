package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/floorgate/floorgate"
)

// API token scopes.
const (
	ScopeRead  = "read"  // every read of the API
	ScopeAdmin = "admin" // reads and every change an admin may make
)

// tokenPrefix starts every API token, so a leaked one is easy to find in
// logs and repositories.
const tokenPrefix = "fgt_"

// maxTokens bounds the tokens a gateway keeps (revoked ones included).
const maxTokens = 1000

// APIToken is a credential a third party's program presents instead of a
// person's session. Only its hash is kept; the secret is shown once, when
// it is made.
type APIToken struct {
	// ID is public: it names the token in lists, the audit log and
	// revocation, and is part of the secret.
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Scope     string    `json:"scope"`
	Hash      string    `json:"hash,omitempty"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Revoked   time.Time `json:"revoked,omitzero"`
}

// CreateToken makes an API token and returns its secret, the only time the
// secret exists outside the caller. The creation is audited with ctx's
// entry.
func (db *DB) CreateToken(ctx context.Context, name, scope string) (string, APIToken, error) {
	if err := validID("token name", name); err != nil {
		return "", APIToken{}, fmt.Errorf("create token: %w", err)
	}
	if scope != ScopeRead && scope != ScopeAdmin {
		return "", APIToken{}, fmt.Errorf("create token: %w", floorgate.Errorf(floorgate.EINVALID, "scope %q is not read or admin", scope))
	}
	id, secret := randomHex(6), randomHex(32)
	full := tokenPrefix + id + "_" + secret
	by := "unknown"
	if e, ok := AuditFrom(ctx); ok {
		by = e.Actor
	}
	t := &APIToken{ID: id, Name: name, Scope: scope, Hash: TokenHash(full), Created: db.clock.Now(), CreatedBy: by}
	err := db.write(ctx, func(w *wtx) error {
		if len(w.st.tokens) >= maxTokens {
			return floorgate.Errorf(floorgate.ECONFLICT, "the gateway already keeps %d API tokens", maxTokens)
		}
		for _, o := range w.st.tokens {
			if o.Name == name && o.Revoked.IsZero() {
				return floorgate.Errorf(floorgate.ECONFLICT, "a token named %q exists: revoke it first", name)
			}
		}
		setIn(w, w.st.tokens, id, t)
		return w.put(bucketTokens, id, t)
	})
	if err != nil {
		return "", APIToken{}, fmt.Errorf("create token: %w", err)
	}
	out := *t
	out.Hash = ""
	return full, out, nil
}

// Tokens lists the API tokens, without their hashes, oldest first.
func (db *DB) Tokens() []APIToken {
	db.mu.RLock()
	defer db.mu.RUnlock()
	out := make([]APIToken, 0, len(db.st.tokens))
	for _, t := range db.st.tokens {
		x := *t
		x.Hash = ""
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Created.Before(out[j].Created) || out[i].Created.Equal(out[j].Created) && out[i].ID < out[j].ID
	})
	return out
}

// RevokeToken ends a token at once; it is kept, revoked, for the record.
func (db *DB) RevokeToken(ctx context.Context, id string) error {
	err := db.write(ctx, func(w *wtx) error {
		old := w.st.tokens[id]
		if old == nil {
			return floorgate.Errorf(floorgate.ENOTFOUND, "no API token %q", id)
		}
		if !old.Revoked.IsZero() {
			return nil
		}
		t := *old
		t.Revoked = db.clock.Now()
		setIn(w, w.st.tokens, id, &t)
		return w.put(bucketTokens, id, &t)
	})
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	return nil
}

// CheckToken returns the live token whose secret this is.
func (db *DB) CheckToken(secret string) (APIToken, bool) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	if !ok {
		return APIToken{}, false
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok {
		return APIToken{}, false
	}
	db.mu.RLock()
	t := db.st.tokens[id]
	db.mu.RUnlock()
	if t == nil || !t.Revoked.IsZero() || subtle.ConstantTimeCompare([]byte(TokenHash(secret)), []byte(t.Hash)) != 1 {
		return APIToken{}, false
	}
	out := *t
	out.Hash = ""
	return out, true
}

// randomHex is n random bytes in hex: ids, secrets.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
