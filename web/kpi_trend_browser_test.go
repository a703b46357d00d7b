package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/internal/sim"
	"github.com/floorgate/floorgate/web/kpi"
	"github.com/floorgate/floorgate/web/webtest"
)

// trendPicker is one picker of the test's shifts: their PDA and badge, how
// often they scan on the gateway's clock, and how often wrongly.
type trendPicker struct {
	device, badge string
	every         time.Duration
	wrong         float64
}

// workKPIDays works pickers over three days on the gateway's clock, one
// shift a day from 09:20 to 11:10 (the gateway's time zone), each picker
// at their own pace and accuracy, and not everyone every day: their figures
// differ from person to person and from day to day. Each picker follows
// the gateway's prompts over a real WebSocket, as `floorgate sim` does,
// and logs out at the end of the shift. It returns the days' first shift
// start.
func workKPIDays(ctx context.Context, t *testing.T, m *gateway.Gateway, clock *floorgate.ManualClock) time.Time {
	t.Helper()
	demo := gateway.NewDemo()
	fast := trendPicker{"pda-1", demo.Badges[0], 80 * time.Second, 0}
	steady := trendPicker{"pda-2", demo.Badges[1], 130 * time.Second, 0.08}
	slow := trendPicker{"pda-3", demo.Badges[2], 200 * time.Second, 0.2}
	quicker := slow
	quicker.every = 150 * time.Second
	days := [][]trendPicker{{fast, steady, slow}, {fast, slow}, {steady, quicker}}
	first := time.Date(2026, 11, 20, 9, 20, 0, 0, time.Local)
	type working struct {
		trendPicker
		p    *sim.Picker
		next time.Time
		idle bool
	}
	for d, crew := range days {
		start := first.AddDate(0, 0, d)
		end := start.Add(110 * time.Minute)
		clock.Set(start)
		var floor []*working
		for i, k := range crew {
			p, err := sim.DialPicker(ctx, gatewaytest.WSURL(m), gatewaytest.Pinned(t, m), demo, k.device, k.badge, k.wrong, uint64(10*d+i+1))
			if err != nil {
				t.Fatal(err)
			}
			p.SetPace(sim.MinGap) // the connection's message budget
			// A scan id is the device's and unique: one seen before is a
			// resend, answered again and not counted.
			p.StartIDsAt(10_000 * d)
			floor = append(floor, &working{trendPicker: k, p: p, next: start.Add(k.every)})
		}
		scans := 0
		for {
			var w *working
			for _, x := range floor {
				if !x.idle && (w == nil || x.next.Before(w.next)) {
					w = x
				}
			}
			if w == nil || !w.next.Before(end) {
				break
			}
			clock.Set(w.next)
			w.next = w.next.Add(w.every)
			if _, err := w.p.Step(ctx); errors.Is(err, sim.ErrNoTask) {
				t.Logf("day %d: %s has nothing left to pick", d+1, w.badge)
				w.idle = true
			} else if err != nil {
				t.Fatal(err)
			}
			scans++
		}
		clock.Set(end)
		for _, w := range floor {
			if _, err := w.p.Client().Logout(ctx, "logout-"+w.device); err != nil {
				t.Fatal(err)
			}
			w.p.Close()
		}
		t.Logf("day %d: %d scans by %d pickers", d+1, scans, len(crew))
	}
	return first
}

// trendPoints are the points of a person's trend: by figure (uph, lph,
// acc), each bucket's start (as JavaScript writes it) and value.
type trendPoints map[string]map[string]float64

