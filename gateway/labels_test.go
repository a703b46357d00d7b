package gateway

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/floorgate/floorgate"
)

// TestBadTemplateStopsStartUp: a malformed template in labels.templates_dir
// stops the gateway before anything starts, naming the file and the field;
// so does a station's carrier template that does not exist, is no waybill
// or is for other stock.
func TestBadTemplateStopsStartUp(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "sf.yaml")
	os.WriteFile(bad, []byte("id: sf-100x180\nversion: 2\ntitle: Ours\nkind: waybill\ncarriers: [SF]\nmedia: 100x180\n"+
		"elements:\n  - {type: code128, x: 3, y: 3, w: 94, h: 15, data: \"{tracking_no}\"}\n"), 0o644)
	cfg := DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
	cfg.Labels.TemplatesDir = dir
	g := New(cfg)
	g.Demo = true
	err := g.Start(context.Background())
	g.Close()
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "elements[0] (line 8).data: {tracking_no}: no such field") {
		t.Fatalf("start with a bad template: %v", err)
	}
	if g.DB != nil {
		t.Fatal("the store was opened before the templates were checked")
	}

	for _, c := range []struct{ id, media, want string }{
		{"sf-999", "", `labels.stations.pack-1.templates.SF: no template "sf-999"`},
		{"packing-list", "", `"packing-list" is a packing_list template, not a waybill`},
		{"sf-100x180", "100x150", `"sf-100x180" is for 100x180 stock, the station has 100x150`},
	} {
		cfg := DefaultConfig()
		cfg.Stations = []string{"pack-1"}
		cfg.Labels.Stations = map[string]StationLabels{"pack-1": {Media: c.media, Templates: map[string]string{"SF": c.id}}}
		if _, err := cfg.LoadWaybills(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.id, err, c.want)
		}
	}
}

// TestWaybillsChooseAndCheck: a station's stock and carrier templates
// choose the waybill, and a shipment is refused for the template any
// station would print it with.
func TestWaybillsChooseAndCheck(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Stations = []string{"pack-1", "pack-2", "pack-3"}
	cfg.Labels.Stations = map[string]StationLabels{
		"pack-2": {Media: "100x150", Lang: "en"},
		"pack-3": {Templates: map[string]string{"SF": "waybill-100x180"}},
	}
	wb, err := cfg.LoadWaybills()
	if err != nil {
		t.Fatal(err)
	}
	s := NewDemo().Shipments()[0]
	for station, want := range map[string]string{"pack-1": "sf-100x180", "pack-2": "waybill-100x150", "pack-3": "waybill-100x180", "": "sf-100x180"} {
		if got := wb.Template(station, s); got != want {
			t.Errorf("%s chose %q, want %q", station, got, want)
		}
	}
	if wb.Lang("pack-2") != "en" || wb.Lang("pack-1") != "zh" || wb.Media("pack-2") != "100x150" {
		t.Errorf("pack-2: %s %s; pack-1: %s", wb.Lang("pack-2"), wb.Media("pack-2"), wb.Lang("pack-1"))
	}
	if err := wb.Check(s); err != nil {
		t.Fatalf("the demo shipment: %v", err)
	}
	// sf-100x180 (pack-1) prints the sort code; the generic layouts do not
	// require it.
	s.SortCode = ""
	var fe *floorgate.FieldError
	if err := wb.Check(s); !errors.As(err, &fe) || fe.Field != "sort_code" {
		t.Fatalf("no sort code: %v", err)
	}
	s = NewDemo().Shipments()[0]
	s.PrintData = &floorgate.PrintData{Format: "zpl", Data: []byte("^XA^XZ"), Media: "100x180"}
	if err := wb.Check(s); !errors.As(err, &fe) || fe.Field != "print_data.format" {
		t.Fatalf("ZPL on a site with no printers: %v", err)
	}
	if got := wb.Template("pack-1", s); got != "carrier:zpl" {
		t.Errorf("a carrier's label: template %q", got)
	}
}
