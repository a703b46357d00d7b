package serial_test

import (
	"context"
	"errors"
	"testing"

	"github.com/floorgate/floorgate/device/scanner"
	"github.com/floorgate/floorgate/device/serial"
	"github.com/floorgate/floorgate/device/serial/serialtest"
	profiles "github.com/floorgate/floorgate/firmware-profiles"
)

func shipped(t *testing.T, model string) *profiles.Profile {
	t.Helper()
	set, err := profiles.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	p, ok := set.Get(model)
	if !ok {
		t.Fatalf("no profile %q", model)
	}
	return p
}

// TestNewlandRepliesAreNotReads: a Newland scanner answers each command
// with <STX><SOH>0000#…<ACK>;<ETX>; those answers, even arriving glued to a
// read, never become or corrupt a scan.
func TestNewlandRepliesAreNotReads(t *testing.T) {
	p := shipped(t, "Newland HR32")
	port, master := openPty(t)
	s, err := serial.NewScanner(port, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	scans, _, _ := start(t, s)
	init := p.InitBytes()
	good, _ := profiles.DecodeHex(p.Feedback.Good)
	play := serialtest.Play(t, master,
		serialtest.Step{Write: init[0]},
		serialtest.Step{Write: init[1], Reply: []byte("\x02\x010000#AIDENA1\x06;\x03\x02\x010000#GRB")},
		serialtest.Step{Reply: []byte("ENA0\x06;\x03]C0LOC-A-01\r")},
		serialtest.Step{Write: good, Reply: []byte("\x02\x010000#BEEPON2700F080T020V\x06;\x03]E05901234123457\r")},
	)
	if err := s.Init(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := nextScan(t, scans), (serial.Scan{Data: "LOC-A-01", AIM: "]C0", Symbology: "Code 128"}); got != want {
		t.Fatalf("scan %+v, want %+v", got, want)
	}
	if err := s.Feedback(t.Context(), serial.Good, "location_ok"); err != nil {
		t.Fatal(err)
	}
	if got := nextScan(t, scans); got.Data != "5901234123457" || got.AIM != "]E0" {
		t.Fatalf("scan after a reply %+v", got)
	}
	done(t, play)
	noMoreScans(t, scans)
}

// TestScannerByDialect: the profile's dialect picks the driver; commands a
// dialect lacks say so with scanner.ErrUnsupported.
func TestScannerByDialect(t *testing.T) {
	port, _ := openPty(t)
	s, err := serial.NewScanner(port, shipped(t, "Datalogic QuickScan QD2430"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Feedback(ctx, serial.Bad, "wrong_location"); !errors.Is(err, scanner.ErrUnsupported) {
		t.Errorf("feedback on a raw scanner without feedback: %v", err)
	}
	if err := s.ScanEnable(ctx, false); !errors.Is(err, scanner.ErrUnsupported) {
		t.Errorf("scan disable on a raw scanner: %v", err)
	}
	hid := *shipped(t, "Datalogic QuickScan QD2430")
	hid.Dialect = "hid-pos"
	if _, err := serial.NewScanner(port, &hid, nil); !errors.Is(err, scanner.ErrUnsupported) {
		t.Errorf("a HID POS profile on a serial port: %v", err)
	}
}
