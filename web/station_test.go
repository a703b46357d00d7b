package web_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
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

// packParcel logs nothing in: it scans ship's order and every unit on c and
// returns the last verdict (the one that completes the parcel).
func packParcel(ctx context.Context, t *testing.T, c *wsclient.Client, demo *gateway.Demo, ship floorgate.Shipment, clock *floorgate.ManualClock) floorgate.Verdict {
	t.Helper()
	n := 0
	scan := func(data string) floorgate.Verdict {
		t.Helper()
		n++
		clock.Add(time.Minute)
		v, err := c.Scan(ctx, floorgate.Scan{ID: fmt.Sprint(c.Device(), "-", ship.Order, "-", n), Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := scan(ship.Order); v.Code != floorgate.CodeOrderOK {
		t.Fatalf("open %s: %+v", ship.Order, v)
	}
	var last floorgate.Verdict
	for _, l := range ship.Lines {
		for range l.Qty {
			last = scan(demo.ItemBarcode[l.SKU])
		}
	}
	return last
}

// gatewayStatus is /api/v1/status as the status page reads it.
func gatewayStatus(t *testing.T, m *gateway.Gateway) gateway.Status {
	t.Helper()
	var st gateway.Status
	if err := gatewaytest.Local(m).Get(context.Background(), "/api/v1/status", &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestPackAtAStationWithoutPrinter: a packer whose PDA stands at a station
// no printer serves is told so — no_printer, not "the waybill is printing"
// — the waybill is held, and the status says which station has no printer
// (and /metrics counts it). Choosing a station that has a printer sends the
// held waybill there. Stations are names, not device ids: a PDA whose
// browser data was cleared comes back as a new device, chooses the same
// station and prints on the same printer.
func TestPackAtAStationWithoutPrinter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	lbl := printertest.StartTCP(t, printer.ZPL, []printer.State{{Online: true}})
	m := gatewaytest.StartDemo(t, clock, func(c *gateway.Config) {
		c.Stations = []string{"pack-1", "pack-2"}
		c.Printers = []gateway.PrinterConfig{{ID: "lbl-2", Dialect: "zpl", Address: "tcp://" + lbl.Addr(), DPI: 203, Stations: []string{"pack-2"}}}
	})
	demo := gateway.NewDemo()
	ships := demo.Shipments()

	c, wel, err := dialWS(ctx, t, m, "pda-7f3k2q9d", daemontest.DeviceToken("pda-7f3k2q9d"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if wel.Station != "" || strings.Join(wel.Stations, ",") != "pack-1,pack-2" {
		t.Fatalf("welcome: station %q, stations %q; want none chosen of pack-1, pack-2", wel.Station, wel.Stations)
	}
	if err := c.SetStation(ctx, "s0", "pack-9"); floorgate.ErrorCode(err) != floorgate.ENOTFOUND {
		t.Fatalf("a station the site does not have: %v, want not_found", err)
	}
	if err := c.SetStation(ctx, "s1", "pack-1"); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Login(ctx, "l", demo.PackerBadges[0], gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	// pack-1 has no printer, and the overview says so while a packer is there.
	if st := gatewayStatus(t, m); len(st.StationsWithoutPrinter) != 1 || st.StationsWithoutPrinter[0].Station != "pack-1" ||
		st.StationsWithoutPrinter[0].Packers != 1 || !strings.Contains(st.StationsWithoutPrinter[0].Reason, "no printer serves station pack-1") {
		t.Fatalf("stations without printer %+v, want pack-1 with its packer", st.StationsWithoutPrinter)
	}

	ship := ships[3]
	v := packParcel(ctx, t, c, demo, ship, clock)
	if v.Code != floorgate.CodeNoPrinter || !v.OK || v.Prompt.Step != "scan_waybill" || v.Feedback.Kind != floorgate.Warn ||
		!strings.Contains(v.Message.EN, "no printer serves this station") || strings.Contains(v.Message.EN, "printing") ||
		!strings.Contains(v.Message.ZH, "没有打印机") {
		t.Fatalf("parcel packed at a station without printer: %+v", v)
	}
	job := waitJob(t, m, "waybill:"+ship.Order, func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobHeld })
	if job.Station != "pack-1" || !strings.Contains(job.Reason, "no printer serves station pack-1") {
		t.Fatalf("held waybill %+v", job)
	}
	st := gatewayStatus(t, m)
	if len(st.StationsWithoutPrinter) != 1 || st.StationsWithoutPrinter[0].HeldJobs != 1 {
		t.Fatalf("stations without printer %+v, want pack-1 with its held waybill", st.StationsWithoutPrinter)
	}
	fams := scrape(t, apiClient(t, m, "prometheus", "read"))
	if g, ok := sample(fams, "floorgate_stations_without_printer", map[string]string{}); !ok || g.GetGauge().GetValue() != 1 {
		t.Fatalf("floorgate_stations_without_printer: %v %v", g, ok)
	}
	if lbl.Labels() != 0 {
		t.Fatalf("%d labels printed for a station without printer", lbl.Labels())
	}

	// The packer chooses the station with a printer: the held waybill
	// prints there, and the parcel ships.
	if err := c.SetStation(ctx, "s2", "pack-2"); err != nil {
		t.Fatal(err)
	}
	if err := lbl.WaitLabels(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if job := waitJob(t, m, "waybill:"+ship.Order, func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted }); job.Station != "pack-2" || job.Printer != "lbl-2" {
		t.Fatalf("moved waybill %+v", job)
	}
	clock.Add(time.Minute)
	if v, err := c.Scan(ctx, floorgate.Scan{ID: "w1", Data: ship.Tracking}); err != nil || v.Code != floorgate.CodeShipped {
		t.Fatalf("waybill scan: %v %+v", err, v)
	}
	if st := gatewayStatus(t, m); len(st.StationsWithoutPrinter) != 1 || st.StationsWithoutPrinter[0].Packers != 0 || st.StationsWithoutPrinter[0].HeldJobs != 0 || !st.StationsWithoutPrinter[0].Configured {
		t.Fatalf("stations without printer %+v, want only the configured pack-1, idle", st.StationsWithoutPrinter)
	}
	c.Close()

	// The browser's data is cleared: the PDA comes back with a new device
	// id, is asked for its station, chooses pack-2 and prints on lbl-2.
	c2, wel, err := dialWS(ctx, t, m, "pda-x9w2m4te", daemontest.DeviceToken("pda-x9w2m4te"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if wel.Station != "" {
		t.Fatalf("a new device starts with station %q", wel.Station)
	}
	if err := c2.SetStation(ctx, "s1", "pack-2"); err != nil {
		t.Fatal(err)
	}
	if v, err := c2.Login(ctx, "l", demo.PackerBadges[1], gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
		t.Fatalf("packer login: %v %+v", err, v)
	}
	ship = ships[4]
	if v := packParcel(ctx, t, c2, demo, ship, clock); v.Code != floorgate.CodePackDone {
		t.Fatalf("parcel packed at pack-2: %+v", v)
	}
	if err := lbl.WaitLabels(2, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if job := waitJob(t, m, "waybill:"+ship.Order, func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted }); job.Station != "pack-2" || job.Printer != "lbl-2" {
		t.Fatalf("waybill %+v", job)
	}
	// The gateway remembers the device's station across connections.
	c2.Close()
	c3, wel, err := dialWS(ctx, t, m, "pda-x9w2m4te", daemontest.DeviceToken("pda-x9w2m4te"), "CT40")
	if err != nil {
		t.Fatal(err)
	}
	defer c3.Close()
	if wel.Station != "pack-2" {
		t.Fatalf("welcome again: station %q, want pack-2", wel.Station)
	}
}

// waitJob waits for print job id to satisfy ok and returns it.
func waitJob(t *testing.T, m *gateway.Gateway, id string, ok func(floorgate.PrintJob) bool) floorgate.PrintJob {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		jobs, err := m.DB.PrintJobs()
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			if j.ID == id && ok(j) {
				return j
			}
			if j.ID == id && time.Now().After(deadline) {
				t.Fatalf("print job %s: %+v", id, j)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no print job %s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDemoPrintsOnASimulatedPrinter: `floorgate run --demo` (`make run`)
// with no printer configured simulates two — demo-zpl for pack-1 (and
// pack-3), demo-tspl for pack-2 (and pack-4), on loopback ports — so a
// demo packer sees the whole flow over a real WebSocket on TLS: station,
// parcel, waybill printed on the station's printer, outbound confirmed by
// scanning it — and the overview is green. demo-zpl's stations fail over
// to demo-tspl when it cannot print.
func TestDemoPrintsOnASimulatedPrinter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	// As run.go builds it for `floorgate run --demo`: the defaults (TLS
	// with a self-signed certificate, the embedded broker) on free ports.
	cfg := gateway.DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	var out bytes.Buffer
	m := gatewaytest.Start(t, &gateway.Gateway{Config: cfg, Demo: true, DemoPrinter: true, Clock: clock, Out: &out})
	if m.Fingerprint == "" {
		t.Fatal("the demo serves plain HTTP; make run serves TLS")
	}
	// Start has announced the gateway by the time it returns.
	if want := "Simulated printers: demo-zpl (ZPL) for pack-1, pack-3; demo-tspl (TSPL) for pack-2, pack-4, and for pack-1, pack-3 when demo-zpl cannot print."; !strings.Contains(out.String(), want) {
		t.Errorf("the announcement does not say %q:\n%s", want, out.String())
	}
	demo := gateway.NewDemo()
	ships := demo.Shipments()

	// packAt packs ship as a packer at station on a PDA of its own and
	// returns the printed waybill's job; the packer is left to confirm it.
	packAt := func(station string, packer int, ship floorgate.Shipment) (floorgate.PrintJob, func()) {
		t.Helper()
		dev := "pda-" + station
		c, wel, err := dialWS(ctx, t, m, dev, daemontest.DeviceToken(dev), "CT40")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if got := strings.Join(wel.Stations, ","); got != "pack-1,pack-2,pack-3,pack-4" {
			t.Fatalf("demo stations %q", got)
		}
		if err := c.SetStation(ctx, "s1", station); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Login(ctx, "l", demo.PackerBadges[packer], gateway.DemoPIN); err != nil || v.Code != floorgate.CodeLoggedIn {
			t.Fatalf("packer login: %v %+v", err, v)
		}
		if v := packParcel(ctx, t, c, demo, ship, clock); v.Code != floorgate.CodePackDone {
			t.Fatalf("parcel at %s: %+v", station, v)
		}
		job := waitJob(t, m, "waybill:"+ship.Order, func(j floorgate.PrintJob) bool { return j.Status == floorgate.JobPrinted })
		confirm := func() {
			t.Helper()
			if v, err := c.Scan(ctx, floorgate.Scan{ID: "w-" + ship.Order, Data: ship.Tracking}); err != nil || v.Code != floorgate.CodeShipped {
				t.Fatalf("waybill scan at %s: %v %+v", station, err, v)
			}
		}
		return job, confirm
	}
	// printedOn asserts that the status API lists the job as printed on
	// printer for station, and that the simulated printer received it.
	printedOn := func(job floorgate.PrintJob, ship floorgate.Shipment, station, printerID, dialectMark string) {
		t.Helper()
		var jobs []floorgate.PrintJob
		if err := gatewaytest.Local(m).Get(ctx, "/api/v1/printjobs", &jobs); err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(jobs, func(j floorgate.PrintJob) bool { return j.ID == job.ID })
		if i < 0 || jobs[i].Status != floorgate.JobPrinted || jobs[i].Printer != printerID || jobs[i].Station != station {
			t.Fatalf("%s on the status API: %+v, want printed on %s at %s", job.ID, jobs, printerID, station)
		}
		fake := m.SimulatedPrinter(printerID)
		if fake == nil {
			t.Fatalf("no simulated printer %s", printerID)
		}
		if !slices.ContainsFunc(fake.Jobs(), func(b []byte) bool {
			return bytes.Contains(b, []byte(ship.Tracking)) && bytes.Contains(b, []byte(dialectMark))
		}) {
			t.Fatalf("%s did not receive %s's waybill (%s)", printerID, ship.Order, ship.Tracking)
		}
	}

	job, confirm := packAt("pack-1", 0, ships[5])
	printedOn(job, ships[5], "pack-1", gateway.DemoZPLPrinterID, "^XA")
	confirm()
	job, confirm = packAt("pack-2", 1, ships[6])
	printedOn(job, ships[6], "pack-2", gateway.DemoTSPLPrinterID, "PRINT ")
	confirm()
	st := gatewayStatus(t, m)
	if len(st.StationsWithoutPrinter) != 0 || len(st.Printers) != 2 || st.Printers[0].State != "ready" || st.Printers[1].State != "ready" {
		t.Fatalf("demo overview: printers %+v, stations without printer %+v", st.Printers, st.StationsWithoutPrinter)
	}

	// demo-zpl runs out of paper: pack-3's waybill prints on demo-tspl.
	m.SimulatedPrinter(gateway.DemoZPLPrinterID).SetState(printer.State{Online: true, PaperOut: true})
	job, confirm = packAt("pack-3", 2, ships[7])
	printedOn(job, ships[7], "pack-3", gateway.DemoTSPLPrinterID, "PRINT ")
	confirm()
}
