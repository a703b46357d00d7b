package web_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web/kpi"
	"github.com/floorgate/floorgate/web/webtest"
)

// ordersPlan is one order of TestKPIOrdersOnTheStatusPage: its wave and
// variant, and what goes wrong on its way.
type ordersPlan struct {
	order, wave string
	variant     floorgate.OrderVariant
	lines       int                       // one unit each, of the demo's items
	wrongItem   bool                      // a wrong item scanned at its first line
	far         bool                      // its first location read 15 cm away
	short       floorgate.ExceptionReason // why its last line (as given) is short, raising an exception; "" for none
	pickEvery   time.Duration             // between the picker's scans
	outbound    time.Duration             // packed → waybill scanned
}

// shipOrders picks the planned orders over a real WebSocket at pda-1 (the
// picker following the gateway's prompts, on the gateway's clock), resolves
// the shorts' exception cases as a supervisor, and packs and ships each at
// pack-1 (a label printer's station) over another WebSocket.
func shipOrders(ctx context.Context, t *testing.T, m *gateway.Gateway, clock *floorgate.ManualClock, plan []ordersPlan) {
	t.Helper()
	demo := gateway.NewDemo()
	type line struct {
		Location string `json:"location"`
		SKU      string `json:"sku"`
		Qty      int    `json:"qty"`
	}
	type task struct {
		ID       string                 `json:"id"`
		Order    string                 `json:"order"`
		Wave     string                 `json:"wave,omitempty"`
		Variant  floorgate.OrderVariant `json:"variant,omitempty"`
		Priority int                    `json:"priority"`
		Lines    []line                 `json:"lines"`
	}
	var tasks []task
	byOrder := map[string]ordersPlan{}
	item := 0
	for i, o := range plan {
		tk := task{ID: "T-" + o.order, Order: o.order, Wave: o.wave, Variant: o.variant, Priority: 90 - i}
		for range o.lines {
			it := demo.Master.Items[item]
			item++
			tk.Lines = append(tk.Lines, line{Location: demo.HomeLocation(it.SKU), SKU: it.SKU, Qty: 1})
		}
		tasks = append(tasks, tk)
		byOrder[o.order] = o
	}
	var added map[string]int
	if err := gatewaytest.Local(m).Post(ctx, "/api/v1/tasks", map[string]any{"tasks": tasks}, &added); err != nil {
		t.Fatal(err)
	}

	// The picker.
	c, _, err := dialWS(ctx, t, m, "pda-1", daemontest.DeviceToken("pda-1"), "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Login(ctx, "l", demo.Badges[0], gateway.DemoPIN)
	if err != nil || v.Prompt.Order != plan[0].order {
		t.Fatalf("login: %v %+v; want %s first", err, v.Prompt, plan[0].order)
	}
	n := 0
	picked := map[string][]string{} // the SKUs picked per order
	wrongDone, farDone := map[string]bool{}, map[string]bool{}
	for steps := 0; ; steps++ {
		o, mine := byOrder[v.Prompt.Order]
		if !mine {
			break // the demo's own orders come next
		}
		if steps > 200 {
			t.Fatalf("the picking does not end: %+v", v.Prompt)
		}
		clock.Add(o.pickEvery)
		n++
		id, p := fmt.Sprint("s", n), v.Prompt
		scan := floorgate.Scan{ID: id, DistanceMM: 70}
		switch p.Step {
		case "scan_location":
			scan.Data = demo.LocationBarcode[p.Location]
			if o.far && !farDone[o.order] {
				farDone[o.order] = true
				scan.DistanceMM = 150
				if w, err := c.Scan(ctx, scan); err != nil || w.OK {
					t.Fatalf("%s: a location read 15 cm away: %v %+v; want it refused", o.order, err, w)
				}
				continue
			}
		case "scan_item":
			last := p.SKU == tasks[indexOf(plan, o.order)].Lines[o.lines-1].SKU
			if o.short != "" && last {
				if v, err = c.ShortFor(ctx, id, 0, o.short, ""); err != nil || v.Code != floorgate.CodeShortOK {
					t.Fatalf("%s: the short: %v %+v", o.order, err, v)
				}
				continue
			}
			scan.Data = demo.ItemBarcode[p.SKU]
			if o.wrongItem && !wrongDone[o.order] {
				wrongDone[o.order] = true
				other := demo.ItemBarcode[demo.Master.Items[len(demo.Master.Items)-1].SKU]
				if w, err := c.Scan(ctx, floorgate.Scan{ID: id, Data: other, DistanceMM: 70}); err != nil || w.Code != floorgate.CodeWrongItem {
					t.Fatalf("%s: a wrong item: %v %+v", o.order, err, w)
				}
				continue
			}
			picked[o.order] = append(picked[o.order], p.SKU)
		default:
			t.Fatalf("%s: unexpected step %+v", o.order, p)
		}
		if v, err = c.Scan(ctx, scan); err != nil || !v.OK {
			t.Fatalf("%s at %s: %v %+v", o.order, p.Step, err, v)
		}
	}
	if _, err := c.Logout(ctx, "logout"); err != nil {
		t.Fatal(err)
	}

	// Each short opened a case; the supervisor sends each to the ERP, which
	// ships the order with what was found.
	cases, err := m.DB.Exceptions(store.ExceptionFilter{Open: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range cases {
		clock.Add(7 * time.Minute)
		if _, err := m.DB.Resolve(ctx, cs.ID, floorgate.Resolution{Action: floorgate.ResolveSendToERP, By: "S001"}); err != nil {
			t.Fatal(err)
		}
	}

	var ships []floorgate.Shipment
	for _, o := range plan {
		s := floorgate.Shipment{Order: o.order, Carrier: "SF", Tracking: "SF-" + o.order, Service: "顺丰标快", SortCode: "755W-NS01", Variant: o.variant,
			Recipient: floorgate.Party{Name: "Li", Phone: "13800000000", Address: "Shenzhen"},
			Sender:    floorgate.Party{Name: "Demo", Phone: "0755-86000000", Address: "Shenzhen"}}
		for _, sku := range picked[o.order] {
			s.Lines = append(s.Lines, floorgate.ShipmentLine{SKU: sku, Qty: 1})
		}
		ships = append(ships, s)
	}
	if err := m.DB.PutShipments(ctx, ships); err != nil {
		t.Fatal(err)
	}

	// The packer.
	pk, _, err := dialWS(ctx, t, m, "pack-1", daemontest.DeviceToken("pack-1"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer pk.Close()
	if v, err := pk.Login(ctx, "l", demo.PackerBadges[0], gateway.DemoPIN); err != nil || v.Prompt.Step != "scan_order" {
		t.Fatalf("packer: %v %+v", err, v)
	}
	pack := func(data string, want floorgate.Code) {
		t.Helper()
		n++
		clock.Add(20 * time.Second)
		v, err := pk.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("p", n), Data: data, DistanceMM: 70})
		if err != nil || v.Code != want {
			t.Fatalf("packing %s: %v %+v; want %s", data, err, v, want)
		}
	}
	for i, s := range ships {
		pack(s.Order, floorgate.CodeOrderOK)
		for j, l := range s.Lines {
			want := floorgate.CodePackItemOK
			if j == len(s.Lines)-1 {
				want = floorgate.CodePackDone
			}
			pack(demo.ItemBarcode[l.SKU], want)
		}
		clock.Add(plan[i].outbound - 20*time.Second)
		pack(s.Tracking, floorgate.CodeShipped)
	}
}

func indexOf(plan []ordersPlan, order string) int {
	for i, o := range plan {
		if o.order == order {
			return i
		}
	}
	return -1
}

// Figures as the status page writes them, to compare with what it shows.
func pagePct(v *float64, digits int) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v*100, 'f', digits, 64) + "%"
}

func pageDur(s float64, lang string) string {
	unit := map[string][3]string{"en": {" s", " min", " h"}, "zh": {" 秒", " 分钟", " 小时"}}[lang]
	switch {
	case s == 0:
		return "—"
	case s < 90:
		return strconv.Itoa(int(math.Floor(s+0.5))) + unit[0]
	case s < 5400:
		return strconv.FormatFloat(s/60, 'f', 1, 64) + unit[1]
	}
	return strconv.FormatFloat(s/3600, 'f', 1, 64) + unit[2]
}

var figureRE = regexp.MustCompile(`^(-?[0-9.]+)(.*)$`)

// sameFigure reports whether the page's got is want, allowing a last digit
// rounded the other way (JavaScript's toFixed rounds a tie up, Go to even).
func sameFigure(got, want string) bool {
	if got == want {
		return true
	}
	g, w := figureRE.FindStringSubmatch(got), figureRE.FindStringSubmatch(want)
	if g == nil || w == nil || g[2] != w[2] {
		return false
	}
	gv, _ := strconv.ParseFloat(g[1], 64)
	wv, _ := strconv.ParseFloat(w[1], 64)
	digits := 0
	if i := strings.IndexByte(w[1], '.'); i >= 0 {
		digits = len(w[1]) - i - 1
	}
	return math.Abs(gv-wv) <= math.Pow(10, -float64(digits))+1e-9
}

// groupCells is what the page shows of one row of the waves or variants
// table: the text of each cell by its class, and the cells marked as
// missing their standard.
type groupCells struct {
	Group  string            `json:"group"`
	Name   string            `json:"name"`
	Cells  map[string]string `json:"cells"`
	Missed []string          `json:"missed"`
}

func (p statusPage) groupRows(table string) []groupCells {
	p.t.Helper()
	js := `JSON.stringify([...document.querySelectorAll("#` + table + ` tr[data-group]")].map((tr) => ({
		group: tr.dataset.group, name: tr.querySelector("td.group").textContent,
		cells: Object.fromEntries([...tr.querySelectorAll("td.num")].map((td) => [td.classList[1], td.textContent.trim()])),
		missed: [...tr.querySelectorAll("td.miss")].filter((td) => td.querySelector(".badge.bad")).map((td) => td.classList[1]),
	})))`
	var rows []groupCells
	if err := json.Unmarshal([]byte(webtest.Get(p.t, p.ctx, "the rows of "+table, chromedp.Evaluate[string](js))), &rows); err != nil {
		p.t.Fatal(err)
	}
	return rows
}

// wantGroup is what the page should show of an API row in lang: each
// cell's text, and which figures miss their standard.
func wantGroup(g kpi.OrderGroup, std kpi.Standards, lang string) (map[string]string, []string) {
	cells := map[string]string{
		"orders":     strconv.Itoa(g.Orders),
		"excrate":    pagePct(g.ExceptionRate, 2),
		"compliance": pagePct(g.Compliance, 2),
		"errorrate":  pagePct(g.ErrorRate, 2),
		"accuracy":   pagePct(g.PickAccuracy, 2),
		"inband":     pagePct(g.InBandShare, 1),
	}
	for name, st := range map[string]kpi.Stage{"pick": g.Stages.Pick, "pack": g.Stages.Pack, "outbound": g.Stages.Outbound} {
		cells[name+"-mean"], cells[name+"-p90"] = pageDur(st.MeanS, lang), pageDur(st.P90S, lang)
	}
	var missed []string
	if g.ExceptionRate != nil && 100*g.OrdersWithException > g.Orders {
		missed = append(missed, "excrate")
	}
	if g.Compliance != nil && 100*g.CompliantOrders < 98*g.Orders {
		missed = append(missed, "compliance")
	}
	if g.PickAccuracy != nil && 1000*g.WrongPickScans > 2*g.PickScans {
		missed = append(missed, "accuracy")
	}
	if g.Stages.Outbound.Count > 0 && g.Stages.Outbound.P90S > std.OutboundMaxS {
		missed = append(missed, "outbound-p90")
	}
	return cells, missed
}

// TestKPIOrdersOnTheStatusPage: eight orders in two waves and none, normal
// and peak, are picked and packed over WebSockets on the gateway's clock —
// one with a wrong item scanned, one with a read too far, two short with
// exceptions raised (for two reasons) and resolved, three shipped late. On the status page's
// KPIs, the exception rate and process compliance cards, the person's
// columns, the per-wave and per-order-type tables (each figure that misses
// its standard in red) and the exceptions by reason are what GET
// /api/v1/kpi says, in English and in Chinese; before any order ships they
// say so. The CSV links include the waves and variants tables.
func TestKPIOrdersOnTheStatusPage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.Local))
	m, _ := startWithLabelPrinter(t, clock)

	p := statusPage{t: t, ctx: browser(t, m, 1366, 768)}
	if _, err := chromedp.Call(p.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
		window.fgProblems = [];
		document.addEventListener("securitypolicyviolation", (e) => fgProblems.push(e.effectiveDirective + " blocked " + (e.blockedURI || "(inline)")), true);
		window.addEventListener("error", (e) => fgProblems.push(String(e.message)));
		window.addEventListener("unhandledrejection", (e) => fgProblems.push(String(e.reason)));`}); err != nil {
		t.Fatal(err)
	}
	// open opens the KPIs, signing in as the admin when the session has
	// ended (it does after 30 minutes without a request, on the gateway's
	// clock).
	open := func() {
		t.Helper()
		webtest.Do(t, p.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
		p.until("sign-in form or the page", `!document.getElementById("signin").hidden || !document.getElementById("app").hidden`)
		if webtest.Get(t, p.ctx, "signed in?", chromedp.Evaluate[bool](`document.getElementById("app").hidden`)) {
			webtest.Do(t, p.ctx, "choose English", chromedp.Click(`#signin button[data-lang="en"]`))
			webtest.Do(t, p.ctx, "sign in as the admin",
				chromedp.SendKeys("#signin-badge", gateway.DemoAdminBadge),
				chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
			p.until("overview", `!document.getElementById("app").hidden`)
		}
		p.show("kpi")
	}
	open()

	// Before any order ships: no rate, and the tables say why.
	p.until("no orders yet", `document.querySelector("#kpi-excrate .value")?.textContent === "—" &&
		document.querySelector("#kpi-compliance .value").textContent === "—" &&
		document.querySelector("#kpi-waves").textContent.includes("No order shipped in this window yet.") &&
		document.querySelector("#kpi-variants").textContent.includes("No order shipped in this window yet.") &&
		document.querySelector("#kpi-reasons").textContent.includes("No exception raised in this window.") &&
		document.querySelector("#kpi-resolution").textContent === "None resolved in this window."`)

	plan := []ordersPlan{
		{order: "SO-A1", wave: "W-A", variant: floorgate.VariantNormal, lines: 2, pickEvery: 15 * time.Second, outbound: 6 * time.Minute},
		{order: "SO-A2", wave: "W-A", variant: floorgate.VariantNormal, lines: 1, wrongItem: true, pickEvery: 20 * time.Second, outbound: 9 * time.Minute},
		{order: "SO-A3", wave: "W-A", variant: floorgate.VariantNormal, lines: 2, far: true, pickEvery: 15 * time.Second, outbound: 12 * time.Minute},
		{order: "SO-A4", wave: "W-A", variant: floorgate.VariantPeak, lines: 1, pickEvery: 25 * time.Second, outbound: 8 * time.Minute},
		{order: "SO-B1", wave: "W-B", variant: floorgate.VariantPeak, lines: 2, short: floorgate.ReasonShortCountWrong, pickEvery: 40 * time.Second, outbound: 35 * time.Minute},
		{order: "SO-B2", wave: "W-B", variant: floorgate.VariantPeak, lines: 2, short: floorgate.ReasonShortBinEmpty, pickEvery: 30 * time.Second, outbound: 10 * time.Minute},
		{order: "SO-B3", wave: "W-B", variant: floorgate.VariantPeak, lines: 1, pickEvery: 45 * time.Second, outbound: 45 * time.Minute},
		{order: "SO-N1", variant: floorgate.VariantNormal, lines: 1, pickEvery: 20 * time.Second, outbound: 4 * time.Minute},
	}
	shipOrders(ctx, t, m, clock, plan)

	// Hours passed on the gateway's clock: the admin signs in again, to
	// today's KPIs up to the gateway's now.
	open()
	p.until("the orders shipped", `document.querySelectorAll("#kpi-waves tr[data-group]").length === 3 &&
		document.querySelector("#kpi-excrate .value").textContent !== "—" &&
		document.querySelector("#kpi-resolution").textContent.includes("2 resolved")`)
	p.until("the window ending now", fmt.Sprintf(`Date.parse(document.getElementById("view-kpi").dataset.to) >= %d`, clock.Now().UnixMilli()))
	var w struct{ From, To time.Time }
	if err := json.Unmarshal([]byte(webtest.Get(t, p.ctx, "the window shown", chromedp.Evaluate[string](
		`JSON.stringify({from: document.getElementById("view-kpi").dataset.from, to: document.getElementById("view-kpi").dataset.to})`))), &w); err != nil {
		t.Fatal(err)
	}
	var rep kpi.Report
	if err := gatewaytest.Local(m).Get(ctx, "/api/v1/kpi?from="+url.QueryEscape(w.From.Format(time.RFC3339Nano))+"&to="+url.QueryEscape(w.To.Format(time.RFC3339Nano)), &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Site
	t.Logf("site: %d orders, %d with an exception, %d compliant; waves %d, by reason %v, resolution %+v",
		s.Orders, s.OrdersWithException, s.CompliantOrders, len(rep.Waves), s.Exceptions.ByReason, s.Exceptions.Resolution)
	// The plan's figures, as a check that the floor did what the test meant.
	if s.Orders != 8 || s.OrdersWithException != 2 || s.CompliantOrders != 3 || len(rep.Waves) != 3 ||
		s.Exceptions.ByReason[floorgate.ReasonShortBinEmpty] != 1 || s.Exceptions.ByReason[floorgate.ReasonShortCountWrong] != 1 ||
		s.Exceptions.Resolution.Count != 2 || s.Exceptions.Resolution.MeanS == s.Exceptions.Resolution.P90S {
		t.Fatalf("the API's figures are not the plan's: %+v", s)
	}

	check := func(lang string) {
		t.Helper()
		// The cards.
		cards := map[string]string{}
		if err := json.Unmarshal([]byte(webtest.Get(t, p.ctx, "the cards", chromedp.Evaluate[string](`JSON.stringify(Object.fromEntries(["kpi-excrate", "kpi-compliance"].flatMap((id) => {
			const c = document.getElementById(id);
			return [[id, c.querySelector(".value").textContent], [id + ".sub", c.querySelector(".sub").textContent], [id + ".class", c.className], [id + ".title", c.title]];
		})))`))), &cards); err != nil {
			t.Fatal(err)
		}
		of := map[string]string{"en": "%d of %d orders", "zh": "%[2]d 单中 %[1]d 单"}[lang]
		for _, c := range []struct {
			id     string
			v      *float64
			n      int
			ok     *bool
			define string
		}{
			{"kpi-excrate", s.ExceptionRate, s.OrdersWithException, s.ExceptionRateOK, map[string]string{"en": "at most 1%", "zh": "不超过1%"}[lang]},
			{"kpi-compliance", s.Compliance, s.CompliantOrders, s.ComplianceOK, map[string]string{"en": "at least 98%", "zh": "不低于98%"}[lang]},
		} {
			cls := map[bool]string{true: "ok", false: "bad"}[*c.ok]
			if got := cards[c.id]; !sameFigure(got, pagePct(c.v, 2)) {
				t.Errorf("%s: card %s shows %q, want %q", lang, c.id, got, pagePct(c.v, 2))
			}
			if !strings.HasPrefix(cards[c.id+".sub"], fmt.Sprintf(of, c.n, s.Orders)) {
				t.Errorf("%s: card %s says %q, want %q", lang, c.id, cards[c.id+".sub"], fmt.Sprintf(of, c.n, s.Orders))
			}
			if !strings.Contains(" "+cards[c.id+".class"]+" ", " "+cls+" ") || !strings.Contains(cards[c.id+".title"], c.define) {
				t.Errorf("%s: card %s is %q with the definition %q; want %s, saying %q", lang, c.id, cards[c.id+".class"], cards[c.id+".title"], cls, c.define)
			}
		}
		// The packer's columns.
		for _, q := range rep.People {
			js := fmt.Sprintf(`(() => { const r = document.querySelector('#kpi-table tr[data-operator=%q]'); return r ? r.querySelector(".excrate").textContent + "|" + r.querySelector(".compliance").textContent : "none"; })()`, q.Operator)
			if got, want := webtest.Get(t, p.ctx, q.Operator+"'s order figures", chromedp.Evaluate[string](js)), pagePct(q.ExceptionRate, 2)+"|"+pagePct(q.Compliance, 2); got != want {
				t.Errorf("%s: %s's exception rate and compliance %q, want %q", lang, q.Operator, got, want)
			}
		}
		// The waves and the order types.
		names := map[string]map[string]string{
			"en": {"": "(no wave)", "normal": "Normal", "presale": "Presale", "crossborder": "Cross-border", "peak": "Peak"},
			"zh": {"": "（无波次）", "normal": "普通", "presale": "预售", "crossborder": "跨境", "peak": "大促"},
		}[lang]
		for _, tb := range []struct {
			table string
			rows  []kpi.OrderGroup
			name  func(string) string
		}{
			{"kpi-waves", rep.Waves, func(g string) string {
				if g == "" {
					return names[""]
				}
				return g
			}},
			{"kpi-variants", rep.VariantGroups, func(g string) string { return names[g] }},
		} {
			got := p.groupRows(tb.table)
			if len(got) != len(tb.rows) {
				t.Errorf("%s: %s has %d rows, want %d", lang, tb.table, len(got), len(tb.rows))
				continue
			}
			for i, g := range tb.rows {
				cells, missed := wantGroup(g, rep.Standards, lang)
				row := got[i]
				if row.Group != g.Group || row.Name != tb.name(g.Group) {
					t.Errorf("%s: %s row %d is %q (%q), want %q (%q)", lang, tb.table, i, row.Group, row.Name, g.Group, tb.name(g.Group))
				}
				for k, want := range cells {
					if !sameFigure(row.Cells[k], want) {
						t.Errorf("%s: %s %q: %s is %q, want %q", lang, tb.table, g.Group, k, row.Cells[k], want)
					}
				}
				if fmt.Sprint(row.Missed) != fmt.Sprint(missed) {
					t.Errorf("%s: %s %q: marked as missing their standard %v, want %v", lang, tb.table, g.Group, row.Missed, missed)
				}
			}
		}
		// The exceptions by reason, in the page's language, the most
		// frequent first; and their time to resolve.
		codes := slices.Collect(maps.Keys(s.Exceptions.ByReason))
		slices.SortFunc(codes, func(a, b floorgate.ExceptionReason) int {
			return cmp.Or(s.Exceptions.ByReason[b]-s.Exceptions.ByReason[a], strings.Compare(string(a), string(b)))
		})
		var reasons []string
		for _, r := range codes {
			text, _ := floorgate.ReasonText(r)
			reasons = append(reasons, fmt.Sprintf("%s: %s %d", r, map[string]string{"en": text.EN, "zh": text.ZH}[lang], s.Exceptions.ByReason[r]))
		}
		res := s.Exceptions.Resolution
		resolved := map[string]string{"en": fmt.Sprintf("%d resolved · mean %s · p90 %s", res.Count, pageDur(res.MeanS, lang), pageDur(res.P90S, lang)),
			"zh": fmt.Sprintf("已处理 %d 件 · 平均 %s · P90 %s", res.Count, pageDur(res.MeanS, lang), pageDur(res.P90S, lang))}[lang]
		want := strings.Join(reasons, "; ") + " | " + resolved
		if got := webtest.Get(t, p.ctx, "the exceptions by reason", chromedp.Evaluate[string](
			`[...document.querySelectorAll("#kpi-reasons tr[data-reason]")].map((r) => r.dataset.reason + ": " + r.querySelector(".reason").textContent + " " + r.querySelector(".count").textContent).join("; ") + " | " + document.getElementById("kpi-resolution").textContent`)); got != want {
			t.Errorf("%s: exceptions by reason %q, want %q", lang, got, want)
		}
	}

	shoot := func(lang string) {
		t.Helper()
		for _, at := range []struct{ name, js string }{
			{"cards", `document.querySelector("main").scrollTo(0, 0)`},
			{"orders", `document.getElementById("kpi-waves").closest(".card").scrollIntoView({block: "start"})`},
		} {
			webtest.Do(t, p.ctx, "show the "+at.name, chromedp.Evaluate[chromedp.Void](at.js+`;
				new Promise((painted) => requestAnimationFrame(() => requestAnimationFrame(painted)))`, chromedp.EvalAwaitPromise))
			webtest.Screenshot(t, p.ctx, "kpi-orders-"+lang+"-"+at.name)
		}
	}

	check("en")
	shoot("en")

	// The CSV links: the waves and variants tables with the others.
	links := webtest.Get(t, p.ctx, "the CSV links", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#kpi-csv a[download]")].map((a) => a.dataset.table + " " + a.textContent)`))
	if strings.Join(links, ", ") != "site site, hours site by hour, days site by day, people people, people_days people by day, waves by wave, variants by order type" {
		t.Errorf("CSV links %q, want the 7 tables", links)
	}
	for _, table := range []string{"waves", "variants"} {
		csv := webtest.Get(t, p.ctx, "download "+table, chromedp.Evaluate[string](
			`fetch(document.querySelector('#kpi-csv a[data-table="`+table+`"]').href).then((r) => r.text().then((x) => r.status + "\n" + x))`,
			chromedp.EvalAwaitPromise))
		rows := strings.Split(strings.TrimSpace(csv), "\n")
		want := map[string]int{"waves": len(rep.Waves), "variants": len(rep.VariantGroups)}[table]
		if rows[0] != "200" || len(rows) != 2+want {
			t.Errorf("downloading %s: %d rows, want a header and %d: %.300s", table, len(rows)-2, want, csv)
		}
	}

	webtest.Do(t, p.ctx, "choose Chinese", chromedp.Click(`.side button[data-lang="zh"]`))
	p.until("the KPIs in Chinese", `document.querySelector("#kpi-excrate .label").textContent === "订单异常率" &&
		document.querySelector('#kpi-waves tr[data-group=""] td.group')?.textContent === "（无波次）" &&
		document.querySelector('#kpi-variants tr[data-group="peak"] td.group')?.textContent === "大促"`)
	if en := webtest.Get(t, p.ctx, "English left in Chinese", chromedp.Evaluate[string](
		`[...document.querySelectorAll("#view-kpi h3, #view-kpi th, #view-kpi td, #view-kpi .stat, #kpi-waves-note, #kpi-resolution, #kpi-csv")]
			.map((e) => e.textContent + " " + (e.title || "")).filter((s) => /\b(Orders?|Exceptions?|Compliance|wave|rate|avg|Pick|Pack|Normal|Peak|resolved|mean|standard|of)\b/.test(s)).join(" | ")`)); en != "" {
		t.Errorf("English on the Chinese KPI page: %s", en)
	}
	check("zh")
	shoot("zh")

	if problems := webtest.Get(t, p.ctx, "the page's problems", chromedp.Evaluate[[]string](`fgProblems`)); len(problems) > 0 {
		t.Errorf("the page blocked or threw: %q", problems)
	}
}
