package gateway

import (
	"slices"
	"testing"
)

// TestDemoPrintersServeTheStations: the demo's two simulated printers take
// the stations in turn — demo-zpl the first, third, …, demo-tspl the
// others and, after them, demo-zpl's, as their second printer — whether
// the stations are the demo's or configured, and each listens on its own
// loopback port.
func TestDemoPrintersServeTheStations(t *testing.T) {
	tests := []struct {
		name      string
		stations  []string
		zpl, tspl []string
		announced string
	}{
		{"the demo's", nil, []string{"pack-1", "pack-3"}, []string{"pack-2", "pack-4", "pack-1", "pack-3"},
			"Simulated printers: demo-zpl (ZPL) for pack-1, pack-3; demo-tspl (TSPL) for pack-2, pack-4, and for pack-1, pack-3 when demo-zpl cannot print."},
		{"one configured", []string{"打包台1"}, []string{"打包台1"}, []string{"打包台1"},
			"Simulated printers: demo-zpl (ZPL) for 打包台1; demo-tspl (TSPL) for 打包台1 when demo-zpl cannot print."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &Gateway{Config: Config{Stations: tt.stations}}
			if err := g.startDemoPrinters(); err != nil {
				t.Fatal(err)
			}
			defer g.demoPrinters.close()
			ps := g.Config.Printers
			if len(ps) != 2 || ps[0].ID != DemoZPLPrinterID || ps[0].Dialect != "zpl" || ps[1].ID != DemoTSPLPrinterID || ps[1].Dialect != "tspl" {
				t.Fatalf("printers %+v", ps)
			}
			if !slices.Equal(ps[0].Stations, tt.zpl) || !slices.Equal(ps[1].Stations, tt.tspl) {
				t.Errorf("stations: zpl %v, tspl %v; want %v, %v", ps[0].Stations, ps[1].Stations, tt.zpl, tt.tspl)
			}
			for _, p := range ps {
				fake := g.SimulatedPrinter(p.ID)
				if fake == nil || p.Address != "tcp://"+fake.Addr() || string(fake.Dialect()) != p.Dialect {
					t.Errorf("%s at %s is not its simulated printer", p.ID, p.Address)
				}
			}
			if got := g.demoPrinters.describe(); got != tt.announced {
				t.Errorf("announced %q\nwant      %q", got, tt.announced)
			}
		})
	}
}
