package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
	"github.com/floorgate/floorgate/web/webtest"
)

// TestPDAStationPicker: a packer on the PDA app is asked for the pack
// station first (the list is the gateway's); at a station no printer
// serves, the parcel's verdict says so and the screen does not claim the
// waybill is printing; choosing the station with a printer from the
// header prints the held waybill there. The status page's printers card is
// red, naming the station, while the packer is there.
func TestPDAStationPicker(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	lbl := printertest.StartTCP(t, printer.ZPL, []printer.State{{Online: true}})
	m := gatewaytest.StartDemo(t, clock, func(c *gateway.Config) {
		c.Stations = []string{"pack-1", "pack-2"}
		c.Printers = []gateway.PrinterConfig{{ID: "lbl-2", Dialect: "zpl", Address: "tcp://" + lbl.Addr(), DPI: 203, Stations: []string{"pack-2"}}}
	})
	p := openPDA(t, m, clock, m.Addr())
	p.login(p.demo.PackerBadges[0])
	p.wait("the station picker", `fgState().screen === 'station' && document.querySelectorAll('#station-list button').length === 2`)
	webtest.Screenshot(t, p.ctx, "pda-station-picker")
	webtest.Do(t, p.ctx, "choose pack-1", chromedp.Click(chromedp.CSS(`#station-list button[data-station="pack-1"]`)))
	p.wait("the pack screen at pack-1", `fgState().screen === 'pack' && fgState().station === 'pack-1' && !document.getElementById('station-btn').hidden`)
	if got := p.text("station-btn"); !strings.Contains(got, "pack-1") {
		t.Fatalf("header shows %q, want the station pack-1", got)
	}

	// The overview is red while a packer stands at a station without printer.
	s := statusPage{t: t, ctx: browser(t, m, 1366, 768)}
	webtest.Do(t, s.ctx, "open the status page", chromedp.Navigate(gatewaytest.PageURL(m)+"/"))
	s.until("sign-in form", `!document.getElementById("signin").hidden`)
	webtest.Do(t, s.ctx, "sign in as the admin", chromedp.SendKeys("#signin-badge", gateway.DemoAdminBadge),
		chromedp.SendKeys("#signin-pin", gateway.DemoPIN), chromedp.Click(`#signin-form button[type="submit"]`))
	s.until("the printers card in red naming pack-1", `(() => { const c = document.getElementById("card-printers");
	  return c && c.classList.contains("bad") && c.textContent.includes("No printer serves station pack-1"); })()`)
	s.until("pack-1 in the printers table", `(document.querySelector('#overview-printers tr[data-station="pack-1"]')?.textContent || "").includes("no printer serves station pack-1")`)
	webtest.Screenshot(t, s.ctx, "status-station-without-printer")

	ship := p.demo.Shipments()[3]
	if fb := p.scan(ship.Order); fb.Code != string(floorgate.CodeOrderOK) {
		t.Fatalf("open order: %s", fb.Code)
	}
	var fb feedbackEntry
	for _, l := range ship.Lines {
		for range l.Qty {
			fb = p.scan(p.demo.ItemBarcode[l.SKU])
		}
	}
	if fb.Code != string(floorgate.CodeNoPrinter) || fb.LED != "amber" {
		t.Fatalf("last item at a station without printer: %+v", fb)
	}
	if got := p.text("verdict"); !strings.Contains(got, "no printer serves this station") {
		t.Fatalf("verdict on screen %q", got)
	}
	if got := p.text("pack-instr"); strings.Contains(got, "printing") || !strings.Contains(got, "No printer at this station") {
		t.Fatalf("instruction %q, want the waybill held, not printing", got)
	}
	webtest.Screenshot(t, p.ctx, "pda-no-printer")

	// Choosing the station with a printer sends the held waybill there.
	webtest.Do(t, p.ctx, "open the station picker", chromedp.Click(chromedp.CSS(`#station-btn`)))
	p.wait("the station picker", `fgState().screen === 'station'`)
	webtest.Do(t, p.ctx, "choose pack-2", chromedp.Click(chromedp.CSS(`#station-list button[data-station="pack-2"]`)))
	p.wait("back on the pack screen at pack-2", `fgState().screen === 'pack' && fgState().station === 'pack-2'`)
	if err := lbl.WaitLabels(1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := p.text("pack-instr"); !strings.Contains(got, "Stick the waybill on") {
		t.Fatalf("instruction %q after choosing a station with a printer", got)
	}
	if fb := p.scan(ship.Tracking); fb.Code != string(floorgate.CodeShipped) {
		t.Fatalf("waybill: %s", fb.Code)
	}
	s.until("the printers card still red for the configured pack-1", `document.getElementById("card-printers").classList.contains("bad")`)
}
