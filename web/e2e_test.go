package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/ws/wsclient"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/daemontest"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
)

// demoGateway is a demo gateway on a clock the test moves, starting at
// 09:00 on the demo's day.
func demoGateway(t *testing.T) (*gateway.Gateway, *floorgate.ManualClock) {
	t.Helper()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	return gatewaytest.StartDemo(t, clock), clock
}

// startWithLabelPrinter is startMain with one ZPL label printer (a fake
// on a real TCP socket, always ready) serving pack station pack-1.
func startWithLabelPrinter(t *testing.T, clock floorgate.Clock) (*gateway.Gateway, *printertest.Fake) {
	t.Helper()
	lbl := printertest.StartTCP(t, printer.ZPL, []printer.State{{Online: true}})
	m := gatewaytest.StartDemo(t, clock, func(c *gateway.Config) {
		c.Printers = []gateway.PrinterConfig{{ID: "lbl-1", Dialect: "zpl", Address: "tcp://" + lbl.Addr(), DPI: 203, Stations: []string{"pack-1"}}}
	})
	return m, lbl
}

// dialWS connects a PDA to m, trusting m's certificate.
func dialWS(ctx context.Context, t testing.TB, m *gateway.Gateway, device, token, model string) (*wsclient.Client, floorgate.Welcome, error) {
	t.Helper()
	return wsclient.DialTLS(ctx, gatewaytest.WSURL(m), device, token, model, gatewaytest.Pinned(t, m))
}

// TestPickOverWebSocket drives one picker through the PDA protocol against
// the real gateway: login, the task, a wrong location, the whole pick, a
// scan resent after a reconnect, and an intercept.
func TestPickOverWebSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, clock := demoGateway(t)
	demo := gateway.NewDemo()

	c, wel, err := dialWS(ctx, t, m, "pda-e2e", daemontest.DeviceToken("pda-e2e"), "TC21")
	if err != nil {
		t.Fatal(err)
	}
	if wel.Site != "demo" || wel.Prompt.Step != "login" {
		t.Fatalf("welcome %+v", wel)
	}
	if v, _ := c.Login(ctx, "l1", demo.Badges[0], "9999"); v.Code != floorgate.CodeBadLogin || v.OK {
		t.Fatalf("wrong PIN: %+v", v)
	}
	v, err := c.Login(ctx, "l2", demo.Badges[0], gateway.DemoPIN)
	if err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("login: %v %+v", err, v)
	}
	p := v.Prompt
	task := p.Task
	if p.Step != "scan_location" || task != demo.Tasks[0].ID {
		t.Fatalf("first prompt %+v, want the first demo task", p)
	}

	n := 0
	scan := func(data string) floorgate.Verdict {
		t.Helper()
		n++
		clock.Add(time.Second) // a picker takes a moment per scan
		v, err := c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("e2e-", n), Data: data, DistanceMM: 70})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	wrongLoc := demo.Master.Locations[0].Barcode
	if wrongLoc == demo.LocationBarcode[p.Location] {
		wrongLoc = demo.Master.Locations[1].Barcode
	}
	if v := scan(wrongLoc); v.Code != floorgate.CodeWrongLocation || v.OK || v.Feedback.Kind != floorgate.Bad || len(v.Feedback.Tone) == 0 {
		t.Fatalf("wrong location: %+v", v)
	}
	if v := scan(demo.ItemBarcode[p.SKU]); v.Code != floorgate.CodeItemBeforeLocation {
		t.Fatalf("item first: %s", v.Code)
	}
	// Pick the task to the end, one unit at a time.
	var last floorgate.Verdict
	for p.Task == task {
		data := demo.LocationBarcode[p.Location]
		if p.Step == "scan_item" {
			data = demo.ItemBarcode[p.SKU]
		}
		last = scan(data)
		if !last.OK {
			t.Fatalf("correct scan %s refused: %+v (prompt %+v)", data, last, p)
		}
		p = last.Prompt
	}
	if last.Code != floorgate.CodeTaskDone {
		t.Fatalf("last verdict %s, want task_done", last.Code)
	}
	tk, err := m.DB.Task(task)
	if err != nil || tk.Status != floorgate.TaskDone {
		t.Fatalf("task after the pick: %v %+v", err, tk)
	}

	// The next task's location; the connection drops before the verdict is
	// read; the scan is resent with the same id on a new connection.
	lastSeq := m.DB.Counts().LastSeq
	n++
	resent := floorgate.Scan{ID: fmt.Sprint("e2e-", n), Data: demo.LocationBarcode[p.Location], DistanceMM: 70}
	first, err := c.Scan(ctx, resent)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	afterFirst := m.DB.Counts().LastSeq
	c, wel, err = dialWS(ctx, t, m, "pda-e2e", daemontest.DeviceToken("pda-e2e"), "TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if wel.Operator == "" || wel.Prompt.Step != "scan_item" {
		t.Fatalf("welcome after reconnect: %+v", wel)
	}
	again, err := c.Scan(ctx, resent)
	if err != nil {
		t.Fatal(err)
	}
	if again.Code != first.Code || again.OK != first.OK || !reflect.DeepEqual(again.Prompt, first.Prompt) {
		t.Fatalf("resent scan: %+v, first answer %+v", again, first)
	}
	if got := m.DB.Counts().LastSeq; got != afterFirst || afterFirst != lastSeq+1 {
		t.Fatalf("events: %d before, %d after the scan, %d after the resend; want one", lastSeq, afterFirst, got)
	}

	// The order is intercepted (as `floorgate tasks cancel` does it, over
	// the local socket): the PDA hears it at once and every scan is refused
	// until the picker moves on.
	if err := gatewaytest.Local(m).Post(ctx, "/api/v1/tasks/"+url.PathEscape(p.Task)+"/cancel", map[string]string{"reason": "customer cancelled"}, nil); err != nil {
		t.Fatal(err)
	}
	select {
	case push := <-c.Pushes():
		if push.Kind != floorgate.NoticeTaskCancelled || push.Verdict.Code != floorgate.CodeTaskCancelled || push.Verdict.Prompt.Step != "cancelled" {
			t.Fatalf("push %+v", push)
		}
	case <-ctx.Done():
		t.Fatal("no push for the cancelled task")
	}
	if v := scan(demo.ItemBarcode[p.SKU]); v.Code != floorgate.CodeTaskCancelled {
		t.Fatalf("scan after intercept: %s", v.Code)
	}
	np, err := c.Next(ctx, "n1")
	if err != nil || np.Step != "scan_location" || np.Task == p.Task {
		t.Fatalf("next after intercept: %v %+v", err, np)
	}
}

