package store

import (
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

// TestDisabledOperatorCannotSignIn: disabling signs the picker out of their
// PDA (their task goes back to the queue), refuses them on a PDA and on the
// status page, survives a restart and the ERP sending the operator again,
// and ends with enable.
func TestDisabledOperatorCannotSignIn(t *testing.T) {
	e := newEnv(t)
	e.pda("pda-1", "BADGE1")
	if err := e.db.SetOperatorDisabled(ctx, "op1", true); err != nil {
		t.Fatal(err)
	}
	for _, s := range e.db.Sessions() {
		if s.Operator == "op1" {
			t.Fatalf("still signed in: %+v", s)
		}
	}
	login := func() floorgate.Code {
		v, err := e.db.Login(ctx, "pda-1", "l", "BADGE1", "2468")
		if err != nil {
			t.Fatal(err)
		}
		return v.Code
	}
	if c := login(); c != floorgate.CodeBadLogin {
		t.Fatalf("disabled picker on a PDA: %s", c)
	}
	e.reopen()
	m, err := DecodeMaster([]byte(`{"operators":[{"id":"op1","name":"Picker","badge":"BADGE1","pin":"2468","role":"picker"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutMaster(ctx, m); err != nil {
		t.Fatal(err)
	}
	if op, _ := operatorByBadge(e.db, "BADGE1"); !op.Disabled {
		t.Fatal("the ERP's master data enabled the operator again")
	}
	if c := login(); c != floorgate.CodeBadLogin {
		t.Fatalf("after restart and master.put: %s", c)
	}
	if err := e.db.SetOperatorDisabled(ctx, "op1", false); err != nil {
		t.Fatal(err)
	}
	if c := login(); c != floorgate.CodeLoggedIn {
		t.Fatalf("enabled again: %s", c)
	}
	if err := e.db.SetOperatorDisabled(ctx, "nobody", true); floorgate.ErrorCode(err) != floorgate.ENOTFOUND {
		t.Fatalf("unknown operator: %v", err)
	}
}

// TestOperatorPINOrHash: master data takes a plain PIN or a PBKDF2 hash,
// not both, and refuses a malformed hash or a badge too long to scan.
func TestOperatorPINOrHash(t *testing.T) {
	e := newEnv(t)
	h, _ := floorgate.HashPIN("97531")
	for _, c := range []struct{ op, want string }{
		{`{"id":"a","name":"A","badge":"BA","pin":"1234","pin_hash":"` + h + `","role":"admin"}`, "operators[0].pin: give pin or pin_hash, not both"},
		{`{"id":"a","name":"A","badge":"BA","pin_hash":"md5$x","role":"admin"}`, "operators[0].pin_hash: must be pbkdf2-sha256"},
		{`{"id":"a","name":"A","badge":"BA","role":"admin"}`, "operators[0].pin: must be 4 to 12 digits"},
		{`{"id":"a","name":"A","badge":"BA","pin":"1234","role":"admin","extra":1}`, `unknown field "extra"`},
	} {
		if _, err := DecodeMaster([]byte(`{"operators":[` + c.op + `]}`)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.op, err, c.want)
		}
	}
	m, err := DecodeMaster([]byte(`{"operators":[{"id":"a","name":"A","badge":"` + strings.Repeat("B", MaxBadgeLen+1) + `","pin":"1234","role":"admin"}]}`))
	if err == nil {
		err = e.db.PutMaster(ctx, m)
	}
	if err == nil || !strings.Contains(err.Error(), "badge: longer than 64 bytes") {
		t.Fatalf("long badge: %v", err)
	}
	m, err = DecodeMaster([]byte(`{"operators":[{"id":"a","name":"A","badge":"BA","pin_hash":"` + h + `","role":"admin"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.PutMaster(ctx, m); err != nil {
		t.Fatal(err)
	}
	if op, code := e.db.Authenticate("BA", "97531", "192.0.2.9"); code != "" || op.ID != "a" {
		t.Fatalf("sign in with the PIN behind the hash: %s", code)
	}
	if err := e.db.SetOperatorPIN(ctx, "a", "2222", ""); err != nil {
		t.Fatal(err)
	}
	if _, code := e.db.Authenticate("BA", "2222", "192.0.2.9"); code != "" {
		t.Fatalf("new PIN: %s", code)
	}
}

// TestAPITokensAreHashedAndRevocable: a token's secret is given once and
// kept only as a hash; it checks until revoked, and after a restart.
func TestAPITokensAreHashedAndRevocable(t *testing.T) {
	e := newEnv(t)
	actx := Audited(ctx, AuditEntry{Actor: "local", Role: "local", Action: "token.create"})
	secret, tok, err := e.db.CreateToken(actx, "wms", ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "fgt_"+tok.ID+"_") || tok.Hash != "" || tok.CreatedBy != "local" {
		t.Fatalf("token %q %+v", secret, tok)
	}
	if _, _, err := e.db.CreateToken(actx, "wms", ScopeRead); floorgate.ErrorCode(err) != floorgate.ECONFLICT {
		t.Fatalf("a second live token of the same name: %v", err)
	}
	if _, _, err := e.db.CreateToken(actx, "x", "root"); floorgate.ErrorCode(err) != floorgate.EINVALID {
		t.Fatalf("scope root: %v", err)
	}
	e.reopen()
	if got, ok := e.db.CheckToken(secret); !ok || got.Scope != ScopeAdmin || got.Name != "wms" {
		t.Fatalf("after restart: %+v %v", got, ok)
	}
	var file strings.Builder
	if _, err := e.db.Backup(&file); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(file.String(), secret[len(secret)-40:]) {
		t.Fatal("the secret is in the database file")
	}
	for _, bad := range []string{secret + "0", secret[:len(secret)-1] + "x", "fgt_" + tok.ID, ""} {
		if _, ok := e.db.CheckToken(bad); ok {
			t.Errorf("%q checks", bad)
		}
	}
	if err := e.db.RevokeToken(Audited(ctx, AuditEntry{Actor: "local", Role: "local", Action: "token.revoke", Target: tok.ID}), tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.db.CheckToken(secret); ok {
		t.Fatal("a revoked token checks")
	}
	list := e.db.Tokens()
	if len(list) != 1 || list[0].Revoked.IsZero() || list[0].Hash != "" {
		t.Fatalf("list %+v", list)
	}
	log, _ := e.db.AuditLog(10)
	if len(log) < 2 || log[0].Action != "token.revoke" || log[1].Action != "token.create" {
		t.Fatalf("audit %+v", log)
	}
}

// operatorByBadge finds an operator in the list the API serves.
func operatorByBadge(db *DB, badge string) (floorgate.Operator, bool) {
	for _, op := range db.Operators() {
		if op.Badge == badge {
			return op, true
		}
	}
	return floorgate.Operator{}, false
}
