package serialline_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/floorgate/floorgate/internal/serialline"
)

// TestFind: a USB-serial port is found by its ids in either case, a serial
// number tells two alike apart, and two alike without one are an error,
// never a guess.
func TestFind(t *testing.T) {
	ports := []serialline.PortInfo{
		{Path: "/dev/ttyS0"},
		{Path: "/dev/ttyACM0", USB: true, VID: "05e0", PID: "1900", SerialNumber: "S1"},
		{Path: "/dev/ttyACM1", USB: true, VID: "05e0", PID: "1900", SerialNumber: "S2"},
		{Path: "/dev/ttyACM2", USB: true, VID: "0c2e", PID: "0b61"},
	}
	cases := []struct {
		vid, pid, sn string
		want         string
		err          string
	}{
		{"0C2E", "0B61", "", "/dev/ttyACM2", ""},
		{"05e0", "1900", "S2", "/dev/ttyACM1", ""},
		{"05e0", "1900", "", "", "2 ports match (/dev/ttyACM0, /dev/ttyACM1); give the scanner's serial number"},
		{"05e0", "1900", "S9", "", "no such serial port"},
		{"1eab", "0d10", "", "", "no such serial port"},
	}
	for _, c := range cases {
		got, err := serialline.Find(ports, c.vid, c.pid, c.sn)
		if got != c.want || (err == nil) != (c.err == "") || err != nil && !strings.Contains(err.Error(), c.err) {
			t.Errorf("Find(%s:%s %q) = %q, %v; want %q, %q", c.vid, c.pid, c.sn, got, err, c.want, c.err)
		}
		if c.err == "no such serial port" && !errors.Is(err, serialline.ErrNotFound) {
			t.Errorf("Find(%s:%s) error %v is not ErrNotFound", c.vid, c.pid, err)
		}
	}
}

// TestPorts reads this machine's real port list: every entry is a
// device file that exists as a character device, and USB ports have ids.
func TestPorts(t *testing.T) {
	ports, err := serialline.Ports()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if !strings.HasPrefix(p.Path, "/dev/") || p.USB && (len(p.VID) != 4 || len(p.PID) != 4) {
			t.Errorf("port %+v", p)
		}
		if fi, err := os.Stat(p.Path); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			t.Errorf("port %s is not a character device: %v", p.Path, err)
		}
	}
	t.Logf("%d serial ports here", len(ports))
}