// wantTrend is what the API says of op over each span: a span's figures
// from GET /api/v1/kpi over that span alone, keyed by at(span). A span op
// did not work in has no rate point; one without pick scans no accuracy.
func wantTrend(ctx context.Context, t *testing.T, m *gateway.Gateway, op string, spans [][2]time.Time, at func([2]time.Time) time.Time) trendPoints {
	t.Helper()
	want := trendPoints{"uph": {}, "lph": {}, "acc": {}}
	for _, sp := range spans {
		var rep kpi.Report
		path := "/api/v1/kpi?from=" + url.QueryEscape(sp[0].Format(time.RFC3339Nano)) + "&to=" + url.QueryEscape(sp[1].Format(time.RFC3339Nano))
		if err := gatewaytest.Local(m).Get(ctx, path, &rep); err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(rep.People, func(p kpi.Person) bool { return p.Operator == op })
		if i < 0 {
			continue
		}
		f := rep.People[i].Figures
		key := at(sp).UTC().Format("2006-01-02T15:04:05.000Z")
		units := 0
		for _, mf := range f.Modes {
			units += mf.Units
		}
		if f.Scans > 0 || f.Lines > 0 || f.HoursLoggedIn > 0 || units > 0 {
			uph := 0.0
			for _, mf := range f.Modes {
				uph += mf.UnitsPerHour
			}
			want["uph"][key], want["lph"][key] = uph, f.LinesPerHour
		}
		if f.PickAccuracy != nil {
			want["acc"][key] = *f.PickAccuracy
		}
	}
	return want
}

// daySpans are the gateway's days (its time zone) that [from, to)
// overlaps, clipped to it.
func daySpans(from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	y, mo, d := from.Local().Date()
	for day := time.Date(y, mo, d, 0, 0, 0, 0, time.Local); day.Before(to); day = day.AddDate(0, 0, 1) {
		out = append(out, [2]time.Time{maxTime(day, from), minTime(day.AddDate(0, 0, 1), to)})
	}
	return out
}

// hourSpans are the clock hours [from, to) overlaps, clipped to it.
func hourSpans(from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	for h := from.Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		out = append(out, [2]time.Time{maxTime(h, from), minTime(h.Add(time.Hour), to)})
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// pageTrend reads the trend drawn for the chosen person: the points of
// each chart, and whether each chart draws them where their values say (a
// higher value higher up) beside a site line.
func (p statusPage) pageTrend() (trendPoints, string) {
	p.t.Helper()
	js := `JSON.stringify((() => {
		const pts = {}, problems = [];
		for (const f of ["uph", "lph", "acc"]) {
			const cs = [...document.querySelectorAll("#kpi-person-" + f + " svg circle.pt")];
			pts[f] = Object.fromEntries(cs.map((c) => [c.dataset.at, Number(c.dataset.v)]));
			for (const a of cs) for (const b of cs) {
				if (Number(a.dataset.v) > Number(b.dataset.v) && !(Number(a.getAttribute("cy")) < Number(b.getAttribute("cy")))) {
					problems.push(f + ": " + a.dataset.v + " drawn no higher than " + b.dataset.v);
				}
			}
			const line = document.querySelector("#kpi-person-" + f + " svg path.line-person");
			// The line joins the points of neighbouring buckets, and only those.
			const is = cs.map((c) => Number(c.dataset.i)).sort((a, b) => a - b);
			const joins = is.filter((i, k) => k > 0 && is[k - 1] === i - 1).length;
			const drawn = ((line?.getAttribute("d") || "").match(/L/g) || []).length;
			if (!line || drawn !== joins) problems.push(f + ": the line joins " + drawn + " pairs of points, want " + joins);
			const site = document.querySelector("#kpi-person-" + f + " svg path.line-site");
			if (!site || site.getAttribute("visibility") === "hidden" || !/^M/.test(site.getAttribute("d"))) problems.push(f + ": no site line");
		}
		return { pts, problems: problems.slice(0, 5).join("; ") };
	})())`
	var got struct {
		Pts      trendPoints `json:"pts"`
		Problems string      `json:"problems"`
	}
	if err := json.Unmarshal([]byte(webtest.Get(p.t, p.ctx, "the trend drawn", chromedp.Evaluate[string](js))), &got); err != nil {
		p.t.Fatal(err)
	}
	return got.Pts, got.Problems
}

// sameTrend reports how got differs from want, "" when it does not.
func sameTrend(got, want trendPoints) string {
	var diff []string
	for _, f := range []string{"uph", "lph", "acc"} {
		for at, w := range want[f] {
			g, ok := got[f][at]
			switch {
			case !ok:
				diff = append(diff, fmt.Sprintf("%s at %s: no point, want %v", f, at, w))
			case math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)):
				diff = append(diff, fmt.Sprintf("%s at %s: %v, want %v", f, at, g, w))
			}
		}
		for at, g := range got[f] {
			if _, ok := want[f][at]; !ok {
				diff = append(diff, fmt.Sprintf("%s at %s: a point %v the API has no figure for", f, at, g))
			}
		}
	}
	slices.Sort(diff)
	return strings.Join(diff, "\n")
}

