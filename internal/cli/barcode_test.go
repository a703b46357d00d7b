package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
)

func explainJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	var out bytes.Buffer
	if err := dispatch(context.Background(), append([]string{"barcode", "explain", "--json"}, args...), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	return m
}

func TestBarcodeExplain(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m := gatewaytest.StartDemo(t, clock)
	// The command line finds the gateway by its local socket.
	sock := m.Config.SocketPath()
	demo := gateway.NewDemo()
	ean := demo.Master.Items[0].Barcodes[0]

	// A GS1-128 with the demo item's GTIN, a batch after which the GS
	// separator is written as \x1d, and an expiry.
	got := explainJSON(t, "--socket", sock, "]C101"+"0"+ean+`10L42\x1d17261231`)
	if got["valid"] != true || got["error"] != nil || got["symbology"] != "GS1-128" {
		t.Fatalf("valid GS1-128: %v", got)
	}
	ais := got["ais"].([]any)
	if len(ais) != 3 || ais[0].(map[string]any)["ai"] != "01" || ais[1].(map[string]any)["value"] != "L42" || ais[2].(map[string]any)["ai"] != "17" {
		t.Fatalf("ais: %v", ais)
	}
	match := got["match"].(map[string]any)
	if match["kind"] != "item" || match["sku"] != demo.Master.Items[0].SKU {
		t.Fatalf("match: %v", match)
	}

	// Month 13: invalid, and the reason names the AI and the rule.
	bad := explainJSON(t, "--socket", sock, "(01)0"+ean+"(17)261301")
	if bad["valid"] != false || bad["rule"] != "date" || bad["error_ai"] != "17" || !strings.Contains(bad["error"].(string), "17") {
		t.Fatalf("bad month: %v", bad)
	}

	// A location label, matched at the site.
	loc := explainJSON(t, "--socket", sock, demo.Master.Locations[5].Barcode)
	if m := loc["match"].(map[string]any); m["kind"] != "location" || m["location"] != demo.Master.Locations[5].Code {
		t.Fatalf("location: %v", loc)
	}

	// No gateway: the barcode is still explained, the match is not guessed.
	alone := explainJSON(t, "--socket", filepath.Join(t.TempDir(), "nobody.sock"), ean)
	if alone["valid"] != true || alone["match"] != nil || alone["match_note"] == "" || alone["gtin"] != "0"+ean {
		t.Fatalf("without a gateway: %v", alone)
	}

	// The text form reads for a person.
	var out bytes.Buffer
	if err := dispatch(context.Background(), []string{"barcode", "explain", "--socket", sock, "(01)0" + ean + "(17)261301"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "valid:      no") || !strings.Contains(out.String(), "(17)") {
		t.Fatalf("text form:\n%s", out.String())
	}
}
