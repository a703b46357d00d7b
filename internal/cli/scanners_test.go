package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/floorgate/floorgate"
	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/serial/serialtest"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
	"github.com/floorgate/floorgate/gateway"
	"github.com/floorgate/floorgate/internal/gatewaytest"
	"github.com/floorgate/floorgate/internal/poll"
	"github.com/floorgate/floorgate/internal/serialline"
)

// TestWiredScannerAtACart runs the daemon with a Honeywell Xenon on a
// serial line (a pseudo-terminal playing the scanner): floorgate pushes the
// profile's init, a badge read logs the picker in at the cart, the reads
// are judged by the same engine as a PDA's and journalled as the cart's
// scans, and each verdict comes back as the profile's host-ACK beep.
func TestWiredScannerAtACart(t *testing.T) {
	set, err := profiles.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := set.Get("Honeywell Xenon 1950g")
	demo := gateway.NewDemo()
	loc := demo.Tasks[0].Lines[0].Location

	master, slave := serialtest.Pty(t)
	var steps []serialtest.Step
	for _, cmd := range p.InitBytes() {
		menu := string(cmd[3:]) // after SYN M CR
		steps = append(steps, serialtest.Step{Write: cmd, Reply: []byte(menu[:len(menu)-1] + "\x06" + menu[len(menu)-1:])})
	}
	good, bad := []byte{0x1B, '7'}, []byte{0x1B, '8'}
	steps = append(steps,
		serialtest.Step{Reply: []byte("]C0" + demo.Badges[0] + "\r")}, serialtest.Step{Write: good},
		serialtest.Step{Reply: []byte("]C0" + demo.LocationBarcode[loc] + "\r")}, serialtest.Step{Write: good},
		serialtest.Step{Reply: []byte("]C0NOT-A-LOCATION\r")}, serialtest.Step{Write: bad},
	)
	play := serialtest.Play(t, master, steps...)

	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m := gatewaytest.StartDemo(t, clock, func(c *gateway.Config) {
		c.Scanners = []gateway.ScannerConfig{{ID: "cart-07-scanner", Profile: p.Model, Address: "serial://" + slave, Station: "CART-07"}}
	})
	select {
	case <-play.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the scanner's transcript was not played to the end")
	}
	sess := m.DB.Session("CART-07")
	if sess.Operator != "P001" || sess.Task != demo.Tasks[0].ID || !sess.AtLocation {
		t.Fatalf("cart session %+v: want P001 on %s at the location", sess, demo.Tasks[0].ID)
	}
	evs, err := m.DB.Journal(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Type != floorgate.EventScanAccepted && ev.Type != floorgate.EventScanRejected {
			continue
		}
		var rec floorgate.ScanRecord
		if err := json.Unmarshal(ev.Data, &rec); err != nil {
			t.Fatal(err)
		}
		got = append(got, rec.Device+" "+string(rec.Code)+" "+rec.Data)
	}
	want := []string{"CART-07 location_ok " + loc, "CART-07 unknown_barcode NOT-A-LOCATION"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("journalled scans %q, want %q", got, want)
	}

	var states []scanner.State
	if err := gatewaytest.Local(m).Get(context.Background(), "/api/v1/scanners", &states); err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || states[0].Status != scanner.StatusConnected || states[0].Operator != "P001" ||
		states[0].Scans != 3 || states[0].Station != "CART-07" || states[0].Model != p.Model {
		t.Fatalf("scanner states %+v", states)
	}
}

// TestDevicesCommand lists this machine's serial ports (it has no USB bus:
// libusb starts and finds nothing).
func TestDevicesCommand(t *testing.T) {
	var out, errb strings.Builder
	if err := dispatch(context.Background(), []string{"devices"}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	ports, err := serialline.Ports()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != fmt.Sprintf("serial ports: %d", len(ports)) || len(lines) != len(ports)+2 || lines[len(lines)-1] != "usb devices: 0" {
		t.Fatalf("devices output:\n%s", out.String())
	}
	if err := dispatch(context.Background(), []string{"devices", "--profiles", t.TempDir() + "/none"}, &out, &errb); err == nil {
		t.Fatal("a missing profiles directory was accepted")
	}
}

// TestAbsentScannersAreShown: scanners that are not plugged in do not stop
// the daemon; each is shown in error with the reason, and retried.
func TestAbsentScannersAreShown(t *testing.T) {
	clock := floorgate.NewManualClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
	m := gatewaytest.StartDemo(t, clock, func(c *gateway.Config) {
		c.Scanners = []gateway.ScannerConfig{
			{ID: "pack-1-hid", Profile: "Zebra DS2208", Address: "hid-keyboard://05e0:1200", Station: "PACK-01"},
			{ID: "cart-2", Profile: "Zebra DS2208", Address: "serial-usb://05e0:1900?serial=ABC", Station: "CART-02"},
			{ID: "cart-3", Profile: "Zebra DS2208", Address: "serial:///dev/serial/by-id/usb-Zebra-absent", Station: "CART-03"},
		}
	})
	want := map[string]string{
		"pack-1-hid": "open: open usb 05e0:1200: usb device not found",
		"cart-2":     "open: find port 05e0:1900 serial ABC: no such serial port",
		"cart-3":     "open: serial port: open /dev/serial/by-id/usb-Zebra-absent: no such file or directory",
	}
	errs := func() map[string]string {
		got := map[string]string{}
		for _, s := range m.ScannerStates() {
			if s.Status == scanner.StatusError {
				got[s.Name] = s.Reason
			}
		}
		return got
	}
	poll.Eventually(t, 10*time.Second, func() bool { return fmt.Sprint(errs()) == fmt.Sprint(want) }, func() string { return fmt.Sprintf("scanner errors %v, want %v", errs(), want) })
}
