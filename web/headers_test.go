package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/ws"
	"github.com/floorgate/floorgate/print/label"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web/webtest"
)

// TestSecurityHeaders: every answer carries the CSP, no framing, no
// referrer and no sniffing; HSTS only over TLS. A handler's own headers
// stay.
func TestSecurityHeaders(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
	})
	for _, hsts := range []bool{false, true} {
		w := httptest.NewRecorder()
		SecurityHeaders(inner, hsts).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/status", nil))
		want := map[string]string{
			"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
				"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
			"X-Frame-Options":           "DENY",
			"Referrer-Policy":           "no-referrer",
			"X-Content-Type-Options":    "nosniff",
			"Strict-Transport-Security": "",
			"Content-Type":              "application/json",
		}
		if hsts {
			want["Strict-Transport-Security"] = "max-age=31536000"
		}
		for k, v := range want {
			if got := w.Header().Get(k); got != v {
				t.Errorf("hsts=%v: %s: %q, want %q", hsts, k, got, v)
			}
		}
		if w.Code != http.StatusTeapot {
			t.Errorf("hsts=%v: status %d", hsts, w.Code)
		}
	}
	// An image opened on its own may have the browser's own style
	// attributes, and nothing else.
	w := httptest.NewRecorder()
	SecurityHeaders(inner, false).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/printjobs/J-1/preview.png", nil))
	if got, want := w.Header().Get("Content-Security-Policy"), "default-src 'none'; img-src 'self'; style-src-attr 'unsafe-inline'; "+
		"frame-ancestors 'none'; base-uri 'none'; form-action 'none'"; got != want {
		t.Errorf("an image's CSP: %q, want %q", got, want)
	}
}

// violationWatch is injected into every document before the page's own
// script: it keeps each securitypolicyviolation the browser reports and
// writes it to the console too. (A script injected over the DevTools
// protocol is not subject to the page's CSP.)
const violationWatch = `
window.fgViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  var v = e.effectiveDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + e.sourceFile + ':' + e.lineNumber;
  window.fgViolations.push(v);
  console.error('CSP violation: ' + v);
}, true);
`

// cspBrowser is a headless Chromium tab whose console is watched for CSP
// violations and uncaught exceptions.
type cspBrowser struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

