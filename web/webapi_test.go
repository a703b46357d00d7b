package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/client"
	"github.com/floorgate/floorgate/device/ws"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/store"
)

// These tests drive the status page's back end (web/) over real HTTPS
// against a real demo gateway: sign-in, roles and CSRF, pairing a PDA,
// disabling a device, reassigning a task, /metrics and the live updates.

// webClient is one browser's worth of status-page state: a cookie jar and
// the CSRF token its sign-in returned. It trusts the gateway's certificate
// by its fingerprint, as a browser does once told to.
type webClient struct {
	t    *testing.T
	base string
	c    *client.Client
	csrf string
	// token, when set, is sent as an API token (Authorization: Bearer):
	// another program, not a browser.
	token string
}

func newWebClient(t *testing.T, m *gateway.Gateway) *webClient {
	t.Helper()
	c, err := client.Remote(gatewaytest.PageURL(m), client.Options{Fingerprint: m.Fingerprint})
	if err != nil {
		t.Fatal(err)
	}
	return &webClient{t: t, base: gatewaytest.PageURL(m), c: c}
}

// webReply is an answer: its status, its headers, its cookies and its body.
type webReply struct {
	status  int
	header  http.Header
	cookies []*http.Cookie
	body    []byte
}

// errBody decodes the web layer's error shape.
func (r webReply) errBody() (code, msg string) {
	var e struct{ Code, Error string }
	json.Unmarshal(r.body, &e)
	return e.Code, e.Error
}

func (r webReply) String() string { return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body)) }

