package web

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/web/webtest"
)

// TestWallPageUnderTheCSP opens the put wall screen of W1 in a real
// headless Chromium at 1920×1080, against the real handler table and live
// updates: without a session it asks for a sign-in (a supervisor's, on
// its own form); then it shows the wall's four slots empty and, as a
// sorter works through the store, the batch and its sorter, the slot the
// unit in hand goes to, an order's progress and its slot turning ready.
// The status page's Overview lists the wall with a link to its screen.
// No CSP violation or uncaught exception shows on the console.
func TestWallPageUnderTheCSP(t *testing.T) {
	sv := serve(t, autoEnrol)
	sv.s.opts.Overview = func() (any, error) {
		return map[string]any{
			"site": "site-1", "gateway": "gw-1", "connected_devices": []string{},
			"counts":   map[string]int{"sessions": 0, "pending_tasks": 0, "open_tasks": 4},
			"outbox":   map[string]int{"depth": 0, "dead_letters": 0},
			"upstream": map[string]any{"connected": false, "last_error": "not configured"},
		}, nil
	}
	wallFloor(t, sv.testServer)
	batchOrders(t, sv.testServer)
	hubCtx, stopHub := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sv.s.Run(hubCtx) }()
	t.Cleanup(func() { stopHub(); <-done })

	b := newCSPBrowser(t, webtest.Browser(t, 1920, 1080))
	b.do("open the wall screen", chromedp.Navigate(sv.base+"/wall/W1"))
	b.until("the sign-in form", `!document.getElementById("signin").hidden && document.getElementById("wall").hidden`)
	b.do("sign in as the supervisor", chromedp.SendKeys("#signin-badge", "SUP1"), chromedp.SendKeys("#signin-pin", testPIN),
		chromedp.Click(`#signin-form button[type="submit"]`))
	b.until("four empty slots, live", `document.querySelectorAll('#slots .slot[data-state="empty"]').length === 4 &&
		document.getElementById("wall-id").textContent === "W1" && document.getElementById("wall-station").textContent.includes("pack-1") &&
		!document.getElementById("idle-box").hidden && document.getElementById("live").classList.contains("on")`)

	p := pickerOn(t, sv.testServer, "pda-1")
	p.scan("B1", floorgate.CodeBatchOpen)
	b.until("the batch and its sorter", `document.getElementById("wall-batch").textContent === "B1" &&
		document.getElementById("wall-sorter").textContent.includes("pick1") && document.getElementById("idle-box").hidden`)
	p.scan("6901234567892", floorgate.CodeSortToSlot)
	const slot1 = `document.querySelector('#slots .slot[data-slot="1"]')`
	b.until("slot 1 is where the unit goes", `(() => { const c = `+slot1+`; return c.dataset.state === "sorting" && c.dataset.next === "true" &&
		c.textContent.includes("SO-1") && c.textContent.includes("0/2") && c.textContent.includes("PUT HERE") &&
		document.querySelectorAll('#slots .slot.next').length === 1; })()`)
	p.scan("SLOT-1", floorgate.CodeSortOK)
	b.until("slot 1 at 1/2", `(() => { const c = `+slot1+`; return c.textContent.includes("1/2") && !c.classList.contains("next"); })()`)
	p.scan("6901234567892", floorgate.CodeSortToSlot)
	p.scan("SLOT-1", floorgate.CodeSlotReady)
	b.until("slot 1 ready", `(() => { const c = `+slot1+`; return c.dataset.state === "ready" && c.textContent.includes("READY") &&
		c.textContent.includes("可打包") && document.getElementById("wall-ready").textContent === "1"; })()`)
	webtest.Screenshot(t, b.ctx, "wall-csp")
	b.clean("the wall screen")

	// The same browser, signed in: the status page links the wall.
	b.do("open the status page", chromedp.Navigate(sv.base+"/"))
	b.until("the walls panel", `(() => { const a = document.querySelector('#walls-table tr[data-wall="W1"] a');
		return a !== null && a.getAttribute("href") === "/wall/W1" && document.querySelector('#walls-table tr[data-wall="W1"]').textContent.includes("pack-1"); })()`)
	b.clean("the status page's walls")
}
