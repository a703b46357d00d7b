package scanner_test

import (
	"testing"

	"github.com/floorgate/floorgate/device/scanner"
)

// TestParseAddress: every transport's address is parsed into its parts, and
// a wrong one is refused with the message the site admin is shown, word for
// word (docs/scanners.md lists the forms).
func TestParseAddress(t *testing.T) {
	cases := []struct {
		name, addr string
		want       scanner.Addr
		err        string
	}{
		{"serial", "serial:///dev/ttyACM0", scanner.Addr{Scheme: "serial", Path: "/dev/ttyACM0"}, ""},
		{"serial by-id with baud", "serial:///dev/serial/by-id/usb-Zebra-if00?baud=115200",
			scanner.Addr{Scheme: "serial", Path: "/dev/serial/by-id/usb-Zebra-if00", Baud: 115200}, ""},
		{"serial-usb upper case", "serial-usb://05E0:1900", scanner.Addr{Scheme: "serial-usb", VID: "05e0", PID: "1900"}, ""},
		{"serial-usb with serial", "serial-usb://05e0:1900?serial=21034010503423",
			scanner.Addr{Scheme: "serial-usb", VID: "05e0", PID: "1900", Serial: "21034010503423"}, ""},
		{"hid-pos", "hid-pos://05e0:1300", scanner.Addr{Scheme: "hid-pos", VID: "05e0", PID: "1300"}, ""},
		{"hid-keyboard with serial", "hid-keyboard://0c2e:1900?serial=S1",
			scanner.Addr{Scheme: "hid-keyboard", VID: "0c2e", PID: "1900", Serial: "S1"}, ""},
		{"hid-pos with hex letters in the product id", "hid-pos://0c2e:0b61",
			scanner.Addr{Scheme: "hid-pos", VID: "0c2e", PID: "0b61"}, ""},
		{"serial-usb with a product id of letters", "serial-usb://05e0:BEEF?serial=S2",
			scanner.Addr{Scheme: "serial-usb", VID: "05e0", PID: "beef", Serial: "S2"}, ""},
		{"not a URL", "serial://%zz", scanner.Addr{}, `"serial://%zz" is not an address`},
		{"serial without path", "serial://", scanner.Addr{}, `"serial://" has no device path`},
		{"baud not a number", "serial:///dev/ttyACM0?baud=fast", scanner.Addr{}, `"serial:///dev/ttyACM0?baud=fast": baud is not a number`},
		{"baud zero", "serial:///dev/ttyACM0?baud=0", scanner.Addr{}, `"serial:///dev/ttyACM0?baud=0": baud is not a number`},
		{"short VID", "hid-pos://5e0:1200", scanner.Addr{}, `"hid-pos://5e0:1200": want hid-pos://VID:PID with 4 hex digits each, e.g. hid-pos://05e0:1200`},
		{"serial-usb without PID", "serial-usb://05e0", scanner.Addr{}, `"serial-usb://05e0": want serial-usb://VID:PID with 4 hex digits each, e.g. serial-usb://05e0:1200`},
		{"unknown scheme", "usb://05e0:1200", scanner.Addr{}, `"usb://05e0:1200": want serial:///dev/ttyACM0, serial-usb://VID:PID, hid-pos://VID:PID or hid-keyboard://VID:PID`},
		{"bare path", "/dev/ttyACM0", scanner.Addr{}, `"/dev/ttyACM0": want serial:///dev/ttyACM0, serial-usb://VID:PID, hid-pos://VID:PID or hid-keyboard://VID:PID`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := scanner.ParseAddress(c.addr)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("ParseAddress(%q) = %+v, %v; want error %s", c.addr, got, err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseAddress(%q) = %+v, %v; want %+v", c.addr, got, err, c.want)
			}
		})
	}
}
