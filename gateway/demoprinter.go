package gateway

import (
	"fmt"
	"strings"

	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/fakeprinter"
)

// DemoStations are the demo site's pack stations, one per demo packer.
func DemoStations() []string {
	out := make([]string, DemoPackers)
	for i := range out {
		out[i] = fmt.Sprintf("pack-%d", i+1)
	}
	return out
}

// The demo's simulated printers, by their ids on the status page.
const (
	DemoZPLPrinterID  = "demo-zpl"
	DemoTSPLPrinterID = "demo-tspl"
	// DemoPrinterJobs is how many of the last jobs each simulated printer
	// keeps: a demo site may run for months.
	DemoPrinterJobs = 50
)

// demoPrinters are the demo's label printers: a ZPL and a TSPL printer
// simulated on loopback ports by fakeprinter — the same simulation the
// tests print to — always ready. They take every job, count its labels and
// keep the last DemoPrinterJobs, so a demo packer sees the whole flow,
// waybill scan included, with no hardware. They are real endpoints, reached
// over TCP like printers on port 9100, so the print worker runs exactly as
// on a site.
type demoPrinters struct {
	byID map[string]*fakeprinter.Printer
	// zpl and tspl are the stations each prints for first.
	zpl, tspl []string
}

// describe says which simulated printer prints for which stations, for the
// lines a person starting the demo reads.
func (ps *demoPrinters) describe() string {
	s := fmt.Sprintf("Simulated printers: %s (ZPL) for %s; %s (TSPL)", DemoZPLPrinterID, strings.Join(ps.zpl, ", "), DemoTSPLPrinterID)
	if len(ps.tspl) > 0 {
		s += " for " + strings.Join(ps.tspl, ", ") + ", and"
	}
	return s + fmt.Sprintf(" for %s when %s cannot print.", strings.Join(ps.zpl, ", "), DemoZPLPrinterID)
}

// startDemoPrinters simulates the printers of a demo gateway configured
// with none. They serve the configured pack stations, or DemoStations when
// none are configured: demo-zpl the first, third, … (pack-1, pack-3),
// demo-tspl the second, fourth, … (pack-2, pack-4).
//
// A station's printers are tried in the order they are configured, the
// same order for every station; demo-zpl is listed first and demo-tspl also
// serves demo-zpl's stations, so pack-1's labels fail over to demo-tspl.
// The reverse needs a per-station printer order, which the print worker
// does not have.
func (g *Gateway) startDemoPrinters() error {
	ps := &demoPrinters{byID: map[string]*fakeprinter.Printer{}}
	for _, d := range []struct {
		id      string
		dialect printer.Dialect
	}{{DemoZPLPrinterID, printer.ZPL}, {DemoTSPLPrinterID, printer.TSPL}} {
		p, err := fakeprinter.Listen("127.0.0.1:0", d.dialect, fakeprinter.Options{KeepJobs: DemoPrinterJobs})
		if err != nil {
			ps.close()
			return fmt.Errorf("demo printer %s: %w", d.id, err)
		}
		ps.byID[d.id] = p
	}
	g.demoPrinters = ps
	if len(g.Config.Stations) == 0 {
		g.Config.Stations = DemoStations()
	}
	var zpl, tspl []string
	for i, s := range g.Config.Stations {
		if i%2 == 0 {
			zpl = append(zpl, s)
		} else {
			tspl = append(tspl, s)
		}
	}
	ps.zpl, ps.tspl = zpl, tspl
	g.Config.Printers = []PrinterConfig{
		{ID: DemoZPLPrinterID, Dialect: string(printer.ZPL), Address: "tcp://" + ps.byID[DemoZPLPrinterID].Addr(),
			DPI: 203, Stations: zpl},
		{ID: DemoTSPLPrinterID, Dialect: string(printer.TSPL), Address: "tcp://" + ps.byID[DemoTSPLPrinterID].Addr(),
			DPI: 203, Stations: append(tspl, zpl...)},
	}
	return nil
}

// SimulatedPrinter is the simulated printer with that id (DemoZPLPrinterID,
// DemoTSPLPrinterID) of a started demo gateway, or nil.
func (g *Gateway) SimulatedPrinter(id string) *fakeprinter.Printer {
	if g.demoPrinters == nil {
		return nil
	}
	return g.demoPrinters.byID[id]
}

// close stops the simulated printers and waits for their connections to end.
func (ps *demoPrinters) close() {
	for _, p := range ps.byID {
		p.Close()
	}
}