// TestStatusShowsTheUpstreamLink reads /api/v1/status of a gateway whose
// broker is unreachable, as `floorgate status` does (over the local
// socket): events wait, and the status says so.
func TestStatusShowsTheUpstreamLink(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m := gatewaytest.StartDemo(t, clock, func(c *gateway.Config) { c.MQTT.Brokers = []string{"tcp://127.0.0.1:9"} })
	clock.Add(90 * time.Second)
	var s gateway.Status
	if err := gatewaytest.Local(m).Get(context.Background(), "/api/v1/status", &s); err != nil {
		t.Fatal(err)
	}
	// Every seeded task's task.received waits: the demo's orders, its
	// held peak wave's, its batch's and single-item orders and their two
	// pick tasks.
	d := gateway.NewDemo()
	seeded := len(d.Tasks) + len(d.PeakTasks) + len(d.BatchTasks) + len(d.SinglesTasks) + 2
	if s.Upstream.Connected || s.Outbox.Depth != seeded || s.OldestUnsentS < 90 || s.Counts.PendingTasks != 40 {
		t.Fatalf("status %+v; want %d events waiting", s, seeded)
	}
}

// TestPackAndShipOverWebSocket: a packer opens a demo order's parcel,
// verifies its items (an extra one is refused), the waybill job is queued,
// the wrong waybill is refused, the right one confirms outbound; a
// cancelled order is stopped at the pack station.
func TestPackAndShipOverWebSocket(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m, lbl := startWithLabelPrinter(t, clock)
	demo := gateway.NewDemo()
	ship := demo.Shipments()[3]
	c, wel, err := dialWS(ctx, t, m, "pack-1", daemontest.DeviceToken("pack-1"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if wel.Prompt.Step != "login" {
		t.Fatalf("welcome %+v", wel)
	}
	v, err := c.Login(ctx, "l", demo.PackerBadges[0], gateway.DemoPIN)
	if err != nil || v.Code != floorgate.CodeLoggedIn || v.Prompt.Step != "scan_order" {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	n := 0
	scan := func(data string) floorgate.Verdict {
		t.Helper()
		n++
		clock.Add(time.Minute)
		v, err := c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint("p", n), Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := scan(ship.Order); v.Code != floorgate.CodeOrderOK || v.Prompt.Order != ship.Order {
		t.Fatalf("open order: %+v", v)
	}
	var last floorgate.Verdict
	for i, l := range ship.Lines {
		for range l.Qty {
			last = scan(demo.ItemBarcode[l.SKU])
			if i < len(ship.Lines)-1 && last.Code != floorgate.CodePackItemOK {
				t.Fatalf("item %s: %s", l.SKU, last.Code)
			}
		}
		if i == 0 && len(ship.Lines) > 1 {
			if v := scan(demo.ItemBarcode[l.SKU]); v.Code != floorgate.CodeExtraItem {
				t.Fatalf("extra unit: %s", v.Code)
			}
		}
	}
	if last.Code != floorgate.CodePackDone || last.Prompt.Step != "scan_waybill" {
		t.Fatalf("last item: %+v", last)
	}
	jobs, err := m.DB.PrintJobs()
	if err != nil || len(jobs) != 1 || jobs[0].Order != ship.Order || jobs[0].Kind != "waybill" {
		t.Fatalf("waybill job: %v %+v", err, jobs)
	}
	// The waybill comes out of the pack station's printer, once.
	if err := lbl.WaitLabels(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if jobs := lbl.Jobs(); len(jobs) != 1 || !bytes.Contains(jobs[0], []byte(ship.Tracking)) {
		t.Fatalf("printed job does not carry the tracking number %s", ship.Tracking)
	}
	// The status page can show the waybill as it prints, to a supervisor
	// signed in on it.
	sup := signedIn(t, m, gateway.DemoSupervisorBadge)
	r := sup.do("GET", "/api/v1/printjobs/"+url.PathEscape(jobs[0].ID)+"/preview.png", nil, nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(r.body, []byte("\x89PNG")) {
		t.Fatalf("preview: %d %s, %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
	if v := scan("SF999999999999"); v.Code != floorgate.CodeWrongWaybill {
		t.Fatalf("wrong waybill: %s", v.Code)
	}
	if v := scan(ship.Tracking); v.Code != floorgate.CodeShipped || v.Prompt.Step != "scan_order" {
		t.Fatalf("waybill: %+v", v)
	}
	evs, _ := m.DB.Journal(0, 1<<20)
	var rec floorgate.PackRecord
	for _, ev := range evs {
		if ev.Type == floorgate.EventShipConfirmed {
			json.Unmarshal(ev.Data, &rec)
		}
	}
	if rec.Tracking != ship.Tracking || rec.Order != ship.Order || rec.PackToShipS != 120 || rec.WithinStandard == nil || !*rec.WithinStandard {
		t.Fatalf("ship.confirmed %+v", rec)
	}

	// The first demo order is cancelled: the pack station stops it.
	first := demo.Tasks[0]
	if err := m.DB.CancelTask(ctx, first.ID, "customer cancelled"); err != nil {
		t.Fatal(err)
	}
	if v := scan(first.Order); v.Code != floorgate.CodeOrderIntercepted {
		t.Fatalf("cancelled order at pack: %s", v.Code)
	}
}

// TestDistanceFromACameraPDA: a Zebra TC21 sends the symbol's corners; the
// gateway knows the camera from the TC21 profile and the location label's
// X-dimension, and holds the scan to the 5-10 cm standard.
func TestDistanceFromACameraPDA(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, clock := demoGateway(t)
	demo := gateway.NewDemo()
	c, _, err := dialWS(ctx, t, m, "tc21-1", daemontest.DeviceToken("tc21-1"), "Zebra TC21")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Login(ctx, "l", demo.Badges[0], gateway.DemoPIN)
	if err != nil || v.Prompt.Step != "scan_location" {
		t.Fatalf("login: %v %+v", err, v)
	}
	loc := v.Prompt.Location
	// The label: Code 128 of the code at the demo's X-dimension.
	modules := 11*(len(demo.LocationBarcode[loc])+2) + 13
	widthMM := float64(modules) * gateway.DemoLabelX
	focal := 640 / math.Tan(24*math.Pi/180) // the TC21 profile: 1280 px, 48°
	scanAt := func(id string, mm float64) floorgate.Verdict {
		t.Helper()
		clock.Add(time.Second)
		w := focal * widthMM / mm // the symbol's width in the image at mm
		v, err := c.Scan(ctx, floorgate.Scan{ID: id, Data: demo.LocationBarcode[loc], Geometry: &floorgate.Geometry{
			Corners:    [4]floorgate.Point{{X: 100, Y: 200}, {X: 100 + w, Y: 200}, {X: 100 + w, Y: 260}, {X: 100, Y: 260}},
			ImageWidth: 1280}})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := scanAt("far", 200); v.Code != floorgate.CodeDistance {
		t.Fatalf("at 20 cm: %s", v.Code)
	}
	if v := scanAt("near", 75); v.Code != floorgate.CodeLocationOK {
		t.Fatalf("at 7.5 cm: %s", v.Code)
	}
	evs, _ := m.DB.Journal(0, 1<<20)
	var rec floorgate.ScanRecord
	for _, ev := range evs {
		if ev.Type == floorgate.EventScanAccepted {
			json.Unmarshal(ev.Data, &rec)
		}
	}
	if rec.Distance != "in" || math.Abs(rec.DistanceMM-75) > 0.5 {
		t.Fatalf("recorded distance %v mm (%s), want 75", rec.DistanceMM, rec.Distance)
	}
}
