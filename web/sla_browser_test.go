package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/web/webtest"
)

// TestSLABoardOnTheStatusPage: with the ERP's broker down, an order packed
// over a real WebSocket shows on the status page's SLA board as at risk 20
// minutes after packing and as breached at 30, on the gateway's clock, in
// either language; shipped, it leaves the board.
func TestSLABoardOnTheStatusPage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	m, clock, ship, scan := packOneOrderERPDown(ctx, t)
	packed := clock.Now()

	p := statusPage{t: t, ctx: browser(t, m, 1366, 768)}
	webtest.Do(t, p.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
	p.until("sign-in form", `!document.getElementById("signin").hidden`)
	webtest.Do(t, p.ctx, "choose English", chromedp.Click(`#signin button[data-lang="en"]`))
	webtest.Do(t, p.ctx, "sign in as the admin",
		chromedp.SendKeys("#signin-badge", gateway.DemoAdminBadge),
		chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
	p.until("overview", `!document.getElementById("app").hidden && document.getElementById("sla-table").textContent.includes("No order is at risk")`)

	row := `document.querySelector('#sla-table tr[data-order="` + ship.Order + `"][data-rule="outbound"]')`
	reload := func() {
		t.Helper()
		webtest.Do(t, p.ctx, "reload the board", chromedp.Evaluate[chromedp.Void](`loadSLA()`))
	}
	clock.Set(packed.Add(19*time.Minute + 59*time.Second))
	reload()
	p.until("the board at 19:59", `document.getElementById("sla-table").textContent.includes("No order is at risk")`)
	clock.Set(packed.Add(20 * time.Minute))
	reload()
	p.until("at risk at 20 minutes", row+`?.dataset.state === "at_risk" && `+row+`.textContent.includes("10.0 min left")`)
	webtest.Screenshot(t, p.ctx, "status-sla-at-risk")
	clock.Set(packed.Add(30 * time.Minute))
	reload()
	p.until("breached at 30 minutes", row+`?.dataset.state === "breached" && `+row+`.textContent.includes("breached")`)
	webtest.Do(t, p.ctx, "choose Chinese", chromedp.Click(`.side button[data-lang="zh"]`))
	p.until("the board in Chinese", row+`?.textContent.includes("已超时") && document.querySelector("#sla h3").textContent.includes("时效看板")`)
	webtest.Screenshot(t, p.ctx, "status-sla-breached-zh")
	if v := scan(ship.Tracking); v.Code != floorgate.CodeShipped {
		t.Fatalf("waybill: %s", v.Code)
	}
	reload()
	p.until("shipped, off the board", `!`+row)
}
