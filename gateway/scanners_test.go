package gateway

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScannerConfigRefused: a scanner the daemon could not drive stops
// start-up with the field named, before anything starts.
func TestScannerConfigRefused(t *testing.T) {
	cases := []struct {
		sc   ScannerConfig
		want string
	}{
		{ScannerConfig{ID: "s1", Profile: "Zebra DS2208", Address: "serial:///dev/ttyACM0", Station: "S 1"}, "scanners[0].station: \"S 1\" must be"},
		{ScannerConfig{ID: "s1", Profile: "Zebra DS2208", Address: "usb://05e0:1200", Station: "S1"}, "scanners[0].address: \"usb://05e0:1200\": want serial:///dev/ttyACM0"},
		{ScannerConfig{ID: "s1", Profile: "Zebra DS2208", Address: "hid-pos://5e0:1200", Station: "S1"}, "scanners[0].address: \"hid-pos://5e0:1200\": want hid-pos://VID:PID"},
		{ScannerConfig{ID: "s1", Profile: "Zebra DS2208", Address: "serial:///dev/ttyACM0", Station: "S1", Login: "pin"}, "scanners[0].login: \"pin\" is not one of badge, station"},
		{ScannerConfig{ID: "s1", Profile: "Zebra DS1234", Address: "serial:///dev/ttyACM0", Station: "S1"}, "scanners[0].profile: no profile \"Zebra DS1234\""},
		{ScannerConfig{ID: "s1", Address: "serial:///dev/ttyACM0", Station: "S1"}, "scanners[0].profile: missing"},
		{ScannerConfig{ID: "s1", Profile: "Zebra ZD421", Address: "serial:///dev/ttyACM0", Station: "S1"}, "scanners[0].profile: \"Zebra ZD421\" is a printer, not a scanner"},
		{ScannerConfig{ID: "s1", Profile: "Datalogic QuickScan QD2430", Address: "hid-pos://05f9:2206", Station: "S1"}, "scanners[0].address: Datalogic QuickScan QD2430 does not speak hid-pos"},
	}
	for _, c := range cases {
		cfg := DefaultConfig()
		cfg.StateDir, cfg.Listen, cfg.MQTT.EmbeddedListen = t.TempDir(), "127.0.0.1:0", "127.0.0.1:0"
		cfg.Scanners = []ScannerConfig{c.sc}
		err := cfg.validate("site.yaml")
		if err == nil {
			g := New(cfg)
			err = g.Start(context.Background())
			g.Close()
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.sc, err, c.want)
		}
		if _, err := os.Stat(filepath.Join(cfg.StateDir, "floorgate.db")); err == nil {
			t.Errorf("%+v: the store was opened before the scanner was refused", c.sc)
		}
	}
}
