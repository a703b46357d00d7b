package web

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/store"
)

// served is a test server's handler table on a real loopback listener and
// a real local socket.
type served struct {
	*testServer
	base   string         // http://127.0.0.1:PORT
	tcp    *client.Client // over TCP, with no credentials of its own
	socket *client.Client // over the local socket
}

func serve(t *testing.T, mods ...func(*store.Options)) *served {
	t.Helper()
	return serveServer(t, newTestServer(t, mods...))
}

// serveServer serves ts.s, as ts holds it now.
func serveServer(t *testing.T, ts *testServer) *served {
	t.Helper()
	h := ts.s.Handler()
	tcp := httptest.NewServer(h)
	t.Cleanup(tcp.Close)
	path := filepath.Join(t.TempDir(), "fg.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ConnContext: LocalConnContext}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	anon, err := client.Remote(tcp.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &served{testServer: ts, base: tcp.URL, tcp: anon, socket: client.Local(path)}
}

// do sends a request through c as it is given and returns the status and
// body.
func do(t *testing.T, c *client.Client, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	resp, err := c.Raw(context.Background(), method, path, rd, h)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// changes is every state-changing route with a body it would accept.
var changes = []struct{ method, path, body string }{
	{"POST", "/api/v1/tasks", `{"tasks":[{"id":"T9","order":"O9","lines":[{"location":"L","sku":"S","qty":1}]}]}`},
	{"POST", "/api/v1/tasks/T1/cancel", `{"reason":"x"}`},
	{"POST", "/api/v1/tasks/T1/reassign", `{"device":"pda-1"}`},
	{"POST", "/api/v1/devices/pda-1/disable", ``},
	{"POST", "/api/v1/devices/pda-1/enable", ``},
	{"POST", "/api/v1/devices/enrol", ``},
	{"POST", "/api/v1/printjobs/J1/reprint", `{"reason":"x"}`},
	{"POST", "/api/v1/deadletters/1/retry", ``},
	{"GET", "/api/v1/backup", ``},
	{"POST", "/api/v1/master", `{"operators":[{"id":"evil","name":"E","badge":"EVIL","pin":"1111","role":"admin"}]}`},
	{"POST", "/api/v1/operators", `{"id":"evil","name":"E","badge":"EVIL","pin":"1111","role":"admin"}`},
	{"POST", "/api/v1/operators/pick1/pin", `{"pin":"1111"}`},
	{"POST", "/api/v1/operators/pick1/disable", ``},
	{"POST", "/api/v1/operators/pick1/enable", ``},
	{"GET", "/api/v1/tokens", ``},
	{"POST", "/api/v1/tokens", `{"name":"evil","scope":"admin"}`},
	{"POST", "/api/v1/tokens/abc/revoke", ``},
	{"POST", "/api/v1/waves/PEAK-1/release", ``},
	{"POST", "/api/v1/exceptions/X1/resolve", `{"action":"send_to_erp"}`},
}

// TestEveryChangeIsTried: every admin and supervise route in the handler
// table is in changes, so the tests below try each.
func TestEveryChangeIsTried(t *testing.T) {
	listed := map[string]bool{}
	for _, c := range changes {
		listed[c.method+" "+c.path] = true
	}
	for _, rt := range New(Options{}).Routes() {
		if rt.Access != Admin && rt.Access != Supervise {
			continue
		}
		found := false
		for k := range listed {
			m, p, _ := strings.Cut(k, " ")
			if m == rt.Method() && pathMatches(rt.Path(), p) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s route %s is not tried by the access tests", rt.Access, rt.Pattern)
		}
	}
}

// pathMatches reports whether a concrete path fits a pattern's path.
func pathMatches(pattern, path string) bool {
	pp, cp := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(pp) != len(cp) {
		return false
	}
	for i := range pp {
		if !strings.HasPrefix(pp[i], "{") && pp[i] != cp[i] {
			return false
		}
	}
	return true
}

// TestLoopbackIsNotACredential: from 127.0.0.1 with no session, no token
// and no CSRF token — also with a hostile Origin and text/plain, as a web
// page open in a browser on the gateway box would send — every change is
// refused, nothing changes, and no operator appears.
func TestLoopbackIsNotACredential(t *testing.T) {
	sv := serve(t)
	before, _ := sv.db.AuditLog(100)
	for _, c := range changes {
		for _, h := range []map[string]string{
			nil,
			{"Content-Type": "application/json"},
			{"Origin": "https://evil.example", "Content-Type": "text/plain"},
			{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"},
		} {
			status, body := do(t, sv.tcp, c.method, c.path, c.body, h)
			if status != http.StatusUnauthorized && status != http.StatusForbidden {
				t.Errorf("%s %s from loopback %v: %d %s", c.method, c.path, h, status, body)
			}
			if strings.Contains(body, "SQLite format") || strings.Contains(body, "pbkdf2") {
				t.Errorf("%s %s leaked data: %.80q", c.method, c.path, body)
			}
		}
	}
	if _, ok := operatorOf(sv.db, "EVIL"); ok {
		t.Fatal("an anonymous request created an operator")
	}
	after, _ := sv.db.AuditLog(100)
	if len(after) != len(before) {
		t.Fatalf("the audit log grew from %d to %d entries", len(before), len(after))
	}
	for _, path := range []string{"/api/v1/status", "/api/v1/audit", "/api/v1/operators", "/api/v1/waves", "/metrics", "/api/v1/events"} {
		if status, _ := do(t, sv.tcp, "GET", path, "", nil); status != http.StatusUnauthorized {
			t.Errorf("GET %s from loopback without credentials: %d", path, status)
		}
	}
}

// TestLocalSocketAdministers: the local socket is an admin's, audited as
// "local" with the peer's uid and pid from the kernel.
func TestLocalSocketAdministers(t *testing.T) {
	sv := serve(t)
	status, body := do(t, sv.socket, "POST", "/api/v1/operators",
		`{"id":"admin2","name":"Second admin","badge":"ADMIN2","pin":"13579","role":"admin"}`, map[string]string{"Content-Type": "application/json"})
	if status != http.StatusOK {
		t.Fatalf("add an operator over the socket: %d %s", status, body)
	}
	if op, ok := operatorOf(sv.db, "ADMIN2"); !ok || op.Role != floorgate.RoleAdmin {
		t.Fatalf("the operator: %+v %v", op, ok)
	}
	log, _ := sv.db.AuditLog(1)
	if len(log) != 1 || log[0].Actor != "local" || log[0].Action != "operator.put" || !strings.Contains(log[0].Remote, "pid ") {
		t.Fatalf("audit %+v", log)
	}
	if strings.Contains(log[0].Detail, "13579") {
		t.Fatalf("the PIN is in the audit log: %+v", log[0])
	}
	if status, _ := do(t, sv.socket, "GET", "/api/v1/backup", "", nil); status != http.StatusOK {
		t.Fatalf("backup over the socket: %d", status)
	}
}

// TestAPITokens: a read token reads and may not change; an admin token
// changes; every use is audited; a revoked or made-up token is 401; the
// secret is never listed.
func TestAPITokens(t *testing.T) {
	sv := serve(t)
	json := map[string]string{"Content-Type": "application/json"}
	mk := func(name, scope string) (id, secret string) {
		status, body := do(t, sv.socket, "POST", "/api/v1/tokens", `{"name":"`+name+`","scope":"`+scope+`"}`, json)
		if status != http.StatusOK {
			t.Fatalf("create %s: %d %s", name, status, body)
		}
		var tok struct{ ID, Token string }
		decode(t, body, &tok)
		return tok.ID, tok.Token
	}
	_, reader := mk("monitor", "read")
	adminID, admin := mk("wms", "admin")
	bearer := func(tok string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + tok, "Content-Type": "application/json"}
	}
	if status, body := do(t, sv.tcp, "GET", "/api/v1/operators", "", bearer(reader)); status != http.StatusOK {
		t.Fatalf("read token reads: %d %s", status, body)
	}
	if status, _ := do(t, sv.tcp, "POST", "/api/v1/operators/pick1/disable", "", bearer(reader)); status != http.StatusForbidden {
		t.Fatalf("read token changes: %d", status)
	}
	if status, _ := do(t, sv.tcp, "GET", "/api/v1/backup", "", bearer(reader)); status != http.StatusForbidden {
		t.Fatalf("read token takes a backup: %d", status)
	}
	if status, body := do(t, sv.tcp, "POST", "/api/v1/operators/pick1/disable", "", bearer(admin)); status != http.StatusNoContent {
		t.Fatalf("admin token changes: %d %s", status, body)
	}
	log, _ := sv.db.AuditLog(3)
	if log[0].Actor != "token:wms" || log[0].Action != "operator.disable" || log[1].Actor != "token:monitor" || log[1].Action != "api.read" {
		t.Fatalf("audit %+v", log)
	}
	status, body := do(t, sv.socket, "GET", "/api/v1/tokens", "", nil)
	if status != http.StatusOK || strings.Contains(body, admin[4:]) || strings.Contains(body, "hash") {
		t.Fatalf("token list %d %s", status, body)
	}
	if status, _ := do(t, sv.socket, "POST", "/api/v1/tokens/"+adminID+"/revoke", "", nil); status != http.StatusNoContent {
		t.Fatalf("revoke: %d", status)
	}
	for _, tok := range []string{admin, "fgt_" + adminID + "_00", "fgt_nothing", "garbage"} {
		if status, _ := do(t, sv.tcp, "GET", "/api/v1/status", "", bearer(tok)); status != http.StatusUnauthorized {
			t.Errorf("token %.12q after revoke / made up: %d", tok, status)
		}
	}
}

// TestSessionChangesNeedCSRFAndSameOrigin: a signed-in admin's change
// without the CSRF token, or from another origin, is refused.
func TestSessionChangesNeedCSRFAndSameOrigin(t *testing.T) {
	sv := serve(t)
	signIn := func() (cookie, csrf string) {
		resp, err := sv.tcp.Raw(context.Background(), "POST", "/api/v1/session", strings.NewReader(`{"badge":"ADMIN1","pin":"`+testPIN+`"}`),
			http.Header{"Content-Type": {"application/json"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var s struct{ CSRF string }
		raw, _ := io.ReadAll(resp.Body)
		decode(t, string(raw), &s)
		for _, c := range resp.Cookies() {
			cookie = c.Name + "=" + c.Value
		}
		return cookie, s.CSRF
	}
	_, otherCSRF := signIn()
	cookie, csrf := signIn()
	path := "/api/v1/operators/pick1/disable"
	for name, h := range map[string]map[string]string{
		"no csrf":           {"Cookie": cookie},
		"other csrf":        {"Cookie": cookie, "X-CSRF-Token": otherCSRF},
		"cross-site":        {"Cookie": cookie, "X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"},
		"other origin":      {"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": "https://evil.example"},
		"text/plain bodied": {"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "text/plain"},
	} {
		body := ""
		if name == "text/plain bodied" {
			body = "x"
		}
		if status, _ := do(t, sv.tcp, "POST", path, body, h); status < 400 {
			t.Errorf("%s: %d", name, status)
		}
	}
	if op, _ := operatorOf(sv.db, "PICK1"); op.Disabled {
		t.Fatal("a refused request disabled the picker")
	}
	if status, body := do(t, sv.tcp, "POST", path, "", map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf}); status != http.StatusNoContent {
		t.Fatalf("the admin's own request: %d %s", status, body)
	}
}

func decode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
}

// TestOneOperatorIsOneObject: POST /api/v1/operators takes one operator
// object, never something that smuggles other master data in.
func TestOneOperatorIsOneObject(t *testing.T) {
	sv := serve(t)
	json := map[string]string{"Content-Type": "application/json"}
	for _, body := range []string{
		`{"id":"a","name":"A","badge":"BA","pin":"1234","role":"admin"}], "locations": [{"code":"X","barcode":"X"}`,
		`[{"id":"a","name":"A","badge":"BA","pin":"1234","role":"admin"}]`,
		`{"id":"a"} {"id":"b"}`,
	} {
		if status, _ := do(t, sv.socket, "POST", "/api/v1/operators", body, json); status != http.StatusBadRequest {
			t.Errorf("%s: %d", body, status)
		}
	}
	if m := sv.db.Lookup("", "X"); m.Kind != "" {
		t.Fatalf("a location was smuggled in: %+v", m)
	}
}

// TestOperatorsCarryNoPINHash: the operators list names no PIN hash, not
// even an empty one.
func TestOperatorsCarryNoPINHash(t *testing.T) {
	sv := serve(t)
	status, body := do(t, sv.socket, "GET", "/api/v1/operators", "", nil)
	if status != http.StatusOK || strings.Contains(body, "pin") || !strings.Contains(body, `"ADMIN1"`) {
		t.Fatalf("%d %s", status, body)
	}
}

// operatorOf finds an operator by badge in the list the API serves.
func operatorOf(db *store.DB, badge string) (floorgate.Operator, bool) {
	for _, op := range db.Operators() {
		if op.Badge == badge {
			return op, true
		}
	}
	return floorgate.Operator{}, false
}
