package printer_test

import (
	"testing"

	"github.com/floorgate/floorgate/print/printer"
)

// TestParseAddress: every transport's address is split into its scheme and
// target, and a wrong one is refused with the message the site admin is
// shown, word for word.
func TestParseAddress(t *testing.T) {
	cases := []struct {
		name, addr     string
		scheme, target string
		err            string
	}{
		{"tcp", "tcp://10.0.0.7:9100", "tcp", "10.0.0.7:9100", ""},
		{"tcp without port", "tcp://printer-1", "tcp", "printer-1", ""},
		{"serial", "serial:///dev/ttyUSB0", "serial", "/dev/ttyUSB0", ""},
		{"serial with baud", "serial:///dev/ttyUSB0?baud=19200", "serial", "/dev/ttyUSB0", ""},
		{"usblp", "usblp:///dev/usb/lp0", "usblp", "/dev/usb/lp0", ""},
		{"not a URL", "tcp://%zz", "", "", `"tcp://%zz" is not an address`},
		{"tcp without host", "tcp:///9100", "", "", `"tcp:///9100" has no host`},
		{"serial without path", "serial://", "", "", `"serial://" has no device path`},
		{"usblp without path", "usblp://lp0", "", "", `"usblp://lp0" has no device path`},
		{"baud not a number", "serial:///dev/ttyUSB0?baud=fast", "", "", `"serial:///dev/ttyUSB0?baud=fast": baud is not a number`},
		{"unknown scheme", "lpt1", "", "", `"lpt1": want tcp://host:9100, serial:///dev/ttyUSB0 or usblp:///dev/usb/lp0`},
		{"ipp", "ipp://printer-1/ipp", "", "", `"ipp://printer-1/ipp": want tcp://host:9100, serial:///dev/ttyUSB0 or usblp:///dev/usb/lp0`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			scheme, target, err := printer.ParseAddress(c.addr)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("ParseAddress(%q) = %q, %q, %v; want error %s", c.addr, scheme, target, err, c.err)
				}
				return
			}
			if err != nil || scheme != c.scheme || target != c.target {
				t.Fatalf("ParseAddress(%q) = %q, %q, %v; want %q, %q", c.addr, scheme, target, err, c.scheme, c.target)
			}
		})
	}
}
