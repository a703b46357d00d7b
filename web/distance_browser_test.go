package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/web/webtest"
)

// TestStatusPageSaysNotMeasurable: a PDA enrolled with a model whose site
// profile says it cannot measure its distance scans with none; a TC21
// (camera geometry) scans with none too. The status page's distance card
// names the first as not measurable, in English and Chinese, and leaves
// the second in unknown.
func TestStatusPageSaysNotMeasurable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	wedge := "model: Wedge PDA\nkind: pda\ntransports: [websocket]\noptics: {focal_px: 1000}\ndistance: none\n"
	if err := os.WriteFile(filepath.Join(dir, "wedge.yaml"), []byte(wedge), 0o600); err != nil {
		t.Fatal(err)
	}
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{}, func(c *gateway.Config) { c.ProfilesDir = dir })
	demo := gateway.NewDemo()
	for i, d := range []struct{ device, model string }{{"pda-w", "Wedge PDA"}, {"pda-c", "TC21"}} {
		c, _, err := dialWS(ctx, t, m, d.device, daemontest.DeviceToken(d.device), d.model)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		v, err := c.Login(ctx, "l1", demo.Badges[i], gateway.DemoPIN)
		if err != nil || v.Prompt.Step != "scan_location" {
			t.Fatalf("login on %s: %v %+v", d.device, err, v)
		}
		if v, err := c.Scan(ctx, floorgate.Scan{ID: "s1", Data: demo.LocationBarcode[v.Prompt.Location]}); err != nil || v.Code != floorgate.CodeLocationOK {
			t.Fatalf("location on %s: %v %+v", d.device, err, v)
		}
	}

	p := statusPage{t: t, ctx: browser(t, m, 1366, 768)}
	webtest.Do(t, p.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
	p.until("sign-in form", `!document.getElementById("signin").hidden`)
	webtest.Do(t, p.ctx, "choose English", chromedp.Click(`#signin button[data-lang="en"]`))
	webtest.Do(t, p.ctx, "sign in as the admin",
		chromedp.SendKeys("#signin-badge", gateway.DemoAdminBadge),
		chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
	p.until("overview", `!document.getElementById("app").hidden`)
	p.show("kpi")
	p.until("the wedge PDA not measurable, the TC21's scan unknown",
		`(() => { const s = document.querySelector("#kpi-band .sub")?.textContent || "";
		  return s.includes("not measurable: pda-w") && !s.includes("pda-c") && s.includes("50.0% unknown"); })()`)
	webtest.Do(t, p.ctx, "switch to Chinese", chromedp.Click(`.side button[data-lang="zh"]`))
	p.until("the card in Chinese", `(document.querySelector("#kpi-band .sub")?.textContent || "").includes("无法测距：pda-w")`)
}