// do sends a request; body is JSON-encoded unless nil; hdr adds headers.
func (c *webClient) do(method, path string, body any, hdr map[string]string) webReply {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	h := http.Header{}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range hdr {
		h.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.c.Raw(ctx, method, path, rd, h)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return webReply{status: resp.StatusCode, header: resp.Header, cookies: resp.Cookies(), body: b}
}

// change sends a change with the session's CSRF token.
func (c *webClient) change(method, path string, body any) webReply {
	c.t.Helper()
	return c.do(method, path, body, map[string]string{"X-CSRF-Token": c.csrf})
}

// get reads path and decodes its JSON into v, failing unless it is a 200.
func (c *webClient) get(path string, v any) {
	c.t.Helper()
	r := c.do("GET", path, nil, nil)
	if r.status != http.StatusOK {
		c.t.Fatalf("GET %s: %s", path, r)
	}
	if err := json.Unmarshal(r.body, v); err != nil {
		c.t.Fatalf("GET %s: %v in %s", path, err, r.body)
	}
}

type signIn struct {
	Operator struct{ ID, Name, Role string }
	CSRF     string
}

func (c *webClient) signIn(badge, pin string) (webReply, signIn) {
	c.t.Helper()
	r := c.do("POST", "/api/v1/session", map[string]string{"badge": badge, "pin": pin}, nil)
	var s signIn
	if r.status == http.StatusOK {
		if err := json.Unmarshal(r.body, &s); err != nil {
			c.t.Fatalf("sign-in reply: %v", err)
		}
		c.csrf = s.CSRF
	}
	return r, s
}

// signedIn returns a client signed in with badge, failing otherwise.
func signedIn(t *testing.T, m *gateway.Gateway, badge string) *webClient {
	t.Helper()
	c := newWebClient(t, m)
	if r, _ := c.signIn(badge, gateway.DemoPIN); r.status != http.StatusOK {
		t.Fatalf("sign in %s: %s", badge, r)
	}
	return c
}

// audit returns the audit log, newest first.
func (c *webClient) audit() []store.AuditEntry {
	c.t.Helper()
	var log []store.AuditEntry
	c.get("/api/v1/audit", &log)
	return log
}

// hello connects a TC21 as device with token, which must be accepted; the
// connection closes when the test ends.
func hello(t *testing.T, ctx context.Context, m *gateway.Gateway, device, token string) (*wsclient.Client, floorgate.Welcome) {
	t.Helper()
	c, wel, err := dialWS(ctx, t, m, device, token, "TC21")
	if err != nil {
		t.Fatalf("hello %s: %v", device, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, wel
}

// dialPDA connects a PDA and, when badge is not empty, logs its picker in.
func dialPDA(t *testing.T, ctx context.Context, m *gateway.Gateway, device, token, badge string) *wsclient.Client {
	t.Helper()
	c, _ := hello(t, ctx, m, device, token)
	if badge != "" {
		if v, err := c.Login(ctx, "login-"+device, badge, gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
			t.Fatalf("login %s on %s: %v %+v", badge, device, err, v)
		}
	}
	return c
}

// refusedHello asserts that a hello as device with token is refused as
// unauthorized, with close code 4401.
func refusedHello(t *testing.T, ctx context.Context, m *gateway.Gateway, device, token string) {
	t.Helper()
	c, _, err := dialWS(ctx, t, m, device, token, "TC21")
	if err == nil {
		c.Close()
		t.Fatalf("hello as %s was accepted", device)
	}
	var ce *wsclient.CloseError
	if !errors.As(err, &ce) || ce.Code != ws.CloseUnauthorized || ce.Err == nil || ce.Err.Code != floorgate.EUNAUTHORIZED {
		t.Fatalf("hello as %s: %v, want close 4401 with an unauthorized error", device, err)
	}
}

func sessionOf(m *gateway.Gateway, device string) (floorgate.Session, bool) {
	for _, s := range m.DB.Sessions() {
		if s.Device == device {
			return s, true
		}
	}
	return floorgate.Session{}, false
}

func deviceOf(m *gateway.Gateway, id string) (floorgate.Device, bool) {
	for _, d := range m.DB.Devices() {
		if d.ID == id {
			return d, true
		}
	}
	return floorgate.Device{}, false
}

// wantAudit asserts that e records action on target by the demo admin from
// this machine, with detail.
func wantAudit(t *testing.T, e store.AuditEntry, action, target, detail string) {
	t.Helper()
	if e.Action != action || e.Target != target || e.Actor != "A001" || e.Role != "admin" || e.Remote != "127.0.0.1" || e.Detail != detail {
		t.Fatalf("audit entry %+v, want %s on %s by A001 (admin) from 127.0.0.1, detail %q", e, action, target, detail)
	}
}

var csrfPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestWebAPISignIn(t *testing.T) {
	m, clock := demoGateway(t)
	c := newWebClient(t, m)

	r, _ := c.signIn(gateway.DemoAdminBadge, "9999")
	if code, msg := r.errBody(); r.status != http.StatusUnauthorized || code != floorgate.EUNAUTHORIZED || msg != "badge or PIN not recognised" {
		t.Fatalf("wrong PIN: %s", r)
	}
	if len(r.cookies) != 0 {
		t.Fatalf("wrong PIN set cookies %v", r.cookies)
	}
	for i := 2; i <= 5; i++ {
		if r, _ := c.signIn(gateway.DemoAdminBadge, "9999"); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong PIN #%d: %s", i, r)
		}
	}
	// Five wrong PINs lock the badge and the address: even the right PIN
	// is refused for a minute.
	r, _ = c.signIn(gateway.DemoAdminBadge, gateway.DemoPIN)
	if code, msg := r.errBody(); r.status != http.StatusTooManyRequests || code != string(floorgate.CodeLoginLocked) || msg != "too many wrong PINs: wait a minute" {
		t.Fatalf("after 5 wrong PINs: %s", r)
	}
	clock.Add(61 * time.Second)

	// A picker's badge with the picker's right PIN is answered as a wrong
	// PIN: the page tells nobody who has a badge, nor their role.
	r, _ = c.signIn(gateway.NewDemo().Badges[0], gateway.DemoPIN)
	if code, msg := r.errBody(); r.status != http.StatusUnauthorized || code != floorgate.EUNAUTHORIZED || msg != "badge or PIN not recognised" || len(r.cookies) != 0 {
		t.Fatalf("picker sign-in: %s, cookies %v", r, r.cookies)
	}

	r, s := c.signIn(gateway.DemoAdminBadge, gateway.DemoPIN)
	if r.status != http.StatusOK || s.Operator.ID != "A001" || s.Operator.Role != "admin" || !csrfPattern.MatchString(s.CSRF) {
		t.Fatalf("admin sign-in: %s", r)
	}
	if len(r.cookies) != 1 {
		t.Fatalf("admin sign-in set %d cookies, want 1: %v", len(r.cookies), r.cookies)
	}
	ck := r.cookies[0]
	// Served over HTTPS, the cookie is never sent over plain HTTP.
	if ck.Name != "fg_session" || !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || len(ck.Value) != 64 {
		t.Fatalf("session cookie %+v: want fg_session, HttpOnly, Secure, SameSite=Strict, Path=/, 64 hex", ck)
	}
	var who signIn
	c.get("/api/v1/session", &who)
	if who.Operator.ID != "A001" || who.CSRF != s.CSRF {
		t.Fatalf("whoami %+v, want A001 with the sign-in's CSRF token", who)
	}

	// Sign-out needs the token too, and then the old cookie is worthless.
	if r := c.do("DELETE", "/api/v1/session", nil, nil); r.status != http.StatusForbidden {
		t.Fatalf("sign-out without CSRF: %s", r)
	}
	if r := c.change("DELETE", "/api/v1/session", nil); r.status != http.StatusNoContent {
		t.Fatalf("sign-out: %s", r)
	}
	stale := newWebClient(t, m)
	for _, path := range []string{"/api/v1/session", "/api/v1/kpi"} {
		r := stale.do("GET", path, nil, map[string]string{"Cookie": "fg_session=" + ck.Value})
		if r.status != http.StatusUnauthorized {
			t.Fatalf("GET %s with the signed-out cookie: %s", path, r)
		}
	}
	if r := c.do("GET", "/api/v1/session", nil, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("whoami after sign-out: %s", r)
	}
}

func TestWebAPIRolesAndCSRF(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, _ := demoGateway(t)
	dialPDA(t, ctx, m, "pda-a", daemontest.DeviceToken("pda-a"), gateway.NewDemo().Badges[0])
	task := func() string { s, _ := sessionOf(m, "pda-a"); return s.Task }()
	if task == "" {
		t.Fatal("the picker on pda-a has no task")
	}
	admin := signedIn(t, m, gateway.DemoAdminBadge)
	changes := []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/devices/pda-a/disable", nil},
		{"POST", "/api/v1/devices/pda-a/enable", nil},
		{"POST", "/api/v1/tasks/" + task + "/reassign", map[string]string{"device": "pda-a"}},
		{"POST", "/api/v1/devices/enrol", nil},
		{"POST", "/api/v1/printjobs/1/reprint", nil},
		{"POST", "/api/v1/deadletters/1/retry", nil},
		{"DELETE", "/api/v1/session", nil},
	}
	for _, ch := range changes {
		for _, tok := range []string{"", strings.Repeat("0", 32), admin.csrf + "x"} {
			r := admin.do(ch.method, ch.path, ch.body, map[string]string{"X-CSRF-Token": tok})
			if code, _ := r.errBody(); r.status != http.StatusForbidden || code != floorgate.EFORBIDDEN {
				t.Errorf("%s %s with CSRF token %q: %s, want 403 forbidden", ch.method, ch.path, tok, r)
			}
		}
	}
	if d, _ := deviceOf(m, "pda-a"); d.Disabled {
		t.Fatal("pda-a was disabled without a CSRF token")
	}
	if log := admin.audit(); len(log) != 0 {
		t.Fatalf("refused changes were audited: %+v", log)
	}
	var who signIn
	admin.get("/api/v1/session", &who) // still signed in
	if who.Operator.ID != "A001" {
		t.Fatalf("admin signed out by a refused sign-out: %+v", who)
	}

	// A supervisor reads everything and changes nothing.
	sup := signedIn(t, m, gateway.DemoSupervisorBadge)
	var kpi map[string]any
	sup.get("/api/v1/kpi", &kpi)
	var devs []struct {
		ID        string
		Connected bool
		Operator  string
		Task      string
	}
	sup.get("/api/v1/devices", &devs)
	if len(devs) != 1 || devs[0].ID != "pda-a" || !devs[0].Connected || devs[0].Operator != "P001" || devs[0].Task != task {
		t.Fatalf("devices as the supervisor sees them: %+v", devs)
	}
	if log := sup.audit(); len(log) != 0 {
		t.Fatalf("audit as the supervisor sees it: %+v", log)
	}
	for _, ch := range changes[:5] {
		r := sup.change(ch.method, ch.path, ch.body)
		if code, msg := r.errBody(); r.status != http.StatusForbidden || code != floorgate.EFORBIDDEN || msg != "only an admin may do this" {
			t.Errorf("supervisor %s %s: %s, want 403 only an admin", ch.method, ch.path, r)
		}
	}
	if d, _ := deviceOf(m, "pda-a"); d.Disabled {
		t.Fatal("a supervisor disabled pda-a")
	}
	if s, _ := sessionOf(m, "pda-a"); s.Task != task {
		t.Fatalf("a supervisor moved the task: pda-a has %q", s.Task)
	}

	// Without a session, nothing is read.
	anon := newWebClient(t, m)
	for _, path := range []string{"/api/v1/kpi", "/api/v1/devices", "/api/v1/events", "/api/v1/audit"} {
		r := anon.do("GET", path, nil, nil)
		if code, _ := r.errBody(); r.status != http.StatusUnauthorized || code != floorgate.EUNAUTHORIZED {
			t.Errorf("GET %s without a session: %s", path, r)
		}
	}
}

func TestWebAPIPairing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, clock := demoGateway(t)
	admin := signedIn(t, m, gateway.DemoAdminBadge)
	r := admin.change("POST", "/api/v1/devices/enrol", nil)
	var enrol struct {
		Code    string
		Expires time.Time
		URL     string
		QR      string
	}
	if r.status != http.StatusOK || json.Unmarshal(r.body, &enrol) != nil {
		t.Fatalf("pairing code: %s", r)
	}
	// The PDA opens the app over HTTPS and pins the certificate the link
	// names.
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(enrol.Code) || !enrol.Expires.Equal(clock.Now().Add(10*time.Minute)) ||
		enrol.URL != "https://"+m.Addr()+"/pda/?pair="+enrol.Code+"&fp="+strings.ReplaceAll(m.Fingerprint, ":", "") ||
		enrol.QR != "/api/v1/devices/enrol/"+enrol.Code+"/qr.png" {
		t.Fatalf("pairing code reply %+v", enrol)
	}
	if qr := admin.do("GET", enrol.QR, nil, nil); qr.status != http.StatusOK || !bytes.HasPrefix(qr.body, []byte("\x89PNG")) {
		t.Fatalf("QR code: %d, %d bytes", qr.status, len(qr.body))
	}

	// The PDA's side: no session, no cookie.
	pda := newWebClient(t, m)
	pair := func(code string) webReply {
		return pda.do("POST", "/api/v1/pair", map[string]string{"code": code, "device": "pda-new", "model": "TC21"}, nil)
	}
	wrong := fmt.Sprintf("%06d", (atoi(t, enrol.Code)+1)%1000000)
	for i := 1; i <= 5; i++ {
		r := pair(wrong)
		if code, msg := r.errBody(); r.status != http.StatusUnauthorized || code != floorgate.EUNAUTHORIZED || msg != "pairing code not recognised or expired: ask for a new one" {
			t.Fatalf("wrong code #%d: %s", i, r)
		}
	}
	// Five wrong codes a minute lock the address out, the right code too.
	if r := pair(enrol.Code); r.status != http.StatusTooManyRequests {
		t.Fatalf("6th attempt: %s, want 429", r)
	}
	if _, ok := deviceOf(m, "pda-new"); ok {
		t.Fatal("pda-new enrolled while locked out")
	}
	clock.Add(61 * time.Second)

	r = pair(enrol.Code)
	var paired struct{ Device, Token string }
	if r.status != http.StatusOK || json.Unmarshal(r.body, &paired) != nil || paired.Device != "pda-new" || len(paired.Token) != 64 {
		t.Fatalf("pairing with the right code: %s", r)
	}
	if r := pair(enrol.Code); r.status != http.StatusUnauthorized {
		t.Fatalf("the code used again: %s", r)
	}
	d, ok := deviceOf(m, "pda-new")
	if !ok || d.Kind != floorgate.DevicePDA || d.Model != "TC21" || d.Disabled || !d.Enrolled.Equal(clock.Now()) {
		t.Fatalf("pda-new in the store: %v %+v", ok, d)
	}
	refusedHello(t, ctx, m, "pda-new", "not-the-token-of-pda-new-0123456789abcdef")
	if _, wel := hello(t, ctx, m, "pda-new", paired.Token); wel.Site != "demo" || wel.Prompt.Step != "login" {
		t.Fatalf("welcome %+v", wel)
	}
	log := admin.audit()
	if len(log) != 2 {
		t.Fatalf("audit log %+v, want the pairing code and the enrolment", log)
	}
	wantAudit(t, log[0], "device.enrol", "pda-new", "paired from 127.0.0.1, model TC21")
	wantAudit(t, log[1], "device.pairing_code", "", "valid until 2026-11-22T09:10:00Z")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWebAPIDisableEnable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, _ := demoGateway(t)
	token := daemontest.DeviceToken("pda-a")
	c := dialPDA(t, ctx, m, "pda-a", token, gateway.NewDemo().Badges[0])
	s, _ := sessionOf(m, "pda-a")
	task := s.Task
	if s.Operator != "P001" || task == "" {
		t.Fatalf("session before: %+v", s)
	}
	admin := signedIn(t, m, gateway.DemoAdminBadge)

	if r := admin.change("POST", "/api/v1/devices/pda-a/disable", nil); r.status != http.StatusNoContent {
		t.Fatalf("disable: %s", r)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("the disabled PDA's connection stayed open")
	}
	var ce *wsclient.CloseError
	if err := c.Err(); !errors.As(err, &ce) || ce.Code != ws.CloseUnauthorized || ce.Err == nil || ce.Err.Code != floorgate.EUNAUTHORIZED {
		t.Fatalf("how the connection ended: %v, want 4401 with an unauthorized error", c.Err())
	}
	if s, ok := sessionOf(m, "pda-a"); ok {
		t.Fatalf("the picker is still logged in on the disabled PDA: %+v", s)
	}
	if tk, err := m.DB.Task(task); err != nil || tk.Status != floorgate.TaskPending || tk.Device != "" {
		t.Fatalf("the picker's task after the disable: %v %+v, want pending", err, tk)
	}
	if d, _ := deviceOf(m, "pda-a"); !d.Disabled {
		t.Fatal("pda-a is not disabled in the store")
	}
	refusedHello(t, ctx, m, "pda-a", token)
	if r := admin.change("POST", "/api/v1/devices/nope/disable", nil); r.status != http.StatusNotFound {
		t.Fatalf("disable an unknown device: %s", r)
	}

	if r := admin.change("POST", "/api/v1/devices/pda-a/enable", nil); r.status != http.StatusNoContent {
		t.Fatalf("enable: %s", r)
	}
	if _, wel := hello(t, ctx, m, "pda-a", token); wel.Operator != "" || wel.Prompt.Step != "login" {
		t.Fatalf("welcome after enable: %+v, want the login screen", wel)
	}
	log := admin.audit()
	if len(log) != 2 {
		t.Fatalf("audit log %+v, want disable and enable", log)
	}
	wantAudit(t, log[0], "device.enable", "pda-a", "")
	wantAudit(t, log[1], "device.disable", "pda-a", "")
}

