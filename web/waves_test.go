package web

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/store"
)

// floorWithWaves gives the test floor its master data and declares each
// wave named, held with priority 9 and a cut-off two hours off, with two
// tasks, through the ERP's task.create as the floor gets it.
func floorWithWaves(t *testing.T, ts *testServer, waves ...string) {
	t.Helper()
	testFloor(t, ts)
	for _, id := range waves {
		declareWave(t, ts, id, ts.clock.Now().Add(2*time.Hour))
	}
}

// testFloor puts two locations and two items in the test floor's master
// data.
func testFloor(t *testing.T, ts *testServer) {
	t.Helper()
	m := store.Master{
		Locations: []floorgate.Location{{Code: "A-01", Barcode: "LOC-A-01"}, {Code: "A-02", Barcode: "LOC-A-02"}},
		Items: []floorgate.Item{{SKU: "SKU-1", Name: "USB-C cable 1 m", Barcodes: []string{"6901234567892"}},
			{SKU: "SKU-2", Name: "Charger", Barcodes: []string{"ITEM-2"}}},
	}
	if err := ts.db.PutMaster(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

// declareWave declares wave id, held with priority 9 and the cut-off given,
// with the tasks ID-T1 (one line) and ID-T2 (one line) on testFloor's data.
func declareWave(t *testing.T, ts *testServer, id string, cutoff time.Time) {
	t.Helper()
	res, err := ts.db.ApplyCommand(context.Background(), []byte(`{"id":"c-`+id+`","type":"task.create","data":{
		"wave":{"id":"`+id+`","hold":true,"priority":9,"cutoff":"`+cutoff.UTC().Format(time.RFC3339)+`"},
		"tasks":[{"id":"`+id+`-T1","order":"`+id+`-O1","lines":[{"location":"A-01","sku":"SKU-1","qty":1}]},
		         {"id":"`+id+`-T2","order":"`+id+`-O2","lines":[{"location":"A-02","sku":"SKU-2","qty":2}]}]}}`))
	if err != nil || !res.Applied {
		t.Fatalf("declare wave %s: %+v %v", id, res, err)
	}
	if wv, err := ts.db.Wave(id); err != nil || wv.Status != floorgate.WaveHeld {
		t.Fatalf("wave %s arrived %+v %v; want held", id, wv, err)
	}
}

// sessionOf signs badge in over HTTP, as the status page does, and returns
// the session cookie and its CSRF token. It signs in with a client of its
// own, whose cookie jar is then dropped: sv.tcp stays without credentials.
func sessionOf(t *testing.T, sv *served, badge string) (cookie, csrf string) {
	t.Helper()
	c, err := client.Remote(sv.base, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Raw(context.Background(), "POST", "/api/v1/session",
		strings.NewReader(`{"badge":`+jsonString(badge)+`,"pin":"`+testPIN+`"}`), http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in %s: %d %s", badge, resp.StatusCode, raw)
	}
	var s struct{ CSRF string }
	decode(t, string(raw), &s)
	for _, c := range resp.Cookies() {
		if c.Name == cookieName {
			cookie = c.Name + "=" + c.Value
		}
	}
	return cookie, s.CSRF
}

// plantSession gives the operator with badge a live status-page session
// directly, the way sign-in keeps one. Sign-in never gives a picker or a
// packer one; planting it proves the access check refuses them on its own.
func plantSession(t *testing.T, sv *served, badge string) (cookie, csrf string) {
	t.Helper()
	op, ok := operatorOf(sv.db, badge)
	if !ok {
		t.Fatalf("no operator %s", badge)
	}
	token, now := randomHex(32), sv.s.now()
	sess := &session{op: op, csrf: randomHex(16), started: now, seen: now}
	sv.s.mu.Lock()
	sv.s.sessions[token] = sess
	sv.s.mu.Unlock()
	return cookieName + "=" + token, sess.csrf
}

// waveOf decodes an answer's wave.
func waveOf(t *testing.T, body string) floorgate.Wave {
	t.Helper()
	var wv floorgate.Wave
	decode(t, body, &wv)
	return wv
}

// TestSupervisorReleasesAHeldWave: a signed-in supervisor sees the held
// wave in GET /api/v1/waves and releases it with the session's CSRF token:
// 200 with the wave, now released in their name, its tasks handed to the
// pickers' queue, and the release in the audit log as wave.release. Without
// the CSRF token it is 403 and the wave stays held; releasing it again is
// 409 and an unknown wave 404, each with the store's own words.
func TestSupervisorReleasesAHeldWave(t *testing.T) {
	sv := serve(t)
	floorWithWaves(t, sv.testServer, "PEAK-1")
	cookie, csrf := sessionOf(t, sv, "SUP1")
	read := map[string]string{"Cookie": cookie}
	change := map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf}

	status, body := do(t, sv.tcp, "GET", "/api/v1/waves", "", read)
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/waves: %d %s", status, body)
	}
	var listed []floorgate.Wave
	decode(t, body, &listed)
	if len(listed) != 1 || listed[0].ID != "PEAK-1" || listed[0].Status != floorgate.WaveHeld || listed[0].Tasks != 2 ||
		listed[0].Priority != 9 || !listed[0].CutOff.Equal(sv.clock.Now().Add(2*time.Hour)) {
		t.Fatalf("the waves listed: %s", body)
	}
	for _, field := range []string{`"id":"PEAK-1"`, `"status":"held"`, `"priority":9`, `"cutoff":`, `"tasks":2`, `"done":0`, `"cancelled":0`, `"created":`} {
		if !strings.Contains(body, field) {
			t.Errorf("the waves' JSON lacks %s: %s", field, body)
		}
	}
	before, _ := sv.db.AuditLog(100)

	if status, body := do(t, sv.tcp, "POST", "/api/v1/waves/PEAK-1/release", "", read); status != http.StatusForbidden ||
		!strings.Contains(body, "CSRF") {
		t.Fatalf("release without the CSRF token: %d %s", status, body)
	}
	if wv, _ := sv.db.Wave("PEAK-1"); wv.Status != floorgate.WaveHeld {
		t.Fatalf("a refused release released the wave: %+v", wv)
	}
	if after, _ := sv.db.AuditLog(100); len(after) != len(before) {
		t.Fatalf("a refused release was audited: %d → %d entries", len(before), len(after))
	}

	sv.clock.Add(time.Minute)
	status, body = do(t, sv.tcp, "POST", "/api/v1/waves/PEAK-1/release", "", change)
	if status != http.StatusOK {
		t.Fatalf("the supervisor's release: %d %s", status, body)
	}
	if wv := waveOf(t, body); wv.ID != "PEAK-1" || wv.Status != floorgate.WaveReleased || wv.ReleasedActor != "sup1" ||
		!wv.ReleasedAt.Equal(sv.clock.Now()) || wv.Tasks != 2 {
		t.Fatalf("the answer: %s", body)
	}
	if wv, _ := sv.db.Wave("PEAK-1"); wv.Status != floorgate.WaveReleased || wv.ReleasedActor != "sup1" {
		t.Fatalf("the stored wave: %+v", wv)
	}
	for _, id := range []string{"PEAK-1-T1", "PEAK-1-T2"} {
		if tk, _ := sv.db.Task(id); tk.Status == floorgate.TaskHeld {
			t.Errorf("task %s is still held after the release", id)
		}
	}
	log, _ := sv.db.AuditLog(1)
	if len(log) != 1 || log[0].Action != "wave.release" || log[0].Actor != "sup1" || log[0].Role != "supervisor" || log[0].Target != "PEAK-1" {
		t.Fatalf("the audit log: %+v", log)
	}
	if status, body := do(t, sv.tcp, "GET", "/api/v1/waves", "", read); status != http.StatusOK ||
		!strings.Contains(body, `"status":"released"`) || !strings.Contains(body, `"released_actor":"sup1"`) || !strings.Contains(body, `"released_at":`) {
		t.Fatalf("the waves after the release: %d %s", status, body)
	}

	for _, c := range []struct {
		name, path string
		status     int
		code, says string
	}{
		{"again", "/api/v1/waves/PEAK-1/release", http.StatusConflict, "conflict", `wave "PEAK-1" was already released at 2026-11-22T09:01:00Z by site (sup1)`},
		{"unknown wave", "/api/v1/waves/NOPE/release", http.StatusNotFound, "not_found", `no wave "NOPE"`},
	} {
		status, body := do(t, sv.tcp, "POST", c.path, "", change)
		var e errBody
		decode(t, body, &e)
		if status != c.status || e.Code != c.code || e.Error != c.says {
			t.Errorf("%s: %d %s, want %d %s %q", c.name, status, body, c.status, c.code, c.says)
		}
	}
	if log, _ := sv.db.AuditLog(1); log[0].Action != "wave.release" || len(mustAudit(t, sv)) != len(before)+1 {
		t.Fatalf("refused releases were audited: %+v", log)
	}
}

func mustAudit(t *testing.T, sv *served) []store.AuditEntry {
	t.Helper()
	log, err := sv.db.AuditLog(1000)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// TestWhoMayReleaseAWave: the supervise level over the real handler
// table. Nobody signed in is 401; a picker's or packer's session (even with
// its CSRF token), a read token and any session without its CSRF token are
// 403, and leave the wave held and the audit log as it was. An admin's
// session, an admin token and the local socket release, each named in the
// wave as the audit log names them.
func TestWhoMayReleaseAWave(t *testing.T) {
	sv := serve(t)
	floorWithWaves(t, sv.testServer, "W-ADMIN", "W-TOKEN", "W-LOCAL")
	json := map[string]string{"Content-Type": "application/json"}
	_, body := do(t, sv.socket, "POST", "/api/v1/tokens", `{"name":"monitor","scope":"read"}`, json)
	var readTok struct{ Token string }
	decode(t, body, &readTok)
	_, body = do(t, sv.socket, "POST", "/api/v1/tokens", `{"name":"wms","scope":"admin"}`, json)
	var adminTok struct{ Token string }
	decode(t, body, &adminTok)
	picker, pickerCSRF := plantSession(t, sv, "PICK1")
	packer, packerCSRF := plantSession(t, sv, "PACK1")
	admin, adminCSRF := sessionOf(t, sv, "ADMIN1")
	sup, supCSRF := sessionOf(t, sv, "SUP1")

	before := len(mustAudit(t, sv))
	for _, c := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"anonymous", nil, http.StatusUnauthorized},
		{"anonymous with JSON", json, http.StatusUnauthorized},
		{"a picker's session", map[string]string{"Cookie": picker, "X-CSRF-Token": pickerCSRF}, http.StatusForbidden},
		{"a packer's session", map[string]string{"Cookie": packer, "X-CSRF-Token": packerCSRF}, http.StatusForbidden},
		{"a read token", map[string]string{"Authorization": "Bearer " + readTok.Token}, http.StatusForbidden},
		{"an admin without the CSRF token", map[string]string{"Cookie": admin}, http.StatusForbidden},
		{"a supervisor with the admin's CSRF token", map[string]string{"Cookie": sup, "X-CSRF-Token": adminCSRF}, http.StatusForbidden},
		{"a supervisor from another site", map[string]string{"Cookie": sup, "X-CSRF-Token": supCSRF, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	} {
		if status, body := do(t, sv.tcp, "POST", "/api/v1/waves/W-ADMIN/release", "", c.header); status != c.status {
			t.Errorf("%s: %d %s, want %d", c.name, status, body, c.status)
		}
	}
	if wv, _ := sv.db.Wave("W-ADMIN"); wv.Status != floorgate.WaveHeld {
		t.Fatalf("a refused caller released the wave: %+v", wv)
	}
	if after := len(mustAudit(t, sv)); after != before {
		t.Fatalf("refused releases changed the audit log: %d → %d entries", before, after)
	}

	for _, c := range []struct {
		name, wave string
		via        func() (int, string)
		by, role   string
	}{
		{"an admin's session", "W-ADMIN", func() (int, string) {
			return do(t, sv.tcp, "POST", "/api/v1/waves/W-ADMIN/release", "", map[string]string{"Cookie": admin, "X-CSRF-Token": adminCSRF})
		}, "admin1", "admin"},
		{"an admin token", "W-TOKEN", func() (int, string) {
			return do(t, sv.tcp, "POST", "/api/v1/waves/W-TOKEN/release", "", map[string]string{"Authorization": "Bearer " + adminTok.Token})
		}, "token:wms", "token-admin"},
		{"the local socket", "W-LOCAL", func() (int, string) {
			return do(t, sv.socket, "POST", "/api/v1/waves/W-LOCAL/release", "", nil)
		}, "local", "local"},
	} {
		status, body := c.via()
		if status != http.StatusOK {
			t.Errorf("%s: %d %s", c.name, status, body)
			continue
		}
		if wv := waveOf(t, body); wv.ID != c.wave || wv.Status != floorgate.WaveReleased || wv.ReleasedActor != c.by {
			t.Errorf("%s: the answer %s, want released by %s", c.name, body, c.by)
		}
		if log := mustAudit(t, sv); log[0].Action != "wave.release" || log[0].Actor != c.by || log[0].Role != c.role || log[0].Target != c.wave {
			t.Errorf("%s: audited as %+v", c.name, log[0])
		}
	}
}

// TestAccessLevels is the access rule of each level for each kind of
// caller, on the check itself: Supervise is Admin's rule with supervisors
// let in.
func TestAccessLevels(t *testing.T) {
	const csrf = "0123456789abcdef"
	sessionOf := func(role floorgate.Role) caller {
		return caller{kind: viaSession, sess: &session{op: floorgate.Operator{ID: "x", Role: role}, csrf: csrf}}
	}
	withCSRF := func() *http.Request {
		r, _ := http.NewRequest("POST", "/", nil)
		r.Header.Set(csrfHeader, csrf)
		return r
	}
	without := func() *http.Request { r, _ := http.NewRequest("POST", "/", nil); return r }
	const ok, no, who = "", floorgate.EFORBIDDEN, floorgate.EUNAUTHORIZED
	for _, c := range []struct {
		name   string
		caller caller
		req    func() *http.Request
		want   [4]string // Public, Read, Supervise, Admin
	}{
		{"anonymous", caller{}, withCSRF, [4]string{ok, who, who, who}},
		{"admin session", sessionOf(floorgate.RoleAdmin), withCSRF, [4]string{ok, ok, ok, ok}},
		{"admin session without CSRF", sessionOf(floorgate.RoleAdmin), without, [4]string{ok, ok, no, no}},
		{"supervisor session", sessionOf(floorgate.RoleSupervisor), withCSRF, [4]string{ok, ok, ok, no}},
		{"supervisor session without CSRF", sessionOf(floorgate.RoleSupervisor), without, [4]string{ok, ok, no, no}},
		{"picker session", sessionOf(floorgate.RolePicker), withCSRF, [4]string{ok, no, no, no}},
		{"packer session", sessionOf(floorgate.RolePacker), withCSRF, [4]string{ok, no, no, no}},
		{"read token", caller{kind: viaToken, token: store.APIToken{Scope: store.ScopeRead}}, without, [4]string{ok, ok, no, no}},
		{"admin token", caller{kind: viaToken, token: store.APIToken{Scope: store.ScopeAdmin}}, without, [4]string{ok, ok, ok, ok}},
		{"local socket", caller{kind: viaSocket}, without, [4]string{ok, ok, ok, ok}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for i, a := range []Access{Public, Read, Supervise, Admin} {
				if got := floorgate.ErrorCode(c.caller.may(a, c.req())); got != c.want[i] {
					t.Errorf("%s: %q, want %q", a, got, c.want[i])
				}
			}
		})
	}
	if got := Supervise.String(); got != "supervise" {
		t.Errorf("Supervise is called %q", got)
	}
}
