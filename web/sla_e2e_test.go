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
	"github.com/floorgate/floorgate/store"
	"github.com/floorgate/floorgate/web/webtest"
)

// slaBoard is GET /api/v1/sla as a client reads it.
type slaBoard struct {
	Now    time.Time             `json:"now"`
	Orders []floorgate.SLAStatus `json:"orders"`
}

// TestSLABoardWithTheERPDown drives an order across the floor on the
// injected clock with the ERP's broker unreachable: packed over a real
// WebSocket, it is at risk on /api/v1/sla 20 minutes after packing and
// breached at 30, named with its rule, due time and node; the sla.*
// events wait in the outbox for the ERP; shipping it clears the board.
func TestSLABoardWithTheERPDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, clock, ship, scan := packOneOrderERPDown(ctx, t)
	packed := clock.Now()
	mine := func(at time.Duration) map[floorgate.SLARule]floorgate.SLAStatus {
		t.Helper()
		clock.Set(packed.Add(at))
		var b slaBoard
		if err := gatewaytest.Local(m).Get(ctx, "/api/v1/sla", &b); err != nil {
			t.Fatal(err)
		}
		if !b.Now.Equal(clock.Now()) {
			t.Fatalf("the board's now %v, the clock's %v", b.Now, clock.Now())
		}
		out := map[floorgate.SLARule]floorgate.SLAStatus{}
		for _, o := range b.Orders {
			if o.Order == ship.Order {
				out[o.Rule] = o
			}
		}
		return out
	}
	if b := mine(19*time.Minute + 59*time.Second); len(b) != 0 {
		t.Fatalf("19:59 after packing: %+v", b)
	}
	b := mine(20 * time.Minute)
	if s := b[floorgate.SLAOutbound]; s.State != floorgate.SLAAtRisk || !s.Due.Equal(packed.Add(30*time.Minute)) || s.Node != "packed" && s.Node != "label_printed" {
		t.Fatalf("20 min after packing: %+v", b)
	}
	if sent, err := m.DB.CheckSLA(ctx, clock.Now()); err != nil || sent == 0 {
		t.Fatalf("CheckSLA: %d %v", sent, err)
	}
	if s := mine(30 * time.Minute)[floorgate.SLAOutbound]; s.State != floorgate.SLABreached {
		t.Fatalf("30 min after packing: %+v", s)
	}
	if _, err := m.DB.CheckSLA(ctx, clock.Now()); err != nil {
		t.Fatal(err)
	}
	// The ERP is unreachable: the events wait in the outbox.
	var states []string
	evs, err := m.DB.Journal(1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range evs {
		if ev.Type == floorgate.EventSLAAtRisk || ev.Type == floorgate.EventSLABreached {
			states = append(states, ev.Type)
		}
	}
	if ob, err := m.DB.Outbox(); err != nil || ob.Depth == 0 || fmt.Sprint(states) != "[sla.at_risk sla.breached]" {
		t.Fatalf("outbox %+v %v; sla events %v", ob, err, states)
	}
	if v := scan(ship.Tracking); v.Code != floorgate.CodeShipped {
		t.Fatalf("waybill: %s", v.Code)
	}
	if b := mine(31 * time.Minute); len(b) != 0 {
		t.Fatalf("shipped, still on the board: %+v", b)
	}
}

