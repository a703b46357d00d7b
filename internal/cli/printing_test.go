package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/print/printer"
	"github.com/floorgate/floorgate/print/printer/printertest"
)

func TestLabelRenderCommand(t *testing.T) {
	dir := t.TempDir()
	ship := gateway.NewDemo().Shipments()[0]
	raw, _ := json.Marshal(ship)
	data := filepath.Join(dir, "shipment.json")
	os.WriteFile(data, raw, 0o600)
	for _, f := range []string{"zpl", "tspl", "epl2", "escpos", "png"} {
		var out bytes.Buffer
		if err := dispatch(context.Background(), []string{"label", "render", "--template", "waybill-100x150", "--data", data, "--format", f}, &out, io.Discard); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if out.Len() < 100 {
			t.Fatalf("%s: %d bytes", f, out.Len())
		}
	}
	// A shipment without a phone is refused, naming the field.
	ship.Recipient.Phone = ""
	raw, _ = json.Marshal(ship)
	os.WriteFile(data, raw, 0o600)
	err := dispatch(context.Background(), []string{"label", "render", "--template", "waybill-100x180", "--data", data}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "recipient.phone") {
		t.Fatalf("missing phone: %v", err)
	}
}

func TestPrintTestCommand(t *testing.T) {
	lbl := printertest.StartTCP(t, printer.TSPL, []printer.State{{Online: true}})
	conf := filepath.Join(t.TempDir(), "floorgate.yaml")
	os.WriteFile(conf, []byte("printers:\n  - {id: lbl-9, dialect: tspl, address: 'tcp://"+lbl.Addr()+"', dpi: 203, stations: [pack-9]}\n"), 0o600)
	var out bytes.Buffer
	if err := dispatch(context.Background(), []string{"print", "test", "--config", conf, "lbl-9"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := lbl.WaitLabels(1, 5*time.Second); err != nil || !strings.Contains(out.String(), "ready") {
		t.Fatalf("%v: %s", err, out.String())
	}
	lbl.SetState(printer.State{Online: true, HeadOpen: true})
	err := dispatch(context.Background(), []string{"print", "test", "--config", conf, "lbl-9"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "head open") {
		t.Fatalf("head open: %v", err)
	}
}

func TestProfilesValidateAndStartUp(t *testing.T) {
	var out bytes.Buffer
	if err := dispatch(context.Background(), []string{"profiles", "validate"}, &out, io.Discard); err != nil || !strings.Contains(out.String(), "profiles (shipped) are valid") {
		t.Fatalf("shipped profiles: %v %s", err, out.String())
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("model: Site Scanner\nkind: scanner\ntransports: [serial]\ndialect: raw\nusb: {vid: \"05E0\", pid: \"12\"}\n"), 0o600)
	err := dispatch(context.Background(), []string{"profiles", "validate", dir}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "mine.yaml") || !strings.Contains(err.Error(), "usb.pid") {
		t.Fatalf("bad site profile: %v", err)
	}
	// The daemon refuses to start on it, before anything has started.
	cfg := gateway.DefaultConfig()
	cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen, cfg.ProfilesDir = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0", dir
	m := &gateway.Gateway{Config: cfg, Demo: true}
	err = m.Start(context.Background())
	opened := m.DB != nil
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "usb.pid") || opened {
		t.Fatalf("start-up with a bad profile: %v (store opened: %v)", err, opened)
	}
	if entries, _ := os.ReadDir(cfg.StateDir); len(entries) != 0 {
		t.Fatalf("a refused start left files behind: %v", entries)
	}
}

// TestTemplateCommands: template list names the shipped templates and a
// site's over them; template validate exits with the file and field of a
// bad one.
func TestTemplateCommands(t *testing.T) {
	var out bytes.Buffer
	if err := dispatch(context.Background(), []string{"template", "validate"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"sf-100x180", "tongda-100x180", "intl-100x150", "packing-list", "location", "item"} {
		if !strings.Contains(out.String(), id) {
			t.Errorf("template validate does not list %s:\n%s", id, out.String())
		}
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "ours.yaml")
	ours := "id: ours\nversion: 1\ntitle: Ours\nkind: waybill\ncarriers: [SF]\nmedia: 100x150\n" +
		"elements:\n  - {type: text, x: 3, y: 3, w: 50, h: 5, size: 4, text: \"{recipient.mobile}\"}\n"
	os.WriteFile(bad, []byte(ours), 0o644)
	err := dispatch(context.Background(), []string{"template", "validate", "--dir", dir}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "elements[0] (line 8).text: {recipient.mobile}: no such field") {
		t.Fatalf("a bad site template: %v", err)
	}
	os.WriteFile(bad, []byte(strings.Replace(ours, "mobile", "phone", 1)), 0o644)
	out.Reset()
	if err := dispatch(context.Background(), []string{"template", "list", "--dir", dir}, &out, io.Discard); err != nil || !strings.Contains(out.String(), bad) {
		t.Fatalf("template list with the site's template: %v\n%s", err, out.String())
	}
}
