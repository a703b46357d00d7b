package web

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/web/webtest"
)

// TestCartsOnTheStatusPage follows a picker's cart on the Overview's Carts
// panel, in a real headless Chromium against the real handler table and
// live updates, signed in as a supervisor. With no cart, the panel says
// so. The picker scans the cart: its row appears, live, with the picker and
// the PDA, the totes being bound (0 of its 2 slots) and its running time
// since the scan, twelve minutes ago. Totes bound and the first stop
// confirmed: the row shows the orders picked (0 of 2) and the location,
// and two totes held. The cart done: the row is gone and both totes wait
// at packing. No CSP violation or uncaught exception shows on the console.
func TestCartsOnTheStatusPage(t *testing.T) {
	sv := serve(t, autoEnrol)
	sv.s.opts.Overview = func() (any, error) {
		return map[string]any{
			"site": "site-1", "gateway": "gw-1", "connected_devices": []string{},
			"counts":   map[string]int{"sessions": 0, "pending_tasks": 0, "open_tasks": 2},
			"outbox":   map[string]int{"depth": 0, "dead_letters": 0},
			"upstream": map[string]any{"connected": false, "last_error": "not configured"},
		}, nil
	}
	// The browser counts the running time on its own clock: the cart is
	// taken twelve minutes before the page looks.
	sv.clock.Set(time.Now().Add(-12 * time.Minute))
	cartFloor(t, sv.testServer)
	cartOrders(t, sv.testServer, "SO", "")
	hubCtx, stopHub := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sv.s.Run(hubCtx) }()
	t.Cleanup(func() { stopHub(); <-done })

	tab := webtest.Browser(t, 1366, 768)
	b := newCSPBrowser(t, tab)
	b.do("open the status page", chromedp.Navigate(sv.base+"/"))
	b.until("the sign-in form", `!document.getElementById("signin").hidden`)
	// The texts checked below are the English ones, whatever the browser's language.
	b.do("choose English", chromedp.Click(`#signin button[data-lang="en"]`))
	b.do("sign in as the supervisor", chromedp.SendKeys("#signin-badge", "SUP1"), chromedp.SendKeys("#signin-pin", testPIN),
		chromedp.Click(`#signin-form button[type="submit"]`))
	b.until("no cart yet, and live updates", `document.getElementById("live").classList.contains("on") &&
		document.getElementById("carts-table").textContent.includes("No cart is being picked") &&
		document.getElementById("carts-held").textContent === "0" && document.getElementById("carts-packing").textContent === "0"`)

	p := pickerOn(t, sv.testServer, "pda-1")
	p.scan("CART-1", floorgate.CodeCartStarted)
	const row = `document.querySelector('#carts-table tr[data-cart="C1"]')`
	b.until("the cart being bound", `(() => { const r = `+row+`; return r !== null && r.dataset.state === "binding" &&
		r.querySelector("td.picker").textContent.includes("pick1") && r.querySelector("td.picker").textContent.includes("pda-1") &&
		r.querySelector("td.progress").textContent.includes("0/2") && r.querySelector("td.progress").textContent.includes("totes bound") &&
		r.querySelector("td.progress progress").max === 2 &&
		r.querySelector("td.where").textContent.includes("binding") &&
		/^1[12]\.\d min/.test(r.querySelector("td.running").textContent.trim()); })()`)

	p.bindTotes()
	p.scan("LOC-A-01", floorgate.CodeLocationOK)
	b.until("the picker at the first stop", `(() => { const r = `+row+`; return r !== null && r.dataset.state === "picking" &&
		r.querySelector("td.progress").textContent.includes("0/2") && r.querySelector("td.progress").textContent.includes("orders picked") &&
		r.querySelector("td.where").textContent.trim() === "A-01" &&
		document.getElementById("carts-held").textContent === "2" && document.getElementById("carts-packing").textContent === "0"; })()`)
	webtest.Screenshot(t, tab, "status-carts")

	v := p.scan("6901234567892", floorgate.CodeItemToTote)
	p.scan(toteOf(v.Prompt.Slot), floorgate.CodePutOK)
	b.until("the first order picked", `(() => { const r = `+row+`; return r !== null &&
		r.querySelector("td.progress").textContent.includes("1/2") && r.querySelector("td.where").textContent.includes("between stops"); })()`)
	p.pickStop("A-02", "ITEM-2", true)
	b.until("the cart done, its totes at packing", `document.querySelector('#carts-table tr[data-cart]') === null &&
		document.getElementById("carts-table").textContent.includes("No cart is being picked") &&
		document.getElementById("carts-held").textContent === "2" && document.getElementById("carts-packing").textContent === "2"`)
	b.clean("the carts panel")
}
