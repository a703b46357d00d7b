package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate/web/webtest"
)

// TestAPITokensOnTheStatusPage works the status page's API tokens view in a
// real headless Chromium against the real handler table: the admin creates
// a token (read by default) and sees its secret once, copies it, and the
// secret works as a Bearer token from another program; after a reload
// neither the page nor its storage holds the secret; a second token of the
// same name is refused with the API's message; Revoke asks first, and only
// the confirmed revoke stops the secret (401). A supervisor sees neither
// the view nor its controls, even when asking for it by its address. No
// CSP violation or uncaught exception shows on the console.
func TestAPITokensOnTheStatusPage(t *testing.T) {
	sv := serve(t)
	// The overview comes from the gateway in production; before any request.
	sv.s.opts.Overview = func() (any, error) {
		return map[string]any{
			"site": "site-1", "gateway": "gw-1", "connected_devices": []string{},
			"counts":   map[string]int{"sessions": 0, "pending_tasks": 0, "open_tasks": 0},
			"outbox":   map[string]int{"depth": 0, "dead_letters": 0},
			"upstream": map[string]any{"connected": false, "last_error": "not configured"},
		}, nil
	}
	tab := webtest.Browser(t, 1366, 768)
	b := newCSPBrowser(t, tab)
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(tab, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: sv.base}); err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	bearer := func(secret string) int {
		t.Helper()
		status, _ := do(t, sv.tcp, "GET", "/api/v1/status", "", map[string]string{"Authorization": "Bearer " + secret})
		return status
	}
	signIn := func(badge string) {
		t.Helper()
		b.until("the sign-in form", `!document.getElementById("signin").hidden`)
		b.do("sign in as "+badge, chromedp.Evaluate[chromedp.Void](`document.getElementById("signin-badge").value = ""`),
			chromedp.SendKeys("#signin-badge", badge),
			chromedp.SendKeys("#signin-pin", testPIN), chromedp.Click(`#signin-form button[type="submit"]`))
		b.until("the page", `!document.getElementById("app").hidden`)
	}

	b.do("open the status page", chromedp.Navigate(sv.base+"/"))
	// The texts checked below are the English ones, whatever the browser's language.
	b.until("the sign-in form", `!document.getElementById("signin").hidden`)
	b.do("choose English", chromedp.Click(`#signin button[data-lang="en"]`))
	signIn("ADMIN1")
	b.until("the tokens link", `!document.getElementById("nav-tokens").hidden`)
	b.do("open the tokens view", chromedp.Click("#nav-tokens"))
	b.until("the empty tokens table", `!document.getElementById("view-tokens").hidden &&
		document.getElementById("tokens-table").textContent.includes("No API tokens yet")`)
	b.until("read chosen by default", `document.getElementById("token-scope").value === "read" && document.getElementById("token-secret-box").hidden`)

	b.do("create a token", chromedp.SendKeys("#token-name", "wms-export"), chromedp.Click("#token-create"))
	b.until("the secret, once", `!document.getElementById("token-secret-box").hidden &&
		document.getElementById("token-secret").textContent.startsWith("fgt_") &&
		document.getElementById("token-secret-box").textContent.includes("Copy it now: it is not shown again")`)
	secret := webtest.Get(t, tab, "read the secret", chromedp.Evaluate[string](`document.getElementById("token-secret").textContent`))
	id, _, _ := strings.Cut(strings.TrimPrefix(secret, "fgt_"), "_")
	b.until("the token listed, active", `(() => { const r = document.querySelector('#tokens-table tr[data-token="`+id+`"]');
		return r && r.textContent.includes("wms-export") && r.textContent.includes("read") && r.textContent.includes("admin1") &&
			r.querySelector(".state").textContent.includes("active") && r.querySelector("button[data-revoke]") !== null; })()`)
	b.until("the form cleared", `document.getElementById("token-name").value === ""`)

	b.do("copy the secret", chromedp.Click("#token-copy"))
	b.until("copied", `document.getElementById("token-copied").textContent.includes("Copied")`)
	if got := webtest.Get(t, tab, "read the clipboard", chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); got != secret {
		t.Errorf("the clipboard holds %q, want the secret", got)
	}
	webtest.Screenshot(t, tab, "status-tokens")

	if status := bearer(secret); status != http.StatusOK {
		t.Fatalf("GET /api/v1/status with the secret shown: %d", status)
	}
	// Read by default: the token the page made may not change anything.
	if status, body := do(t, sv.tcp, "POST", "/api/v1/operators/pick1/disable", "",
		map[string]string{"Authorization": "Bearer " + secret}); status != http.StatusForbidden {
		t.Fatalf("the read token disabled a picker: %d %s", status, body)
	}

	// The API's refusal, in its own words.
	b.do("create it again", chromedp.SendKeys("#token-name", "wms-export"), chromedp.Click("#token-create"))
	b.until("the refusal", `(() => { const f = document.getElementById("flash");
		return !f.hidden && f.classList.contains("bad") && f.textContent === 'Not done: a token named "wms-export" exists: revoke it first'; })()`)

	// Reloaded, the page lists the token and nothing of its secret.
	b.do("reload", chromedp.Reload())
	b.until("the token listed again", `!document.getElementById("app").hidden && !document.getElementById("view-tokens").hidden &&
		document.querySelector('#tokens-table tr[data-token="`+id+`"]') !== null`)
	tail := secret[strings.LastIndex(secret, "_")+1:]
	if leaked := webtest.Get(t, tab, "look for the secret", chromedp.Evaluate[bool](`(() => {
		const s = `+jsonString(tail)+`;
		const stored = [localStorage, sessionStorage].some((st) => Object.keys(st).some((k) => (k + st.getItem(k)).includes(s)));
		return document.documentElement.outerHTML.includes(s) || stored || !document.getElementById("token-secret-box").hidden;
	})()`)); leaked {
		t.Fatal("after a reload the page still shows or keeps the secret")
	}

	// Revoke asks first: Cancel keeps the token, Yes ends it.
	revoke := `#tokens-table tr[data-token="` + id + `"] button[data-revoke]`
	confirmBtn := `#tokens-table tr[data-token="` + id + `"] button[data-revoke-confirm]`
	b.do("ask to revoke", chromedp.Click(revoke))
	b.until("the confirm step", `document.querySelector('`+confirmBtn+`') !== null`)
	b.do("cancel", chromedp.Click(`#tokens-table tr[data-token="`+id+`"] button[data-revoke-cancel]`))
	b.until("the Revoke button back", `document.querySelector('`+revoke+`') !== null`)
	if status := bearer(secret); status != http.StatusOK {
		t.Fatalf("the secret after a cancelled revoke: %d", status)
	}
	b.do("ask to revoke again", chromedp.Click(revoke))
	b.until("the confirm step", `document.querySelector('`+confirmBtn+`') !== null`)
	webtest.Screenshot(t, tab, "status-tokens-revoke")
	b.do("confirm", chromedp.Click(confirmBtn))
	b.until("the token revoked, with its time", `(() => { const r = document.querySelector('#tokens-table tr[data-token="`+id+`"]');
		return r && r.querySelector(".state").textContent.includes("revoked") && r.querySelector(".state .muted").textContent !== "—" &&
			r.querySelector("button") === null; })()`)
	if status := bearer(secret); status != http.StatusUnauthorized {
		t.Fatalf("the secret after the revoke: %d, want 401", status)
	}
	b.clean("the tokens view")

	// A supervisor: no link, no form, and the address alone shows the
	// overview. The page does not even ask for the list (a 403 would flash).
	b.do("sign out", chromedp.Click("#signout"))
	signIn("SUP1")
	b.until("the overview instead of the tokens", `document.getElementById("who-role").textContent === "supervisor" &&
		location.hash === "#tokens" && !document.getElementById("view-overview").hidden && document.getElementById("view-tokens").hidden`)
	b.js("open the audit", `location.hash = "#audit"`)
	b.until("the audit", `!document.getElementById("view-audit").hidden`)
	b.js("ask for the tokens", `location.hash = "#tokens"`)
	b.until("the overview again", `!document.getElementById("view-overview").hidden && document.getElementById("view-tokens").hidden`)
	if shown := webtest.Get(t, tab, "the admin controls", chromedp.Evaluate[[]string](`
		["#nav-tokens", "#token-form", "#token-name", "#token-create", "#token-secret-box", "#tokens-table tr", "#tokens-table button"]
			.filter((sel) => [...document.querySelectorAll(sel)].some((e) => e.checkVisibility()))`)); len(shown) > 0 {
		t.Errorf("a supervisor sees %q", shown)
	}
	if flashed := webtest.Get(t, tab, "the flash", chromedp.Evaluate[string](`document.getElementById("flash").hidden ? "" : document.getElementById("flash").textContent`)); flashed != "" {
		t.Errorf("a supervisor's page flashed %q", flashed)
	}
	b.clean("the page as a supervisor")
}
