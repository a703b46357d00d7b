package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/web/webtest"
)

// TestLabelsViewShowsPrintedLabels: on a demo gateway with its simulated
// printers, a packer packs a parcel at pack-1; the status page's Labels
// view, in a real headless Chromium signed in as the site admin, shows the
// waybill as a picture that loaded (naturalWidth > 0) with its order,
// station, printer and template, and a Reprint button for the admin. A
// second parcel, packed while the view is open, appears first without a
// reload.
func TestLabelsViewShowsPrintedLabels(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	cfg := gateway.DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	m := gatewaytest.Start(t, &gateway.Gateway{Config: cfg, Demo: true, DemoPrinter: true, Clock: clock})
	demo := gateway.NewDemo()
	ships := demo.Shipments()
	c, _, err := dialWS(ctx, t, m, "pda-lbl", daemontest.DeviceToken("pda-lbl"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetStation(ctx, "s1", "pack-1"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Login(ctx, "l", demo.PackerBadges[0], gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	pack := func(ship floorgate.Shipment) {
		t.Helper()
		if v := packParcel(ctx, t, c, demo, ship, clock); v.Code != floorgate.CodePackDone {
			t.Fatalf("parcel: %+v", v)
		}
		waitJob(t, m, "waybill:"+ship.Order, func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted })
		if v, err := c.Scan(ctx, floorgate.Scan{ID: "w-" + ship.Order, Data: ship.Tracking}); err != nil || v.Code != floorgate.CodeShipped {
			t.Fatalf("waybill scan: %v %+v", err, v)
		}
	}
	pack(ships[2])

	p := statusPage{t: t, ctx: browser(t, m, 1366, 768)}
	webtest.Do(t, p.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
	p.until("sign-in form", `!document.getElementById("signin").hidden`)
	webtest.Do(t, p.ctx, "sign in as the admin",
		chromedp.SendKeys("#signin-badge", gateway.DemoAdminBadge),
		chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
	p.until("overview", `!document.getElementById("app").hidden`)
	p.show("labels")
	figure := func(order string) string {
		return `document.querySelector('#labels-grid figure[data-order="` + order + `"]')`
	}
	p.until("the waybill's picture, loaded, with its order, station, printer and template", `(() => {
		const f = `+figure(ships[2].Order)+`; if (!f) return false;
		const img = f.querySelector("img"), cap = f.querySelector("figcaption").textContent;
		return img.complete && img.naturalWidth > 0 && cap.includes("`+ships[2].Order+`") && cap.includes("pack-1") &&
			cap.includes("`+gateway.DemoZPLPrinterID+`") && cap.includes("waybill") &&
			f.querySelector('button[data-reprint="waybill:`+ships[2].Order+`"]') !== null; })()`)

	pack(ships[3])
	p.until("the new label first, without a reload", `(() => {
		const fs = document.querySelectorAll("#labels-grid figure");
		return fs.length === 2 && fs[0].dataset.order === "`+ships[3].Order+`" && fs[1].dataset.order === "`+ships[2].Order+`" &&
			fs[0].querySelector("img").complete && fs[0].querySelector("img").naturalWidth > 0; })()`)
	webtest.Screenshot(t, p.ctx, "status-labels")
}
