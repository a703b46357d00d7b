package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web/webtest"
)

// exceptionsView is GET /api/v1/exceptions as a client reads it.
type exceptionsView struct {
	Now    time.Time                 `json:"now"`
	Cases  []floorgate.ExceptionCase `json:"cases"`
	Timing struct {
		Open            int `json:"open"`
		WaitingUpstream int `json:"waiting_upstream"`
		ToUpstream      struct {
			Count          int `json:"count"`
			WithinStandard int `json:"within_standard"`
		} `json:"to_upstream"`
		ToResolution struct {
			Count int     `json:"count"`
			MeanS float64 `json:"mean_s"`
		} `json:"to_resolution"`
	} `json:"timing"`
}

// TestExceptionsRaisedAndResolved: on the gateway as make run starts it
// (TLS, the embedded broker, the ERP an MQTT client), a picker raises each
// pick reason over a real WebSocket and a packer each pack reason; every
// case reaches the ERP as exception.raised and is timed from raise to
// upstream; a supervisor resolves each on the status page in Chromium —
// re-pick from another location, cancel the line, substitute, send to the
// ERP — and the ERP receives exception.resolved naming them, with the
// time to resolution; the floor changes as each resolution says, and the
// audit log has every one.
func TestExceptionsRaisedAndResolved(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := startWaybillSite(t)
	d := s.demo
	loc := func(i int) string { return d.Master.Locations[i].Code }
	sku := func(i int) string { return d.Master.Items[i].SKU }

	// The ERP sends five urgent one-line orders, one per pick reason, and
	// three parcels for the pack station.
	pickReasons := []floorgate.ExceptionReason{floorgate.ReasonShortBinEmpty, floorgate.ReasonShortCountWrong,
		floorgate.ReasonDamaged, floorgate.ReasonWrongItemInBin, floorgate.ReasonLabelUnreadable}
	var tasks []floorgate.Task
	var ships []floorgate.Shipment
	for i := range pickReasons {
		order := fmt.Sprint("EX-", i+1)
		tasks = append(tasks, floorgate.Task{ID: "T-" + order, Order: order, Priority: 900 - i,
			Lines: []floorgate.TaskLine{{Location: loc(i), SKU: sku(i), Qty: 2}}})
		sh := s.sfShipment(order, i)
		sh.Lines[0].Qty = 2
		ships = append(ships, sh)
	}
	ships = append(ships, s.sfShipment("PK-1", 5, 6), s.sfShipment("PK-2", 7), s.sfShipment("PK-3", 8))
	if typ, rec := s.command("ex-tasks", floorgate.CommandTaskCreate, map[string]any{"tasks": tasks}); typ != floorgate.EventCommandApplied {
		t.Fatalf("task.create: %s %+v", typ, rec)
	}
	s.put("ex-ships", ships...)

	// The picker: at each line's location, a reason and the units found.
	c, _, err := dialWS(ctx, t, s.m, "pda-x", daemontest.DeviceToken("pda-x"), "TC21")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	v, err := c.Login(ctx, "l", d.Badges[0], gateway.DemoPIN)
	if err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("picker login: %v %+v", err, v)
	}
	raisedAt := s.clock.Now()
	for i, r := range pickReasons {
		if v.Prompt.Order != fmt.Sprint("EX-", i+1) {
			t.Fatalf("reason %s: the picker's prompt %+v", r, v.Prompt)
		}
		if v, err = c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("x-loc-", i), Data: d.LocationBarcode[v.Prompt.Location], DistanceMM: 70}); err != nil || v.Code != floorgate.CodeLocationOK {
			t.Fatalf("location: %v %+v", err, v)
		}
		if v, err = c.ShortFor(ctx, fmt.Sprint("x-raise-", i), 1, r, "seen by "+string(r)); err != nil || v.Code != floorgate.CodeShortOK {
			t.Fatalf("raise %s: %v %+v", r, err, v)
		}
	}
	// A reason the gateway does not know, and a pack reason at a pick line.
	if v, err := c.ShortFor(ctx, "x-bad", 0, "bin_on_fire", ""); err != nil || v.Code != floorgate.CodeReasonUnknown {
		t.Fatalf("unknown reason: %v %+v", err, v)
	}

	// The packer: an item missing (one of two scanned), a damaged unit
	// scanned, a unit whose label cannot be read.
	p := s.packer(ctx, "pack-x", "pack-1", 0)
	p.want(ctx, "PK-1", floorgate.CodeOrderOK)
	p.want(ctx, s.item(5), floorgate.CodePackItemOK)
	if v, err := p.c.Exception(ctx, "k1", floorgate.ReasonMissingAtPack, "", 0, ""); err != nil || v.Code != floorgate.CodeExceptionRaised {
		t.Fatalf("missing at pack: %v %+v", err, v)
	}
	p.want(ctx, "PK-1", floorgate.CodeExceptionOpen)
	p.want(ctx, "PK-2", floorgate.CodeOrderOK)
	if v, err := p.c.Exception(ctx, "k2", floorgate.ReasonDamaged, s.item(7), 1, "torn"); err != nil || v.Code != floorgate.CodeExceptionRaised {
		t.Fatalf("damaged at pack: %v %+v", err, v)
	}
	p.want(ctx, "PK-3", floorgate.CodeOrderOK)
	if v, err := p.c.Exception(ctx, "k3", floorgate.ReasonLabelUnreadable, "", 0, ""); err != nil || v.Code != floorgate.CodeExceptionRaised {
		t.Fatalf("label unreadable at pack: %v %+v", err, v)
	}
	if v, err := p.c.Exception(ctx, "k4", floorgate.ReasonWrongItemInBin, "", 0, ""); err != nil || v.Code != floorgate.CodeReasonNotHere {
		t.Fatalf("a pick reason at pack: %v %+v", err, v)
	}

	// Each case reaches the ERP, and learns when it did.
	wantCases := map[string]string{} // case id → "reason order sku"
	for i, r := range pickReasons {
		wantCases[fmt.Sprint("X", i+1)] = fmt.Sprint(r, " EX-", i+1, " ", sku(i), " 1")
	}
	wantCases["X6"] = fmt.Sprint("missing_at_pack PK-1 ", sku(6), " 1")
	wantCases["X7"] = fmt.Sprint("damaged PK-2 ", sku(7), " 1")
	wantCases["X8"] = fmt.Sprint("label_unreadable PK-3 ", sku(8), " 1")
	for id, want := range wantCases {
		ev := s.waitEvent("exception.raised "+id, func(ev floorgate.Event) bool {
			var c floorgate.ExceptionCase
			return ev.Type == floorgate.EventExceptionRaised && json.Unmarshal(ev.Data, &c) == nil && c.ID == id
		})
		var got floorgate.ExceptionCase
		json.Unmarshal(ev.Data, &got)
		if g := fmt.Sprint(got.Reason, " ", got.Order, " ", got.SKU, " ", got.Qty); g != want || got.Status != floorgate.ExceptionOpen {
			t.Errorf("exception.raised %s: %q (%s), want %q", id, g, got.Status, want)
		}
	}
	var view exceptionsView
	poll.Eventually(t, 30*time.Second, func() bool {
		if err := gatewaytest.Local(s.m).Get(ctx, "/api/v1/exceptions", &view); err != nil {
			t.Fatal(err)
		}
		return view.Timing.WaitingUpstream == 0 && view.Timing.ToUpstream.Count == len(wantCases)
	}, func() string { return fmt.Sprintf("cases not all timed upstream: %+v", view.Timing) })
	if view.Timing.Open != len(wantCases) || view.Timing.ToUpstream.WithinStandard != len(wantCases) {
		t.Fatalf("timing: %+v", view.Timing)
	}
	for _, c := range view.Cases {
		if c.UpstreamAt.Before(c.RaisedAt) || c.RaisedAt.Before(raisedAt) {
			t.Fatalf("case %s raised %v, upstream %v", c.ID, c.RaisedAt, c.UpstreamAt)
		}
	}

	// Ten minutes on, a supervisor resolves each on the status page.
	s.clock.Add(10 * time.Minute)
	pg := statusPage{t: t, ctx: browser(t, s.m, 1600, 1000)}
	webtest.Do(t, pg.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(s.m)+"/#exceptions"))
	pg.until("sign-in form", `!document.getElementById("signin").hidden`)
	webtest.Do(t, pg.ctx, "choose English", chromedp.Click(`#signin button[data-lang="en"]`))
	webtest.Do(t, pg.ctx, "sign in as the supervisor",
		chromedp.SendKeys("#signin-badge", gateway.DemoSupervisorBadge),
		chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
	pg.until("the open cases", `document.querySelectorAll('#exc-cases tr[data-status="open"]').length === 8 && document.getElementById("exc-open").textContent.includes("8")`)
	pg.until("the Overview's card", `document.querySelector("#card-exc .value")?.textContent === "8" && document.getElementById("card-exc").classList.contains("warn")`)
	pg.until("reasons in English", `document.querySelector('#exc-cases tr[data-case="X4"]').textContent.includes("Wrong item in the bin")`)
	webtest.Screenshot(t, pg.ctx, "status-exceptions-open")

	resolutions := []struct {
		id            string
		action        floorgate.ResolveAction
		location, sku string
	}{
		{"X1", floorgate.ResolveRepick, loc(20), ""},
		{"X2", floorgate.ResolveCancelLine, "", ""},
		{"X3", floorgate.ResolveSubstitute, loc(21), sku(22)},
		{"X4", floorgate.ResolveSendToERP, "", ""},
		{"X5", floorgate.ResolveSendToERP, "", ""},
		{"X6", floorgate.ResolveCancelLine, "", ""},
		{"X7", floorgate.ResolveRepick, loc(23), ""},
		{"X8", floorgate.ResolveSendToERP, "", ""},
	}
	// A repick without a location is refused on the page, naming it.
	resolveOnPage(pg, "X1", floorgate.ResolveRepick, "", "", "")
	pg.until("the refusal", `!document.getElementById("flash").hidden && document.getElementById("flash").textContent.includes("location") && document.querySelector('#exc-cases tr[data-case="X1"]').dataset.status === "open"`)
	for _, r := range resolutions {
		resolveOnPage(pg, r.id, r.action, r.location, r.sku, "by the page")
		pg.until("case "+r.id+" resolved", `document.querySelector('#exc-cases tr[data-case="`+r.id+`"]')?.dataset.status === "resolved"`)
	}
	pg.until("the Overview's card, cleared", `document.querySelector("#card-exc .value")?.textContent === "0" && document.getElementById("card-exc").classList.contains("ok")`)
	webtest.Do(t, pg.ctx, "choose Chinese", chromedp.Click(`.side button[data-lang="zh"]`))
	pg.until("the cases in Chinese", `document.querySelector('#exc-cases tr[data-case="X1"]').textContent.includes("换库位重拣") && document.querySelector('#exc-cases tr[data-case="X4"]').textContent.includes("库位商品不符")`)
	webtest.Screenshot(t, pg.ctx, "status-exceptions-resolved-zh")

	// The ERP hears each resolution, by whom, after how long.
	for _, r := range resolutions {
		ev := s.waitEvent("exception.resolved "+r.id, func(ev floorgate.Event) bool {
			var c floorgate.ExceptionCase
			return ev.Type == floorgate.EventExceptionResolved && json.Unmarshal(ev.Data, &c) == nil && c.ID == r.id
		})
		var c floorgate.ExceptionCase
		json.Unmarshal(ev.Data, &c)
		z := c.Resolution
		if z == nil || z.Action != r.action || z.By != "S001" || z.Note != "by the page" || z.ResolveS < 600 || z.ResolveS > 700 {
			t.Errorf("exception.resolved %s: %+v", r.id, z)
		}
	}
	// The floor did what each said.
	if tk, err := s.m.DB.Task("X1-EX-1"); err != nil || tk == nil || tk.Lines[0].Location != loc(20) || tk.Lines[0].SKU != sku(0) || tk.Lines[0].Qty != 1 {
		t.Fatalf("the repick's task: %+v %v", tk, err)
	}
	if sh, err := s.m.DB.Shipment("EX-2"); err != nil || len(sh.Lines) != 1 || sh.Lines[0].Qty != 1 {
		t.Fatalf("the cancelled line: %+v %v", sh.Lines, err)
	}
	if sh, err := s.m.DB.Shipment("EX-3"); err != nil || len(sh.Lines) != 2 || sh.Lines[1].SKU != sku(22) || sh.Lines[1].Qty != 1 {
		t.Fatalf("the substitute: %+v %v", sh.Lines, err)
	}
	// PK-1 ships without its missing unit.
	p.want(ctx, "PK-1", floorgate.CodeOrderOK)
	p.want(ctx, s.item(5), floorgate.CodePackDone)
	var audit []store.AuditEntry
	if err := gatewaytest.Local(s.m).Get(ctx, "/api/v1/audit?limit=100", &audit); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range audit {
		if a.Action == "exception.resolve" && a.Actor == "S001" {
			n++
		}
	}
	if n != len(resolutions) {
		t.Fatalf("audit: %d exception.resolve entries by S001, want %d", n, len(resolutions))
	}
	if err := gatewaytest.Local(s.m).Get(ctx, "/api/v1/exceptions", &view); err != nil {
		t.Fatal(err)
	}
	if view.Timing.Open != 0 || view.Timing.ToResolution.Count != len(resolutions) || view.Timing.ToResolution.MeanS < 600 {
		t.Fatalf("timing after resolving: %+v", view.Timing)
	}
}

// resolveOnPage fills a case's resolve form as a supervisor does and
// presses Resolve.
func resolveOnPage(p statusPage, id string, action floorgate.ResolveAction, location, sku, note string) {
	p.t.Helper()
	js := fmt.Sprintf(`(() => {
		const box = document.querySelector('#exc-cases .resolve[data-case=%q]');
		for (const [f, v] of Object.entries({action: %q, location: %q, sku: %q, note: %q})) {
			const el = box.querySelector('[data-f="' + f + '"]');
			el.value = v;
			el.dispatchEvent(new Event("input", {bubbles: true}));
		}
		box.querySelector("button[data-resolve]").click();
	})()`, id, action, location, sku, note)
	p.until("the form of "+id, `!!document.querySelector('#exc-cases .resolve[data-case=`+fmt.Sprintf("%q", id)+`] button:not([disabled])')`)
	webtest.Do(p.t, p.ctx, "resolve "+id+" "+string(action), chromedp.Evaluate[chromedp.Void](js))
}