// packOneOrderERPDown starts a demo gateway on an injected clock with the
// ERP's broker unreachable, and packs one of its one-line orders over a
// real WebSocket at pack-1: it returns the gateway, the clock, the order's
// shipment, and the packer's scan, to send its waybill with later.
func packOneOrderERPDown(ctx context.Context, t *testing.T) (*gateway.Gateway, *floorgate.ManualClock, floorgate.Shipment, func(string) floorgate.Verdict) {
	t.Helper()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m := gatewaytest.StartDemo(t, clock, func(c *gateway.Config) { c.MQTT.Brokers = []string{"tcp://127.0.0.1:1"} })
	demo := gateway.NewDemo()
	var ship floorgate.Shipment
	for _, s := range demo.Shipments() {
		if s.Customs == nil && len(s.Lines) == 1 {
			ship = s
			break
		}
	}
	c, _, err := dialWS(ctx, t, m, "pack-1", daemontest.DeviceToken("pack-1"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if v, err := c.Login(ctx, "l", demo.PackerBadges[0], gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	n := 0
	scan := func(data string) floorgate.Verdict {
		t.Helper()
		n++
		v, err := c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("p", n), Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	scan(ship.Order)
	for range ship.Lines[0].Qty {
		scan(demo.ItemBarcode[ship.Lines[0].SKU])
	}
	return m, clock, ship, scan
}

// TestSLABoardEveryRuleWithTheERPDown drives one order per rule on the
// injected clock with the ERP's broker unreachable, and checks /api/v1/sla
// and the status page at each minute a state begins: a short pick is at
// risk at once and breached after an hour, and leaves the board when a
// supervisor resolves its case; a carrier cut-off is at risk 15 minutes
// before it and breached at it; an order released by the ERP and not
// shipped is at risk at 90 minutes and breached at 120. Every state goes
// into the outbox once, waiting for the ERP.
func TestSLABoardEveryRuleWithTheERPDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m := gatewaytest.StartDemo(t, clock, func(c *gateway.Config) { c.MQTT.Brokers = []string{"tcp://127.0.0.1:1"} })
	d := gateway.NewDemo()
	t0 := clock.Now()
	line := func(i int) []floorgate.TaskLine {
		return []floorgate.TaskLine{{Location: d.Master.Locations[i].Code, SKU: d.Master.Items[i].SKU, Qty: 2}}
	}
	// Received before the WAN went down: SLA-R released half an hour ago,
	// SLA-C with a cut-off in 40 minutes, SLA-S first in the queue.
	if _, err := m.DB.ImportTasks(ctx, []floorgate.Task{
		{ID: "T-SLA-S", Order: "SLA-S", Priority: 999, Lines: line(0)},
		{ID: "T-SLA-R", Order: "SLA-R", ReleasedAt: t0.Add(-30 * time.Minute), Lines: line(1)},
		{ID: "T-SLA-C", Order: "SLA-C", CutOff: t0.Add(40 * time.Minute), Lines: line(2)},
	}); err != nil {
		t.Fatal(err)
	}
	c, _, err := dialWS(ctx, t, m, "pda-sla", daemontest.DeviceToken("pda-sla"), "TC21")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	v, err := c.Login(ctx, "l", d.Badges[0], gateway.DemoPIN)
	if err != nil || v.Prompt.Order != "SLA-S" {
		t.Fatalf("picker login: %v %+v", err, v.Prompt)
	}
	clock.Set(t0.Add(time.Minute))
	if v, err = c.Scan(ctx, floorgate.Scan{ID: "s1", Data: d.LocationBarcode[v.Prompt.Location], DistanceMM: 70}); err != nil || v.Code != floorgate.CodeLocationOK {
		t.Fatalf("location: %v %+v", err, v)
	}
	if v, err = c.ShortFor(ctx, "s2", 0, floorgate.ReasonShortCountWrong, ""); err != nil || v.Code != floorgate.CodeShortOK {
		t.Fatalf("short: %v %+v", err, v)
	}
	if _, err := c.Logout(ctx, "lo"); err != nil {
		t.Fatal(err)
	}

	board := func() map[string]floorgate.SLAStatus {
		t.Helper()
		var b slaBoard
		if err := gatewaytest.Local(m).Get(ctx, "/api/v1/sla", &b); err != nil {
			t.Fatal(err)
		}
		out := map[string]floorgate.SLAStatus{}
		for _, o := range b.Orders {
			out[o.Order+" "+string(o.Rule)] = o
		}
		if _, err := m.DB.CheckSLA(ctx, clock.Now()); err != nil {
			t.Fatal(err)
		}
		return out
	}
	p := statusPage{t: t, ctx: browser(t, m, 1366, 900)}
	webtest.Do(t, p.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
	p.until("sign-in form", `!document.getElementById("signin").hidden`)
	webtest.Do(t, p.ctx, "choose English", chromedp.Click(`#signin button[data-lang="en"]`))
	webtest.Do(t, p.ctx, "sign in as the supervisor",
		chromedp.SendKeys("#signin-badge", gateway.DemoSupervisorBadge),
		chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
	p.until("overview", `!document.getElementById("app").hidden`)
	onPage := func(order string, rule floorgate.SLARule, state string) {
		t.Helper()
		webtest.Do(t, p.ctx, "reload the board", chromedp.Evaluate[chromedp.Void](`loadSLA()`))
		row := `document.querySelector('#sla-table tr[data-order="` + order + `"][data-rule="` + string(rule) + `"]')`
		if state == "" {
			p.until(order+" "+string(rule)+" off the page", `!`+row)
			return
		}
		p.until(order+" "+string(rule)+" "+state+" on the page", row+`?.dataset.state === "`+state+`"`)
	}
	steps := []struct {
		at           time.Duration
		order        string
		rule         floorgate.SLARule
		before, want floorgate.SLAState
	}{
		{time.Minute, "SLA-S", floorgate.SLAShort, "", floorgate.SLAAtRisk},
		{25 * time.Minute, "SLA-C", floorgate.SLACutOff, "", floorgate.SLAAtRisk},
		{40 * time.Minute, "SLA-C", floorgate.SLACutOff, floorgate.SLAAtRisk, floorgate.SLABreached},
		{60 * time.Minute, "SLA-R", floorgate.SLARelease, "", floorgate.SLAAtRisk},
		{61 * time.Minute, "SLA-S", floorgate.SLAShort, floorgate.SLAAtRisk, floorgate.SLABreached},
		{90 * time.Minute, "SLA-R", floorgate.SLARelease, floorgate.SLAAtRisk, floorgate.SLABreached},
	}
	for _, s := range steps {
		key := s.order + " " + string(s.rule)
		clock.Set(t0.Add(s.at - time.Second))
		if got := board()[key]; got.State != s.before {
			t.Fatalf("%v after t0, a second early: %s is %q, want %q", s.at, key, got.State, s.before)
		}
		clock.Set(t0.Add(s.at))
		got := board()[key]
		if got.State != s.want {
			t.Fatalf("%v after t0: %s is %q, want %q (board %v)", s.at, key, got.State, s.want, board())
		}
		onPage(s.order, s.rule, string(s.want))
		if s.at == 61*time.Minute {
			// The supervisor resolves the short's case: it leaves the board.
			p.until("the open case's age on the Overview", `document.getElementById("card-exc").textContent.includes("60.0 min")`)
			webtest.Screenshot(t, p.ctx, "status-sla-every-rule")
			cases, err := m.DB.Exceptions(store.ExceptionFilter{Open: true})
			if err != nil || len(cases) != 1 || cases[0].Order != "SLA-S" {
				t.Fatalf("the short's case: %+v %v", cases, err)
			}
			clock.Add(5 * time.Minute)
			if _, err := m.DB.Resolve(ctx, cases[0].ID, floorgate.Resolution{Action: floorgate.ResolveSendToERP, By: "S001"}); err != nil {
				t.Fatal(err)
			}
			if got := board()[key]; got.State != "" {
				t.Fatalf("resolved, %s is still %q", key, got.State)
			}
			onPage(s.order, s.rule, "")
		}
	}
	// The ERP is unreachable: each state waits in the outbox, once.
	evs, err := m.DB.Journal(1, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	for _, ev := range evs {
		if ev.Type == floorgate.EventSLAAtRisk || ev.Type == floorgate.EventSLABreached {
			var st floorgate.SLAStatus
			json.Unmarshal(ev.Data, &st)
			sent[fmt.Sprint(st.Order, " ", st.Rule, " ", st.State)]++
		}
	}
	for _, s := range steps {
		if n := sent[fmt.Sprint(s.order, " ", s.rule, " ", s.want)]; n != 1 {
			t.Errorf("%s %s %s sent %d times, want once (sent: %v)", s.order, s.rule, s.want, n, sent)
		}
	}
	if ob, err := m.DB.Outbox(); err != nil || ob.Depth == 0 {
		t.Fatalf("outbox %+v %v: the ERP is down, the events wait", ob, err)
	}
}