// TestKPITrendOnTheStatusPage: three pickers work shifts over three days
// on the gateway's clock, each at their own pace and accuracy. On the
// status page's KPIs, the last 31 days are shown by day, and each person's
// trend — units and lines per hour logged in, pick accuracy — is drawn
// beside the site's with one point per day they worked, each the figure
// GET /api/v1/kpi gives for that day alone; today's window is shown by
// hour, likewise. The CSV links download the window shown. In English and
// in Chinese, with screenshots.
func TestKPITrendOnTheStatusPage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 20, 8, 0, 0, 0, time.Local))
	m := gatewaytest.StartDemo(t, clock)
	first := workKPIDays(ctx, t, m, clock)

	p := statusPage{t: t, ctx: browser(t, m, 1366, 768)}
	// What the page's CSP blocks, and what its script throws, is kept for
	// the end (a script given over DevTools is not under the page's CSP).
	if _, err := chromedp.Call(p.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
		window.fgProblems = [];
		document.addEventListener("securitypolicyviolation", (e) => fgProblems.push(e.effectiveDirective + " blocked " + (e.blockedURI || "(inline)")), true);
		window.addEventListener("error", (e) => fgProblems.push(String(e.message)));
		window.addEventListener("unhandledrejection", (e) => fgProblems.push(String(e.reason)));`}); err != nil {
		t.Fatal(err)
	}
	webtest.Do(t, p.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
	p.until("sign-in form", `!document.getElementById("signin").hidden`)
	webtest.Do(t, p.ctx, "choose English", chromedp.Click(`#signin button[data-lang="en"]`))
	webtest.Do(t, p.ctx, "sign in as the admin",
		chromedp.SendKeys("#signin-badge", gateway.DemoAdminBadge),
		chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
	p.until("overview", `!document.getElementById("app").hidden`)
	p.show("kpi")

	choose := func(window string) {
		t.Helper()
		webtest.Do(t, p.ctx, "choose "+window, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
			`(() => { const s = document.getElementById("kpi-window"); s.value = %q; s.dispatchEvent(new Event("change")); })()`, window)))
	}
	window := func() (time.Time, time.Time) {
		t.Helper()
		var w struct{ From, To time.Time }
		js := `JSON.stringify({from: document.getElementById("view-kpi").dataset.from, to: document.getElementById("view-kpi").dataset.to})`
		if err := json.Unmarshal([]byte(webtest.Get(t, p.ctx, "the window shown", chromedp.Evaluate[string](js))), &w); err != nil {
			t.Fatal(err)
		}
		return w.From, w.To
	}
	var people []kpi.Person
	{
		var rep kpi.Report
		if err := gatewaytest.Local(m).Get(ctx, "/api/v1/kpi?from="+url.QueryEscape(first.Add(-time.Hour).Format(time.RFC3339))+
			"&to="+url.QueryEscape(clock.Now().Add(time.Second).Format(time.RFC3339)), &rep); err != nil {
			t.Fatal(err)
		}
		people = rep.People
		if len(people) != 3 {
			t.Fatalf("%d people worked, want 3: %+v", len(people), people)
		}
		paces := map[float64]bool{}
		for _, q := range people {
			t.Logf("%s over the three days: %d lines in %.2f h, %.1f lines/h, accuracy %v", q.Operator, q.Lines, q.HoursLoggedIn, q.LinesPerHour, *q.PickAccuracy)
			paces[q.LinesPerHour] = true
		}
		if len(paces) != len(people) {
			t.Fatalf("the pickers' paces are not all different: %v", paces)
		}
	}

	// checkPeople shows each person's trend in turn, chosen on the table,
	// and checks its points against the API's figures over spans.
	checkPeople := func(lang string, spans [][2]time.Time, at func([2]time.Time) time.Time, shot string) {
		t.Helper()
		ops := webtest.Get(t, p.ctx, "the people of the window", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#kpi-table tr[data-operator]")].map((r) => r.dataset.operator)`))
		if len(ops) < 2 {
			t.Fatalf("%s: %d people in the window, want several", shot, len(ops))
		}
		for i, op := range ops {
			webtest.Do(t, p.ctx, "choose "+op, chromedp.Click(`#kpi-table tr[data-operator="`+op+`"] td`))
			p.until(op+"'s trend", `document.getElementById("kpi-person-charts").dataset.operator === "`+op+`" &&
				document.querySelector('#kpi-table tr.sel')?.dataset.operator === "`+op+`" &&
				document.querySelector('#kpi-bars rect.sel')?.dataset.operator === "`+op+`" &&
				document.getElementById("kpi-person").value === "`+op+`"`)
			got, problems := p.pageTrend()
			want := wantTrend(ctx, t, m, op, spans, at)
			if len(want["lph"]) == 0 {
				t.Fatalf("%s: the API has no figures for %s", shot, op)
			}
			if d := sameTrend(got, want); d != "" {
				t.Errorf("%s, %s's trend on the page is not the API's:\n%s", shot, op, d)
			}
			if problems != "" {
				t.Errorf("%s, %s's trend: %s", shot, op, problems)
			}
			if i == 1 {
				webtest.Do(t, p.ctx, "show the trend", chromedp.Evaluate[chromedp.Void](`document.getElementById("kpi-person-card").scrollIntoView({block: "center"});
					new Promise((painted) => requestAnimationFrame(() => requestAnimationFrame(painted)))`, chromedp.EvalAwaitPromise))
				webtest.Screenshot(t, p.ctx, shot+"-"+lang+"-person")
			}
		}
	}

	// The last 7 days, by day: the three worked.
	choose("7d")
	p.until("7 days by day", `document.getElementById("view-kpi").dataset.bucket === "day" &&
		document.querySelectorAll("#kpi-hours tr td.num").length === 3 * 7`)
	if from, to := window(); to.Sub(from) != 7*24*time.Hour {
		t.Errorf("the 7-day window is %v to %v", from, to)
	}

	// The last 31 days, by day.
	choose("31d")
	p.until("31 days by day", `document.getElementById("view-kpi").dataset.bucket === "day" &&
		Date.parse(document.getElementById("view-kpi").dataset.to) - Date.parse(document.getElementById("view-kpi").dataset.from) === 31 * 86400e3 &&
		document.querySelectorAll("#kpi-person-lph circle.pt").length > 0 &&
		document.getElementById("kpi-trend-h").textContent === "Per day"`)
	from, to := window()
	if to.Sub(from) != 31*24*time.Hour || !to.After(clock.Now()) || to.Sub(clock.Now()) > 2*time.Second {
		t.Fatalf("the 31-day window is %v to %v (the gateway's clock reads %v)", from, to, clock.Now())
	}
	days := daySpans(from, to)
	if rows := webtest.Get(t, p.ctx, "days worked", chromedp.Evaluate[int](`document.querySelectorAll("#kpi-hours tr td.num").length / 7`)); rows != 3 {
		t.Errorf("the day-by-day table has %d days, want the 3 worked", rows)
	}
	checkPeople("en", days, func(sp [2]time.Time) time.Time { return sp[0] }, "kpi-31d")
	webtest.Do(t, p.ctx, "back to the top", chromedp.Evaluate[chromedp.Void](`document.querySelector("main").scrollTo(0, 0);
		new Promise((painted) => requestAnimationFrame(() => requestAnimationFrame(painted)))`, chromedp.EvalAwaitPromise))
	webtest.Screenshot(t, p.ctx, "kpi-31d-en-top")

	// The CSV links are the window shown, and download with the session.
	links := webtest.Get(t, p.ctx, "the CSV links", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#kpi-csv a[download]")].map((a) => a.href)`))
	if len(links) != 7 {
		t.Fatalf("CSV links %q, want the 7 tables", links)
	}
	for i, table := range []string{"site", "hours", "days", "people", "people_days", "waves", "variants"} {
		u, err := url.Parse(links[i])
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Path != "/api/v1/kpi.csv" || q.Get("table") != table || q.Get("from") != from.Format(time.RFC3339) || q.Get("to") != to.Format(time.RFC3339) {
			t.Errorf("CSV link %s, want table %s from %s to %s", links[i], table, from.Format(time.RFC3339), to.Format(time.RFC3339))
		}
	}
	csv := webtest.Get(t, p.ctx, "download people_days", chromedp.Evaluate[string](
		`fetch(document.querySelector('#kpi-csv a[data-table="people_days"]').href).then((r) => r.status + "\n" + r.headers.get("Content-Type") + "\n" + r.text()).then((x) => x)`,
		chromedp.EvalAwaitPromise))
	if !strings.HasPrefix(csv, "200\ntext/csv") {
		t.Errorf("downloading people_days: %.200s", csv)
	}

	// The same in Chinese: the page is drawn again in it.
	webtest.Do(t, p.ctx, "choose Chinese", chromedp.Click(`.side button[data-lang="zh"]`))
	p.until("31 days in Chinese", `document.getElementById("kpi-trend-h").textContent === "每日趋势" &&
		document.querySelector('[data-t="kpi.person.trend"]').textContent === "个人趋势" &&
		document.querySelector('#kpi-window option[value="31d"]').textContent === "近31天" &&
		document.querySelector("#kpi-hours th").textContent === "日期" &&
		document.querySelectorAll("#kpi-person-lph circle.pt").length > 0`)
	if en := webtest.Get(t, p.ctx, "English left in Chinese", chromedp.Evaluate[string](
		`[...document.querySelectorAll("#view-kpi h2, #view-kpi h3, #view-kpi h4, #view-kpi th, #view-kpi .label, #kpi-csv, #kpi-window option")]
			.map((e) => e.textContent).filter((s) => /\b(Per|Units|Lines|Pick|Person|Day|Download|Last|site|people)\b/.test(s)).join(" | ")`)); en != "" {
		t.Errorf("English on the Chinese KPI page: %s", en)
	}
	checkPeople("zh", days, func(sp [2]time.Time) time.Time { return sp[0] }, "kpi-31d")
	webtest.Do(t, p.ctx, "back to the top", chromedp.Evaluate[chromedp.Void](`document.querySelector("main").scrollTo(0, 0);
		new Promise((painted) => requestAnimationFrame(() => requestAnimationFrame(painted)))`, chromedp.EvalAwaitPromise))
	webtest.Screenshot(t, p.ctx, "kpi-31d-zh-top")

	// Today, by hour.
	webtest.Do(t, p.ctx, "choose English", chromedp.Click(`.side button[data-lang="en"]`))
	choose("today")
	p.until("today by hour", `document.getElementById("view-kpi").dataset.bucket === "hour" &&
		document.getElementById("kpi-trend-h").textContent === "Per hour"`)
	from, to = window()
	checkPeople("en", hourSpans(from, to), func(sp [2]time.Time) time.Time { return sp[0].Truncate(time.Hour) }, "kpi-today")

	// A custom window of more than 31 days is refused on the page.
	choose("custom")
	webtest.Do(t, p.ctx, "a custom window of 40 days", chromedp.Evaluate[chromedp.Void](`(() => {
		document.getElementById("kpi-from").value = "2026-10-01T00:00"; document.getElementById("kpi-to").value = "2026-11-10T00:00";
		document.querySelector("#kpi-custom button[type=submit]").click(); })()`))
	p.until("the window refused", `!document.getElementById("kpi-error").hidden && document.getElementById("kpi-error").textContent.includes("31 days")`)
	webtest.Do(t, p.ctx, "back to the top", chromedp.Evaluate[chromedp.Void](`document.querySelector("main").scrollTo(0, 0);
		new Promise((painted) => requestAnimationFrame(() => requestAnimationFrame(painted)))`, chromedp.EvalAwaitPromise))
	webtest.Screenshot(t, p.ctx, "kpi-custom-en-refused")
	if problems := webtest.Get(t, p.ctx, "the page's problems", chromedp.Evaluate[[]string](`fgProblems`)); len(problems) > 0 {
		t.Errorf("the page blocked or threw: %q", problems)
	}
}