func newCSPBrowser(t *testing.T, tab context.Context) *cspBrowser {
	t.Helper()
	b := &cspBrowser{t: t, ctx: tab}
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: violationWatch}); err != nil {
		t.Fatalf("watch for CSP violations: %v", err)
	}
	ctx, stop := context.WithCancel(b.ctx)
	t.Cleanup(stop)
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// The browser's own report of a refused inline script or
			// style, our watcher's, and any uncaught exception.
			if m.IsException() || m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") ||
				strings.HasPrefix(m.Text, "CSP violation") {
				b.mu.Lock()
				b.problems = append(b.problems, m.String())
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// until polls a JavaScript condition with a deadline.
func (b *cspBrowser) until(what, cond string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		text, _ := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 1500)`))
		b.t.Fatalf("waiting for %s (%s): %v\npage: %s\nconsole problems: %q", what, cond, err, text, b.seen())
	}
}

func (b *cspBrowser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	webtest.Do(b.t, b.ctx, what, steps...)
}

func (b *cspBrowser) js(what, expr string) {
	b.t.Helper()
	b.do(what, chromedp.Evaluate[chromedp.Void](expr))
}

// seen returns the console problems so far.
func (b *cspBrowser) seen() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.problems...)
}

// violations returns what the page's watcher recorded in this document.
func (b *cspBrowser) violations() []string {
	b.t.Helper()
	return webtest.Get(b.t, b.ctx, "read the violations", chromedp.Evaluate[[]string](`window.fgViolations || []`))
}

// clean fails the test on any violation or uncaught exception so far.
func (b *cspBrowser) clean(where string) {
	b.t.Helper()
	if v := b.violations(); len(v) > 0 {
		b.t.Errorf("%s: CSP violations: %q", where, v)
	}
	// Console events arrive asynchronously; the page's own watcher above is
	// the synchronous check, this one catches what it cannot (exceptions).
	b.mu.Lock()
	p := b.problems
	b.problems = nil
	b.mu.Unlock()
	if len(p) > 0 {
		b.t.Errorf("%s: console: %q", where, p)
	}
}

// cspSite serves both pages, through SecurityHeaders, from a real store, the
// real PDA WebSocket endpoint and the status page's real handlers; the few
// endpoints another package serves (status, print jobs, dead letters) are
// canned here.
func cspSite(t *testing.T, tls bool) (*testServer, string) {
	t.Helper()
	ts := newTestServer(t, func(o *store.Options) { o.AutoEnrol = true })
	ctx := context.Background()
	longLoc := "ZONE-A-AISLE-12-RACK-03-LEVEL-2-BIN-07"
	m := store.Master{
		Locations: []floorgate.Location{{Code: longLoc, Barcode: "LOC-1"}, {Code: "B-02", Barcode: "LOC-2"}},
		Items:     []floorgate.Item{{SKU: "SKU-1", Name: "USB-C cable 1 m", Barcodes: []string{"6901234567892"}}},
	}
	if err := ts.db.PutMaster(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.db.ImportTasks(ctx, []floorgate.Task{{ID: "T-1", Order: "SO-1",
		Lines: []floorgate.TaskLine{{Location: longLoc, SKU: "SKU-1", Qty: 3}}}}); err != nil {
		t.Fatal(err)
	}
	// A held wave, for the overview's Waves panel: its task is not the PDA's.
	if res, err := ts.db.ApplyCommand(ctx, []byte(`{"id":"c1","type":"task.create","data":{"wave":{"id":"PEAK-1","hold":true,"priority":9},
		"tasks":[{"id":"W-1","order":"SO-2","lines":[{"location":"`+longLoc+`","sku":"SKU-1","qty":1}]}]}}`)); err != nil || !res.Applied {
		t.Fatalf("declare a held wave: %+v %v", res, err)
	}
	pda := ws.NewServer(ts.db, ts.clock, slog.New(slog.DiscardHandler), ws.Options{})
	t.Cleanup(func() { pda.Close() })
	overview := map[string]any{
		"site": "site-1", "gateway": "gw-1", "connected_devices": []string{},
		"counts":   map[string]int{"sessions": 0, "pending_tasks": 1, "open_tasks": 1},
		"outbox":   map[string]int{"depth": 0, "dead_letters": 0},
		"upstream": map[string]any{"connected": false, "last_error": "not configured"},
		"printers": []map[string]any{{"id": "lbl-1", "state": "paper_out", "detail": "media out", "stations": []string{"pack-1"}}},
		"scanners": []map[string]any{{"name": "sc-1", "model": "DS2208", "station": "pack-1", "status": "connected"}},
	}
	s := New(Options{DB: ts.db, Clock: ts.clock, Overview: func() (any, error) { return overview, nil },
		Connected: pda.Connected, LastSeen: pda.LastSeen, Scanners: func() []scanner.State { return nil }})
	ts.s = s
	hubCtx, stopHub := context.WithCancel(ctx)
	go s.Run(hubCtx)

	png, err := label.QRPNG("label J-1", 200)
	if err != nil {
		t.Fatal(err)
	}
	canned := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, v) }
	}
	// asAdmin stands in for the access check of the real handler table: the
	// page is signed in as the admin, and a change is audited in their name.
	asAdmin := func(action string, h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if _, ok := s.current(r); !ok {
				writeErr(w, floorgate.Errorf(floorgate.EUNAUTHORIZED, "sign in first"))
				return
			}
			if action != "" {
				r = r.WithContext(store.Audited(r.Context(), store.AuditEntry{Actor: "admin1", Role: "admin", Remote: remoteHost(r), Action: action}))
			}
			h(w, r)
		}
	}
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", noCache(http.FileServerFS(sub("admin"))))
	mux.Handle("GET /ui/", noCache(http.StripPrefix("/ui/", http.FileServerFS(sub("admin")))))
	mux.Handle("GET /pda/", PDA())
	mux.Handle("GET /ws/v1", pda)
	mux.HandleFunc("POST /api/v1/session", s.handleSignIn)
	mux.HandleFunc("GET /api/v1/session", s.handleWhoAmI)
	mux.HandleFunc("POST /api/v1/pair", s.handlePair)
	mux.HandleFunc("GET /api/v1/events", asAdmin("", s.hub.handleEvents))
	mux.HandleFunc("GET /api/v1/kpi", asAdmin("", s.handleKPI))
	mux.HandleFunc("GET /api/v1/exceptions", asAdmin("", s.handleExceptions))
	mux.HandleFunc("GET /api/v1/devices", asAdmin("", s.handleDevices))
	mux.HandleFunc("GET /api/v1/tasks", asAdmin("", s.handleTasks))
	mux.HandleFunc("GET /api/v1/waves", asAdmin("", s.handleWaves))
	mux.HandleFunc("GET /api/v1/carts", asAdmin("", s.handleCarts))
	mux.HandleFunc("GET /api/v1/walls", asAdmin("", s.handleWalls))
	mux.HandleFunc("POST /api/v1/waves/{id}/release", asAdmin("wave.release", s.handleReleaseWave))
	mux.HandleFunc("GET /api/v1/audit", asAdmin("", s.handleAudit))
	mux.HandleFunc("POST /api/v1/devices/enrol", asAdmin("device.pairing_code", s.handleEnrol))
	mux.HandleFunc("GET /api/v1/devices/enrol/{code}/qr.png", asAdmin("", s.handleEnrolQR))
	mux.HandleFunc("GET /api/v1/status", asAdmin("", canned(overview)))
	mux.HandleFunc("GET /api/v1/deadletters", asAdmin("", canned([]any{})))
	mux.HandleFunc("GET /api/v1/printjobs", asAdmin("", canned([]map[string]any{{"id": "J-1", "order": "SO-1", "template": "waybill",
		"station": "pack-1", "printer": "lbl-1", "status": "held", "reason": "paper out",
		"created": "2026-11-22T09:00:00Z", "updated": "2026-11-22T09:00:01Z"}})))
	mux.HandleFunc("GET /api/v1/labels", asAdmin("", canned([]map[string]any{{"job": "J-0", "kind": "waybill", "order": "SO-0",
		"template": "100x180", "station": "pack-1", "printer": "lbl-1", "printed": "2026-11-22T08:59:00Z",
		"preview": "/api/v1/printjobs/J-0/preview.png"}})))
	mux.HandleFunc("GET /api/v1/printjobs/{id}/preview.png", asAdmin("", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(png)
	}))
	srv := httptest.NewUnstartedServer(SecurityHeaders(mux, tls))
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	t.Cleanup(stopHub) // before srv.Close: the live-update streams end first
	return ts, srv.URL
}

// TestPagesRunUnderTheCSP loads the status page and the PDA app in a real
// headless Chromium, served through SecurityHeaders, and works them: sign
// in, live updates, the overview's held wave and carts, every view of the status
// page, a pairing QR code and a label preview; on the PDA, the WebSocket to the same host, a login on
// the keypad, a pick prompt whose long location is fitted to the screen,
// a wrong-location alarm and the pairing screen's request. No CSP violation
// and no uncaught exception may show on the console. The last step proves
// the watch works: an inline style attribute and an inline event handler
// are reported, a CSSOM write is not.
func TestPagesRunUnderTheCSP(t *testing.T) {
	_, base := cspSite(t, false)

	t.Run("status page", func(t *testing.T) {
		b := newCSPBrowser(t, webtest.Browser(t, 1366, 768))
		b.do("open the status page", chromedp.Navigate(base+"/"))
		b.until("the sign-in form", `!document.getElementById("signin").hidden`)
		b.do("sign in", chromedp.SendKeys("#signin-badge", "ADMIN1"), chromedp.SendKeys("#signin-pin", testPIN),
			chromedp.Click(`#signin-form button[type="submit"]`))
		b.until("the overview", `!document.getElementById("app").hidden && document.querySelector('#overview-printers tr[data-printer="lbl-1"]') !== null`)
		b.until("live updates", `document.getElementById("live").classList.contains("on")`)
		b.until("the held wave", `document.querySelector('#waves-table tr[data-wave="PEAK-1"][data-status="held"] button[data-release]') !== null`)
		b.until("the carts panel", `document.getElementById("carts-table").textContent.includes("No cart is being picked")`)
		for _, v := range []struct{ view, ready string }{
			{"devices", `document.querySelector("#devices-table tr") !== null`},
			{"tasks", `document.querySelector("#tasks-table").textContent.includes("T-1")`},
			{"print", `document.querySelector('#print-table tr[data-job="J-1"]') !== null`},
			{"sync", `document.querySelector("#dead-table").textContent.includes("No dead letters")`},
			{"exceptions", `document.querySelector("#exc-items").textContent.includes("None today")`},
			{"kpi", `document.querySelector("#kpi-table").textContent.includes("Nobody has worked") && document.querySelector("#kpi-trend svg") !== null`},
			{"labels", `[...document.querySelectorAll("#labels-grid img")].some((i) => i.complete && i.naturalWidth > 0)`},
			{"audit", `document.querySelector("#audit-table").textContent.length > 0`},
		} {
			b.js("open "+v.view, `location.hash = "#`+v.view+`"`)
			b.until(v.view, `!document.getElementById("view-`+v.view+`").hidden && (`+v.ready+`)`)
		}
		b.js("open devices", `location.hash = "#devices"`)
		b.do("enrol a PDA", chromedp.Click("#enrol"))
		b.until("the pairing QR code", `(() => { const i = document.querySelector("#enrol-box img"); return i && i.complete && i.naturalWidth > 0; })()`)
		b.clean("status page")

		// A label preview opened on its own, as the print queue's link does.
		b.do("open a label preview", chromedp.Navigate(base+"/api/v1/printjobs/J-1/preview.png"))
		b.until("the preview", `document.images.length === 1 && document.images[0].complete && document.images[0].naturalWidth > 0`)
		b.clean("label preview")
	})

	t.Run("PDA app", func(t *testing.T) {
		b := newCSPBrowser(t, webtest.Browser(t, 360, 640))
		b.do("open the PDA app", chromedp.Navigate(base+"/pda/"))
		b.until("the login screen over the WebSocket", `fgState().online && fgState().screen === "login"`)
		b.do("type the badge", chromedp.Click("#badge-type"), chromedp.SendKeys("#badge-input", "PICK1"), chromedp.Click("#badge-ok"))
		b.until("the PIN step", `!document.getElementById("login-pin-step").hidden`)
		for _, k := range append(strings.Split(testPIN, ""), "ok") {
			b.do("key "+k, chromedp.Click(`#pin-pad button[data-k="`+k+`"]`))
		}
		b.until("the pick prompt", `fgState().screen === "pick" && fgState().step === "scan_location"`)
		b.until("the location shrunk to fit", `parseInt(document.getElementById("pick-location").style.fontSize, 10) < 50`)
		b.js("scan the wrong location", `fgReader.key("L", 0); fgReader.key("O", 1); fgReader.key("C", 2); fgReader.key("-", 3); fgReader.key("2", 4); fgReader.end(5)`)
		b.until("the wrong-location alarm", `!document.getElementById("alarm").hidden`)
		b.clean("PDA app")

		b.do("open the pairing screen", chromedp.Navigate(base+"/pda/?pair=000000"))
		b.until("the pairing refusal", `fgState().screen === "pair" && document.getElementById("verdict").textContent.includes("not valid")`)
		b.clean("PDA pairing")

		// The watch itself: what the CSP forbids is reported, what it
		// allows is not.
		b.js("write a style through the CSSOM", `document.body.style.outline = "1px solid red"`)
		if v := b.violations(); len(v) != 0 {
			t.Fatalf("a CSSOM write was reported: %q", v)
		}
		b.js("set a style attribute", `document.body.setAttribute("style", "outline: 2px solid red")`)
		b.js("add an inline handler", `document.body.insertAdjacentHTML("beforeend", '<img alt="" src="/pda/app.css" onerror="window.fgPwned = 1">')`)
		b.until("both reported", `fgViolations.some((v) => v.startsWith("style-src-attr")) && fgViolations.some((v) => v.startsWith("script-src-attr"))`)
		if pwned := webtest.Get(t, b.ctx, "the inline handler", chromedp.Evaluate[bool](`window.fgPwned === 1`)); pwned {
			t.Fatal("an inline event handler ran")
		}
	})
}

// TestPDAAppRunsUnderTheCSPOverTLS: served over https, as the gateway is by
// default, the PDA app's WebSocket goes to wss: on the same host, which
// connect-src 'self' allows; the answers carry HSTS.
func TestPDAAppRunsUnderTheCSPOverTLS(t *testing.T) {
	_, base := cspSite(t, true)
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("server at %s", base)
	}
	// The test server's certificate is its own: this browser takes it, as a
	// PDA does once its user accepted the gateway's.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(webtest.Chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.WindowSize(360, 640),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b := newCSPBrowser(t, tab)
	resp, err := chromedp.RunResponse(tab, chromedp.Navigate(base+"/pda/"))
	if err != nil {
		t.Fatalf("open the PDA app: %v", err)
	}
	if got := resp.Headers["Strict-Transport-Security"]; got != "max-age=31536000" {
		t.Errorf("Strict-Transport-Security: %v", got)
	}
	b.until("the login screen over wss", `location.protocol === "https:" && fgState().online && fgState().screen === "login"`)
	b.clean("PDA app over TLS")
}