func TestWebAPIReassign(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, _ := demoGateway(t)
	demo := gateway.NewDemo()
	a := dialPDA(t, ctx, m, "pda-a", daemontest.DeviceToken("pda-a"), demo.Badges[0])
	sa, _ := sessionOf(m, "pda-a")
	task := sa.Task
	if task == "" {
		t.Fatal("picker 1 has no task")
	}
	// Picker 2 must be idle: the rest of the demo's orders are cancelled
	// (as an intercept would), so there is nothing left to give them.
	for _, tk := range m.DB.OpenTasks() {
		if tk.ID != task {
			if err := m.DB.CancelTask(ctx, tk.ID, "test: nothing else to pick"); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := dialPDA(t, ctx, m, "pda-b", daemontest.DeviceToken("pda-b"), demo.Badges[1])
	if sb, _ := sessionOf(m, "pda-b"); sb.Operator != "P002" || sb.Task != "" {
		t.Fatalf("picker 2's session %+v, want idle", sb)
	}
	admin := signedIn(t, m, gateway.DemoAdminBadge)
	if r := admin.change("POST", "/api/v1/tasks/"+task+"/reassign", map[string]string{"device": "pda-c"}); r.status != http.StatusConflict {
		t.Fatalf("reassign to a device nobody is on: %s", r)
	}

	r := admin.change("POST", "/api/v1/tasks/"+task+"/reassign", map[string]string{"device": "pda-b"})
	var got floorgate.Task
	if r.status != http.StatusOK || json.Unmarshal(r.body, &got) != nil {
		t.Fatalf("reassign: %s", r)
	}
	if got.ID != task || got.Status != floorgate.TaskAssigned || got.Device != "pda-b" || got.Operator != "P002" {
		t.Fatalf("task after reassign %+v", got)
	}
	if sb, _ := sessionOf(m, "pda-b"); sb.Task != task {
		t.Fatalf("pda-b's session %+v, want task %s", sb, task)
	}
	if sa, _ := sessionOf(m, "pda-a"); sa.Operator != "P001" || sa.Task != "" {
		t.Fatalf("pda-a's session %+v, want P001 without a task", sa)
	}
	wantPush := func(c *wsclient.Client, kind string) floorgate.Notice {
		t.Helper()
		select {
		case n := <-c.Pushes():
			if n.Kind != kind || n.Task != task {
				t.Fatalf("%s heard %+v, want %s of %s", c.Device(), n, kind, task)
			}
			return n
		case <-ctx.Done():
			t.Fatalf("%s heard nothing", c.Device())
		}
		return floorgate.Notice{}
	}
	wantPush(a, floorgate.NoticeTaskReassigned)
	if n := wantPush(b, floorgate.NoticeTaskAssigned); n.Verdict.Prompt.Task != task || n.Verdict.Prompt.Step != "scan_location" {
		t.Fatalf("pda-b's prompt %+v", n.Verdict.Prompt)
	}
	log := admin.audit()
	if len(log) != 1 {
		t.Fatalf("audit log %+v, want the reassignment alone (the refused one is not a change)", log)
	}
	wantAudit(t, log[0], "task.reassign", task, "to pda-b")
}

// apiClient is another program on the network holding an API token of
// scope ("read" or "admin"), made over the local socket as `floorgate
// tokens create` makes it.
func apiClient(t *testing.T, m *gateway.Gateway, name, scope string) *webClient {
	t.Helper()
	var tok struct{ Token string }
	if err := gatewaytest.Local(m).Post(context.Background(), "/api/v1/tokens", map[string]string{"name": name, "scope": scope}, &tok); err != nil {
		t.Fatalf("tokens create %s: %v", name, err)
	}
	c := newWebClient(t, m)
	c.token = tok.Token
	return c
}

// scrape reads /metrics as Prometheus does: with a read token.
func scrape(t *testing.T, prom *webClient) map[string]*dto.MetricFamily {
	t.Helper()
	r := prom.do("GET", "/metrics", nil, nil)
	if r.status != http.StatusOK {
		t.Fatalf("/metrics: %s", r)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	return fams
}

// sample returns the metric of fam whose labels are exactly labels.
func sample(fams map[string]*dto.MetricFamily, fam string, labels map[string]string) (*dto.Metric, bool) {
	f := fams[fam]
	if f == nil {
		return nil, false
	}
next:
	for _, mt := range f.GetMetric() {
		if len(mt.GetLabel()) != len(labels) {
			continue
		}
		for _, l := range mt.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				continue next
			}
		}
		return mt, true
	}
	return nil, false
}

func TestWebAPIMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, clock := demoGateway(t)
	demo := gateway.NewDemo()
	c := dialPDA(t, ctx, m, "pda-m", daemontest.DeviceToken("pda-m"), demo.Badges[0])
	s, _ := sessionOf(m, "pda-m")
	tk, err := m.DB.Task(s.Task)
	if err != nil {
		t.Fatal(err)
	}
	loc := tk.Lines[0].Location
	wrongLoc := demo.Master.Locations[0].Barcode
	if wrongLoc == demo.LocationBarcode[loc] {
		wrongLoc = demo.Master.Locations[1].Barcode
	}
	scans := []string{wrongLoc, demo.LocationBarcode[loc], demo.ItemBarcode[tk.Lines[0].SKU]}
	codes := map[floorgate.Code]float64{}
	for i, data := range scans {
		clock.Add(time.Second)
		v, err := c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("m-", i), Data: data, DistanceMM: 70})
		if err != nil {
			t.Fatal(err)
		}
		codes[v.Code]++
	}
	if codes[floorgate.CodeWrongLocation] != 1 || codes[floorgate.CodeLocationOK] != 1 {
		t.Fatalf("verdicts %v, want one wrong_location and one location_ok", codes)
	}

	// Without a token, /metrics says nothing.
	if r := newWebClient(t, m).do("GET", "/metrics", nil, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("/metrics without a token: %s", r)
	}
	prom := apiClient(t, m, "prometheus", "read")
	fams := scrape(t, prom)
	for code, n := range codes {
		mt, ok := sample(fams, "floorgate_scan_verdicts_total", map[string]string{"code": string(code), "source": "pda"})
		if !ok || mt.GetCounter().GetValue() != n {
			t.Errorf("floorgate_scan_verdicts_total{code=%q,source=\"pda\"} = %v (present %v), want %v", code, mt.GetCounter().GetValue(), ok, n)
		}
	}
	if n := len(fams["floorgate_scan_verdicts_total"].GetMetric()); n != len(codes) {
		t.Errorf("%d verdict series, want %d: %v", n, len(codes), fams["floorgate_scan_verdicts_total"])
	}
	lat, ok := sample(fams, "floorgate_verdict_latency_seconds", map[string]string{})
	if !ok || fams["floorgate_verdict_latency_seconds"].GetType() != dto.MetricType_HISTOGRAM || lat.GetHistogram().GetSampleCount() != uint64(len(scans)) {
		t.Errorf("latency histogram %v, want %d samples", lat, len(scans))
	}
	if depth, ok := sample(fams, "floorgate_outbox_depth", map[string]string{}); !ok || fams["floorgate_outbox_depth"].GetType() != dto.MetricType_GAUGE || depth.GetGauge().GetValue() < 0 {
		t.Errorf("floorgate_outbox_depth %v", depth)
	}
	seq, ok := sample(fams, "floorgate_journal_last_seq", map[string]string{})
	if !ok || seq.GetGauge().GetValue() < 1 {
		t.Errorf("floorgate_journal_last_seq %v", seq)
	}
	connected := map[string]string{"device": "pda-m", "kind": "pda", "state": "connected"}
	if st, ok := sample(fams, "floorgate_device_state", connected); !ok || st.GetGauge().GetValue() != 1 {
		t.Errorf("floorgate_device_state%v: %v", connected, fams["floorgate_device_state"])
	}

	// Once the PDA goes away, the next scrape says so.
	c.Close()
	disconnected := map[string]string{"device": "pda-m", "kind": "pda", "state": "disconnected"}
	poll.Eventually(t, 5*time.Second, func() bool {
		_, ok := sample(scrape(t, prom), "floorgate_device_state", disconnected)
		return ok
	}, func() string { return fmt.Sprint("no disconnected state: ", scrape(t, prom)["floorgate_device_state"]) })
}

func TestWebAPIReadyAndEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, clock := demoGateway(t)
	if r := newWebClient(t, m).do("GET", "/readyz", nil, nil); r.status != http.StatusOK || string(r.body) != "ready\n" {
		t.Fatalf("/readyz: %d %q", r.status, r.body)
	}

	admin := signedIn(t, m, gateway.DemoAdminBadge)
	sseCtx, stopSSE := context.WithCancel(ctx)
	defer stopSSE()
	start := time.Now()
	resp, err := admin.c.Raw(sseCtx, "GET", "/api/v1/events", nil, nil) // no client timeout: it streams
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("/api/v1/events: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	type sseEvent struct{ name, data string }
	events := make(chan sseEvent, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			case line == "" && ev.name != "":
				select {
				case events <- ev:
				case <-sseCtx.Done():
					return
				}
				ev = sseEvent{}
			}
		}
	}()
	// next returns the next event named name, within d.
	next := func(name string, d time.Duration, match func(data string) bool) sseEvent {
		t.Helper()
		timer := time.NewTimer(d)
		defer timer.Stop()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("the event stream ended waiting for %s", name)
				}
				if ev.name == name && match(ev.data) {
					return ev
				}
			case <-timer.C:
				t.Fatalf("no %s event within %v", name, d)
			}
		}
	}
	st := next("status", time.Second, func(string) bool { return true })
	if took := time.Since(start); took > time.Second {
		t.Fatalf("first status after %v", took)
	}
	var status struct {
		Site    string
		Version string
	}
	if err := json.Unmarshal([]byte(st.data), &status); err != nil || status.Site != "demo" || status.Version != floorgate.Version {
		t.Fatalf("status event %v: %s", err, st.data)
	}

	c := dialPDA(t, ctx, m, "pda-e", daemontest.DeviceToken("pda-e"), gateway.NewDemo().Badges[0])
	clock.Add(time.Second)
	v, err := c.Scan(ctx, floorgate.Scan{ID: "sse-1", Data: "NOT-A-LOCATION", DistanceMM: 70})
	if err != nil {
		t.Fatal(err)
	}
	ev := next("journal", 5*time.Second, func(data string) bool {
		var e floorgate.Event
		return json.Unmarshal([]byte(data), &e) == nil && (e.Type == floorgate.EventScanRejected || e.Type == floorgate.EventScanAccepted) &&
			strings.Contains(string(e.Data), `"sse-1"`)
	})
	var e floorgate.Event
	json.Unmarshal([]byte(ev.data), &e)
	if e.Type != floorgate.EventScanRejected || v.OK || e.Seq != m.DB.LastSeq() {
		t.Fatalf("journal event %s for verdict %s (last seq %d)", ev.data, v.Code, m.DB.LastSeq())
	}
}
