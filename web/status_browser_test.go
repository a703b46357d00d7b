package web_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
	"github.com/floorgate/floorgate/web/webtest"
)

// statusPage is the status page in a 1366×768 browser tab.
type statusPage struct {
	t   *testing.T
	ctx context.Context
}

// until polls a JavaScript condition in the page and returns how long it
// took to hold.
func (p statusPage) until(what, cond string) time.Duration {
	p.t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		html, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.querySelector("main").innerText.slice(0, 2000)`))
		p.t.Fatalf("waiting for %s (%s): %v\npage: %s", what, cond, err, html)
	}
	return time.Since(start)
}

func (p statusPage) show(view string) {
	p.t.Helper()
	webtest.Do(p.t, p.ctx, "open "+view, chromedp.Evaluate[chromedp.Void](`location.hash = "#`+view+`"`))
	p.until(view+" view", `!document.getElementById("view-`+view+`").hidden`)
}

// TestStatusPageLive signs in as the site admin on a real gateway with a
// printer, and checks what a site admin relies on: the sign-in, a pick
// appearing in the KPI table and a printer running out of paper appearing
// on the overview, both pushed live without a reload; then every view, with
// a screenshot of each.
func TestStatusPageLive(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	lbl := printertest.StartTCP(t, printer.ZPL, nil)
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{}, func(c *gateway.Config) {
		c.Printers = []gateway.PrinterConfig{{ID: "lbl-1", Dialect: "zpl", Address: "tcp://" + lbl.Addr(), DPI: 203, Stations: []string{"pack-1"}}}
	})
	demo := gateway.NewDemo()
	p := statusPage{t: t, ctx: browser(t, m, 1366, 768)}
	webtest.Do(t, p.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
	p.until("sign-in form", `!document.getElementById("signin").hidden`)
	// The texts checked below are the English ones, whatever the browser's language.
	webtest.Do(t, p.ctx, "choose English", chromedp.Click(`#signin button[data-lang="en"]`))
	webtest.Screenshot(t, p.ctx, "status-signin")

	// A picker's badge is not for the status page, and the page does not
	// say whose it is: the refusal is a wrong PIN's.
	webtest.Do(t, p.ctx, "sign in as a picker",
		chromedp.SendKeys("#signin-badge", demo.Badges[0]), chromedp.SendKeys("#signin-pin", gateway.DemoPIN),
		chromedp.Click(`#signin-form button[type="submit"]`))
	p.until("refusal", `document.getElementById("signin-error").textContent.includes("badge or PIN not recognised")`)
	webtest.Do(t, p.ctx, "sign in as the admin",
		chromedp.Evaluate[chromedp.Void](`document.getElementById("signin-badge").value = ""; document.getElementById("signin-pin").value = ""`),
		chromedp.SendKeys("#signin-badge", gateway.DemoAdminBadge),
		chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
	p.until("overview", `!document.getElementById("app").hidden && document.querySelector('#overview-printers tr[data-printer="lbl-1"] .state')?.textContent.includes("ready")`)
	p.until("live updates", `document.getElementById("live").classList.contains("on")`)

	// A pick shows in the KPI table without a reload.
	p.show("kpi")
	p.until("an empty KPI table", `document.querySelector("#kpi-table").textContent.includes("Nobody has worked")`)
	c, _, err := dialWS(ctx, t, m, "pda-7", daemontest.DeviceToken("pda-7"), "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Login(ctx, "l1", demo.Badges[0], gateway.DemoPIN)
	if err != nil || v.Prompt.Step != "scan_location" {
		t.Fatalf("login: %v %+v", err, v)
	}
	scan := func(id, data string) floorgate.Verdict {
		t.Helper()
		v, err := c.Scan(ctx, floorgate.Scan{ID: id, Data: data, DistanceMM: 70})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := scan("s1", "A-99-99-9"); v.Code != floorgate.CodeUnknownBarcode {
		t.Fatalf("unknown location: %s", v.Code)
	}
	if v := scan("s2", demo.LocationBarcode[v.Prompt.Location]); v.Code != floorgate.CodeLocationOK {
		t.Fatalf("location: %s", v.Code)
	}
	last := scan("s3", demo.ItemBarcode[v.Prompt.SKU])
	if last.Code != floorgate.CodeItemOK && last.Code != floorgate.CodeLineDone {
		t.Fatalf("item: %s", last.Code)
	}
	took := p.until("the pick in the KPI table",
		`(() => { const r = document.querySelector('#kpi-table tr[data-operator="P001"]');
		  return r && r.querySelector(".scans").textContent === "3" && r.querySelector(".accuracy").textContent === "66.67%"; })()`)
	t.Logf("the pick showed in the KPI table %v after its verdict", took.Round(time.Millisecond))
	if got := webtest.Get(t, p.ctx, "site accuracy card", chromedp.Text[string]("#kpi-accuracy .value")); got != "66.67%" {
		t.Fatalf("site accuracy card %q, want 66.67%%", got)
	}

	// The printer runs out of paper: the overview says so without a reload.
	p.show("overview")
	lbl.SetState(printer.State{Online: true, PaperOut: true})
	took = p.until("paper out on the overview",
		`document.querySelector('#overview-printers tr[data-printer="lbl-1"] .state').textContent.includes("paper out")`)
	t.Logf("paper out showed on the overview %v after the printer reported it", took.Round(time.Millisecond))
	p.until("the printers card in red", `document.getElementById("card-printers").classList.contains("bad")`)
	webtest.Screenshot(t, p.ctx, "status-overview")
	lbl.SetState(printertest.Ready)

	// A parcel packed, so the print queue and the label previews have one.
	pk, _, err := dialWS(ctx, t, m, "pack-1", daemontest.DeviceToken("pack-1"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer pk.Close()
	if v, err := pk.Login(ctx, "l", demo.PackerBadges[0], gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	ship := demo.Shipments()[0]
	n := 0
	packScan := func(data string) floorgate.Verdict {
		n++
		v, err := pk.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("p", n), Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	packScan(ship.Order)
	var pv floorgate.Verdict
	for _, l := range ship.Lines {
		for range l.Qty {
			pv = packScan(demo.ItemBarcode[l.SKU])
		}
	}
	if pv.Code != floorgate.CodePackDone {
		t.Fatalf("packing %s: %s", ship.Order, pv.Code)
	}
	if err := lbl.WaitLabels(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	p.show("devices")
	p.until("devices", `(document.querySelector('#devices-table tr[data-device="pda-7"]')?.textContent || "").match(/P001.*s ago/)`)
	webtest.Do(t, p.ctx, "enrol a PDA", chromedp.Click("#enrol"))
	p.until("pairing code", `/^\d{6}$/.test(document.getElementById("pair-code")?.textContent || "")`)
	p.until("pairing QR", `document.querySelector("#enrol-box img").naturalWidth > 100`)
	webtest.Screenshot(t, p.ctx, "status-devices")

	views := []struct{ view, ready string }{
		{"tasks", `document.querySelector("#tasks-table").textContent.includes("assigned")`},
		{"print", `document.querySelector("#print-table").textContent.includes("printed")`},
		{"sync", `document.querySelector("#sync-cards").textContent.includes("Outbox depth")`},
		{"exceptions", `document.querySelector("#exc-locations").textContent.includes("unknown_barcode")`},
		{"kpi", `document.querySelector("#kpi-bars svg") !== null`},
		{"labels", `document.querySelector("#labels-grid img")?.naturalWidth > 100`},
		{"audit", `document.querySelector("#audit-table").textContent.includes("device.pairing_code")`},
	}
	for _, v := range views {
		p.show(v.view)
		p.until(v.view+" content", v.ready)
		webtest.Screenshot(t, p.ctx, "status-"+v.view)
	}
}
