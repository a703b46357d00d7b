package web_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
	"github.com/floorgate/floorgate/web/webtest"
)

// TestStatusPageLanguage switches the status page between Chinese and
// English with the toggle in its header: a sample of static and drawn texts
// (the nav, an overview card, a table header, a state badge, a button)
// follows, <html lang> follows, and the choice survives a reload.
func TestStatusPageLanguage(t *testing.T) {
	lbl := printertest.StartTCP(t, printer.ZPL, nil)
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{}, func(c *gateway.Config) {
		c.Printers = []gateway.PrinterConfig{{ID: "lbl-1", Dialect: "zpl", Address: "tcp://" + lbl.Addr(), DPI: 203, Stations: []string{"pack-1"}}}
	})
	p := statusPage{t: t, ctx: browser(t, m, 1366, 768)}

	// Start in Chinese whatever the browser's own language.
	webtest.Do(t, p.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
	p.until("sign-in form", `!document.getElementById("signin").hidden`)
	webtest.Do(t, p.ctx, "choose Chinese on the sign-in form", chromedp.Click(`#signin button[data-lang="zh"]`))
	p.until("the sign-in form in Chinese", `document.documentElement.lang === "zh-CN" &&
		document.querySelector('#signin-form button[type="submit"]').textContent === "登录" &&
		localStorage.getItem("fg.status.lang") === "zh"`)
	webtest.Do(t, p.ctx, "sign in as the admin",
		chromedp.SendKeys("#signin-badge", gateway.DemoAdminBadge),
		chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
	p.until("overview", `!document.getElementById("app").hidden && document.querySelector('#overview-printers tr[data-printer="lbl-1"] .state') !== null`)

	// One sample per kind of text: static in index.html, drawn by app.js
	// from the status, drawn from another API call.
	samples := []struct{ what, js, zh, en string }{
		{"nav", `document.querySelector('.side a[data-view="overview"]').textContent`, "总览", "Overview"},
		{"nav, tokens", `document.querySelector('.side a[data-view="tokens"]').textContent`, "API令牌", "API tokens"},
		{"heading", `document.querySelector('#view-overview h2').textContent`, "总览", "Overview"},
		{"card title", `document.querySelector('#card-printers .label').textContent`, "打印机", "Printers"},
		{"card note", `document.querySelector('#card-printers .sub').textContent`, "全部就绪", "all ready"},
		{"printers header", `document.querySelector('#overview-printers th').textContent`, "打印机", "Printer"},
		{"state badge", `document.querySelector('#overview-printers tr[data-printer="lbl-1"] .state .badge').textContent`, "就绪", "ready"},
		{"waves header", `document.querySelector('#waves-table th').textContent`, "波次", "Wave"},
		{"walls header", `document.querySelector('#walls-table th:nth-child(2)')?.textContent`, "工位", "Station"},
		{"no carts", `document.querySelector('#carts-table td.muted')?.textContent`, "暂无拣货车作业。", "No cart is being picked."},
		{"carts count", `document.querySelector('[data-t="carts.held"]').textContent`, "个周转箱占用", "totes holding orders"},
		{"button", `document.getElementById('enrol').textContent`, "添加PDA", "Enrol a PDA"},
		{"sign out", `document.getElementById('signout').textContent`, "退出登录", "Sign out"},
		{"placeholder", `document.getElementById('token-name').placeholder`, "wms、监控…", "wms, monitor…"},
	}
	in := func(lang, htmlLang string) {
		t.Helper()
		p.until("the page in "+lang, fmt.Sprintf(`document.documentElement.lang === %q && localStorage.getItem("fg.status.lang") === %q &&
			document.querySelector('.side button[data-lang=%q]').getAttribute("aria-pressed") === "true" &&
			document.querySelector('#overview-printers tr[data-printer="lbl-1"] .state .badge') !== null && document.querySelector('#waves-table th') !== null`,
			htmlLang, lang, lang))
		for _, s := range samples {
			want := s.en
			if lang == "zh" {
				want = s.zh
			}
			got := webtest.Get(t, p.ctx, s.what, chromedp.Evaluate[string](`(`+s.js+` || "").trim()`))
			if got != want {
				t.Errorf("%s in %s: %q, want %q", s.what, lang, got, want)
			}
		}
	}
	in("zh", "zh-CN")
	// No English is left on the Chinese overview's own texts.
	p.until("no English heading, header or card title in Chinese",
		`![...document.querySelectorAll('#view-overview h2, #view-overview h3, #view-overview th, #overview-cards .label, .side a')]
			.some((e) => /\b(Overview|Waves|Carts|Walls|Printers?|Scanners?|Wave|Status|Progress|Tasks|Devices|Sign)\b/.test(e.textContent))`)
	webtest.Screenshot(t, p.ctx, "status-lang-zh")

	webtest.Do(t, p.ctx, "switch to English", chromedp.Click(`.side button[data-lang="en"]`))
	in("en", "en")
	webtest.Screenshot(t, p.ctx, "status-lang-en")

	webtest.Do(t, p.ctx, "reload", chromedp.Reload())
	p.until("overview after the reload", `!document.getElementById("app").hidden && document.querySelector('#overview-printers tr[data-printer="lbl-1"]') !== null`)
	in("en", "en")

	// The texts drawn for another view switch too, without reloading it.
	p.show("kpi")
	p.until("the KPI table in English", `document.querySelector("#kpi-table th")?.textContent === "Person" &&
		document.querySelector("#kpi-table").textContent.includes("Nobody has worked")`)
	webtest.Do(t, p.ctx, "switch to Chinese", chromedp.Click(`.side button[data-lang="zh"]`))
	p.until("the KPI table in Chinese", `document.querySelector("#kpi-table th")?.textContent === "人员" &&
		document.querySelector("#kpi-table").textContent.includes("此时间段内还没有人作业") &&
		document.querySelector('#kpi-window option[value="today"]').textContent === "今天"`)
	webtest.Screenshot(t, p.ctx, "status-lang-zh-kpi")

	webtest.Do(t, p.ctx, "back to the overview and reload", chromedp.Evaluate[chromedp.Void](`location.hash = "#overview"`), chromedp.Reload())
	p.until("overview after the second reload", `!document.getElementById("app").hidden && document.querySelector('#overview-printers tr[data-printer="lbl-1"]') !== null`)
	in("zh", "zh-CN")
}

// TestStatusPageLanguageDefault opens the status page in browsers set to
// Chinese and to English, with nothing chosen yet: the page follows the
// browser, and remembers nothing until someone chooses.
func TestStatusPageLanguageDefault(t *testing.T) {
	m := gatewaytest.StartDemo(t, floorgate.SystemClock{}, func(c *gateway.Config) {})
	for _, c := range []struct{ browserLang, htmlLang, signIn string }{
		{"zh-CN", "zh-CN", "登录"},
		{"zh-TW", "zh-CN", "登录"},
		{"en-GB", "en", "Sign in"},
		{"de-DE", "en", "Sign in"},
	} {
		t.Run(c.browserLang, func(t *testing.T) {
			p := statusPage{t: t, ctx: browser(t, m, 1366, 768)}
			ua := webtest.Get(t, p.ctx, "the user agent", chromedp.Evaluate[string](`navigator.userAgent`))
			webtest.Do(t, p.ctx, "set the browser's language", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
				_, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: c.browserLang})
				return chromedp.Void{}, err
			})
			webtest.Do(t, p.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
			p.until("the sign-in form in the browser's language", fmt.Sprintf(`!document.getElementById("signin").hidden &&
				navigator.language === %q && document.documentElement.lang === %q &&
				document.querySelector('#signin-form button[type="submit"]').textContent === %q &&
				localStorage.getItem("fg.status.lang") === null`, c.browserLang, c.htmlLang, c.signIn))
		})
	}
}
